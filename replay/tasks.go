package replay

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
	"github.com/mmapsim/mmapsim/sim"
)

// The process model, as Linux has it: a pid is a task; a task runs in an
// address space (a space, Linux's mm_struct), which threads share
// (CLONE_VM), fork copies and execve replaces. A space runs one program
// image; the verdict is per image.

// space is one address space: the machine it runs on, the map from the
// trace's addresses to the machine's, its break, and the program image it
// runs.
type space struct {
	machine    *scenario.Machine
	addrs      addrMap
	brk        brkState
	image      *Image
	users      int  // live tasks in it
	aborted    bool // the emulator aborted: later calls are not run
	afterAbort int  // calls not run since
	// noClose: descriptor tables that cannot see each other's closes
	// use the machine's descriptors (a vfork child's copy of its parent's
	// table), so a close leaves the machine's descriptor open.
	noClose bool
}

// brkState is what a space has established about its break.
type brkState struct {
	known bool   // the first brk established delta
	delta uint64 // simulated break = trace break + delta
	start uint64 // the trace's break at the first brk
	cur   uint64 // the trace's latest break
}

// task is one traced pid.
type task struct {
	sess   *session
	pid    int
	leader int    // its thread group's leader: itself unless a CLONE_THREAD child
	seq    int    // order of first appearance
	space  *space // nil until its first memory call or execve decides
	fds    *fdTable
	sum    *ProcessSummary
	clone  *pendingClone // its clone, fork or vfork, entered and not yet returned
	half   *syntax.Stmt  // its call strace left unfinished, waiting for the resumed half
	// deferred are the file calls of a task whose address space is yet
	// to be inferred, held back until a memory call says where it
	// belongs (at most maxDeferred).
	deferred []*syntax.Stmt

	// The memory call being replayed, for the scenario.Translator
	// methods (translate.go).
	stmt      *syntax.Stmt
	res       result
	noreplace bool              // the call is an mmap with MAP_FIXED_NOREPLACE
	traceArgs scenario.CallArgs // its arguments before translation (reused from call to call)
	args      scenario.CallArgs // its arguments as replayCall runs them (reused from call to call)
}

// pendingClone is a clone whose child may speak before it returns.
type pendingClone struct {
	flags cloneFlags
	line  int
	child int // the pid that appeared for it, or 0
}

// cloneFlags are what a clone, clone3, fork or vfork shares with the child.
type cloneFlags struct {
	vm, files, thread bool
}

// readCloneFlags reads the flags of call name from its text (a whole line,
// or the unfinished half): fork shares nothing, vfork the address space,
// clone and clone3 what their CLONE_* flags say.
func readCloneFlags(name, text string) cloneFlags {
	switch name {
	case "fork":
		return cloneFlags{}
	case "vfork":
		return cloneFlags{vm: true}
	}
	return cloneFlags{vm: hasWord(text, "CLONE_VM"), files: hasWord(text, "CLONE_FILES"), thread: hasWord(text, "CLONE_THREAD")}
}

// processCallNames are the calls that make, replace or end processes:
// strace's %process class (less wait and kill, which change no memory).
var processCallNames = map[string]bool{"clone": true, "clone3": true, "fork": true, "vfork": true, "execve": true, "execveat": true}

func isCloneCall(name string) bool {
	return name == "clone" || name == "clone3" || name == "fork" || name == "vfork"
}

// task returns pid's task, making it at its first appearance. A new pid
// that speaks while a clone is entered and not yet returned is that
// clone's child (the latest such clone's, when there are several).
func (s *session) task(pid int) *task {
	if t, ok := s.tasks[pid]; ok {
		return t
	}
	t := s.newTask(pid)
	for i := len(s.cloning) - 1; i >= 0; i-- {
		parent := s.cloning[i]
		if parent.clone != nil && parent.clone.child == 0 && parent != t {
			parent.clone.child = pid
			s.attach(t, parent, parent.clone.flags)
			break
		}
	}
	return t
}

func (s *session) newTask(pid int) *task {
	s.seq++
	t := &task{sess: s, pid: pid, leader: pid, seq: s.seq, fds: newFDTable(), sum: &ProcessSummary{Pid: pid}}
	s.tasks[pid] = t
	s.report.Processes = append(s.report.Processes, t.sum)
	return t
}

// attach makes t the child of parent's clone with flags: sharing or
// copying its address space and descriptors.
func (s *session) attach(t, parent *task, flags cloneFlags) {
	if parent.space == nil {
		s.freshSpace(parent, "", 0)
	}
	if flags.thread {
		t.leader = parent.leader
	}
	if flags.vm {
		t.space = parent.space
		t.space.users++
		t.space.image.Threads++
	} else {
		t.space = s.forkSpace(parent.space)
		t.space.image.Processes++
	}
	if flags.files {
		t.fds = parent.fds
		t.fds.users++
	} else {
		t.fds = parent.fds.copy()
		if flags.vm {
			t.space.noClose = true
		}
	}
}

// forkSpace returns a copy of sp, as fork gives the child: the machine
// (copy-on-write), the address map and the break. A machine that cannot be
// copied (its host is not a plain kernel) gives a fresh one.
func (s *session) forkSpace(sp *space) *space {
	m, ok := cloneMachine(sp.machine)
	if !ok {
		m = s.buildMachine()
	}
	return &space{machine: m, addrs: sp.addrs.clone(), brk: sp.brk, image: sp.image, users: 1, aborted: sp.aborted}
}

// cloneMachine copies m, host kernel and guest. ok is false when the
// guest's host is not a plain kernel, whose copy the machine would need.
func cloneMachine(m *scenario.Machine) (*scenario.Machine, bool) {
	c := *m
	if m.Sim == nil {
		c.Kernel = m.Kernel.Clone()
		return &c, true
	}
	g := m.Sim.CloneGuest()
	kh, ok := g.Host().(sim.KernelHost)
	if !ok {
		return nil, false
	}
	c.Sim, c.Kernel = g, kh.Kernel
	return &c, true
}

// buildMachine builds a machine from the session's settings, which
// newSession checked.
func (s *session) buildMachine() *scenario.Machine {
	m := s.first
	s.first = nil
	if m == nil {
		var err error
		if m, err = s.settings.Build(); err != nil {
			panic("replay: settings that built once do not build again: " + err.Error())
		}
	}
	m.Settings = s.settings
	loadBrkTail(m)
	return m
}

// loadBrkTail maps, under a target, what QEMU's ELF loader maps and sim
// does not: the end of the last host page of the program's bss, from the
// initial break up to the next qemu_host_page_size boundary. QEMU's do_brk
// zeroes that tail when the heap first grows past it, and with a host page
// larger than the target's it is otherwise unmapped on the host, so the
// emulator would abort on the memset. The fixed do_brk (quirk
// brk-host-pages off) maps the heap in guest pages and clears nothing:
// there the tail stays unmapped, as under the guest's kernel.
func loadBrkTail(m *scenario.Machine) {
	if m.Sim == nil || m.Policy.Algorithm == policy.AlgoSeed && !m.Policy.Quirks.Has(sim.QuirkBrkHostPages) {
		return
	}
	start := m.Sim.BrkStart()
	h := m.Sim.Config().HostPageSize
	end, ok := hostvm.AlignUp(start, h)
	if !ok || end <= start {
		return
	}
	m.Mmap(start, end-start, uint64(hostvm.ProtRead|hostvm.ProtWrite),
		uint64(hostvm.MapPrivate|hostvm.MapFixed|hostvm.MapAnonymous), ^uint64(0), 0)
}

// freshSpace gives t a new address space running a new program image
// (path, "" when the trace does not name it) from line on, as execve
// does, and leaves its old one.
func (s *session) freshSpace(t *task, path string, line int) *space {
	sp := &space{machine: s.buildMachine(), addrs: newAddrMap(), users: 1}
	sp.image = s.newImage(path, t)
	sp.image.Line = line
	s.leave(t)
	t.space = sp
	return sp
}

// leave takes t out of its address space.
func (s *session) leave(t *task) {
	sp := t.space
	if sp == nil {
		return
	}
	t.space = nil
	sp.users--
	if sp.users == 0 && sp.afterAbort > 0 {
		s.report.addNote(Note{Kind: NoteAfterAbort, Pos: s.name, Pid: t.pid,
			Msg: fmt.Sprintf("%d later memory calls of %s were not run: the emulator had aborted", sp.afterAbort, sp.image.Name())})
		sp.afterAbort = 0
	}
}

// processCall follows a clone, fork, vfork or execve line, whole or joined
// (the unfinished half of a clone was seen already: step).
func (s *session) processCall(st *syntax.Stmt, name string) {
	s.report.Skipped++
	s.sawProcess = true
	t := s.task(st.Pid)
	if t.half != nil && t.half.Line == st.Line {
		t.half = nil // this line joins it
	}
	res := stmtResult(st)
	if isCloneCall(name) {
		pc := t.clone
		s.endClone(t)
		if !res.ok() || res.value == 0 || res.value > 1<<31 {
			return
		}
		child := int(res.value)
		if pc != nil && pc.child != 0 {
			return // the child spoke first and was attached then
		}
		if _, known := s.tasks[child]; known {
			return
		}
		s.attach(s.newTask(child), t, readCloneFlags(name, st.Text))
		return
	}
	s.sawExec = true
	if leader, ok := pidChangedTo(st.Text); ok {
		// A thread's execve: the program goes on in its group leader's
		// pid, where the call resumes (see execResumed).
		s.execMoved[leader] = execPath(st, name)
		return
	}
	if !res.ok() {
		return
	}
	s.exec(t, st, execPath(st, name))
}

// pidChangedTo reads strace's "<pid changed to N ...>", which ends the
// line of an execve by a thread that is not its group's leader: the new
// program runs in pid N.
func pidChangedTo(text string) (int, bool) {
	_, rest, ok := strings.Cut(text, "<pid changed to ")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(strings.Fields(rest + " ")[0])
	return n, err == nil && n > 0
}

// execResumed follows "<... execve resumed>) = 0" in the pid a thread's
// execve moved to: the pid, whose old task the execve ended ("+++
// superseded by execve"), now runs the new program.
func (s *session) execResumed(st *syntax.Stmt) bool {
	path, ok := s.execMoved[st.Pid]
	if !ok {
		return false
	}
	delete(s.execMoved, st.Pid)
	if !textResult(st.Partial).ok() {
		return true
	}
	t := s.task(st.Pid)
	s.exec(t, st, path)
	return true
}

// endClone forgets t's entered clone.
func (s *session) endClone(t *task) {
	if t.clone == nil {
		return
	}
	t.clone = nil
	for i, c := range s.cloning {
		if c == t {
			s.cloning = append(s.cloning[:i], s.cloning[i+1:]...)
			break
		}
	}
}

// execPath is the program an execve or execveat line runs; "" when the
// line does not say.
func execPath(st *syntax.Stmt, name string) string {
	i := 0
	if name == "execveat" {
		i = 1
	}
	if st.Kind == syntax.KindCall && i < len(st.Call.Args) && st.Call.Args[i].Kind == syntax.ArgString {
		return string(st.Call.Args[i].Bytes)
	}
	if name == "execve" {
		if p, ok := firstString(st.Text); ok {
			return p
		}
	}
	return ""
}

// exec replaces t's address space with a new one running path, as a
// successful execve does: the other threads of its group die, and the
// descriptors without close-on-exec stay open in the new image.
func (s *session) exec(t *task, st *syntax.Stmt, path string) {
	old, oldFDs := t.space, t.fds
	for _, o := range s.sortedTasks() {
		if o != t && o.leader == t.leader && o.space == old && old != nil {
			s.remove(o)
		}
	}
	sp := s.freshSpace(t, path, st.Line)
	sp.image.Start = "execve"
	t.leader = t.pid
	t.fds = newFDTable()
	if old != nil {
		oldFDs.carryOver(t.fds, old, sp)
	}
	oldFDs.release(old)
	s.checkExecutable(t, st, path)
}

// exit ends the task of an exit line ("+++ exited with 0 +++", "+++
// killed by SIGKILL +++", "+++ superseded by execve in pid N +++").
func (s *session) exit(st *syntax.Stmt) {
	s.report.Skipped++
	if t, ok := s.tasks[st.Pid]; ok {
		s.remove(t)
	}
}

// remove ends task t: a later line of its pid starts a new task.
func (s *session) remove(t *task) {
	s.unpaired(t)
	s.endClone(t)
	t.fds.release(t.space)
	s.leave(t)
	delete(s.tasks, t.pid)
}

// unpaired notes t's unfinished memory call, which never resumed.
func (s *session) unpaired(t *task) {
	st := t.half
	t.half = nil
	if st == nil || st.Call == nil {
		return
	}
	s.report.Skipped++
	if spec, ok := scenario.LookupCall(st.Call.Name); ok && spec.Class == scenario.MemoryCall {
		s.note(st, NoteUnpaired, "a call strace left unfinished and never resumed: its result is unknown, it is not replayed")
	}
}

// sortedTasks lists the live tasks in order of first appearance.
func (s *session) sortedTasks() []*task {
	out := make([]*task, 0, len(s.tasks))
	for _, t := range s.tasks {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].seq < out[j].seq })
	return out
}

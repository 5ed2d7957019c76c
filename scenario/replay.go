package scenario

import (
	"fmt"
	"io"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
)

// Replay of real strace logs.
//
// A log recorded with
//
//	strace -f -e trace=%memory,openat,close,newfstatat,fstat -o NAME.strace COMMAND
//
// is replayed call by call on a simulated machine of another kind: natively
// on a host of another page size, or under the simulated QEMU. Each pid is
// its own process (its own Machine), started fresh at its first line and
// dropped at its exit line, in file order.
//
// The trace's addresses are the real kernel's choices; the simulation makes
// its own. An address map ties them: every successful mmap, mremap and brk
// records where the trace's new range lies in the simulation, and later
// addresses (MAP_FIXED, mprotect, munmap, ...) are translated through it, so
// the dynamic loader's MAP_FIXED inside its own reservation lands inside the
// simulation's. Memory the trace never shows being mapped (the executable,
// the dynamic loader and the initial heap, mapped by the kernel before the
// first traced call) gets an anonymous placeholder on first use, which is
// reported as a note. File calls are followed, not judged: a successful
// open opens (or creates) the file in the simulated file system, fstat's
// st_size gives it its size, close closes it; a failed open creates
// nothing. File contents are zeros.
//
// Each memory call's outcome is then compared with the trace's result:
// success against failure, the errno, and for brk the new break and for
// MAP_FIXED (and MREMAP_FIXED) the address. A non-fixed mapping may land
// anywhere: it matches whenever both succeed. A call whose trace result is
// "?" is run but not judged.
//
// Lines of other calls, signals, exits, and the halves of an
// unfinished/resumed pair that strace never joined are skipped; a line
// strace garbled (two processes' output interleaved) is a note. Nothing in
// a trace can make Replay panic.

// ReplayOptions control Replay. The zero value replays natively on the
// default host (x86_64).
type ReplayOptions struct {
	// Settings describe the machine every process runs on, as Run's do.
	Settings *Settings
	// TracePage is the page size of the machine the trace was recorded
	// on; the address map works in its pages. Default 4096.
	TracePage uint64
	// Check verifies the machine's invariants (Machine.Check) after every
	// replayed memory call; a violation is a divergence of kind
	// DivInvariant.
	Check bool
	// Log, when set, receives every replayed memory call: the trace's
	// line, the call as the simulation ran it with its result, and under a
	// target the host calls it made.
	Log io.Writer
}

// DivergenceKind classifies a call whose simulated outcome differs from the
// trace's.
type DivergenceKind uint8

// Divergence kinds.
const (
	DivSimFailed    DivergenceKind = iota // the trace's call succeeded, the simulation's failed
	DivSimSucceeded                       // the trace's call failed, the simulation's succeeded
	DivErrno                              // both failed, with different errnos
	DivValue                              // both succeeded with different values: a break, a fixed address
	DivNotSimulated                       // a memory call mmapsim has no model of, or cannot read
	DivAbort                              // the simulated QEMU aborted; the process's later calls are not run
	DivInvariant                          // with Check: an invariant broke after the call
	numDivKinds
)

var divNames = [...]string{"sim-failed", "sim-succeeded", "errno-mismatch", "value-mismatch", "not-simulated", "emulator-abort", "invariant"}

func (k DivergenceKind) String() string {
	if int(k) < len(divNames) {
		return divNames[k]
	}
	return fmt.Sprintf("divergence(%d)", uint8(k))
}

// NoteKind classifies what the replay had to assume.
type NoteKind uint8

// Note kinds.
const (
	NoteUnknownMapping NoteKind = iota // a placeholder for memory the trace never showed being mapped
	NoteUnknownFD                      // a file for a descriptor the trace never showed being opened
	NoteBrkGuess                       // the trace's initial break was not read by brk(NULL)
	NoteUnparsed                       // a line that does not parse (strace interleaved two lines)
	NoteUnpaired                       // half of an unfinished/resumed pair whose other half is missing
	NoteAfterAbort                     // calls not run because the emulator had aborted
	numNoteKinds
)

var noteNames = [...]string{"unknown-mapping", "unknown-fd", "brk-guess", "unparsed", "unpaired", "after-abort"}

func (k NoteKind) String() string {
	if int(k) < len(noteNames) {
		return noteNames[k]
	}
	return fmt.Sprintf("note(%d)", uint8(k))
}

// Divergence is one call whose outcome differs from the trace's.
type Divergence struct {
	Kind  DivergenceKind
	Pos   string // "file:line"
	Pid   int
	Trace string // the trace's line, without pid and timestamp
	Sim   string // the call as the simulation ran it, with its outcome; or why it did not
}

// Note is one thing the replay had to assume or skip.
type Note struct {
	Kind  NoteKind
	Pos   string
	Pid   int
	Trace string
	Msg   string
}

// ProcessSummary counts one process's memory calls.
type ProcessSummary struct {
	Pid         int
	Calls       int // memory calls (replayed, or not simulated)
	Matches     int
	Divergences int
}

// ReplayReport is what a replay found.
type ReplayReport struct {
	Name        string
	Machine     string // the machine every process ran on (Machine.Describe)
	Lines       int
	Processes   []*ProcessSummary // in order of first appearance; a reused pid appears again
	Calls       int               // memory calls
	Matches     int
	Diverged    int // memory calls with at least one divergence
	Unchecked   int // memory calls whose trace result is unknown ("= ?")
	FileCalls   int // open, openat, close, fstat, newfstatat: followed
	Skipped     int // other lines: other calls, signals, exits, blank lines
	Divergences []Divergence
	Notes       []Note
}

// Count returns the number of divergences of kind k.
func (r *ReplayReport) Count(k DivergenceKind) int {
	n := 0
	for _, d := range r.Divergences {
		if d.Kind == k {
			n++
		}
	}
	return n
}

// NoteCount returns the number of notes of kind k.
func (r *ReplayReport) NoteCount(k NoteKind) int {
	n := 0
	for _, d := range r.Notes {
		if d.Kind == k {
			n++
		}
	}
	return n
}

// Replay replays the strace log f (parsed leniently: Bad lines become
// notes) on the machine opts.Settings describe. Its only error is a
// UsageError for settings that do not build a machine.
func Replay(f *File, opts ReplayOptions) (*ReplayReport, error) {
	settings := NewSettings()
	if opts.Settings != nil {
		settings.Merge(opts.Settings)
	}
	m, err := settings.Build()
	if err != nil {
		return nil, &UsageError{err.Error()}
	}
	if opts.TracePage == 0 {
		opts.TracePage = 4096
	}
	if opts.TracePage&(opts.TracePage-1) != 0 {
		return nil, &UsageError{fmt.Sprintf("trace page size %#x: want a power of two", opts.TracePage)}
	}
	r := &replayer{f: f, opts: opts, settings: settings, first: m, procs: map[int]*proc{},
		rep: &ReplayReport{Name: f.Name, Machine: m.Describe()}, tracePage: opts.TracePage}
	for _, st := range f.Stmts {
		r.rep.Lines = max(r.rep.Lines, st.EndLine)
		r.stmt(st)
	}
	for _, p := range r.order {
		r.finishProc(p)
	}
	return r.rep, nil
}

type replayer struct {
	f         *File
	opts      ReplayOptions
	settings  *Settings
	first     *Machine // built to validate the settings; the first process gets it
	procs     map[int]*proc
	order     []*proc // live processes, in order of first appearance
	rep       *ReplayReport
	tracePage uint64
}

func (r *replayer) pos(st *Stmt) string { return fmt.Sprintf("%s:%d", r.f.Name, st.Line) }

func (r *replayer) diverge(st *Stmt, k DivergenceKind, sim string) {
	r.rep.Divergences = append(r.rep.Divergences, Divergence{Kind: k, Pos: r.pos(st), Pid: st.Pid, Trace: traceBody(st), Sim: sim})
}

func (r *replayer) note(st *Stmt, k NoteKind, msg string) {
	r.rep.Notes = append(r.rep.Notes, Note{Kind: k, Pos: r.pos(st), Pid: st.Pid, Trace: traceBody(st), Msg: msg})
}

func (r *replayer) stmt(st *Stmt) {
	switch st.Kind {
	case KindCall:
		p := r.proc(st.Pid)
		if p == nil {
			r.rep.Skipped++
			return
		}
		p.call(st)
	case KindBad:
		msg := "does not parse"
		if st.Err != nil {
			msg = st.Err.Msg
		}
		r.note(st, NoteUnparsed, msg)
	case KindUnfinished, KindResumed:
		r.note(st, NoteUnpaired, "half of an unfinished/resumed pair; the other half is missing")
	case KindExit:
		r.rep.Skipped++
		if p, ok := r.procs[st.Pid]; ok {
			r.finishProc(p)
			delete(r.procs, st.Pid)
			for i, q := range r.order {
				if q == p {
					r.order = append(r.order[:i], r.order[i+1:]...)
					break
				}
			}
		}
	default:
		r.rep.Skipped++
	}
}

// proc returns pid's process, starting it at its first appearance. It
// returns nil only if the machine cannot be built, which Replay checked.
func (r *replayer) proc(pid int) *proc {
	if p, ok := r.procs[pid]; ok {
		return p
	}
	m := r.first
	r.first = nil
	if m == nil {
		var err error
		if m, err = r.settings.Build(); err != nil {
			return nil
		}
	}
	m.Settings = r.settings
	loadBrkTail(m)
	p := &proc{r: r, pid: pid, m: m, fds: map[uint64]traceFile{}, sum: &ProcessSummary{Pid: pid}}
	r.procs[pid] = p
	r.order = append(r.order, p)
	r.rep.Processes = append(r.rep.Processes, p.sum)
	return p
}

// loadBrkTail maps, under a target, what QEMU's ELF loader maps and sim
// does not: the end of the last host page of the program's bss, from the
// initial break up to the next qemu_host_page_size boundary. QEMU's do_brk
// zeroes that tail when the heap first grows past it, and with a host page
// larger than the target's it is otherwise unmapped on the host, so the
// emulator would abort on the memset.
func loadBrkTail(m *Machine) {
	if m.Sim == nil {
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

// finishProc adds a process's totals to the report.
func (r *replayer) finishProc(p *proc) {
	r.rep.Calls += p.sum.Calls
	r.rep.Matches += p.sum.Matches
	r.rep.Diverged += p.sum.Divergences
	if p.afterAbort > 0 {
		r.rep.Notes = append(r.rep.Notes, Note{Kind: NoteAfterAbort, Pos: r.f.Name, Pid: p.pid,
			Msg: fmt.Sprintf("%d later memory calls of pid %d were not run: the emulator had aborted", p.afterAbort, p.pid)})
		p.afterAbort = 0
	}
}

// WriteSummary writes the replay's summary: counts of calls, matches,
// divergences by kind, and notes by kind.
func (r *ReplayReport) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "%s: replayed on %s\n", r.Name, r.Machine)
	fmt.Fprintf(w, "  %d lines: %d memory calls (%d match, %d diverge", r.Lines, r.Calls, r.Matches, r.Diverged)
	if r.Unchecked > 0 {
		fmt.Fprintf(w, ", %d unchecked", r.Unchecked)
	}
	fmt.Fprintf(w, "), %d file calls followed, %d other %s skipped\n", r.FileCalls, r.Skipped, plural(r.Skipped, "line", "lines"))
	if len(r.Processes) > 1 {
		fmt.Fprintf(w, "  %d processes:\n", len(r.Processes))
		for _, p := range r.Processes {
			fmt.Fprintf(w, "    pid %d: %d memory calls, %d match, %d diverge\n", p.Pid, p.Calls, p.Matches, p.Divergences)
		}
	}
	fmt.Fprintf(w, "  divergences: %s\n", kindCounts(int(numDivKinds), func(i int) (string, int) {
		return DivergenceKind(i).String(), r.Count(DivergenceKind(i))
	}))
	fmt.Fprintf(w, "  notes: %s\n", kindCounts(int(numNoteKinds), func(i int) (string, int) {
		return NoteKind(i).String(), r.NoteCount(NoteKind(i))
	}))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func kindCounts(n int, get func(int) (string, int)) string {
	var parts []string
	for i := 0; i < n; i++ {
		if name, c := get(i); c > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c, name))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// WriteDetails writes each divergence with its trace line and the
// simulation's call, then each note.
func (r *ReplayReport) WriteDetails(w io.Writer) {
	if len(r.Divergences) > 0 {
		fmt.Fprintln(w, "divergences:")
	}
	for _, d := range r.Divergences {
		fmt.Fprintf(w, "%s: pid %d: %s\n    trace: %s\n    sim:   %s\n", d.Pos, d.Pid, d.Kind, d.Trace, d.Sim)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "notes:")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "%s: pid %d: %s: %s\n", n.Pos, n.Pid, n.Kind, n.Msg)
		if n.Trace != "" {
			fmt.Fprintf(w, "    trace: %s\n", n.Trace)
		}
	}
}

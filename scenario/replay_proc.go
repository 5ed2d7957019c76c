package scenario

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
)

// This file replays one traced process: its address map from the trace's
// addresses to the simulation's, its file descriptors, and each call.

// addrMap maps trace address ranges to simulated ones: segment s says trace
// addresses [s.start, s.end) are at simulated address a+s.delta (mod 2^64).
// Segments are sorted by start and never overlap; a later mapping replaces
// the part of any segment it covers, as a later mmap replaces memory.
type addrMap struct{ segs []addrSeg }

type addrSeg struct{ start, end, delta uint64 }

// lookup translates trace address a.
func (t *addrMap) lookup(a uint64) (uint64, bool) {
	i := sort.Search(len(t.segs), func(i int) bool { return t.segs[i].end > a })
	if i < len(t.segs) && t.segs[i].start <= a {
		return a + t.segs[i].delta, true
	}
	return 0, false
}

// set records that trace range [start, end) is at simulated start+delta.
func (t *addrMap) set(start, end, delta uint64) {
	if start >= end {
		return
	}
	out := make([]addrSeg, 0, len(t.segs)+2)
	for _, s := range t.segs {
		if s.end <= start || s.start >= end {
			out = append(out, s)
			continue
		}
		if s.start < start {
			out = append(out, addrSeg{s.start, start, s.delta})
		}
		if s.end > end {
			out = append(out, addrSeg{end, s.end, s.delta})
		}
	}
	out = append(out, addrSeg{start, end, delta})
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	t.segs = out
}

// traceFile is a descriptor the trace opened, as the simulation holds it.
type traceFile struct {
	simFD int
	path  string
	flags hostvm.OpenFlags
}

// proc is one traced process replayed on its own Machine.
type proc struct {
	r     *replayer
	pid   int
	m     *Machine
	addrs addrMap
	fds   map[uint64]traceFile // by the trace's descriptor number
	sum   *ProcessSummary

	brkKnown      bool   // the first brk established brkDelta
	brkDelta      uint64 // simulated break = trace break + brkDelta
	traceBrkStart uint64 // the trace's break at the first brk
	aborted       bool   // the emulator aborted: later calls are not run
	afterAbort    int    // calls not run since
	matched       bool   // the call being replayed matched the trace
}

// The memory calls mmapsim runs (under a target, through the simulated
// QEMU, which makes host calls for them; other calls go to the host kernel
// directly), and the ones strace's %memory class also traces that it has
// no model of.
var (
	guestCalls = map[string]bool{"mmap": true, "mmap2": true, "munmap": true, "mprotect": true,
		"mremap": true, "msync": true, "madvise": true, "brk": true}
	unmodelledMemoryCalls = map[string]bool{"mlock": true, "mlock2": true, "munlock": true,
		"mlockall": true, "munlockall": true, "mincore": true, "pkey_mprotect": true,
		"pkey_alloc": true, "pkey_free": true, "remap_file_pages": true, "mbind": true,
		"get_mempolicy": true, "set_mempolicy": true, "set_mempolicy_home_node": true,
		"migrate_pages": true, "move_pages": true, "shmat": true, "shmdt": true,
		"process_madvise": true, "process_mrelease": true, "map_shadow_stack": true,
		"mseal": true, "memfd_secret": true}
	fileCalls = map[string]bool{"open": true, "openat": true, "close": true, "fstat": true, "newfstatat": true}
	// minArgs is how many arguments each replayed call needs.
	minArgs = map[string]int{"mmap": 6, "mmap2": 6, "munmap": 2, "mprotect": 3, "mremap": 4,
		"msync": 3, "madvise": 3, "brk": 1}
)

// result is the trace's result of a call: a value, an errno, or unknown.
type result struct {
	known bool
	value uint64
	errno hostvm.Errno
}

func (res result) ok() bool { return res.known && res.errno == 0 }

func (res result) String() string {
	switch {
	case !res.known:
		return "?"
	case res.errno != 0:
		return fmt.Sprintf("-1 %s (%s)", res.errno.Name(), res.errno.Error())
	}
	return formatValue(res.value)
}

// traceResult reads st's "= RESULT".
func traceResult(st *Stmt) result {
	w := st.Want
	if w == nil {
		return result{}
	}
	switch w.Kind {
	case ExpectErrno:
		return result{known: true, errno: w.Errno}
	case ExpectValue:
		if v, err := w.Value.Eval(Env{}); err == nil {
			return result{known: true, value: v}
		}
	}
	return result{}
}

// call replays one call statement of this process.
func (p *proc) call(st *Stmt) {
	name := st.Call.Name
	switch {
	case fileCalls[name]:
		p.r.rep.FileCalls++
		p.file(st)
		return
	case unmodelledMemoryCalls[name]:
		p.sum.Calls++
		p.sum.Divergences++
		p.r.diverge(st, DivNotSimulated, "mmapsim has no model of "+name)
		return
	case !guestCalls[name]:
		p.r.rep.Skipped++
		return
	}
	p.sum.Calls++
	before := len(p.r.rep.Divergences)
	p.matched = false
	defer func() {
		switch {
		case len(p.r.rep.Divergences) > before:
			p.sum.Divergences++
		case p.matched:
			p.sum.Matches++
		}
	}()
	if p.aborted {
		p.afterAbort++
		return
	}
	args := make([]uint64, len(st.Call.Args))
	for i := range args {
		v, err := st.Call.Uint(i, nil)
		if err != nil {
			p.r.diverge(st, DivNotSimulated, "cannot read the arguments: "+err.Error())
			return
		}
		args[i] = v
	}
	if want := minArgs[name]; len(args) < want {
		p.r.diverge(st, DivNotSimulated, fmt.Sprintf("%s takes %d arguments, found %d", name, want, len(args)))
		return
	}
	res := traceResult(st)
	var c simCall
	switch name {
	case "mmap", "mmap2":
		c = p.mmap(st, args, res)
	case "munmap":
		a := p.ensure(st, args[0], args[1])
		c = simCall{text: fmt.Sprintf("munmap(%s, %s)", hex(a), hex(args[1])), o: p.m.Munmap(a, args[1])}
	case "mprotect":
		a := p.ensure(st, args[0], args[1])
		c = simCall{text: fmt.Sprintf("mprotect(%s, %s, %s)", hex(a), hex(args[1]), hostvm.Prot(args[2]).FlagString()),
			o: p.m.Mprotect(a, args[1], args[2])}
	case "madvise":
		a := p.ensure(st, args[0], args[1])
		c = simCall{text: fmt.Sprintf("madvise(%s, %s, %s)", hex(a), hex(args[1]), hostvm.Advice(args[2])),
			o: p.m.Madvise(a, args[1], args[2])}
	case "msync":
		a := p.ensure(st, args[0], args[1])
		c = simCall{text: fmt.Sprintf("msync(%s, %s, %s)", hex(a), hex(args[1]), hostvm.MsyncFlags(args[2])),
			o: p.m.Msync(a, args[1], args[2])}
	case "mremap":
		c = p.mremap(st, args, res)
	case "brk":
		c = p.brk(st, args[0], res)
	}
	p.judge(st, c, res)
	if p.r.opts.Check && !p.aborted {
		if err := p.m.Check(); err != nil {
			p.r.diverge(st, DivInvariant, c.text+": "+err.Error())
		}
	}
}

// simCall is what the simulation ran for a trace call, and its outcome.
type simCall struct {
	text    string // the call as run, strace-style, without the result
	o       Outcome
	fixedAt uint64 // for a call that must return one address (MAP_FIXED): it, else 0
	fixed   bool
	brk     bool // o.Value is a break, to compare after subtracting brkDelta
}

// judge compares the simulation's outcome with the trace's result.
func (p *proc) judge(st *Stmt, c simCall, res result) {
	full := c.text + " = " + c.o.String()
	if w := p.r.opts.Log; w != nil {
		fmt.Fprintf(w, "%s  %s\n%s  sim: %s\n", p.r.pos(st), traceBody(st), strings.Repeat(" ", len(p.r.pos(st))), full)
		for _, hc := range p.m.HostCalls() {
			fmt.Fprintf(w, "%s    host: %s\n", strings.Repeat(" ", len(p.r.pos(st))), hc)
		}
	}
	o := c.o
	simOK := o.Err == 0 && o.Abort == nil
	var kind DivergenceKind
	switch {
	case o.Abort != nil:
		kind = DivAbort
		p.aborted = true
	case !res.known:
		p.r.rep.Unchecked++
		return
	case res.errno == 0 && !simOK:
		kind = DivSimFailed
	case res.errno != 0 && simOK:
		kind = DivSimSucceeded
	case res.errno != 0 && o.Err != res.errno:
		kind = DivErrno
	case c.brk && p.m.word(o.Value-p.brkDelta) != p.m.word(res.value),
		c.fixed && o.Value != p.m.word(c.fixedAt):
		kind = DivValue
	default:
		p.matched = true
		return
	}
	p.r.diverge(st, kind, full)
}

// mmap replays mmap and mmap2. A MAP_FIXED address is translated (or, when
// the trace never showed memory there, given a placeholder first); a hint
// is translated when it lies in known memory and passed as is otherwise.
// A success records where the trace's new range is in the simulation.
func (p *proc) mmap(st *Stmt, a []uint64, res result) simCall {
	addr, length, prot, flags, fd, off := a[0], a[1], a[2], a[3], a[4], a[5]
	if st.Call.Name == "mmap2" {
		off *= 4096
	}
	mf := hostvm.MapFlags(flags)
	fixed := mf&(hostvm.MapFixed|hostvm.MapFixedNoReplace) != 0
	simAddr := addr
	if fixed {
		simAddr = p.ensure(st, addr, length)
	} else if t, ok := p.addrs.lookup(addr); ok && addr != 0 {
		simAddr = t
	}
	simFD := fd
	if mf&hostvm.MapAnonymous == 0 {
		simFD = p.fdFor(st, fd)
	}
	c := simCall{
		text: fmt.Sprintf("%s(%s, %s, %s, %s, %d, %s)", st.Call.Name, hex(simAddr), hex(length),
			hostvm.Prot(prot).FlagString(), mf, int64(simFD), hex(a[5])),
		o:     p.m.Mmap(simAddr, length, prot, flags, simFD, off),
		fixed: fixed, fixedAt: simAddr,
	}
	if res.ok() && c.o.Err == 0 && c.o.Abort == nil {
		p.record(res.value, length, c.o.Value)
	}
	return c
}

// mremap replays mremap: the old address is translated, and so is the new
// one of MREMAP_FIXED.
func (p *proc) mremap(st *Stmt, a []uint64, res result) simCall {
	old := p.ensure(st, a[0], a[1])
	flags := hostvm.MremapFlags(a[3])
	var newAddr uint64
	if len(a) > 4 {
		newAddr = a[4]
		if flags&hostvm.MremapFixed != 0 {
			newAddr = p.ensure(st, a[4], a[2])
		} else if t, ok := p.addrs.lookup(a[4]); ok {
			newAddr = t
		}
	}
	c := simCall{
		text:  fmt.Sprintf("mremap(%s, %s, %s, %s, %s)", hex(old), hex(a[1]), hex(a[2]), flags, hex(newAddr)),
		o:     p.m.Mremap(old, a[1], a[2], a[3], newAddr),
		fixed: flags&hostvm.MremapFixed != 0, fixedAt: newAddr,
	}
	if res.ok() && c.o.Err == 0 && c.o.Abort == nil {
		p.record(res.value, a[2], c.o.Value)
	}
	return c
}

// brk replays brk. The trace's first brk (normally brk(NULL), which reads
// the initial break) ties the trace's break to the simulation's; every
// later break is translated by the same distance, and the heap's range is
// recorded in the address map as it grows.
func (p *proc) brk(st *Stmt, arg uint64, res result) simCall {
	if !p.brkKnown {
		cur := p.m.Brk(0)
		if cur.Abort == nil {
			p.brkKnown = true
			base := arg // brk(x) first: take x for the trace's current break
			if arg == 0 && res.ok() {
				base = res.value
			}
			p.brkDelta = cur.Value - base
			p.traceBrkStart = base
			if arg != 0 || !res.ok() {
				p.r.note(st, NoteBrkGuess, fmt.Sprintf("the trace's initial break is unknown; took %#x for it", base))
			}
		}
	}
	simArg := uint64(0)
	if arg != 0 {
		simArg = arg + p.brkDelta
	}
	c := simCall{text: fmt.Sprintf("brk(%s)", hex(simArg)), o: p.m.Brk(simArg), brk: true}
	if res.ok() && res.value > p.traceBrkStart {
		end, ok := hostvm.AlignUp(res.value, p.r.tracePage)
		if ok {
			p.addrs.set(p.traceBrkStart, end, p.brkDelta)
		}
	}
	return c
}

// record notes that the trace's range [traceAddr, traceAddr+length) is at
// simulated address simAddr.
func (p *proc) record(traceAddr, length, simAddr uint64) {
	if length == 0 {
		return
	}
	n, ok := hostvm.AlignUp(length, p.r.tracePage)
	end := traceAddr + n
	if !ok || end < traceAddr {
		end = ^uint64(0)
	}
	p.addrs.set(traceAddr, end, simAddr-traceAddr)
}

// maxPlaceholder bounds the placeholder made for unknown memory: a call
// naming more than this of it is passed through untranslated.
const maxPlaceholder = 1 << 36

// ensure translates trace address addr, the start of a call's range of
// length bytes. Memory the trace never showed being mapped (the kernel's
// ELF loader maps the executable, its heap and the dynamic loader before
// the first traced call) gets a placeholder first: a private anonymous
// rw- mapping of the range, placed by the simulation with the trace's
// address as its hint (so a 4K simulation usually puts it at the same
// address). That is a note, not a divergence. An address that cannot start
// a range (unaligned, or a range too large or empty) is passed through as
// it is, since the call fails on it anyway.
func (p *proc) ensure(st *Stmt, addr, length uint64) uint64 {
	if t, ok := p.addrs.lookup(addr); ok {
		return t
	}
	tp := p.r.tracePage
	if addr%tp != 0 || length == 0 || length > maxPlaceholder || addr == 0 {
		return addr
	}
	page := p.m.Kernel.PageSize()
	if p.m.Sim != nil {
		page = p.m.Sim.Config().TargetPageSize
	}
	end, ok := hostvm.AlignUp(addr+length, tp)
	if !ok || addr+length < addr {
		return addr
	}
	hint := hostvm.AlignDown(addr, page)
	hend, ok := hostvm.AlignUp(end, page)
	if !ok || hend <= hint {
		return addr
	}
	o := p.m.Mmap(hint, hend-hint, uint64(hostvm.ProtRead|hostvm.ProtWrite),
		uint64(hostvm.MapPrivate|hostvm.MapAnonymous), ^uint64(0), 0)
	if o.Abort != nil || o.Err != 0 {
		p.r.note(st, NoteUnknownMapping, fmt.Sprintf("%s at %#x: no traced mapping covers it, and a placeholder failed: %s",
			st.Call.Name, addr, o))
		if o.Abort != nil {
			p.aborted = true
		}
		return addr
	}
	delta := o.Value - hint
	p.addrs.set(addr, end, delta)
	p.r.note(st, NoteUnknownMapping, fmt.Sprintf("%s at %#x: no traced mapping covers it (the kernel's ELF loader made it); placeholder rw- %#x-%#x at %#x",
		st.Call.Name, addr, addr, end, addr+delta))
	return addr + delta
}

// fdFor translates the trace's descriptor fd. One the trace never showed
// being opened (a pipe, a memfd, an inherited file) becomes an empty file,
// with a note.
func (p *proc) fdFor(st *Stmt, fd uint64) uint64 {
	if f, ok := p.fds[fd]; ok {
		return uint64(int64(f.simFD))
	}
	if int64(fd) < 0 {
		return fd
	}
	path := fmt.Sprintf("(unknown fd %d)", int64(fd))
	simFD, err := p.openFile(path, hostvm.ORdWr, 0, true)
	if err != nil {
		p.r.note(st, NoteUnknownFD, fmt.Sprintf("fd %d was never opened in the trace, and no file could stand in: %v", int64(fd), err))
		return fd
	}
	p.fds[fd] = traceFile{simFD: simFD, path: path, flags: hostvm.ORdWr}
	p.r.note(st, NoteUnknownFD, fmt.Sprintf("fd %d was never opened in the trace; an empty read-write file stands in", int64(fd)))
	return uint64(int64(simFD))
}

// file follows a file call, to keep the simulated descriptors and file
// sizes what the trace says. The trace is the truth here: nothing is
// compared. A successful open opens (creating if need be) the file in the
// simulated file system, with the trace's access mode; fstat's st_size
// sets its size (a different size gives the path a new file, so mappings
// of the old one keep theirs); close closes it. Failed calls change nothing.
func (p *proc) file(st *Stmt) {
	res := traceResult(st)
	if !res.ok() {
		return
	}
	c := st.Call
	switch c.Name {
	case "open", "openat":
		pi := 0
		if c.Name == "openat" {
			pi = 1
		}
		path := ""
		if pi < len(c.Args) && c.Args[pi].Kind == ArgString {
			path = string(c.Args[pi].Bytes)
		}
		if path == "" {
			path = fmt.Sprintf("(fd %d)", int64(res.value))
		}
		var flags hostvm.OpenFlags
		if v, err := c.Uint(pi+1, nil); err == nil {
			flags = hostvm.OpenFlags(v)
		}
		p.closeFD(res.value)
		acc := flags & hostvm.OAccMode
		if acc == hostvm.OAccMode {
			acc = hostvm.ORdOnly
		}
		if simFD, err := p.openFile(path, acc, 0, false); err == nil {
			p.fds[res.value] = traceFile{simFD: simFD, path: path, flags: acc}
		}
	case "close":
		if v, err := c.Uint(0, nil); err == nil {
			p.closeFD(v)
		}
	case "fstat", "newfstatat":
		si := 1
		if c.Name == "newfstatat" {
			if len(c.Args) < 3 || c.Args[1].Kind != ArgString || len(c.Args[1].Bytes) != 0 {
				return // a stat by path: no descriptor to follow
			}
			si = 2
		}
		fd, err := c.Uint(0, nil)
		if err != nil || si >= len(c.Args) {
			return
		}
		f, ok := p.fds[fd]
		if !ok {
			return
		}
		sz, ok := c.Args[si].Field("st_size")
		if !ok {
			return
		}
		size, err := sz.Uint(Env{})
		if err != nil || size > 1<<40 {
			return
		}
		if st, err := p.m.Kernel.Fstat(f.simFD); err == nil && uint64(st.Size) == size {
			return
		}
		// Close first, so the new file gets the same descriptor.
		p.closeFD(fd)
		if simFD, err := p.openFile(f.path, f.flags, size, true); err == nil {
			f.simFD = simFD
			p.fds[fd] = f
		}
	}
}

// closeFD closes the simulation's file for the trace's descriptor fd.
func (p *proc) closeFD(fd uint64) {
	if f, ok := p.fds[fd]; ok {
		p.m.Kernel.Close(f.simFD)
		delete(p.fds, fd)
	}
}

// openFile opens path in the simulated file system with access mode acc.
// With sized, the file must have size bytes: an existing file of another
// size is replaced by a new one (mappings of the old one keep it). Without,
// an existing file is opened as it is and a missing one is created empty.
// Contents are zeros: a trace has none.
func (p *proc) openFile(path string, acc hostvm.OpenFlags, size uint64, sized bool) (int, error) {
	k := p.m.Kernel
	fd, err := k.Open(path, acc, 0)
	if err == nil {
		if !sized {
			return fd, nil
		}
		if st, serr := k.Fstat(fd); serr == nil && uint64(st.Size) == size {
			return fd, nil
		}
		k.Close(fd)
		k.Unlink(path)
	}
	w, err := k.Open(path, hostvm.ORdWr|hostvm.OCreat|hostvm.OExcl, 0o644)
	if err != nil {
		return -1, err
	}
	if err := k.Ftruncate(w, int64(size)); err != nil {
		k.Close(w)
		return -1, err
	}
	if acc == hostvm.ORdWr {
		return w, nil
	}
	k.Close(w)
	return k.Open(path, acc, 0)
}

// hex writes v as strace writes addresses: "0" or "0x...".
func hex(v uint64) string {
	if v == 0 {
		return "0"
	}
	return fmt.Sprintf("%#x", v)
}

// traceBody is the trace's text of st without strace's pid and timestamp
// prefix, with the padding strace puts before " = " squeezed.
func traceBody(st *Stmt) string {
	if st.Line != st.EndLine || st.Kind != KindCall {
		return Format(st)
	}
	t := st.Text
	if st.Call != nil {
		if i := strings.Index(t, st.Call.Name+"("); i >= 0 {
			t = t[i:]
		}
	}
	if i := strings.LastIndex(t, ")"); i >= 0 {
		rest := strings.TrimLeft(t[i+1:], " \t")
		if strings.HasPrefix(rest, "= ") {
			t = t[:i+1] + " " + rest
		}
	}
	return t
}

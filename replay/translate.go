package replay

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario"
)

// A process is the scenario.Translator of its memory calls: the call table
// says which arguments are ranges, hints, descriptors and breaks
// (CallSpec.Translate), and these methods translate them through the
// process's address map, descriptors and break.
var _ scenario.Translator = (*process)(nil)

// Range translates trace address addr, the start of a call's range of
// length bytes. Memory the trace never showed being mapped (the kernel's
// ELF loader maps the executable, its heap and the dynamic loader before
// the first traced call) gets a placeholder first: a private anonymous
// rw- mapping of the range, placed by the simulation with the trace's
// address as its hint (so a 4K simulation usually puts it at the same
// address). That is a note, not a divergence. An address that cannot start
// a range (unaligned, or a range too large or empty) is passed through as
// it is, since the call fails on it anyway.
func (p *process) Range(addr, length uint64) uint64 {
	if t, ok := p.addrs.lookup(addr); ok {
		return t
	}
	st, tp := p.stmt, p.session.opts.TracePage
	if addr%tp != 0 || length == 0 || length > maxPlaceholder || addr == 0 {
		return addr
	}
	page := p.machine.Kernel.PageSize()
	if p.machine.Sim != nil {
		page = p.machine.Sim.Config().TargetPageSize
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
	o := p.machine.Mmap(hint, hend-hint, uint64(hostvm.ProtRead|hostvm.ProtWrite),
		uint64(hostvm.MapPrivate|hostvm.MapAnonymous), ^uint64(0), 0)
	if o.Abort != nil || o.Err != 0 {
		p.session.note(st, NoteUnknownMapping, fmt.Sprintf("%s at %#x: no traced mapping covers it, and a placeholder failed: %s",
			st.Call.Name, addr, o))
		if o.Abort != nil {
			p.aborted = true
		}
		return addr
	}
	delta := o.Value - hint
	p.addrs.set(addr, end, delta)
	p.session.note(st, NoteUnknownMapping, fmt.Sprintf("%s at %#x: no traced mapping covers it (the kernel's ELF loader made it); placeholder rw- %#x-%#x at %#x",
		st.Call.Name, addr, addr, end, addr+delta))
	return addr + delta
}

// maxPlaceholder bounds the placeholder made for unknown memory: a call
// naming more than this of it is passed through untranslated.
const maxPlaceholder = 1 << 36

// Hint translates a placement hint when it lies in memory the trace
// mapped, and passes it as it is otherwise (NULL included).
func (p *process) Hint(addr uint64) uint64 {
	if t, ok := p.addrs.lookup(addr); ok && addr != 0 {
		return t
	}
	return addr
}

// FD translates the trace's descriptor fd. One the trace never showed
// being opened (a pipe, a memfd, an inherited file) becomes an empty file,
// with a note.
func (p *process) FD(fd uint64) uint64 {
	if f, ok := p.fds[fd]; ok {
		return uint64(int64(f.simFD))
	}
	if int64(fd) < 0 {
		return fd
	}
	st := p.stmt
	path := fmt.Sprintf("(unknown fd %d)", int64(fd))
	simFD, err := p.openFile(path, hostvm.ORdWr, 0, true)
	if err != nil {
		p.session.note(st, NoteUnknownFD, fmt.Sprintf("fd %d was never opened in the trace, and no file could stand in: %v", int64(fd), err))
		return fd
	}
	p.fds[fd] = traceFile{simFD: simFD, path: path, flags: hostvm.ORdWr}
	p.session.note(st, NoteUnknownFD, fmt.Sprintf("fd %d was never opened in the trace; an empty read-write file stands in", int64(fd)))
	return uint64(int64(simFD))
}

// Break translates brk's argument. The trace's first brk (normally
// brk(NULL), which reads the initial break) ties the trace's break to the
// simulation's; every later break is translated by the same distance, and
// the heap's range is recorded in the address map as it grows.
func (p *process) Break(addr uint64) uint64 {
	st, res := p.stmt, p.res
	if !p.brkKnown {
		cur := p.machine.Brk(0)
		if cur.Abort == nil {
			p.brkKnown = true
			base := addr // brk(x) first: take x for the trace's current break
			if addr == 0 && res.ok() {
				base = res.value
			}
			p.brkDelta = cur.Value - base
			p.traceBrkStart = base
			if addr != 0 || !res.ok() {
				p.session.note(st, NoteBrkGuess, fmt.Sprintf("the trace's initial break is unknown; took %#x for it", base))
			}
		}
	}
	if res.ok() && res.value > p.traceBrkStart {
		if end, ok := hostvm.AlignUp(res.value, p.session.opts.TracePage); ok {
			p.addrs.set(p.traceBrkStart, end, p.brkDelta)
		}
	}
	if addr == 0 {
		return 0
	}
	return addr + p.brkDelta
}

// record notes that the trace's range [traceAddr, traceAddr+length) is at
// simulated address simAddr.
func (p *process) record(traceAddr, length, simAddr uint64) {
	if length == 0 {
		return
	}
	n, ok := hostvm.AlignUp(length, p.session.opts.TracePage)
	end := traceAddr + n
	if !ok || end < traceAddr {
		end = ^uint64(0)
	}
	p.addrs.set(traceAddr, end, simAddr-traceAddr)
}

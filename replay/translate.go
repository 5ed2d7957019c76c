package replay

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario"
)

// A task is the scenario.Translator of its memory calls: the call table
// says which arguments are ranges, hints, descriptors and breaks
// (CallSpec.Translate), and these methods translate them through the
// task's address space, descriptors and break.
var _ scenario.Translator = (*task)(nil)

// Range translates trace address addr, the start of a call's range of
// length bytes. Memory the trace never showed being mapped (the kernel's
// ELF loader maps the executable, its heap and the dynamic loader before
// the first traced call) gets a placeholder first: a private anonymous
// rw- mapping of the range, placed by the simulation with the trace's
// address as its hint (so a 4K simulation usually puts it at the same
// address). That is a note, not a divergence. An address that cannot start
// a range (unaligned, or a range too large or empty) is passed through as
// it is, since the call fails on it anyway.
//
// An mmap with MAP_FIXED_NOREPLACE names memory that must not be mapped:
// an address the trace never showed gets no placeholder but a free place
// of its own (placeFree).
func (t *task) Range(addr, length uint64) uint64 {
	sp := t.space
	if a, ok := sp.addrs.lookup(addr); ok {
		return a
	}
	st, tp := t.stmt, t.sess.opts.TracePage
	if addr%tp != 0 || length == 0 || length > maxPlaceholder || addr == 0 {
		return addr
	}
	end, ok := hostvm.AlignUp(addr+length, tp)
	if !ok || addr+length < addr {
		return addr
	}
	page := sp.machine.Kernel.PageSize()
	if sp.machine.Sim != nil {
		page = sp.machine.Sim.Config().TargetPageSize
	}
	hint := hostvm.AlignDown(addr, page)
	hend, ok := hostvm.AlignUp(end, page)
	if !ok || hend <= hint {
		return addr
	}
	if t.noreplace {
		return t.placeFree(addr, end, hint, hend)
	}
	o := sp.machine.Mmap(hint, hend-hint, uint64(hostvm.ProtRead|hostvm.ProtWrite),
		uint64(hostvm.MapPrivate|hostvm.MapAnonymous), ^uint64(0), 0)
	s := t.sess
	if o.Abort != nil || o.Err != 0 {
		s.note(st, NoteUnknownMapping, fmt.Sprintf("%s at %#x: no traced mapping covers it, and a placeholder failed: %s",
			st.Call.Name, addr, o))
		if o.Abort != nil {
			sp.aborted = true
		}
		return addr
	}
	delta := o.Value - hint
	sp.addrs.set(addr, end, delta, memImage)
	s.note(st, NoteUnknownMapping, fmt.Sprintf("%s at %#x: no traced mapping covers it (the kernel's ELF loader made it); placeholder rw- %#x-%#x at %#x",
		st.Call.Name, addr, addr, end, addr+delta))
	return addr + delta
}

// placeFree finds the simulation a free range for the trace's
// [addr, end), which a MAP_FIXED_NOREPLACE maps: it asks for one with the
// trace's address as the hint, [hint, hend) rounded to the machine's
// pages, and gives it back at once, so the call maps it. When none is free
// the address passes as it is.
func (t *task) placeFree(addr, end, hint, hend uint64) uint64 {
	m := t.space.machine
	o := m.Mmap(hint, hend-hint, uint64(hostvm.ProtNone), uint64(hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapNoReserve), ^uint64(0), 0)
	if o.Abort != nil || o.Err != 0 {
		return addr
	}
	m.Munmap(o.Value, hend-hint)
	delta := o.Value - hint
	t.space.addrs.set(addr, end, delta, memAnon)
	return addr + delta
}

// maxPlaceholder bounds the placeholder made for unknown memory: a call
// naming more than this of it is passed through untranslated.
const maxPlaceholder = 1 << 36

// Hint translates a placement hint when it lies in memory the trace
// mapped, and passes it as it is otherwise (NULL included).
func (t *task) Hint(addr uint64) uint64 {
	if a, ok := t.space.addrs.lookup(addr); ok && addr != 0 {
		return a
	}
	return addr
}

// FD translates the trace's descriptor fd. One the trace never showed
// being opened (a pipe, a memfd, an inherited file) becomes an empty file,
// with a note.
func (t *task) FD(fd uint64) uint64 {
	if f, ok := t.fds.fds[fd]; ok {
		return uint64(int64(f.simFD))
	}
	if int64(fd) < 0 {
		return fd
	}
	st, s := t.stmt, t.sess
	path := fmt.Sprintf("(unknown fd %d)", int64(fd))
	simFD, err := openFile(t.space.machine.Kernel, path, hostvm.ORdWr, 0, true)
	if err != nil {
		s.note(st, NoteUnknownFD, fmt.Sprintf("fd %d was never opened in the trace, and no file could stand in: %v", int64(fd), err))
		return fd
	}
	t.fds.fds[fd] = traceFile{simFD: simFD, path: path, flags: hostvm.ORdWr}
	s.note(st, NoteUnknownFD, fmt.Sprintf("fd %d was never opened in the trace; an empty read-write file stands in", int64(fd)))
	return uint64(int64(simFD))
}

// MapFD translates the descriptor of a file mapping. When the file may
// have grown since the trace last showed its size (it never showed it, or
// the file is open for writing, so untraced write(), ftruncate() or
// fallocate() may have grown it), a file shorter than the mapping grows to
// cover it, with a note: an emulator that truncates mappings at
// end-of-file (QEMU 7.2 with a host page larger than the real one) must not
// see it empty where the program had filled it. A read-only file keeps the
// size its stat showed.
func (t *task) MapFD(fd, offset, length uint64) uint64 {
	simFD := t.FD(fd)
	f, ok := t.fds.fds[fd]
	if !ok || f.sized && f.flags&hostvm.OAccMode == hostvm.ORdOnly {
		return simFD
	}
	end := offset + length
	if end < offset || end > 1<<40 {
		return simFD
	}
	st, err := t.space.machine.Kernel.Fstat(f.simFD)
	if err != nil || uint64(st.Size) >= end {
		return simFD
	}
	t.resize(fd, end)
	t.sess.note(t.stmt, NoteFileSize, fmt.Sprintf("the trace shows no size of %s that covers this mapping; it is taken to cover it (%#x bytes): writes and truncations are not traced", f.path, end))
	return uint64(int64(t.fds.fds[fd].simFD))
}

// Break translates brk's argument. The address space's first brk
// (normally brk(NULL), which reads the initial break) ties the trace's
// break to the simulation's; every later break is translated by the same
// distance, and the heap's range is recorded in the address map as it
// grows.
func (t *task) Break(addr uint64) uint64 {
	st, res, sp := t.stmt, t.res, t.space
	b := &sp.brk
	if !b.known {
		cur := sp.machine.Brk(0)
		if cur.Abort == nil {
			b.known = true
			base := addr // brk(x) first: take x for the trace's current break
			if addr == 0 && res.ok() {
				base = res.value
			}
			b.delta = cur.Value - base
			b.start, b.cur = base, base
			if addr != 0 || !res.ok() {
				t.sess.note(st, NoteBrkGuess, fmt.Sprintf("the trace's initial break is unknown; took %#x for it", base))
			}
		}
	}
	if res.ok() {
		b.cur = res.value
		if res.value > b.start {
			if end, ok := hostvm.AlignUp(res.value, t.sess.opts.TracePage); ok {
				sp.addrs.set(b.start, end, b.delta, memHeap)
			}
		}
	}
	if addr == 0 {
		return 0
	}
	return addr + b.delta
}

// record notes that the trace's range [traceAddr, traceAddr+length) is at
// simulated address simAddr and holds memory of kind k.
func (t *task) record(traceAddr, length, simAddr uint64, k memKind) {
	if length == 0 {
		return
	}
	n, ok := hostvm.AlignUp(length, t.sess.opts.TracePage)
	end := traceAddr + n
	if !ok || end < traceAddr {
		end = ^uint64(0)
	}
	t.space.addrs.set(traceAddr, end, simAddr-traceAddr, k)
}

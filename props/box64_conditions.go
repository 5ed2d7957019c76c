package props

import (
	"sort"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/box64"
)

// What box64's behaviours ask of a run (box64_behaviours.go).

// The protection bits as the views hold them.
const (
	protR = uint32(hostvm.ProtRead)
	protW = uint32(hostvm.ProtWrite)
	protX = uint32(hostvm.ProtExec)
)

// viewDelta is a run of guest pages where the two views differ: the guest
// kernel's protection (want; wantMapped false where it has nothing) and
// the algorithm's (got).
type viewDelta struct {
	start, end            uint64
	want, got             uint32
	wantMapped, gotMapped bool
}

// deltas lists where the views of o differ, in address order.
func (o *viewsOutcome) deltas() []viewDelta {
	var bounds []uint64
	for _, x := range append(append([]viewSeg{}, o.want...), o.got...) {
		bounds = append(bounds, x.start, x.end)
	}
	sort.Slice(bounds, func(i, j int) bool { return bounds[i] < bounds[j] })
	var out []viewDelta
	for i := 0; i+1 < len(bounds); i++ {
		lo, hi := bounds[i], bounds[i+1]
		if lo == hi {
			continue
		}
		w, wok := segAt(o.want, lo)
		g, gok := segAt(o.got, lo)
		if w == g && wok == gok {
			continue
		}
		if n := len(out); n > 0 && out[n-1].end == lo && out[n-1].want == w && out[n-1].got == g &&
			out[n-1].wantMapped == wok && out[n-1].gotMapped == gok {
			out[n-1].end = hi
			continue
		}
		out = append(out, viewDelta{lo, hi, w, g, wok, gok})
	}
	return out
}

// segAt is the protection segs give address p, and whether one covers it.
func segAt(segs []viewSeg, p uint64) (uint32, bool) {
	for _, x := range segs {
		if x.start <= p && p < x.end {
			return x.prot, true
		}
	}
	return 0, false
}

// callBefore returns the munmap, mprotect, msync or madvise of the
// operation that made difference d.
func (s *System) callBefore(d *Difference) (*callOutcome, bool) {
	c, ok := s.call.(*callOutcome)
	return c, ok
}

// mmapBefore returns the mmap of the operation that made difference d.
func (s *System) mmapBefore(d *Difference) (*mmapOutcome, bool) {
	c, ok := s.call.(*mmapOutcome)
	return c, ok
}

// crashedIn reports whether difference d is the emulator dying in its
// function fn (an abort, which every system call then returns).
func crashedIn(d *Difference, fn string) bool {
	return strings.HasPrefix(d.Msg, "QEMU aborted: box64: "+fn+":")
}

// pastGuestSpace reports whether the call that made difference d names
// guest addresses past the end of the guest space.
func (s *System) pastGuestSpace(d *Difference) bool {
	past := func(addr, length uint64) bool { return addr+length < addr || addr+length > s.spaceEnd }
	switch o := d.Outcome.(type) {
	case *callOutcome:
		return past(o.addr, o.length)
	case *mremapOutcome:
		return past(o.addr, o.oldLen) || past(o.addr, o.newLen) || o.flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) != 0 && past(o.to, o.newLen)
	case *viewsOutcome:
		for _, x := range o.deltas() {
			if x.end > s.spaceEnd {
				return true
			}
		}
	case *mmapOutcome:
		return !o.nonFixed && past(o.addr, o.length)
	}
	if c, ok := s.callBefore(d); ok {
		return past(c.addr, c.length)
	}
	return false
}

// lastAdvice is the advice of the run's last operation (a madvise).
func (s *System) lastAdvice() hostvm.Advice {
	op := s.run[len(s.run)-1]
	return advices[int(op.Advice)%len(advices)]
}

// accessPastGuestFault reports whether difference d is an access that went
// further under the algorithm (or stopped with another signal) where the
// guest's kernel stopped with SIGSEGV, and whether the guest's kernel has a
// mapping at that address (whose protection forbids the access) or none.
func (s *System) accessPastGuestFault(d *Difference) (mapped, ok bool) {
	o, is := d.Outcome.(*accessOutcome)
	if !is || o.kernelFault == nil || o.kernelFault.Signal != hostvm.SIGSEGV {
		return false, false
	}
	if !(o.qemuN > o.kernelN || o.qemuN == o.kernelN && o.qemuFault != nil && o.qemuFault.Signal != hostvm.SIGSEGV) {
		return false, false
	}
	_, mapped = s.ref.Lookup(hostvm.Addr(o.parted))
	return mapped, true
}

// mremapBefore returns the mremap of the operation that made difference
// d.
func (s *System) mremapBefore(d *Difference) (*mremapOutcome, bool) {
	if m, ok := d.Outcome.(*mremapOutcome); ok {
		return m, true
	}
	m, ok := s.call.(*mremapOutcome)
	return m, ok
}

// unknownProtBits reports whether an mmap's protection, or what box64
// recorded for the host pages at its ends, has bits other than RWX.
func (s *System) unknownProtBits(o *mmapOutcome) bool {
	b, ok := s.sim.(*box64.Box64)
	if !ok {
		return false
	}
	const rwx = int(hostvm.ProtRWX)
	last := o.addr + (o.length+s.targetPage-1)&^(s.targetPage-1) - 1
	return int(o.op.Prot)&^rwx != 0 || b.RecordedProtection(o.addr)&^rwx != 0 || b.RecordedProtection(last)&^rwx != 0
}

// accessedPast is what an access that went further than the guest's
// kernel let it leaves unknown: the byte where they parted and, for a
// store, what it wrote from that page on.
//
// Preconditions: d's outcome is an *accessOutcome.
func (s *System) accessedPast(d *Difference) []span {
	o := d.Outcome.(*accessOutcome)
	spans := []span{{o.parted, o.parted + 1}}
	if o.kind == "store" {
		spans = append(spans, s.accessTail(o, o.parted&^(s.targetPage-1), o.qemuN)...)
	}
	return spans
}

// dontNeedByte looks at a byte whose contents differ right after a
// MADV_DONTNEED (a page or byte comparison of that operation): its value on
// the guest's kernel and under box64, and whether the guest's kernel maps
// it shared or from a file.
func (s *System) dontNeedByte(d *Difference) (kernel, box byte, shared, file, ok bool) {
	c, isCall := s.callBefore(d)
	if !isCall || c.name != "madvise" || s.lastAdvice() != hostvm.MadvDontNeed {
		return 0, 0, false, false, false
	}
	at, found := s.firstDifferentByte(d)
	if !found {
		return 0, 0, false, false, false
	}
	m, mapped := s.ref.Lookup(hostvm.Addr(at))
	if !mapped {
		return 0, 0, false, false, false
	}
	var kb, bb [1]byte
	if _, f := s.ref.Read(hostvm.Addr(at), kb[:]); f != nil {
		return 0, 0, false, false, false
	}
	if _, f := s.sim.Load(at, bb[:]); f != nil {
		return 0, 0, false, false, false
	}
	return kb[0], bb[0], m.Shared, !m.Anonymous, true
}

// firstDifferentByte is the first byte that differs in the page or byte
// comparison d.
func (s *System) firstDifferentByte(d *Difference) (uint64, bool) {
	switch o := d.Outcome.(type) {
	case *byteOutcome:
		return o.at, true
	case *pageOutcome:
		if o.qemuFault != nil {
			return 0, false
		}
		kb := make([]byte, s.targetPage)
		bb := make([]byte, s.targetPage)
		s.ref.Read(hostvm.Addr(o.page), kb)
		s.sim.Load(o.page, bb)
		for i := range kb {
			if kb[i] != bb[i] {
				return o.page + uint64(i), true
			}
		}
	}
	return 0, false
}

// keptOldData reports whether box64 still shows data (a non-zero byte) at
// the differing byte of d, where the guest's kernel dropped the page.
func (s *System) keptOldData(d *Difference) bool {
	at, ok := s.firstDifferentByte(d)
	if !ok {
		return false
	}
	var bb [1]byte
	s.sim.Load(at, bb[:])
	return bb[0] != 0
}

// differingAddress is where a page, byte or access comparison found the
// two systems differ.
func (s *System) differingAddress(d *Difference) (uint64, bool) {
	switch o := d.Outcome.(type) {
	case *accessOutcome:
		return o.parted, true
	case *pageOutcome:
		if o.qemuFault != nil {
			return o.page, true
		}
	}
	return s.firstDifferentByte(d)
}

// backingDiffers reports whether the host memory at guest address at is of
// another kind than the guest's kernel's there: anonymous or file, shared
// or private, or another file.
func (s *System) backingDiffers(at uint64) bool {
	m, ok := s.ref.Lookup(hostvm.Addr(at))
	h, hok := s.host.Lookup(s.sim.G2H(at))
	if !ok || !hok {
		return false
	}
	return m.Anonymous != h.Anonymous || m.Shared != h.Shared || !m.Anonymous && m.Inode != h.Inode
}

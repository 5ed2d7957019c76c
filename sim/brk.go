package sim

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// The program break, as QEMU's do_brk() (linux-user/syscall.c of the seed's
// era) emulates it on top of target_mmap: the heap grows by non-fixed
// anonymous mappings placed at the current end, and fails when the mapping
// lands elsewhere.

// brkState is the program break as do_brk keeps it. Invariant: all three
// are abi_ulong values, original <= cur <= page (unless aligning page
// wrapped it to 0 at the top of a 32-bit space).
type brkState struct {
	original uint64 // target_original_brk: where the heap begins
	cur      uint64 // target_brk: the current break
	page     uint64 // brk_page: the host-page-aligned end of the memory mapped for the heap
}

// Brk is the guest's brk(newBrk): it returns the new break, or the old one
// when the heap cannot move there.
func (s *Sim) Brk(newBrk uint64) (uint64, error) {
	var res uint64
	err := s.guard(func() error {
		res = s.doBrk(s.geom.ABIWord(newBrk))
		return nil
	})
	return res, err
}

// BrkStart is where the guest's heap begins (target_original_brk).
func (s *Sim) BrkStart() uint64 { return s.brk.original }

// doBrk is do_brk() of the seed's era (linux-user/syscall.c): it returns
// the new break, or the old one when the heap cannot move there.
//
// Preconditions: newBrk is an abi_ulong; called inside guard (brkZero may
// abort).
func (s *Sim) doBrk(newBrk uint64) uint64 {
	if !s.quirk(QuirkBrkHostPages) {
		return s.brkAsLinux(newBrk)
	}
	g := &s.geom
	b := &s.brk
	if newBrk == 0 || newBrk < b.original {
		return b.cur
	}
	// If the new brk is below the highest page reserved to the heap, set
	// it and we're almost done. Heap contents are initialised to zero.
	if newBrk <= b.page {
		if newBrk > b.cur {
			s.brkZero(b.cur, newBrk)
		}
		b.cur = newBrk
		return b.cur
	}
	// Allocate more after the break. MAP_FIXED is not used, because that
	// would map over anything already there; "mapped at the wrong address"
	// means there was no room.
	newAllocSize := g.HostPageAlign(newBrk - b.page)
	mapped := s.targetMmap(b.page, newAllocSize, protRead|protWrite,
		hostvm.MapAnonymous|hostvm.MapPrivate, 0, 0)
	if mapped == b.page {
		// The new pages are zero already, but the rest of the old last
		// page may hold data from a heap that grew and shrank.
		s.brkZero(b.cur, b.page)
		b.cur = newBrk
		b.page = g.HostPageAlign(b.cur)
		return b.cur
	} else if mapped != s.minusOne() {
		s.targetMunmap(mapped, newAllocSize)
	}
	return b.cur
}

// brkAsLinux is the fixed do_brk: Linux's brk() in the guest's pages, on
// top of target_mmap and target_munmap, as later QEMU's do_brk
// (linux-user/syscall.c) does it, with Linux's rule that the heap stays a
// page below the next mapping (sys_brk(): "newbrk + PAGE_SIZE >
// vm_start_gap(next)"). It returns the new break, or the old one when the
// heap cannot move there.
//
// Preconditions: newBrk is an abi_ulong; called inside guard.
func (s *Sim) brkAsLinux(newBrk uint64) uint64 {
	b := &s.brk
	t := s.geom.TargetPageSize
	if newBrk < b.original {
		return b.cur // brk(0) among them: it reads the break
	}
	newA, oldA := s.targetPageAlignEnd(newBrk), s.targetPageAlignEnd(b.cur)
	if newA == 0 && newBrk != 0 {
		return b.cur // the page-aligned break wraps: past any space
	}
	switch {
	case newA == oldA:
	case newA < oldA:
		// Linux shrinks only a heap that is there: a mapping must lie
		// in [newA, oldA) (sys_brk(): "mapping intersects with an
		// existing non-brk vma").
		if s.flagsBetween(newA, oldA)&PageValid == 0 || s.targetMunmap(newA, oldA-newA) != 0 {
			return b.cur
		}
	default:
		if !s.geom.GuestRangeValid(oldA, newA-oldA) || s.flagsBetween(oldA, newA+t) != 0 {
			return b.cur
		}
		if s.targetMmap(oldA, newA-oldA, protRead|protWrite,
			hostvm.MapFixed|hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0) != oldA {
			return b.cur
		}
	}
	b.cur = newBrk
	return b.cur
}

// brkZero is do_brk's memset(g2h(from), 0, to-from): a host store, which
// kills QEMU if the host page does not allow it.
//
// Preconditions: called inside guard.
func (s *Sim) brkZero(from, to uint64) {
	if to <= from {
		return
	}
	if _, f := s.libc.WriteZeros(s.geom.G2H(from), to-from); f != nil {
		base.Raise("do_brk", "memset of the heap tail faulted on the host (%v)", f)
	}
}

package qemu11

import "github.com/mmapsim/mmapsim/hostvm"

// The program break, as QEMU 11.1's do_brk() (syscall.c, shown in
// excerpts/syscall-do_brk.c) keeps it: growth is a MAP_FIXED_NOREPLACE
// anonymous target_mmap of the new target pages, shrinking a target_munmap.

// brkState is the program break. Invariant: abi_ulong values, initial
// target-page aligned, initial <= cur.
type brkState struct {
	initial uint64 // initial_target_brk
	cur     uint64 // target_brk
}

// startBrk sets the break as the loader leaves it (target_set_brk: the
// target page after the image), and maps the image's last target page, the
// one below the break, as the loader does (its data or bss: zero_bss). On a
// host with larger pages that page shares a host page with the heap's
// first pages, which do_brk's MAP_FIXED_NOREPLACE growth then fills with
// mmap_frag.
//
// Preconditions: the geometry and the reservation are settled.
func (s *Guest) startBrk() {
	g := &s.geom
	s.brk.initial = g.TargetPageAlign(s.cfg.BrkStart)
	s.brk.cur = s.brk.initial
	if lo := s.brk.initial - g.TargetPageSize; s.brk.initial >= g.TargetPageSize && s.guestRangeValid(lo, g.TargetPageSize) {
		s.abortGuard.Run(func() error {
			s.targetMmap(lo, s.brk.initial-lo, protRead|protWrite, hostvm.MapFixed|hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0)
			return nil
		})
	}
}

// Brk is the guest's brk(newBrk): the new break, or the old one when the
// heap cannot move there (do_brk never fails otherwise).
func (s *Guest) Brk(newBrk uint64) (uint64, error) {
	var res uint64
	err := s.guard(func() error {
		res = s.doBrk(s.abi(newBrk))
		return nil
	})
	return res, err
}

// BrkStart is where the guest's heap begins (initial_target_brk).
func (s *Guest) BrkStart() uint64 { return s.brk.initial }

// doBrk is do_brk() (excerpts/syscall-do_brk.c:3-50).
//
// Preconditions: brkVal is an abi_ulong; called inside guard.
func (s *Guest) doBrk(brkVal uint64) uint64 {
	g := &s.geom
	b := &s.brk
	// Do not allow to shrink below initial brk value.
	if brkVal < b.initial {
		return b.cur
	}
	newBrk := g.TargetPageAlign(brkVal)
	oldBrk := g.TargetPageAlign(b.cur)
	// New and old target_brk might be on the same page.
	if newBrk == oldBrk {
		b.cur = brkVal
		return b.cur
	}
	// Release heap if necessary.
	if newBrk < oldBrk {
		s.targetMunmap(newBrk, oldBrk-newBrk)
		b.cur = brkVal
		return b.cur
	}
	mapped := s.targetMmap(oldBrk, s.abi(newBrk-oldBrk), protRead|protWrite,
		hostvm.MapFixedNoReplace|hostvm.MapAnonymous|hostvm.MapPrivate, -1, 0)
	if mapped == oldBrk {
		b.cur = brkVal
		return b.cur
	}
	// For everything else, return the previous break (the alpha's
	// -TARGET_ENOMEM is not modelled).
	return b.cur
}

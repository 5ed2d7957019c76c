package sim

import "github.com/mmapsim/mmapsim/hostvm"

// seedMremap is target_mremap() as the seed has it. Compare QEMU
// linux-user/mmap.c (seed 688-764). It returns the new guest address, or
// (abi_ulong)-1 with s.errno set.
func (s *Sim) seedMremap(oldAddr, oldSize, newSize uint64, flags hostvm.MremapFlags, newAddr uint64) uint64 {
	g := &s.g
	reserved := s.cfg.ReservedVA != 0
	var hostAddr hostvm.Addr
	var prot int
	failed := false
	s.mmapLock()

	if !s.q(QuirkUncheckedRange) {
		// Later QEMU validates the guest ranges first.
		if !s.guestRangeValid(oldAddr, max(oldSize, 1)) ||
			(flags&hostvm.MremapFixed != 0 && !s.guestRangeValid(newAddr, newSize)) ||
			(flags&hostvm.MremapMayMove == 0 && !s.guestRangeValid(oldAddr, newSize)) {
			s.errno = hostvm.ENOMEM
			s.mmapUnlock()
			return s.minus1()
		}
	}

	switch {
	case flags&hostvm.MremapFixed != 0:
		var ok bool
		hostAddr, ok = s.hostMremap(g.g2h(oldAddr), oldSize, newSize, flags, g.g2h(newAddr))
		failed = !ok
		if reserved && ok && s.reserveOld(flags) {
			// If new and old addresses overlap then the above mremap
			// will already have failed with EINVAL.
			s.mmapReserve(oldAddr, oldSize)
		}
	case flags&hostvm.MremapMayMove != 0:
		mmapStart := s.mmapFindVMA(0, newSize)
		if mmapStart == s.minus1() {
			s.errno = hostvm.ENOMEM
			failed = true
		} else {
			var ok bool
			hostAddr, ok = s.hostMremap(g.g2h(oldAddr), oldSize, newSize, flags|hostvm.MremapFixed, g.g2h(mmapStart))
			failed = !ok
			if reserved && (ok || s.q(QuirkMremapMayMoveReserve)) && s.reserveOld(flags) {
				saved := s.errno
				s.mmapReserve(oldAddr, oldSize)
				s.errno = saved
			}
			if !ok && !reserved && !s.q(QuirkMremapMayMoveLeak) {
				// The fix: give back the space mmap_find_vma reserved.
				saved := s.errno
				s.hostMunmap(g.g2h(mmapStart), g.hAlign(newSize))
				s.errno = saved
			}
		}
	default:
		if reserved && oldSize < newSize {
			prot = s.flagsBetween(s.e(oldAddr+oldSize), s.e(oldAddr+newSize))
		}
		if prot == 0 {
			var ok bool
			var placeholder hostvm.Range
			if reserved && oldSize < newSize && !s.q(QuirkMremapGrowReserved) {
				// The fix: the placeholder in the way of growing in place
				// goes first, and comes back if the host refuses.
				lo, hi := s.hAlignEnd(oldAddr+oldSize), s.hAlignEnd(oldAddr+newSize)
				if lo < hi {
					placeholder = hostvm.Range{Start: g.g2h(lo), End: g.g2h(lo) + hostvm.Addr(hi-lo)}
					s.hostMunmap(placeholder.Start, placeholder.Len())
				}
			}
			hostAddr, ok = s.hostMremap(g.g2h(oldAddr), oldSize, newSize, flags, 0)
			failed = !ok
			if !ok && placeholder.Len() != 0 {
				saved := s.errno
				s.hostMmap(placeholder.Start, placeholder.Len(), 0,
					hostvm.MapFixed|hostvm.MapAnonymous|hostvm.MapPrivate|hostvm.MapNoReserve, -1, 0)
				s.errno = saved
			}
			if ok && reserved && oldSize > newSize {
				switch {
				case s.q(QuirkMremapShrinkReserve):
					s.mmapReserve(g.w(oldAddr+oldSize), g.w(newSize-oldSize))
				case s.q(QuirkMremapShrinkReserveAddr):
					s.mmapReserve(g.w(oldAddr+oldSize), g.w(oldSize-newSize))
				default:
					s.mmapReserve(g.w(oldAddr+newSize), g.w(oldSize-newSize))
				}
			}
		} else {
			s.errno = hostvm.ENOMEM
			failed = true
		}
		// Check if address fits target address space (seed 744).
		var outside bool
		if s.q(QuirkMremapFitHostAddr) {
			ha := uint64(hostAddr)
			if failed {
				ha = g.hostMask // MAP_FAILED
			}
			outside = (ha+newSize)&g.hostMask > g.abiMask
		} else {
			outside = !failed && !s.guestRangeValid(g.h2g(hostAddr), newSize)
		}
		if outside {
			// Revert mremap() changes
			s.hostMremap(g.g2h(oldAddr), newSize, oldSize, flags, 0)
			s.errno = hostvm.ENOMEM
			failed = true
		}
	}

	if !failed && reserved && !s.q(QuirkMremapHostPages) {
		// The host moved real pages, which may be smaller than
		// qemu_host_page_size: mmap_reserve left alone the host page still
		// used by other guest pages, so plug what the move emptied.
		s.plugReservation(oldAddr, s.e(oldAddr+oldSize))
	}
	if failed {
		newAddr = s.minus1()
	} else {
		newAddr = g.h2g(hostAddr)
		if s.q(QuirkMremapProtFirstPage) {
			// The first page's flags for the whole new range (seed 757).
			prot := s.pageGetFlags(oldAddr)
			if oldSize != 0 || s.q(QuirkMremapZeroOldSize) {
				s.setFlags(oldAddr, s.e(oldAddr+oldSize), 0)
			}
			s.setFlags(newAddr, s.e(newAddr+newSize), prot|PageValid)
		} else {
			s.moveFlags(oldAddr, oldSize, newAddr, newSize, flags)
		}
	}
	s.tbInvalidatePhysRange(newAddr, s.e(newAddr+newSize))
	s.mmapUnlock()
	return newAddr
}

// reserveOld reports whether a move with flags gives the old range back to
// the RESERVED_VA reservation: not when MREMAP_DONTUNMAP keeps it mapped.
func (s *Sim) reserveOld(flags hostvm.MremapFlags) bool {
	return flags&hostvm.MremapDontUnmap == 0 || s.q(QuirkMremapDontUnmapReserve)
}

// plugReservation puts PROT_NONE placeholders into every host hole in the
// guest range [start, end), so the RESERVED_VA reservation stays whole.
func (s *Sim) plugReservation(start, end uint64) {
	insp, ok := s.host.(HostInspector)
	if !ok || end <= start {
		return
	}
	g := &s.g
	lo, hi := g.g2h(start&^(g.realHost-1)), g.g2h((end+g.realHost-1)&^(g.realHost-1))
	at := lo
	plug := func(a, b hostvm.Addr) {
		if a < b {
			s.hostMmap(a, uint64(b-a), 0, hostvm.MapFixed|hostvm.MapAnonymous|hostvm.MapPrivate|hostvm.MapNoReserve, -1, 0)
		}
	}
	for _, m := range insp.MappingsIn(hostvm.Range{Start: lo, End: hi}) {
		plug(at, m.Start)
		at = m.End
	}
	plug(at, hi)
}

// moveFlags updates the page flags after a successful host mremap: the
// pages that moved keep their own flags (a shrink may span mappings of
// different protections), the old range is cleared (unless
// MREMAP_DONTUNMAP keeps it, or old_size is 0), and pages added by growth
// get the flags of the last old page, whose mapping grew.
func (s *Sim) moveFlags(oldAddr, oldSize, newAddr, newSize uint64, flags hostvm.MremapFlags) {
	t := s.g.t
	if oldSize == 0 && s.q(QuirkMremapZeroOldSize) {
		s.setFlags(oldAddr, oldAddr, 0) // page_set_flags(old, old, 0): QEMU aborts
	}
	oldSize, newSize = s.g.tAlign(oldSize), s.g.tAlign(newSize)
	kept := min(oldSize, newSize)
	// The grown part takes the protection of the last old page; a
	// duplication (old_len 0) takes that of the page at oldAddr.
	last := s.pageGetFlags(oldAddr) | PageValid
	if oldSize > 0 {
		last = s.pageGetFlags(oldAddr+oldSize-1) | PageValid
	}
	if newAddr == oldAddr {
		if newSize < oldSize {
			s.setFlags(oldAddr+newSize, s.e(oldAddr+oldSize), 0)
		}
	} else if kept > 0 {
		if flags&hostvm.MremapDontUnmap != 0 {
			var saved []FlagRun
			saved = append(saved, s.FlagRunsIn(oldAddr, oldAddr+kept)...)
			for _, r := range saved {
				s.setFlags(r.Start-oldAddr+newAddr, r.End-oldAddr+newAddr, r.Flags)
			}
		} else {
			s.flags.Move(oldAddr/t, kept/t, newAddr/t)
			if oldSize > kept {
				s.setFlags(oldAddr+kept, s.e(oldAddr+oldSize), 0)
			}
		}
	}
	if newSize > oldSize {
		s.setFlags(newAddr+oldSize, s.e(newAddr+newSize), last)
	}
}

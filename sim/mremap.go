package sim

import "github.com/mmapsim/mmapsim/hostvm"

// seedMremap is target_mremap() as the seed has it. Compare QEMU
// linux-user/mmap.c:target_mremap() (seed lines 688-764). It returns the
// new guest address, or (abi_ulong)-1 with s.libc.Errno set.
//
// Preconditions: the arguments are abi_ulong values. Unless the seed's
// QuirkMremapUnchecked is on, targetMremap has checked them as Linux does,
// and with QuirkMremapHostPages off they are whole host pages.
func (s *Sim) seedMremap(oldAddr, oldSize, newSize uint64, flags hostvm.MremapFlags, newAddr uint64) uint64 {
	g := &s.geom
	reserved := s.cfg.ReservedVA != 0
	var hostAddr hostvm.Addr
	var prot int
	failed := false
	dest := newAddr // MREMAP_FIXED's destination, which the host may unmap before it fails
	s.mmapLock()

	if !s.quirk(QuirkUncheckedRange) {
		// Later QEMU validates the guest ranges first.
		valid, oldLen := s.geom.GuestRangeValid, max(oldSize, 1)
		if s.quirk(QuirkZeroLenRange) {
			valid, oldLen = s.guestRangeValid72, oldSize // 7.2 mmap.c:779-786
		}
		if !valid(oldAddr, oldLen) ||
			(flags&hostvm.MremapFixed != 0 && !valid(newAddr, newSize)) ||
			(flags&hostvm.MremapMayMove == 0 && !valid(oldAddr, newSize)) {
			s.libc.Errno = hostvm.ENOMEM
			s.mmapUnlock()
			return s.minusOne()
		}
	}

	switch {
	case flags&hostvm.MremapFixed != 0:
		var ok bool
		hostAddr, ok = s.libc.Mremap(g.G2H(oldAddr), oldSize, newSize, flags, g.G2H(newAddr))
		failed = !ok
		if reserved && ok && s.reserveOld(flags) {
			// If new and old addresses overlap then the above mremap
			// will already have failed with EINVAL.
			s.mmapReserve(oldAddr, oldSize)
		}
	case flags&hostvm.MremapMayMove != 0:
		mmapStart := s.mmapFindVMA(0, newSize)
		if mmapStart == s.minusOne() {
			s.libc.Errno = hostvm.ENOMEM
			failed = true
		} else {
			var ok bool
			hostAddr, ok = s.libc.Mremap(g.G2H(oldAddr), oldSize, newSize, flags|hostvm.MremapFixed, g.G2H(mmapStart))
			failed = !ok
			if reserved && (ok || s.quirk(QuirkMremapMayMoveReserve)) && s.reserveOld(flags) {
				saved := s.libc.Errno
				s.mmapReserve(oldAddr, oldSize)
				s.libc.Errno = saved
			}
			if !ok && !s.quirk(QuirkMremapMayMoveLeak) {
				// The fix: give back the space mmap_find_vma reserved;
				// under RESERVED_VA, the placeholders the host unmapped
				// at the destination before it failed come back.
				saved := s.libc.Errno
				if reserved {
					s.plugReservation(mmapStart, s.rangeEnd(mmapStart+newSize))
				} else {
					s.libc.Munmap(g.G2H(mmapStart), g.HostPageAlign(newSize))
				}
				s.libc.Errno = saved
			}
		}
	default:
		if reserved && oldSize < newSize {
			prot = s.flagsBetween(s.rangeEnd(oldAddr+oldSize), s.rangeEnd(oldAddr+newSize))
		}
		if prot == 0 {
			var ok bool
			var placeholder hostvm.Range
			if reserved && oldSize < newSize && !s.quirk(QuirkMremapGrowReserved) {
				// The fix: the placeholder in the way of growing in place
				// goes first, and comes back if the host refuses.
				lo, hi := s.hostPageAlignEnd(oldAddr+oldSize), s.hostPageAlignEnd(oldAddr+newSize)
				if lo < hi {
					placeholder = hostvm.Range{Start: g.G2H(lo), End: g.G2H(lo) + hostvm.Addr(hi-lo)}
					s.libc.Munmap(placeholder.Start, placeholder.Len())
				}
			}
			hostAddr, ok = s.libc.Mremap(g.G2H(oldAddr), oldSize, newSize, flags, 0)
			failed = !ok
			if !ok && placeholder.Len() != 0 {
				saved := s.libc.Errno
				s.libc.MmapReserve(placeholder.Start, placeholder.Len())
				s.libc.Errno = saved
			}
			if ok && reserved && oldSize > newSize {
				switch {
				case s.quirk(QuirkMremapShrinkReserve):
					s.mmapReserve(g.ABIWord(oldAddr+oldSize), g.ABIWord(newSize-oldSize))
				case s.quirk(QuirkMremapShrinkReserveAddr):
					s.mmapReserve(g.ABIWord(oldAddr+oldSize), g.ABIWord(oldSize-newSize))
				default:
					s.mmapReserve(g.ABIWord(oldAddr+newSize), g.ABIWord(oldSize-newSize))
				}
			}
		} else {
			s.libc.Errno = hostvm.ENOMEM
			failed = true
		}
		// Check if address fits target address space (seed 744).
		var outside bool
		if s.quirk(QuirkMremapFitHostAddr) {
			ha := uint64(hostAddr)
			if failed {
				ha = g.HostMask // MAP_FAILED
			}
			outside = (ha+newSize)&g.HostMask > g.ABIMask
		} else {
			outside = !failed && !s.geom.GuestRangeValid(g.H2G(hostAddr), newSize)
		}
		if outside {
			// Revert mremap() changes
			s.libc.Mremap(g.G2H(oldAddr), newSize, oldSize, flags, 0)
			s.libc.Errno = hostvm.ENOMEM
			failed = true
		}
	}

	if !failed && reserved && !s.quirk(QuirkMremapHostPages) {
		// The host moved real pages, which may be smaller than
		// qemu_host_page_size: mmap_reserve left alone the host page still
		// used by other guest pages, so plug what the move emptied.
		s.plugReservation(oldAddr, s.rangeEnd(oldAddr+oldSize))
	}
	if failed {
		newAddr = s.minusOne()
		if !s.quirk(QuirkMremapFailFlags) {
			// The fix: what the host unmapped before failing is
			// unmapped in the guest's view too.
			if flags&hostvm.MremapFixed != 0 {
				s.forgetUnmapped(dest, s.rangeEnd(dest+newSize))
			}
			s.forgetUnmapped(oldAddr, s.rangeEnd(oldAddr+oldSize))
		}
	} else {
		newAddr = g.H2G(hostAddr)
		if s.quirk(QuirkMremapProtFirstPage) {
			// The first page's flags for the whole new range (seed 757).
			prot := s.pageGetFlags(oldAddr)
			if oldSize != 0 || s.quirk(QuirkMremapZeroOldSize) {
				s.setFlags(oldAddr, s.rangeEnd(oldAddr+oldSize), 0)
			}
			s.setFlags(newAddr, s.rangeEnd(newAddr+newSize), prot|PageValid)
		} else {
			s.moveFlags(oldAddr, oldSize, newAddr, newSize, flags)
		}
	}
	if !failed || s.quirk(QuirkMremapFailFlags) {
		s.libc.TBInvalidatePhysRange(newAddr, s.rangeEnd(newAddr+newSize))
	}
	s.mmapUnlock()
	return newAddr
}

// forgetUnmapped is the fix's account of a host mremap that failed part
// way: Linux's mremap_to() unmaps the destination (MREMAP_FIXED) and the
// old range's tail (a shrink) before it can still refuse the destination
// (EPERM below mmap_min_addr, ENOMEM). Guest pages of [start, end) that the
// host no longer maps become unmapped in the guest's view, their
// translations are invalidated, and under RESERVED_VA their host pages get
// placeholders back.
//
// Preconditions: the mmap lock is held; [start, end) is target-page
// aligned and lies in the guest space (the checks of the fix passed).
func (s *Sim) forgetUnmapped(start, end uint64) {
	if end <= start || !s.geom.GuestRangeValid(start, end-start) {
		return
	}
	g := &s.geom
	t := g.TargetPageSize
	forget := func(lo, hi uint64) {
		lo, hi = lo&^(t-1), min((hi+t-1)&^(t-1), end)
		if lo < hi {
			s.setFlags(lo, hi, 0)
			s.libc.TBInvalidatePhysRange(lo, hi)
		}
	}
	for _, r := range s.FlagRunsIn(start, end) {
		lo, hi := max(r.Start, start), min(r.End, end)
		at := lo
		for _, m := range s.libc.Host.MappingsIn(g.HostRange(lo, hi-lo)) {
			if ms := uint64(m.Start) - g.GuestBase; ms > at {
				forget(at, ms)
			}
			at = max(at, uint64(m.End)-g.GuestBase)
		}
		if at < hi {
			forget(at, hi)
		}
	}
	if s.cfg.ReservedVA != 0 {
		s.plugReservation(start, end)
	}
}

// reserveOld reports whether a move with flags gives the old range back to
// the RESERVED_VA reservation: not when MREMAP_DONTUNMAP keeps it mapped.
func (s *Sim) reserveOld(flags hostvm.MremapFlags) bool {
	return flags&hostvm.MremapDontUnmap == 0 || s.quirk(QuirkMremapDontUnmapReserve)
}

// plugReservation puts PROT_NONE placeholders into every host hole in the
// guest range [start, end), so the RESERVED_VA reservation stays whole.
//
// Preconditions: RESERVED_VA is set; [start, end) lies in the guest space.
func (s *Sim) plugReservation(start, end uint64) {
	if end <= start {
		return
	}
	g := &s.geom
	lo, hi := g.G2H(start&^(g.RealHostPageSize-1)), g.G2H((end+g.RealHostPageSize-1)&^(g.RealHostPageSize-1))
	at := lo
	plug := func(a, b hostvm.Addr) {
		if a < b {
			s.libc.MmapReserve(a, uint64(b-a))
		}
	}
	for _, m := range s.libc.Host.MappingsIn(hostvm.Range{Start: lo, End: hi}) {
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
//
// Preconditions: the host mremap succeeded; oldAddr and newAddr are
// target-page aligned; the old and new ranges lie in the guest space.
func (s *Sim) moveFlags(oldAddr, oldSize, newAddr, newSize uint64, flags hostvm.MremapFlags) {
	t := s.geom.TargetPageSize
	if oldSize == 0 && s.quirk(QuirkMremapZeroOldSize) {
		s.setFlags(oldAddr, oldAddr, 0) // page_set_flags(old, old, 0): QEMU aborts
	}
	oldSize, newSize = s.geom.TargetPageAlign(oldSize), s.geom.TargetPageAlign(newSize)
	kept := min(oldSize, newSize)
	// The grown part takes the protection of the last old page; a
	// duplication (old_len 0) takes that of the page at oldAddr.
	last := s.pageGetFlags(oldAddr) | PageValid
	if oldSize > 0 {
		last = s.pageGetFlags(oldAddr+oldSize-1) | PageValid
	}
	if newAddr == oldAddr {
		if newSize < oldSize {
			s.setFlags(oldAddr+newSize, s.rangeEnd(oldAddr+oldSize), 0)
		}
	} else if kept > 0 {
		if flags&hostvm.MremapDontUnmap != 0 {
			var saved []FlagRun
			saved = append(saved, s.FlagRunsIn(oldAddr, oldAddr+kept)...)
			for _, r := range saved {
				s.setFlags(r.Start-oldAddr+newAddr, r.End-oldAddr+newAddr, r.Flags)
			}
		} else {
			s.flags.MovePages(oldAddr/t, kept/t, newAddr/t)
			if oldSize > kept {
				s.setFlags(oldAddr+kept, s.rangeEnd(oldAddr+oldSize), 0)
			}
		}
	}
	if newSize > oldSize {
		s.setFlags(newAddr+oldSize, s.rangeEnd(newAddr+newSize), last)
	}
}

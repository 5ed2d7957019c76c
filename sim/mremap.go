package sim

import "github.com/mmapsim/mmapsim/hostvm"

// targetMremap is target_mremap(). Compare QEMU linux-user/mmap.c (seed
// 688-764). It returns the new guest address, or (abi_ulong)-1 with s.errno
// set.
func (s *Sim) targetMremap(oldAddr, oldSize, newSize uint64, flags hostvm.MremapFlags, newAddr uint64) uint64 {
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
		if reserved && ok {
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
			if reserved && (ok || s.q(QuirkMremapMayMoveReserve)) {
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
			hostAddr, ok = s.hostMremap(g.g2h(oldAddr), oldSize, newSize, flags, 0)
			failed = !ok
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

	if failed {
		newAddr = s.minus1()
	} else {
		newAddr = g.h2g(hostAddr)
		prot := s.pageGetFlags(oldAddr)
		if oldSize != 0 || s.q(QuirkMremapZeroOldSize) {
			s.setFlags(oldAddr, s.e(oldAddr+oldSize), 0)
		}
		s.setFlags(newAddr, s.e(newAddr+newSize), prot|PageValid)
	}
	s.tbInvalidatePhysRange(newAddr, s.e(newAddr+newSize))
	s.mmapUnlock()
	return newAddr
}

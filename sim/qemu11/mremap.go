package qemu11

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// targetMremap is target_mremap() (mmap.c:1110-1257). The guest's ranges go
// to the host's mremap as they are: only the guest ranges are checked
// (none of Linux's rules), and the new range gets the page flags of the old
// range's first page. It returns the new guest address, or -1 with
// s.libc.Errno set.
//
//	flags                  | what QEMU does
//	MREMAP_FIXED           | host mremap to new_addr; under reserved_va the old range is reserved
//	MREMAP_MAYMOVE         | mmap_find_vma, then host mremap there (always a move); under
//	                       | reserved_va the old range is reserved, whether or not the move worked
//	neither (in place)     | under reserved_va ENOMEM if a guest page follows; host mremap,
//	                       | reverted if the result leaves the guest space
//	old_size 0 (duplicate) | MREMAP_MAYMOVE required; as above, nothing reserved
//
// Preconditions: the arguments are abi_ulong values.
func (s *Guest) targetMremap(oldAddr, oldSize, newSize uint64, flags hostvm.MremapFlags, newAddr uint64) uint64 {
	g := &s.geom
	fail := func(e hostvm.Errno) uint64 {
		s.libc.Errno = e
		return s.minusOne()
	}
	if flags&hostvm.MremapFixed != 0 && !s.guestRangeValid(newAddr, newSize) ||
		flags&hostvm.MremapMayMove == 0 && !s.guestRangeValid(oldAddr, newSize) { // mmap.c:1117-1123
		return fail(hostvm.EINVAL)
	}

	if oldSize == 0 {
		// mmap.c:1125-1174
		if flags&hostvm.MremapMayMove == 0 {
			return fail(hostvm.EINVAL)
		}
		s.mmapLock()
		var hostAddr hostvm.Addr
		var ok bool
		if flags&hostvm.MremapFixed != 0 {
			hostAddr, ok = s.libc.Mremap(s.g2h(oldAddr), oldSize, newSize, flags, s.g2h(newAddr))
		} else {
			// We ensure that the new mapping stands in the region of
			// guest mappable addresses.
			mmapStart := s.mmapFindVMA(0, newSize, g.TargetPageSize)
			if mmapStart == s.minusOne() {
				s.mmapUnlock()
				return fail(hostvm.ENOMEM)
			}
			hostAddr, ok = s.libc.Mremap(s.g2h(oldAddr), oldSize, newSize, flags|hostvm.MremapFixed, s.g2h(mmapStart))
			newAddr = mmapStart
		}
		if !ok {
			s.mmapUnlock()
			return s.minusOne()
		}
		if flags&hostvm.MremapFixed != 0 {
			newAddr = s.h2g(hostAddr)
		}
		prot := s.pageGetFlags(oldAddr)
		// For old_size zero, there is nothing to clear at old_addr.
		s.pageSetFlags(newAddr, s.abi(newAddr+newSize-1), prot|base.PageValid, base.PageValid)
		s.mmapUnlock()
		return newAddr
	}

	if !s.guestRangeValid(oldAddr, oldSize) { // mmap.c:1176
		return fail(hostvm.EFAULT)
	}

	s.mmapLock()
	var hostAddr hostvm.Addr
	failed := false
	switch {
	case flags&hostvm.MremapFixed != 0:
		// mmap.c:1183-1193
		var ok bool
		hostAddr, ok = s.libc.Mremap(s.g2h(oldAddr), oldSize, newSize, flags, s.g2h(newAddr))
		failed = !ok
		if s.reservedVA != 0 && ok {
			// If new and old addresses overlap then the above mremap will
			// already have failed with EINVAL.
			s.mmapReserveOrUnmap(oldAddr, oldSize)
		}
	case flags&hostvm.MremapMayMove != 0:
		// mmap.c:1194-1209
		mmapStart := s.mmapFindVMA(0, newSize, g.TargetPageSize)
		if mmapStart == s.minusOne() {
			s.libc.Errno = hostvm.ENOMEM
			failed = true
		} else {
			var ok bool
			hostAddr, ok = s.libc.Mremap(s.g2h(oldAddr), oldSize, newSize, flags|hostvm.MremapFixed, s.g2h(mmapStart))
			failed = !ok
			if s.reservedVA != 0 {
				s.mmapReserveOrUnmap(oldAddr, oldSize) // whether or not the mremap worked
			}
		}
	default:
		// In place (mmap.c:1210-1242).
		pageFlags := uint32(0)
		if s.reservedVA != 0 && oldSize < newSize {
			// "for (addr = old_addr + old_size; addr < old_addr + new_size;
			// addr++)", at abi_ulong width.
			if from, to := s.abi(oldAddr+oldSize), s.abi(oldAddr+newSize); from < to {
				pageFlags = s.flags.Union(from, to)
			}
		}
		if pageFlags == 0 {
			var ok bool
			hostAddr, ok = s.libc.Mremap(s.g2h(oldAddr), oldSize, newSize, flags, 0)
			failed = !ok
			if ok {
				// Check if address fits target address space.
				if !s.guestRangeValid(s.h2g(hostAddr), newSize) {
					// Revert mremap() changes.
					s.libc.Mremap(s.g2h(oldAddr), newSize, oldSize, flags, 0)
					s.libc.Errno = hostvm.ENOMEM
					failed = true
				} else if s.reservedVA != 0 && oldSize > newSize {
					// Re-reserve pages we just shrunk out of the mapping.
					s.mmapReserveOrUnmap(s.abi(oldAddr+newSize), s.abi(oldSize-newSize))
				}
			}
		} else {
			s.libc.Errno = hostvm.ENOMEM
			failed = true
		}
	}

	if failed {
		newAddr = s.minusOne()
	} else {
		// mmap.c:1247-1253: the new range gets the old range's first
		// page's flags.
		newAddr = s.h2g(hostAddr)
		prot := s.pageGetFlags(oldAddr)
		s.pageSetFlags(oldAddr, s.abi(oldAddr+oldSize-1), 0, base.PageValid)
		s.pageSetFlags(newAddr, s.abi(newAddr+newSize-1), prot|base.PageValid, base.PageValid)
	}
	s.mmapUnlock()
	return newAddr
}

package qemu11

import "github.com/mmapsim/mmapsim/hostvm"

// mmapFindVMAReserved is mmap_find_vma_reserved() (mmap.c:424-439): under
// reserved_va, the lowest free range of the page flags at or above start,
// then (wrapping once) from mmap_min_addr up to start. Nothing is reserved
// and mmap_next_start does not move. It returns the guest address, or
// (abi_ulong)-1.
//
// Preconditions: reserved_va is set; called inside guard with the mmap
// lock held; size is non-zero and host-page aligned (page_find_range_empty
// asserts len != 0).
func (s *Guest) mmapFindVMAReserved(start, size, align uint64) uint64 {
	ret := ^uint64(0) // target_ulong ret = -1
	if start <= s.reservedVA {
		ret = s.pageFindRangeEmpty(start, s.reservedVA, size, align)
	}
	if ret == ^uint64(0) && start > s.mmapMinAddr {
		// Restart at the beginning of the address space (mmap.c:432-436).
		ret = s.pageFindRangeEmpty(s.mmapMinAddr, min(start-1, s.reservedVA), size, align)
	}
	return s.abi(ret)
}

// mmapFindVMA is mmap_find_vma() (mmap.c:447-562): find a free guest range
// of size bytes from start (0: mmap_next_start), aligned to align (at least
// the host page). Under reserved_va it searches the page flags; otherwise
// it reserves the range on the host with a PROT_NONE mapping, asking the
// host kernel with start as a hint and retrying when the answer lies
// outside the guest space or is misaligned. It returns the guest address,
// or (abi_ulong)-1.
//
// Preconditions: called inside guard with the mmap lock held; start, size
// and align are abi_ulong values, align a power of two.
func (s *Guest) mmapFindVMA(start, size, align uint64) uint64 {
	h := s.hostPage()
	align = max(align, h)
	// If 'start' == 0, then a default start address is used.
	if start == 0 {
		start = s.mmapNextStart
	} else {
		start &^= h - 1
	}
	start = s.roundUp(start, align)
	size = s.roundUp(size, h)

	if s.reservedVA != 0 {
		return s.mmapFindVMAReserved(start, size, align)
	}

	addr := start
	wrapped, repeat := false, 0
	var ptr, prev hostvm.Addr
	for ; ; prev = ptr {
		// Reserve needed memory area to avoid a race (mmap.c:474-482).
		var ok bool
		ptr, ok = s.libc.Mmap(s.g2h(addr), size, 0, hostvm.MapAnonymous|hostvm.MapPrivate|hostvm.MapNoReserve, -1, 0)
		// ENOMEM, if host address space has no memory.
		if !ok {
			return s.minusOne()
		}
		// Count the number of sequential returns of the same address.
		if ptr == prev {
			repeat++
		} else {
			repeat = 0
		}
		if s.h2gValid(s.hostAdd(ptr, size-1)) {
			addr = s.h2g(ptr)
			if addr&(align-1) == 0 {
				// Success (mmap.c:498-504).
				if start == s.mmapNextStart && addr >= s.taskUnmappedBase {
					s.mmapNextStart = s.abi(addr + size)
				}
				return addr
			}
			// The address is not properly aligned for the target.
			switch repeat {
			case 0:
				addr = s.roundUp(addr, align)
			case 1:
				addr &^= align - 1
			case 2:
				addr = 0
			default:
				addr = s.minusOne()
			}
		} else {
			// Since the result the kernel gave didn't fit, start again at
			// low memory. If any repetition, fail.
			addr = 0
			if repeat != 0 {
				addr = s.minusOne()
			}
		}
		// Unmap and try again.
		s.libc.Munmap(ptr, size)

		// ENOMEM if we checked the whole of the target address space
		// (mmap.c:543-560).
		switch {
		case addr == s.minusOne():
			return s.minusOne()
		case addr == 0:
			if wrapped {
				return s.minusOne()
			}
			wrapped = true
			// Don't actually use 0 when wrapping, instead indicate that
			// we'd truly like an allocation in low memory.
			addr = s.geom.TargetPageSize
			if s.mmapMinAddr > s.geom.TargetPageSize {
				addr = s.geom.TargetPageAlign(s.mmapMinAddr)
			}
		case wrapped && addr >= start:
			return s.minusOne()
		}
	}
}

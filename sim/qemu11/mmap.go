package qemu11

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// target_mmap dispatches on the page sizes (mmap.c:951-960):
//
//	host page H vs target page T | function    | file past EOF            | fragments of a host page
//	H == T                       | mmap_h_eq_g | the host's, as the guest | none
//	H <  T                       | mmap_h_lt_g | anonymous past EOF       | none; over-allocate to align
//	H >  T                       | mmap_h_gt_g | the host's (per H)       | mmap_frag: zero or pread
//
// Under reserved_va every mapping is MAP_FIXED by then: a non-fixed one was
// placed by mmap_find_vma (the page flags), a MAP_FIXED_NOREPLACE one
// checked against them. Without reserved_va the host kernel places
// non-fixed mappings (the guest's hint is passed on) and checks
// MAP_FIXED_NOREPLACE.

// targetMmap is target_mmap() (mmap.c:964-1023). It returns the guest
// address, or -1 ((abi_ulong)-1) with s.libc.Errno set.
//
// Preconditions: start and length are abi_ulong values; flags are host
// flags as do_mmap translated them.
func (s *Guest) targetMmap(start, length uint64, targetProt int, flags hostvm.MapFlags, fd int, offset uint64) uint64 {
	g := &s.geom
	fail := func(e hostvm.Errno) uint64 {
		s.libc.Errno = e
		return s.minusOne()
	}
	if length == 0 {
		return fail(hostvm.EINVAL)
	}
	pageFlags := validateProtToPageflags(targetProt)
	if pageFlags == 0 {
		return fail(hostvm.EINVAL)
	}
	// Also check for overflows... (mmap.c:983-988)
	length = g.TargetPageAlign(length)
	if length == 0 {
		return fail(hostvm.ENOMEM)
	}
	if offset&(g.TargetPageSize-1) != 0 {
		return fail(hostvm.EINVAL)
	}
	if flags&(hostvm.MapFixed|hostvm.MapFixedNoReplace) != 0 {
		if start&^g.TargetPageMask() != 0 {
			return fail(hostvm.EINVAL)
		}
		if !s.guestRangeValid(start, length) {
			return fail(hostvm.ENOMEM)
		}
	}
	s.mmapLock()
	ret := s.targetMmapLocked(start, length, targetProt, flags, pageFlags, fd, offset)
	s.mmapUnlock()
	// (begin_parallel_context for shared mappings: nothing to model.)
	return ret
}

// targetMmapLocked is target_mmap__locked() (mmap.c:914-961): under
// reserved_va it turns the request into a MAP_FIXED one (checking
// MAP_FIXED_NOREPLACE against the page flags, or placing a non-fixed
// mapping with mmap_find_vma), then dispatches on the page sizes.
//
// Preconditions: the mmap lock is held; length is non-zero and
// target-page aligned; offset is target-page aligned; a fixed start is
// aligned and its range valid.
func (s *Guest) targetMmapLocked(start, length uint64, targetProt int, flags hostvm.MapFlags, pageFlags uint32, fd int, offset uint64) uint64 {
	g := &s.geom
	h := s.hostPage()
	if s.reservedVA != 0 {
		switch {
		case flags&hostvm.MapFixedNoReplace != 0:
			// Validate that the chosen range is empty (mmap.c:926-932).
			if !s.pageCheckRangeEmpty(start, s.abi(start+length-1)) {
				s.libc.Errno = hostvm.EEXIST
				return s.minusOne()
			}
			flags = flags&^hostvm.MapFixedNoReplace | hostvm.MapFixed
		case flags&hostvm.MapFixed == 0:
			// mmap.c:933-946
			realStart := start &^ (h - 1)
			hostOffset := offset &^ (h - 1)
			realLen := length + offset - hostOffset // size_t
			align := max(h, g.TargetPageSize)
			start = s.mmapFindVMA(realStart, s.abi(realLen), align)
			if start == s.minusOne() {
				s.libc.Errno = hostvm.ENOMEM
				return s.minusOne()
			}
			start = s.abi(start + offset - hostOffset)
			flags |= hostvm.MapFixed
		}
	}
	hostProt := targetToHostProt(targetProt)
	switch {
	case h == g.TargetPageSize:
		return s.mmapHEqG(start, length, hostProt, flags, pageFlags, fd, offset)
	case h < g.TargetPageSize:
		return s.mmapHLtG(start, length, hostProt, flags, pageFlags, fd, offset)
	default:
		return s.mmapHGtG(start, length, targetProt, hostProt, flags, pageFlags, fd, offset)
	}
}

// mmapEnd is mmap_end() (mmap.c:567-599): record a successful mmap in the
// page flags, with PAGE_ANON for an anonymous mapping and PAGE_PASSTHROUGH
// on [passStart, passLast] (none when passStart > passLast). It returns
// start.
//
// Preconditions: the mmap lock is held; start <= last.
func (s *Guest) mmapEnd(start, last, passStart, passLast uint64, flags hostvm.MapFlags, pageFlags uint32) uint64 {
	if flags&hostvm.MapAnonymous != 0 {
		pageFlags |= PageAnon
	}
	if passStart > passLast {
		s.pageSetFlags(start, last, pageFlags, base.PageValid)
	} else {
		if start < passStart {
			s.pageSetFlags(start, s.abi(passStart-1), pageFlags, base.PageValid)
		}
		s.pageSetFlags(passStart, passLast, pageFlags|PagePassthrough, base.PageValid)
		if passLast < last {
			s.pageSetFlags(s.abi(passLast+1), last, pageFlags, base.PageValid)
		}
	}
	// (shm_region_rm_complete: shmat is not modelled.)
	return start
}

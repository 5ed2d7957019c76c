package qemu11

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// mmapReserveOrUnmap is mmap_reserve_or_unmap() (mmap.c:1025-1081): give
// back the host pages of [start, start+len) that no guest page outside it
// still uses: munmap them, or under reserved_va put the PROT_NONE
// placeholder back (do_munmap). It returns 0, or -1 with errno set.
//
// Preconditions: the mmap lock is held; start is target-page aligned and
// the range lies in the guest space.
func (s *Guest) mmapReserveOrUnmap(start, length uint64) int64 {
	t := s.geom.TargetPageSize
	h := s.hostPage()
	last := s.abi(s.roundUp(s.abi(start+length), t) - 1)
	realStart := start &^ (h - 1)
	realLast := s.abi(s.roundUp(s.abi(last+1), h) - 1)

	// If guest pages remain on the first or last host pages, adjust the
	// deallocation to retain those guest pages. The single page special
	// case is required for the last page, lest real_start overflow to zero
	// (mmap.c:1040-1075).
	if s.abi(realLast-realStart) < h {
		prot := uint32(0)
		for a := realStart; a < start; a += t {
			prot |= s.pageGetFlags(a)
		}
		for a := last; a < realLast; a = s.abi(a + t) {
			prot |= s.pageGetFlags(s.abi(a + 1))
		}
		if prot != 0 {
			return 0
		}
	} else {
		prot := uint32(0)
		for a := realStart; a < start; a += t {
			prot |= s.pageGetFlags(a)
		}
		if prot != 0 {
			realStart = s.abi(realStart + h)
		}
		prot = 0
		for a := last; a < realLast; a = s.abi(a + t) {
			prot |= s.pageGetFlags(s.abi(a + 1))
		}
		if prot != 0 {
			realLast = s.abi(realLast - h)
		}
		if realLast < realStart {
			return 0
		}
	}
	realLen := s.abi(realLast - realStart + 1)
	if !s.doMunmap(s.g2h(realStart), realLen) {
		return -1
	}
	return 0
}

// targetMunmap is target_munmap() (mmap.c:1083-1108). It returns 0, or -1
// with s.libc.Errno set.
//
// Preconditions: start and length are abi_ulong values.
func (s *Guest) targetMunmap(start, length uint64) int64 {
	g := &s.geom
	if start&^g.TargetPageMask() != 0 {
		s.libc.Errno = hostvm.EINVAL
		return -1
	}
	length = g.TargetPageAlign(length)
	if length == 0 || !s.guestRangeValid(start, length) {
		s.libc.Errno = hostvm.EINVAL
		return -1
	}
	s.mmapLock()
	ret := s.mmapReserveOrUnmap(start, length)
	if ret == 0 {
		s.pageSetFlags(start, s.abi(start+length-1), 0, base.PageValid)
	}
	s.mmapUnlock()
	return ret
}

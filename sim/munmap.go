package sim

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/internal/runs"
)

// mmapReserve is mmap_reserve(): under RESERVED_VA, guest memory given back
// is not returned to the host but replaced by PROT_NONE placeholders, host
// page by host page, skipping host pages other guest pages still use.
// Compare QEMU linux-user/mmap.c (seed 585-624).
func (s *Sim) mmapReserve(start, size uint64) {
	g := &s.g
	var realStart, realEnd, end uint64
	var prot int
	realStart = start & g.hMask()
	realEnd = s.hAlignEnd(start + size)
	end = s.e(start + size)
	if start > realStart {
		// handle host page containing start
		prot = s.flagsBetween(realStart, start)
		if realEnd == s.e(realStart+g.h) {
			prot |= s.flagsBetween(end, realEnd)
			end = realEnd
		}
		if prot != 0 {
			realStart += g.h
		}
	}
	if end < realEnd {
		prot = s.flagsBetween(end, realEnd)
		if prot != 0 {
			realEnd -= g.h
		}
	}
	if realStart != realEnd {
		s.hostMmap(g.g2h(realStart), s.e(realEnd-realStart), 0,
			hostvm.MapFixed|hostvm.MapAnonymous|hostvm.MapPrivate|hostvm.MapNoReserve, -1, 0)
	}
}

// unmapOrReserve gives back [start, start+size) after a failed non-fixed
// mmap: the seed munmaps it, which under RESERVED_VA punches a hole in the
// reservation; the fix puts the placeholder back.
func (s *Sim) unmapOrReserve(start, size uint64) {
	if s.cfg.ReservedVA != 0 && !s.q(QuirkNonFixedFailUnmap) {
		s.hostMmap(s.g.g2h(start), size, 0,
			hostvm.MapFixed|hostvm.MapAnonymous|hostvm.MapPrivate|hostvm.MapNoReserve, -1, 0)
		return
	}
	s.hostMunmap(s.g.g2h(start), size)
}

// targetMunmap is target_munmap(). Compare QEMU linux-user/mmap.c (seed
// 626-686). It returns 0, -errno, or -1 with s.errno set.
func (s *Sim) targetMunmap(start, length uint64) int64 {
	g := &s.g
	var end, realStart, realEnd uint64
	var prot int
	var ok bool
	if start&^g.tMask() != 0 {
		return -int64(hostvm.EINVAL)
	}
	length = g.tAlign(length)
	if length == 0 {
		return -int64(hostvm.EINVAL)
	}
	if !s.q(QuirkUncheckedRange) && !s.guestRangeValid(start, length) {
		return -int64(hostvm.EINVAL) // Linux: beyond TASK_SIZE is EINVAL
	}
	s.mmapLock()
	end = s.e(start + length)
	realStart = start & g.hMask()
	realEnd = s.hAlignEnd(end)

	if start > realStart {
		// handle host page containing start
		prot = s.flagsBetween(realStart, start)
		if realEnd == s.e(realStart+g.h) {
			prot |= s.flagsBetween(end, realEnd)
			end = realEnd
		}
		if prot != 0 {
			realStart += g.h
		}
	}
	if end < realEnd {
		prot = s.flagsBetween(end, realEnd)
		if prot != 0 {
			realEnd -= g.h
		}
	}

	ok = true
	// unmap what we can
	if realStart < realEnd {
		if s.cfg.ReservedVA != 0 {
			s.mmapReserve(realStart, realEnd-realStart)
		} else {
			ok = s.hostMunmap(g.g2h(realStart), realEnd-realStart)
		}
	}
	if ok {
		s.setFlags(start, s.e(start+length), 0)
		s.tbInvalidatePhysRange(start, s.e(start+length))
	}
	s.mmapUnlock()
	if !ok {
		return -1
	}
	return 0
}

// targetMsync is target_msync(). Compare QEMU linux-user/mmap.c (seed
// 766-781). It returns 0, -errno, or -1 with s.errno set.
func (s *Sim) targetMsync(start, length uint64, flags int) int64 {
	g := &s.g
	if !s.q(QuirkMsyncChecks) && (flags&^int(hostvm.MsAsync|hostvm.MsInvalidate|hostvm.MsSync) != 0 ||
		flags&int(hostvm.MsAsync|hostvm.MsSync) == int(hostvm.MsAsync|hostvm.MsSync)) {
		return -int64(hostvm.EINVAL) // Linux checks the flags first
	}
	if start&^g.tMask() != 0 {
		return -int64(hostvm.EINVAL)
	}
	length = s.tAlignEnd(length)
	end := s.e(start + length)
	if end < start {
		if !s.q(QuirkMsyncChecks) {
			return -int64(hostvm.ENOMEM) // Linux: a range that wraps is ENOMEM
		}
		return -int64(hostvm.EINVAL)
	}
	if end == start {
		return 0
	}
	if !s.q(QuirkMsyncUnmapped) && !s.rangeValid(start, end) {
		// Linux: a hole is ENOMEM (after the checks of flags, which the
		// host call below makes).
		if flags&^int(hostvm.MsAsync|hostvm.MsInvalidate|hostvm.MsSync) != 0 ||
			flags&int(hostvm.MsAsync|hostvm.MsSync) == int(hostvm.MsAsync|hostvm.MsSync) {
			return -int64(hostvm.EINVAL)
		}
		return -int64(hostvm.ENOMEM)
	}
	start &= g.hMask()
	if !s.hostMsync(g.g2h(start), end-start, flags) {
		return -1
	}
	return 0
}

// guestAddrMax is the last valid guest address: RESERVED_VA-1, or the top
// of the virtual address space. Compare later QEMU's GUEST_ADDR_MAX.
func (s *Sim) guestAddrMax() uint64 {
	if s.cfg.ReservedVA != 0 {
		return s.cfg.ReservedVA - 1
	}
	if s.g.virtBits >= 64 {
		return ^uint64(0)
	}
	return min(1<<s.g.virtBits-1, s.g.abiMask)
}

// guestRangeValid is later QEMU's guest_range_valid_untagged(): the range
// [start, start+len) is non-empty and inside the guest space.
func (s *Sim) guestRangeValid(start, length uint64) bool {
	m := s.guestAddrMax()
	return length != 0 && length-1 <= m && start <= m-(length-1)
}

// rangeValid reports whether every guest page in [start, end) is mapped
// (PAGE_VALID).
func (s *Sim) rangeValid(start, end uint64) bool {
	return s.firstHole(start, end) >= end
}

// firstHole returns the first address in [start, end) whose page is not
// mapped, or end.
func (s *Sim) firstHole(start, end uint64) uint64 {
	at := start
	hole := end
	s.flags.EachIn(start/s.g.t, (end+s.g.t-1)/s.g.t, func(r runs.Run) bool {
		if r.First*s.g.t > at || r.Val&PageValid == 0 {
			hole = max(at, start)
			return false
		}
		at = r.End * s.g.t
		return true
	})
	if hole == end && at < end {
		hole = at
	}
	return hole
}

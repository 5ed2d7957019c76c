package sim

import "github.com/mmapsim/mmapsim/hostvm"

// mmapReserve is mmap_reserve(): under RESERVED_VA, guest memory given back
// is not returned to the host but replaced by PROT_NONE placeholders, host
// page by host page, skipping host pages other guest pages still use.
// Compare QEMU linux-user/mmap.c:mmap_reserve() (seed lines 585-624).
//
// Preconditions: RESERVED_VA is set; the mmap lock is held; start and size
// are target-page aligned.
func (s *Sim) mmapReserve(start, size uint64) {
	g := &s.geom
	var realStart, realEnd, end uint64
	var prot int
	realStart = start & g.HostPageMask()
	realEnd = s.hostPageAlignEnd(start + size)
	end = s.rangeEnd(start + size)
	if start > realStart {
		// handle host page containing start
		prot = s.flagsBetween(realStart, start)
		if realEnd == s.rangeEnd(realStart+g.HostPageSize) {
			prot |= s.flagsBetween(end, realEnd)
			end = realEnd
		}
		if prot != 0 {
			realStart += g.HostPageSize
		}
	}
	if end < realEnd {
		prot = s.flagsBetween(end, realEnd)
		if prot != 0 {
			realEnd -= g.HostPageSize
		}
	}
	if realStart != realEnd {
		s.libc.MmapReserve(g.G2H(realStart), s.rangeEnd(realEnd-realStart))
	}
}

// unmapOrReserve gives back [start, start+size) after a failed non-fixed
// mmap: the seed munmaps it, which under RESERVED_VA punches a hole in the
// reservation; the fix puts the placeholder back.
//
// Preconditions: start and size are host-page aligned.
func (s *Sim) unmapOrReserve(start, size uint64) {
	if s.cfg.ReservedVA != 0 && !s.quirk(QuirkNonFixedFailUnmap) {
		s.libc.MmapReserve(s.geom.G2H(start), size)
		return
	}
	s.libc.Munmap(s.geom.G2H(start), size)
}

// fixedMmapUndo is the fix's clean-up after a MAP_FIXED target_mmap that
// failed having changed the host: mmap_frag may have mapped a fresh host
// page for a fragment, raised the protection of a host page other guest
// pages share (or given it anonymous memory), and the middle may be mapped
// when a later step failed. The seed leaves all that, with the page flags
// as they were (QuirkFixedFailLeak).
//
// Linux's mmap_region() (mm/mmap.c) unmaps what the range covers before it
// maps the new mapping, and a failure after that leaves the range unmapped:
// the old mapping is gone and the new one is not there (newer kernels put
// the old mappings back where they can, vms_abort_munmap_vmas(); POSIX
// allows either). The fix follows the first: the guest range is
// unmapped as target_munmap does it (the page flags cleared, the host pages
// no other guest page uses unmapped or, under RESERVED_VA, reserved again),
// and each host page at either end that other guest pages still use gets
// back their protection alone, as if the fragment had never been mapped.
// If the host refuses the munmap (a split past vm.max_map_count), the page
// flags stay as target_munmap leaves them.
//
// Preconditions: the mmap lock is held; start and length passed
// fixedMmapChecks (start target-page aligned, the range in the guest
// space, length non-zero and target-page aligned).
func (s *Sim) fixedMmapUndo(start, length uint64) {
	g := &s.geom
	if s.targetMunmap(start, length) != 0 {
		return
	}
	restore := func(page uint64) {
		if prot := s.flagsBetween(page, s.rangeEnd(page+g.HostPageSize)) & PageBits; prot != 0 {
			s.libc.Mprotect(g.G2H(page), g.HostPageSize, prot)
		}
	}
	head, tail := start&g.HostPageMask(), g.ABIWord(start+length-1)&g.HostPageMask()
	restore(head)
	if tail != head {
		restore(tail)
	}
}

// targetMunmap is target_munmap(). Compare QEMU
// linux-user/mmap.c:target_munmap() (seed lines 626-686). It returns 0,
// -errno, or -1 with s.libc.Errno set.
//
// Preconditions: start and length are abi_ulong values.
func (s *Sim) targetMunmap(start, length uint64) int64 {
	g := &s.geom
	var end, realStart, realEnd uint64
	var prot int
	var ok bool
	if start&^g.TargetPageMask() != 0 {
		return -int64(hostvm.EINVAL)
	}
	length = g.TargetPageAlign(length)
	if length == 0 {
		return -int64(hostvm.EINVAL)
	}
	if !s.quirk(QuirkUncheckedRange) && !s.geom.GuestRangeValid(start, length) {
		return -int64(hostvm.EINVAL) // Linux: beyond TASK_SIZE is EINVAL
	}
	s.mmapLock()
	end = s.rangeEnd(start + length)
	realStart = start & g.HostPageMask()
	realEnd = s.hostPageAlignEnd(end)

	if start > realStart {
		// handle host page containing start
		prot = s.flagsBetween(realStart, start)
		if realEnd == s.rangeEnd(realStart+g.HostPageSize) {
			prot |= s.flagsBetween(end, realEnd)
			end = realEnd
		}
		if prot != 0 {
			realStart += g.HostPageSize
		}
	}
	if end < realEnd {
		prot = s.flagsBetween(end, realEnd)
		if prot != 0 {
			realEnd -= g.HostPageSize
		}
	}

	ok = true
	// unmap what we can
	if realStart < realEnd {
		if s.cfg.ReservedVA != 0 {
			s.mmapReserve(realStart, realEnd-realStart)
		} else {
			ok = s.libc.Munmap(g.G2H(realStart), realEnd-realStart)
		}
	}
	if ok {
		s.setFlags(start, s.rangeEnd(start+length), 0)
		s.libc.TBInvalidatePhysRange(start, s.rangeEnd(start+length))
	}
	s.mmapUnlock()
	if !ok {
		return -1
	}
	return 0
}

// targetMsync is target_msync(). Compare QEMU
// linux-user/mmap.c:target_msync() (seed lines 766-781). It returns 0,
// -errno, or -1 with s.libc.Errno set.
//
// Preconditions: start and length are abi_ulong values.
func (s *Sim) targetMsync(start, length uint64, flags int) int64 {
	g := &s.geom
	if !s.quirk(QuirkMsyncChecks) && badMsyncFlags(flags) {
		return -int64(hostvm.EINVAL) // Linux checks the flags first
	}
	if start&^g.TargetPageMask() != 0 {
		return -int64(hostvm.EINVAL)
	}
	length = s.targetPageAlignEnd(length)
	end := s.rangeEnd(start + length)
	if end < start {
		if !s.quirk(QuirkMsyncChecks) {
			return -int64(hostvm.ENOMEM) // Linux: a range that wraps is ENOMEM
		}
		return -int64(hostvm.EINVAL)
	}
	if end == start {
		return 0
	}
	if !s.quirk(QuirkMsyncUnmapped) && !s.flags.AllValid(start, end) {
		// Linux: a hole is ENOMEM (after the checks of flags, which the
		// host call below makes).
		if badMsyncFlags(flags) {
			return -int64(hostvm.EINVAL)
		}
		return -int64(hostvm.ENOMEM)
	}
	if s.quirk(QuirkMsyncHostPage) {
		start &= g.HostPageMask() // seed 779
	} else {
		start &^= g.RealHostPageSize - 1 // the host's msync wants its own page
	}
	if !s.libc.Msync(g.G2H(start), end-start, flags) {
		return -1
	}
	return 0
}

// badMsyncFlags reports whether Linux's msync refuses flags (EINVAL): an
// unknown bit, or MS_ASYNC with MS_SYNC.
func badMsyncFlags(flags int) bool {
	return flags&^int(hostvm.MsAsync|hostvm.MsInvalidate|hostvm.MsSync) != 0 ||
		flags&int(hostvm.MsAsync|hostvm.MsSync) == int(hostvm.MsAsync|hostvm.MsSync)
}

package qemu11

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// validateProtToPageflags is validate_prot_to_pageflags() (mmap.c:121):
// PROT_READ, PROT_WRITE, PROT_EXEC and TARGET_PROT_SEM are valid; any other
// bit makes it 0 (invalid). Otherwise it returns the page flags: the
// PAGE_RWX bits and PAGE_VALID. (The AArch64 BTI and MTE bits and HPPA's
// PROT_GROWSDOWN/GROWSUP are not modelled: no such target preset.)
func validateProtToPageflags(prot int) uint32 {
	valid := protRead | protWrite | protExec | targetProtSem
	pageFlags := uint32(prot&base.PageBits) | base.PageValid
	if prot&^valid != 0 {
		return 0
	}
	return pageFlags
}

// targetToHostProt is target_to_host_prot() (mmap.c:163): the host gets
// only PROT_READ and PROT_WRITE; a page the guest may execute is never
// executed by the host, which only needs to read it.
func targetToHostProt(prot int) int {
	hostProt := prot & (protRead | protWrite)
	if prot&protExec != 0 {
		hostProt |= protRead
	}
	return hostProt
}

// targetMprotect is target_mprotect() (mmap.c:177-279). It returns 0,
// -errno, or -1 with s.libc.Errno set.
//
// Preconditions: start and length are abi_ulong values.
func (s *Guest) targetMprotect(start, length uint64, targetProt int) int64 {
	g := &s.geom
	h := s.hostPage()
	var starts, lens [3]uint64
	var prots [3]int
	nranges := 0

	if start&^g.TargetPageMask() != 0 { // mmap.c:188
		return -int64(hostvm.EINVAL)
	}
	pageFlags := validateProtToPageflags(targetProt)
	if pageFlags == 0 {
		return -int64(hostvm.EINVAL)
	}
	if length == 0 {
		return 0
	}
	length = g.TargetPageAlign(length) // mmap.c:198
	if !s.guestRangeValid(start, length) {
		return -int64(hostvm.ENOMEM)
	}

	last := s.abi(start + length - 1) // mmap.c:203
	hostStart := start &^ (h - 1)
	hostLast := s.abi(s.roundUp(last, h) - 1)

	s.mmapLock()
	if s.abi(hostLast-hostStart) < h {
		// Single host page contains all guest pages: sum the prot
		// (mmap.c:210-222).
		prot1 := targetProt
		for a := hostStart; a < start; a += g.TargetPageSize {
			prot1 |= int(s.pageGetFlags(a))
		}
		for a := last; a < hostLast; a = s.abi(a + g.TargetPageSize) {
			prot1 |= int(s.pageGetFlags(s.abi(a + 1)))
		}
		starts[nranges], lens[nranges], prots[nranges] = hostStart, h, prot1
		nranges++
	} else {
		if hostStart < start {
			// Host page contains more than one guest page: sum the prot
			// (mmap.c:224-238). If the resulting sum differs, create a new
			// range.
			prot1 := targetProt
			for a := hostStart; a < start; a += g.TargetPageSize {
				prot1 |= int(s.pageGetFlags(a))
			}
			if prot1 != targetProt {
				starts[nranges], lens[nranges], prots[nranges] = hostStart, h, prot1
				nranges++
				hostStart = s.abi(hostStart + h)
			}
		}
		if last < hostLast {
			// mmap.c:240-254
			prot1 := targetProt
			for a := last; a < hostLast; a = s.abi(a + g.TargetPageSize) {
				prot1 |= int(s.pageGetFlags(s.abi(a + 1)))
			}
			if prot1 != targetProt {
				hostLast = s.abi(hostLast - h)
				starts[nranges], lens[nranges], prots[nranges] = s.abi(hostLast+1), h, prot1
				nranges++
			}
		}
		// Create a range for the middle, if any remains (mmap.c:257).
		if hostStart < hostLast {
			starts[nranges], lens[nranges], prots[nranges] = hostStart, s.abi(hostLast-hostStart+1), targetProt
			nranges++
		}
	}

	for i := 0; i < nranges; i++ { // mmap.c:265-271
		if !s.libc.Mprotect(s.g2h(starts[i]), lens[i], targetToHostProt(prots[i])) {
			s.mmapUnlock()
			return -1
		}
	}
	s.pageSetFlags(start, last, pageFlags, base.PageBits) // mmap.c:273 (TARGET_PAGE_NOTSTICKY is 0)
	s.mmapUnlock()
	return 0
}

package qemu11

import "github.com/mmapsim/mmapsim/hostvm"

// targetMadvise is target_madvise() (mmap.c:1259-1364). Most advice values
// are hints: ignored, success. MADV_DONTNEED (and MADV_WIPEONFORK,
// MADV_KEEPONFORK) go to the host only where every page of the range is
// PAGE_PASSTHROUGH (mapped with the same semantics on the host); where not,
// MADV_DONTNEED does nothing and (wrongly, as QEMU says) succeeds. Holes
// are never reported. It returns 0 or -errno.
//
// Preconditions: start and lenIn are abi_ulong values.
func (s *Guest) targetMadvise(start, lenIn uint64, advice hostvm.Advice) int64 {
	g := &s.geom
	if start&^g.TargetPageMask() != 0 {
		return -int64(hostvm.EINVAL)
	}
	if lenIn == 0 {
		return 0
	}
	length := g.TargetPageAlign(lenIn)
	if length == 0 || !s.guestRangeValid(start, length) {
		return -int64(hostvm.EINVAL)
	}
	// (The alpha and parisc advice numbers are not translated: no such
	// target preset.)
	var ret int64
	s.mmapLock()
	switch advice {
	case hostvm.MadvNormal, hostvm.MadvRandom, hostvm.MadvSequential, hostvm.MadvWillNeed,
		hostvm.MadvDoFork, hostvm.MadvFree, hostvm.MadvCold, hostvm.MadvPageOut:
		ret = 0 // OK
	case hostvm.MadvRemove:
		ret = -int64(hostvm.EOPNOTSUPP)
	case hostvm.MadvDontDump:
		s.pageSetFlags(start, s.abi(start+length-1), PageDontDump, 0)
	case hostvm.MadvDoDump:
		s.pageSetFlags(start, s.abi(start+length-1), 0, PageDontDump)
	case hostvm.MadvWipeOnFork, hostvm.MadvKeepOnFork, hostvm.MadvDontNeed:
		if advice != hostvm.MadvDontNeed {
			ret = -int64(hostvm.EINVAL) // and fall through (mmap.c:1330-1333)
		}
		if s.pageCheckRange(start, length, PagePassthrough) {
			if s.libc.Madvise(s.g2h(start), length, advice) {
				ret = 0
			} else {
				ret = -int64(s.libc.Errno)
			}
			// (page_reset_target_data: no target data here.)
		}
	case hostvm.MadvDontFork, hostvm.MadvHwPoison, hostvm.MadvMergeable, hostvm.MadvUnmergeable,
		hostvm.MadvHugePage, hostvm.MadvNoHugePage, hostvm.MadvPopulateRead, hostvm.MadvPopulateWrite,
		hostvm.MadvCollapse, -1:
		// (-1: BoringSSL uses it to check if the environment is broken.)
		ret = -int64(hostvm.EINVAL)
	default:
		ret = -int64(hostvm.EINVAL) // not yet known advice
	}
	s.mmapUnlock()
	return ret
}

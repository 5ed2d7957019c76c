package sim

import "github.com/mmapsim/mmapsim/hostvm"

// The fix's checks of an mmap's map type, flags and file, in Linux's
// do_mmap() order, for target_mmap to make where Linux makes them: before
// anything changes, so that a refused request changes nothing.

// legacyMapMask is Linux's LEGACY_MAP_MASK: the flags MAP_SHARED accepts
// silently and MAP_SHARED_VALIDATE accepts at all (with MAP_SYNC).
const legacyMapMask = hostvm.MapShared | hostvm.MapPrivate | hostvm.MapFixed | hostvm.MapAnonymous |
	hostvm.MapDenyWrite | hostvm.MapExecutable | hostvm.MapUninitialized | hostvm.MapGrowsDown |
	hostvm.MapLocked | hostvm.MapNoReserve | hostvm.MapPopulate | hostvm.MapNonBlock | hostvm.MapStack |
	hostvm.MapHugeTLB | hostvm.Map32Bit | hostvm.MapHugeMask

// placedMmapChecks makes the checks Linux makes of a non-fixed mapping once
// it has found room for it: the file's offset (EOVERFLOW, unless
// QuirkMmapOffsetOverflow), then the map type, flags and open mode
// (mapTypeErrno). It returns 0 when the request may go on.
//
// Preconditions: length is target-page aligned and non-zero.
func (s *Sim) placedMmapChecks(guestFlags hostvm.MapFlags, guestCall bool, prot int, flags hostvm.MapFlags, fd int, offset, length uint64) hostvm.Errno {
	if !s.quirk(QuirkMmapOffsetOverflow) && flags&hostvm.MapAnonymous == 0 {
		if errno := s.fileOffsetErrno(fd, offset, length); errno != 0 {
			return errno
		}
	}
	return s.mapTypeErrno(guestFlags, guestCall, prot, flags, fd)
}

// mapTypeErrno makes do_mmap()'s checks of the map type and flags and of
// the file's open mode, in its order. For the guest's own call
// (guestCall) they are the flags the guest gave (guestFlags, before
// mmap_flags_tbl drops the bits it does not know); for a mapping QEMU makes
// for itself, flags. Unless QuirkMmapFlagsUnchecked: an invalid map type
// is EINVAL, MAP_SHARED_VALIDATE with a flag it does not know EOPNOTSUPP,
// MAP_GROWSDOWN on a shared anonymous or any file mapping EINVAL. Unless
// QuirkFileModeUnchecked: a file opened without read access, or without
// write access for a writable shared mapping, is EACCES. A bad fd is its
// errno (EBADF). It returns 0 when the request may go on.
func (s *Sim) mapTypeErrno(guestFlags hostvm.MapFlags, guestCall bool, prot int, flags hostvm.MapFlags, fd int) hostvm.Errno {
	types := guestCall && !s.quirk(QuirkMmapFlagsUnchecked)
	mode := flags&hostvm.MapAnonymous == 0 && !s.quirk(QuirkFileModeUnchecked)
	if guestCall {
		flags = guestFlags
	}
	growsDown := flags&hostvm.MapGrowsDown != 0
	typ := flags & hostvm.MapType
	if flags&hostvm.MapAnonymous != 0 {
		switch {
		case !types:
		case typ == hostvm.MapShared && growsDown:
			return hostvm.EINVAL
		case typ != hostvm.MapShared && typ != hostvm.MapPrivate:
			return hostvm.EINVAL
		}
		return 0
	}
	if !types && !mode {
		return 0
	}
	fl, ok := s.libc.FcntlGetFl(fd)
	if !ok {
		return s.libc.Errno
	}
	acc := fl & hostvm.OAccMode
	readable := acc == hostvm.ORdOnly || acc == hostvm.ORdWr
	writable := acc == hostvm.OWrOnly || acc == hostvm.ORdWr
	switch typ {
	case hostvm.MapShared, hostvm.MapSharedValidate:
		if types && typ == hostvm.MapSharedValidate && flags&^(legacyMapMask|hostvm.MapSync) != 0 {
			return hostvm.EOPNOTSUPP
		}
		if mode && prot&protWrite != 0 && !writable {
			return hostvm.EACCES
		}
		fallthrough
	case hostvm.MapPrivate:
		if mode && !readable {
			return hostvm.EACCES
		}
		if types && growsDown {
			return hostvm.EINVAL
		}
	default:
		if types {
			return hostvm.EINVAL
		}
		if mode && !readable {
			return hostvm.EACCES
		}
	}
	return 0
}

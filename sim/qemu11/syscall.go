package qemu11

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// The guest's system calls, as QEMU 11.1's do_syscall() runs them:
// arguments truncated to the guest word, flags translated, the mmap.c
// function called, and its result turned into what the guest sees
// (get_errno()). An *sim.Abort error means QEMU itself died.

// legacyMapMask is do_mmap's TARGET_LEGACY_MAP_MASK
// (excerpts/syscall-do_mmap.c:84-102): the flags every mapping type
// accepts. (MAP_32BIT and the MAP_HUGE_* sizes are 0 for the targets
// modelled here.)
const legacyMapMask = hostvm.MapShared | hostvm.MapPrivate | hostvm.MapFixed | hostvm.MapAnonymous |
	hostvm.MapDenyWrite | hostvm.MapExecutable | hostvm.MapUninitialized | hostvm.MapGrowsDown |
	hostvm.MapLocked | hostvm.MapNoReserve | hostvm.MapPopulate | hostvm.MapNonBlock | hostvm.MapStack |
	hostvm.MapHugeTLB

// mmapFlagsTable is mmap_flags_tbl: the guest flags translated to host
// flags (MAP_STACK is recognised and dropped; the type is handled apart).
// Any other bit is dropped.
const mmapFlagsTable = hostvm.MapFixed | hostvm.MapAnonymous | hostvm.MapGrowsDown | hostvm.MapDenyWrite |
	hostvm.MapExecutable | hostvm.MapLocked | hostvm.MapNoReserve | hostvm.MapHugeTLB | hostvm.MapNonBlock |
	hostvm.MapPopulate | hostvm.MapFixedNoReplace | hostvm.MapUninitialized

// doMmap is do_mmap() (excerpts/syscall-do_mmap.c:78-131): the mapping type
// (MAP_SHARED_VALIDATE refuses unknown flags with EOPNOTSUPP and passes
// MAP_SYNC), the flags translated, then target_mmap. It returns the result
// as get_errno() gives it.
func (s *Guest) doMmap(addr, length uint64, prot int, targetFlags hostvm.MapFlags, fd int, offset uint64) (uint64, error) {
	var hostFlags hostvm.MapFlags
	switch targetFlags & hostvm.MapType {
	case hostvm.MapPrivate:
		hostFlags = hostvm.MapPrivate
	case hostvm.MapShared:
		hostFlags = hostvm.MapShared
	case hostvm.MapSharedValidate:
		// MAP_SYNC is only supported for MAP_SHARED_VALIDATE.
		if targetFlags&^(legacyMapMask|hostvm.MapSync) != 0 {
			return 0, hostvm.EOPNOTSUPP
		}
		hostFlags = hostvm.MapSharedValidate
		if targetFlags&hostvm.MapSync != 0 {
			hostFlags |= hostvm.MapSync
		}
	default:
		return 0, hostvm.EINVAL
	}
	hostFlags |= targetFlags & mmapFlagsTable
	r := s.targetMmap(addr, length, prot, hostFlags, fd, offset)
	return base.GetErrnoAddr(r, s.minusOne(), s.libc.Errno)
}

// Mmap is the guest's mmap(addr, length, prot, flags, fd, offset). The
// offset is an off_t (mmap2's page count shifted): it is not truncated to
// the guest word.
func (s *Guest) Mmap(addr, length uint64, prot int, flags hostvm.MapFlags, fd int, offset uint64) (uint64, error) {
	var res uint64
	err := s.guard(func() error {
		v, err := s.doMmap(s.abi(addr), s.abi(length), prot, flags, fd, offset)
		res = v
		return err
	})
	return res, err
}

// Munmap is the guest's munmap(addr, length): get_errno(target_munmap()).
func (s *Guest) Munmap(addr, length uint64) error {
	return s.guard(func() error {
		return base.GetErrno(s.targetMunmap(s.abi(addr), s.abi(length)), s.libc.Errno)
	})
}

// Mprotect is the guest's mprotect(addr, length, prot):
// get_errno(target_mprotect()). (do_syscall's PROT_GROWSDOWN hack for the
// main stack is not modelled: no stack.)
func (s *Guest) Mprotect(addr, length uint64, prot int) error {
	return s.guard(func() error {
		return base.GetErrno(s.targetMprotect(s.abi(addr), s.abi(length), prot), s.libc.Errno)
	})
}

// Mremap is the guest's mremap(old, oldSize, newSize, flags, newAddr):
// get_errno(target_mremap()), the flags passed as they are.
func (s *Guest) Mremap(oldAddr, oldSize, newSize uint64, flags hostvm.MremapFlags, newAddr uint64) (uint64, error) {
	var res uint64
	err := s.guard(func() error {
		r := s.targetMremap(s.abi(oldAddr), s.abi(oldSize), s.abi(newSize), flags, s.abi(newAddr))
		v, err := base.GetErrnoAddr(r, s.minusOne(), s.libc.Errno)
		res = v
		return err
	})
	return res, err
}

// Msync is the guest's msync(addr, length, flags): do_syscall calls the
// host's msync on g2h(addr) directly (TARGET_NR_msync in syscall.c, not in
// the excerpts; as in 7.2's syscall.c:10129), so the host's page size and
// RESERVED_VA's placeholders decide.
func (s *Guest) Msync(addr, length uint64, flags int) error {
	return s.guard(func() error {
		if !s.libc.Msync(s.g2h(s.abi(addr)), s.abi(length), flags) {
			return s.libc.Errno
		}
		return nil
	})
}

// Madvise is the guest's madvise(addr, length, advice): target_madvise(),
// whose result is already -errno.
func (s *Guest) Madvise(addr, length uint64, advice hostvm.Advice) error {
	return s.guard(func() error {
		return base.GetErrno(s.targetMadvise(s.abi(addr), s.abi(length), advice), 0)
	})
}

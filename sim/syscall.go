package sim

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// The guest's system calls, as QEMU's do_syscall() runs them: arguments
// truncated to the guest word, flags translated, the mmap.c function
// called, and its result turned into what the guest sees (get_errno()): an
// address or 0, or an Errno. An *Abort error means QEMU itself died.

// mmapFlagsTable is the seed era's mmap_flags_tbl: the MAP_* bits QEMU
// translated from guest to host. Any other bit a guest passes is dropped,
// MAP_FIXED_NOREPLACE among them (it did not exist yet).
const mmapFlagsTable = hostvm.MapShared | hostvm.MapPrivate | hostvm.MapFixed | hostvm.MapAnonymous |
	hostvm.MapGrowsDown | hostvm.MapDenyWrite | hostvm.MapExecutable | hostvm.MapLocked |
	hostvm.MapNoReserve | hostvm.MapPopulate

// Mmap is the guest's mmap(addr, length, prot, flags, fd, offset).
func (s *Sim) Mmap(addr, length uint64, prot int, flags hostvm.MapFlags, fd int, offset uint64) (uint64, error) {
	var res uint64
	err := s.guard(func() error {
		g := &s.geom
		addr, length, offset = g.ABIWord(addr), g.ABIWord(length), g.ABIWord(offset)
		hflags := flags & mmapFlagsTable
		if flags&hostvm.MapFixedNoReplace != 0 && !s.quirk(QuirkNoReplaceIgnored) {
			// Later QEMU: MAP_FIXED_NOREPLACE is MAP_FIXED after a check
			// of the guest's own page flags (made in target_mmap, where
			// Linux makes it: after the range checks).
			hflags |= hostvm.MapFixed
			s.noReplace = true
			defer func() { s.noReplace = false }()
		}
		if flags&hostvm.MapType == hostvm.MapSharedValidate && !s.quirk(QuirkMmapFlagsUnchecked) {
			// The fix: once target_mmap has checked the flags, the
			// mapping is MAP_SHARED (the host must not validate the
			// flags of the calls QEMU makes, its anonymous reservation
			// among them).
			hflags = hflags&^hostvm.MapType | hostvm.MapShared
		}
		s.guestFlags, s.guestCall = flags, true
		r := s.targetMmap(addr, length, prot, hflags, fd, offset)
		v, err := s.getErrnoAddr(r)
		res = v
		return err
	})
	return res, err
}

// Munmap is the guest's munmap(addr, length).
func (s *Sim) Munmap(addr, length uint64) error {
	return s.guard(func() error {
		return s.getErrno(s.targetMunmap(s.geom.ABIWord(addr), s.geom.ABIWord(length)))
	})
}

// Mprotect is the guest's mprotect(addr, length, prot).
func (s *Sim) Mprotect(addr, length uint64, prot int) error {
	return s.guard(func() error {
		return s.getErrno(s.targetMprotect(s.geom.ABIWord(addr), s.geom.ABIWord(length), prot))
	})
}

// Mremap is the guest's mremap(old, oldSize, newSize, flags, newAddr).
func (s *Sim) Mremap(oldAddr, oldSize, newSize uint64, flags hostvm.MremapFlags, newAddr uint64) (uint64, error) {
	var res uint64
	err := s.guard(func() error {
		g := &s.geom
		r := s.targetMremap(g.ABIWord(oldAddr), g.ABIWord(oldSize), g.ABIWord(newSize), flags, g.ABIWord(newAddr))
		v, err := s.getErrnoAddr(r)
		res = v
		return err
	})
	return res, err
}

// Msync is the guest's msync(addr, length, flags). The seed era's
// do_syscall called the host's msync on g2h(addr) directly; mmapsim runs
// target_msync, which that era's mmap.c also had.
func (s *Sim) Msync(addr, length uint64, flags int) error {
	return s.guard(func() error {
		return s.getErrno(s.targetMsync(s.geom.ABIWord(addr), s.geom.ABIWord(length), flags))
	})
}

// getErrnoAddr is get_errno() for an abi_ulong result: (abi_ulong)-1 is
// -errno, and values in the last page of the word are negated errnos.
func (s *Sim) getErrnoAddr(r uint64) (uint64, error) {
	return base.GetErrnoAddr(r, s.minusOne(), s.libc.Errno)
}

// getErrno is get_errno() for an int result: 0, -errno, or -1 with errno.
func (s *Sim) getErrno(r int64) error { return base.GetErrno(r, s.libc.Errno) }

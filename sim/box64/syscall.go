package box64

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// The guest's system calls as box64 serves them. A program's libc calls are
// box64's wrapped functions (wrappedlibc.c's my_mmap64, my_munmap,
// my_mprotect, my_mremap, my_madvise); msync is not wrapped (GO(msync,
// iFpLi) in wrappedlibc_private.h) and brk is passed to the host by the
// syscall table (x64syscall.c: [12] = {__NR_brk, 1}). Each returns what the
// guest's libc returns: a value, or -1 with errno (an Errno here).

// Mmap is the guest's mmap(addr, length, prot, flags, fd, offset).
func (b *Box64) Mmap(addr, length uint64, prot int, flags hostvm.MapFlags, fd int, offset uint64) (uint64, error) {
	var res uint64
	err := b.run(func() error {
		r, e := b.myMmap64(addr, length, prot, flags, fd, int64(offset))
		v, err := base.GetErrnoAddr(r, mapFailed, e)
		res = v
		return err
	})
	return res, err
}

// Munmap is the guest's munmap(addr, length).
func (b *Box64) Munmap(addr, length uint64) error {
	return b.run(func() error { return base.GetErrno(b.myMunmap(addr, length), b.libc.Errno) })
}

// Mprotect is the guest's mprotect(addr, length, prot).
func (b *Box64) Mprotect(addr, length uint64, prot int) error {
	return b.run(func() error { return base.GetErrno(b.myMprotect(addr, length, prot), b.libc.Errno) })
}

// Mremap is the guest's mremap(old, oldSize, newSize, flags, newAddr).
func (b *Box64) Mremap(oldAddr, oldSize, newSize uint64, flags hostvm.MremapFlags, newAddr uint64) (uint64, error) {
	var res uint64
	err := b.run(func() error {
		v, err := base.GetErrnoAddr(b.myMremap(oldAddr, oldSize, newSize, flags, newAddr), mapFailed, b.libc.Errno)
		res = v
		return err
	})
	return res, err
}

// Madvise is the guest's madvise(addr, length, advice).
func (b *Box64) Madvise(addr, length uint64, advice hostvm.Advice) error {
	return b.run(func() error { return base.GetErrno(b.myMadvise(addr, length, advice), b.libc.Errno) })
}

// Msync is the guest's msync(addr, length, flags): the host's, unchanged.
func (b *Box64) Msync(addr, length uint64, flags int) error {
	return b.run(func() error {
		if !b.libc.Msync(hostvm.Addr(addr), length, flags) {
			return b.libc.Errno
		}
		return nil
	})
}

// Brk is the guest's brk(newBrk): the host's, unchanged. It returns the
// new break, or the old one when the host refuses the move.
func (b *Box64) Brk(newBrk uint64) (uint64, error) {
	var res uint64
	err := b.run(func() error {
		res = uint64(b.libc.Brk(hostvm.Addr(newBrk)))
		return nil
	})
	return res, err
}

// GetPageSize is what the guest's getpagesize() returns
// (wrappedlibc.c:5246-5249), and sysconf(_SC_PAGESIZE) (5252-5255): 4096,
// whatever the host's page.
func (b *Box64) GetPageSize() uint64 { return x86PageSize }

// GetrlimitBufferOK is box64's probe of a getrlimit buffer
// (wrappedlibc.c:4342-4347, custommem.c:2899): whether the 4K guest pages
// box64 tracks in [addr, addr+n) allow writing. false means getrlimit says
// EFAULT without calling the host.
func (b *Box64) GetrlimitBufferOK(addr, n uint64) bool {
	if b.libc.Host == nil {
		return false
	}
	return b.prot.isGuestRangeFakelyProtected(addr, n, protWrite)
}

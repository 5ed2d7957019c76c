//go:build linux

package linuxsys

import "syscall"

// Supported reports whether the calls reach a real kernel: on Linux, yes.
const Supported = true

// Errno is an error number as the kernel returned it; 0 is success.
type Errno uintptr

// ENOSYS is this architecture's "function not implemented".
const ENOSYS = Errno(syscall.ENOSYS)

func (e Errno) Error() string { return syscall.Errno(e).Error() }

// This architecture's mmap flag values (they differ between architectures:
// MAP_ANONYMOUS is 0x20 on x86 and arm, 0x800 on mips).
const (
	MapShared    = syscall.MAP_SHARED
	MapPrivate   = syscall.MAP_PRIVATE
	MapFixed     = syscall.MAP_FIXED
	MapAnonymous = syscall.MAP_ANONYMOUS
	MapNoReserve = syscall.MAP_NORESERVE
	// MapFixedNoReplace (Linux 4.17) is missing from package syscall; it
	// has the same value on every architecture Go runs Linux on.
	MapFixedNoReplace = 0x100000
)

// Mmap is mmap(2): the mapping's address, or the errno. On a 32-bit
// process it is mmap2(2) (see ByteOffsets).
//
// Preconditions: where ByteOffsets is false, off is a multiple of 4096.
func Mmap(addr, length, prot, flags uintptr, fd int, off uint64) (uintptr, Errno) {
	return mmap(addr, length, prot, flags, fd, off)
}

// Munmap is munmap(2).
func Munmap(addr, length uintptr) Errno {
	_, _, e := syscall.Syscall(syscall.SYS_MUNMAP, addr, length, 0)
	return Errno(e)
}

// Mprotect is mprotect(2).
func Mprotect(addr, length, prot uintptr) Errno {
	_, _, e := syscall.Syscall(syscall.SYS_MPROTECT, addr, length, prot)
	return Errno(e)
}

// Mremap is mremap(2): the mapping's new address, or the errno. newAddr
// is passed even without MREMAP_FIXED (the kernel then ignores it, or
// takes it as a hint with MREMAP_DONTUNMAP).
func Mremap(oldAddr, oldLen, newLen, flags, newAddr uintptr) (uintptr, Errno) {
	r, _, e := syscall.Syscall6(syscall.SYS_MREMAP, oldAddr, oldLen, newLen, flags, newAddr, 0)
	return r, Errno(e)
}

// Madvise is madvise(2).
func Madvise(addr, length, advice uintptr) Errno {
	_, _, e := syscall.Syscall(syscall.SYS_MADVISE, addr, length, advice)
	return Errno(e)
}

// Msync is msync(2).
func Msync(addr, length, flags uintptr) Errno {
	_, _, e := syscall.Syscall(syscall.SYS_MSYNC, addr, length, flags)
	return Errno(e)
}

// KernelRelease is the running kernel's release (uname -r), or "" if
// uname fails.
func KernelRelease() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return ""
	}
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

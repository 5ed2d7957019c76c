//go:build !linux

package linuxsys

import "strconv"

// Supported reports whether the calls reach a real kernel: off Linux, no;
// every call returns ENOSYS without calling anything.
const Supported = false

// Errno is an error number as the kernel returned it; 0 is success.
type Errno uintptr

// ENOSYS is what every call returns off Linux (x86's and the generic
// number).
const ENOSYS Errno = 38

func (e Errno) Error() string {
	if e == ENOSYS {
		return "not Linux: no real memory system calls"
	}
	return "Linux errno " + strconv.Itoa(int(e))
}

// The generic (x86, arm) mmap flag values, so that callers build; no call
// takes them off Linux.
const (
	MapShared         = 0x01
	MapPrivate        = 0x02
	MapFixed          = 0x10
	MapAnonymous      = 0x20
	MapNoReserve      = 0x4000
	MapFixedNoReplace = 0x100000
)

// ByteOffsets is as on 64-bit Linux.
const ByteOffsets = true

// Mmap returns ENOSYS off Linux.
func Mmap(addr, length, prot, flags uintptr, fd int, off uint64) (uintptr, Errno) {
	return ^uintptr(0), ENOSYS
}

// Munmap returns ENOSYS off Linux.
func Munmap(addr, length uintptr) Errno { return ENOSYS }

// Mprotect returns ENOSYS off Linux.
func Mprotect(addr, length, prot uintptr) Errno { return ENOSYS }

// Mremap returns ENOSYS off Linux.
func Mremap(oldAddr, oldLen, newLen, flags, newAddr uintptr) (uintptr, Errno) {
	return ^uintptr(0), ENOSYS
}

// Madvise returns ENOSYS off Linux.
func Madvise(addr, length, advice uintptr) Errno { return ENOSYS }

// Msync returns ENOSYS off Linux.
func Msync(addr, length, flags uintptr) Errno { return ENOSYS }

// KernelRelease is "" off Linux.
func KernelRelease() string { return "" }

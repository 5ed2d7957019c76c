//go:build linux && !(386 || arm || mips || mipsle)

package hostvm

import "syscall"

// ldRawMmap is mmap(2) on a 64-bit process: the offset is in bytes.
func ldRawMmap(addr, length uintptr, prot, flags uintptr, fd int, off uint64) (uintptr, syscall.Errno) {
	r, _, e := syscall.Syscall6(syscall.SYS_MMAP, addr, length, prot, flags, uintptr(fd), uintptr(off))
	return r, e
}

// ldByteOffsets reports whether mmap takes its offset in bytes, so an
// unaligned offset can be passed (and fail with EINVAL).
const ldByteOffsets = true

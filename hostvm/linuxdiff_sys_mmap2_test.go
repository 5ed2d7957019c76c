//go:build linux && (386 || arm || mips || mipsle)

package hostvm

import "syscall"

// ldRawMmap is mmap2(2) on a 32-bit process: the offset is in 4 KiB units,
// so callers pass page-aligned offsets only (ldByteOffsets is false).
func ldRawMmap(addr, length uintptr, prot, flags uintptr, fd int, off uint64) (uintptr, syscall.Errno) {
	r, _, e := syscall.Syscall6(syscall.SYS_MMAP2, addr, length, prot, flags, uintptr(fd), uintptr(off>>12))
	return r, e
}

// ldByteOffsets reports whether mmap takes its offset in bytes.
const ldByteOffsets = false

//go:build linux && (386 || arm || mips || mipsle)

package linuxsys

import "syscall"

// ByteOffsets reports whether Mmap passes its offset in bytes. A 32-bit
// process's SYS_MMAP takes a pointer to its arguments (old_mmap); mmap2
// takes them in registers with the offset in 4 KiB units, so offsets must
// be 4 KiB aligned.
const ByteOffsets = false

// mmap is mmap2(2) on a 32-bit process.
//
// Preconditions: off is a multiple of 4096.
func mmap(addr, length, prot, flags uintptr, fd int, off uint64) (uintptr, Errno) {
	r, _, e := syscall.Syscall6(syscall.SYS_MMAP2, addr, length, prot, flags, uintptr(fd), uintptr(off>>12))
	return r, Errno(e)
}

//go:build linux && !(386 || arm || mips || mipsle)

package linuxsys

import "syscall"

// ByteOffsets reports whether Mmap passes its offset in bytes, so that an
// unaligned offset reaches the kernel (and fails there with EINVAL).
const ByteOffsets = true

// mmap is mmap(2) on a 64-bit process: the offset is in bytes.
func mmap(addr, length, prot, flags uintptr, fd int, off uint64) (uintptr, Errno) {
	r, _, e := syscall.Syscall6(syscall.SYS_MMAP, addr, length, prot, flags, uintptr(fd), uintptr(off))
	return r, Errno(e)
}

// Package linuxsys makes the real Linux memory system calls (mmap, munmap,
// mprotect, mremap, madvise, msync) directly, with raw syscall numbers,
// and reads the /proc files that describe the result. It is what compares
// hostvm with the kernel it models: hostvm's TestLinuxDiff and benchmarks,
// and section 1 of bench.
//
// The calls pass their arguments to the kernel unchanged, in registers (no
// libc, no checks, no translation of flag values: MapPrivate and the other
// constants here are this architecture's numbers), and return the raw
// result and the errno. Callers turn an Errno into hostvm.Errno, the
// project's errno type, with a conversion.
//
// Off Linux the package still builds, so its users build everywhere:
// Supported is false and every call returns ENOSYS without calling
// anything. The /proc readers are plain file reads and simply fail there.
//
// The files:
//
//	calls_linux.go   the calls, KernelRelease, this architecture's MAP_* values
//	mmap_64.go       mmap on 64-bit Linux: SYS_MMAP, offset in bytes
//	mmap_32.go       mmap on 32-bit Linux: SYS_MMAP2, offset in 4 KiB units
//	calls_other.go   the stand-ins off Linux
//	proc.go          /proc/self/maps lines and /proc/sys/vm values
package linuxsys

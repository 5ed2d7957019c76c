//go:build linux

package hostvm

import (
	"fmt"
	"syscall"
	"testing"
)

// benchRealMmapMunmap times the same pair as the sim= run with real
// system calls, in a process given vmas extra VMAs (a PROT_READ region with
// every other page made PROT_NONE), to compare hostvm with the kernel.
func benchRealMmapMunmap(b *testing.B, vmas int) {
	b.Run(fmt.Sprintf("real/vmas=%d", vmas), func(b *testing.B) {
		size := uintptr(2 * vmas * pg)
		base, _, e := syscall.Syscall6(syscall.SYS_MMAP, 0, size, syscall.PROT_READ,
			syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS|syscall.MAP_NORESERVE, ^uintptr(0), 0)
		if e != 0 {
			b.Fatalf("mmap: %v", e)
		}
		b.Cleanup(func() { syscall.Syscall(syscall.SYS_MUNMAP, base, size, 0) })
		for i := 1; i < 2*vmas; i += 2 {
			if _, _, e := syscall.Syscall(syscall.SYS_MPROTECT, base+uintptr(i*pg), pg, syscall.PROT_NONE); e != 0 {
				b.Fatalf("mprotect: %v", e)
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			a, _, e := syscall.Syscall6(syscall.SYS_MMAP, 0, pg, syscall.PROT_READ|syscall.PROT_WRITE,
				syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS, ^uintptr(0), 0)
			if e != 0 {
				b.Fatalf("mmap: %v", e)
			}
			if _, _, e := syscall.Syscall(syscall.SYS_MUNMAP, a, pg, 0); e != 0 {
				b.Fatalf("munmap: %v", e)
			}
		}
	})
}

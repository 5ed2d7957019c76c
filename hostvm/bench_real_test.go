package hostvm

import (
	"fmt"
	"testing"

	"github.com/mmapsim/mmapsim/internal/linuxsys"
)

// benchRealMmapMunmap times the same pair as the sim= run with real
// system calls, in a process given vmas extra VMAs (a PROT_READ region with
// every other page made PROT_NONE), to compare hostvm with the kernel.
// Off Linux there is no real kernel to measure, and no such run.
func benchRealMmapMunmap(b *testing.B, vmas int) {
	if !linuxsys.Supported {
		return
	}
	b.Run(fmt.Sprintf("real/vmas=%d", vmas), func(b *testing.B) {
		size := uintptr(2 * vmas * pg)
		base, e := linuxsys.Mmap(0, size, uintptr(ProtRead), linuxsys.MapPrivate|linuxsys.MapAnonymous|linuxsys.MapNoReserve, -1, 0)
		if e != 0 {
			b.Fatalf("mmap: %v", Errno(e))
		}
		b.Cleanup(func() { linuxsys.Munmap(base, size) })
		for i := 1; i < 2*vmas; i += 2 {
			if e := linuxsys.Mprotect(base+uintptr(i*pg), pg, uintptr(ProtNone)); e != 0 {
				b.Fatalf("mprotect: %v", Errno(e))
			}
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			a, e := linuxsys.Mmap(0, pg, uintptr(rw), linuxsys.MapPrivate|linuxsys.MapAnonymous, -1, 0)
			if e != 0 {
				b.Fatalf("mmap: %v", Errno(e))
			}
			if e := linuxsys.Munmap(a, pg); e != 0 {
				b.Fatalf("munmap: %v", Errno(e))
			}
		}
	})
}

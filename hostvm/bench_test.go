package hostvm

import (
	"fmt"
	"runtime"
	"testing"
)

// fragmented returns a kernel whose top-down region holds n one-page
// PROT_READ VMAs, each with a one-page hole above it, ending at mmap_base:
// no two VMAs merge, and every hole is a gap of the index.
func fragmented(tb testing.TB, n int) *Kernel {
	tb.Helper()
	cfg := linuxConfig()
	cfg.MaxMapCount = 4 * n
	k, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	top := k.MmapBase()
	for i := 1; i <= n; i++ {
		if _, err := k.Mmap(top-Addr(2*i)*pg, pg, ProtRead, pa|MapFixed, -1, 0); err != nil {
			tb.Fatal(err)
		}
	}
	if k.MapCount() != n {
		tb.Fatalf("%d VMAs, want %d", k.MapCount(), n)
	}
	return k
}

// benchMmapMunmap times a non-fixed anonymous rw mmap of pages pages and
// its munmap.
func benchMmapMunmap(b *testing.B, k *Kernel, pages uint64) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a, err := k.Mmap(0, pages*pg, rw, pa, -1, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := k.Munmap(a, pages*pg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlacementFragmented: a one-page mmap+munmap pair in a space of
// alternating mapped and unmapped pages. The new page lands in the highest
// hole, between two VMAs it cannot merge with.
func BenchmarkPlacementFragmented(b *testing.B) {
	for _, n := range []int{100, 10000, 100000} {
		b.Run(fmt.Sprintf("vmas=%d", n), func(b *testing.B) {
			benchMmapMunmap(b, fragmented(b, n), 1)
		})
	}
}

// BenchmarkPlacementSkip: as BenchmarkPlacementFragmented, but two pages,
// which fit in none of the holes: the search must skip all of them, which
// the VMA tree's largest gap per subtree does in O(log n).
func BenchmarkPlacementSkip(b *testing.B) {
	for _, n := range []int{100, 10000, 100000} {
		b.Run(fmt.Sprintf("vmas=%d", n), func(b *testing.B) {
			benchMmapMunmap(b, fragmented(b, n), 2)
		})
	}
}

// BenchmarkMmapMunmap: a one-page mmap+munmap pair with 10,000 VMAs
// present, on hostvm (sim=) and, on Linux, on the real kernel (real=; see
// bench_real_test.go).
func BenchmarkMmapMunmap(b *testing.B) {
	const vmas = 10000
	b.Run(fmt.Sprintf("sim/vmas=%d", vmas), func(b *testing.B) {
		k := linuxKernel(b)
		base := mustMmap(b, k, 0, 2*vmas*pg, ProtRead, pa, -1, 0)
		for i := 1; i < 2*vmas; i += 2 {
			mustOK(b, k.Mprotect(base+Addr(i)*pg, pg, ProtNone), "mprotect")
		}
		if k.MapCount() != 2*vmas {
			b.Fatalf("%d VMAs", k.MapCount())
		}
		// Half the VMAs are the mprotected pages: 2*vmas in all, as the
		// real-kernel run has.
		benchMmapMunmap(b, k, 1)
	})
	benchRealMmapMunmap(b, vmas)
}

// bytesPerVMA builds n non-mergeable VMAs in a fresh kernel and returns the
// Go heap they cost, per VMA.
func bytesPerVMA(tb testing.TB, n int) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	k := fragmented(tb, n)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(k)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

// BenchmarkMemoryPerVMA reports the heap cost of a VMA at 100,000 VMAs
// (with its gap), as bytes/vma.
func BenchmarkMemoryPerVMA(b *testing.B) {
	var per float64
	for i := 0; i < b.N; i++ {
		per = bytesPerVMA(b, 100000)
	}
	b.ReportMetric(per, "bytes/vma")
}

// TestMemoryPerVMA keeps a VMA (with the gap above it) under 300 bytes of
// Go heap at 100,000 VMAs.
func TestMemoryPerVMA(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 100,000 VMAs")
	}
	per := bytesPerVMA(t, 100000)
	t.Logf("%.1f bytes/vma", per)
	if per >= 300 {
		t.Errorf("%.1f bytes per VMA, want under 300", per)
	}
}

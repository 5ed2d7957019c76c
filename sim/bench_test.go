package sim

import (
	"fmt"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// BenchmarkMmapMunmapPair measures one anonymous guest page mapped and
// unmapped (H = 64 KiB, T = 4 KiB, RESERVED_VA = 4 GiB) with 10,000 live
// mappings, under the fixed and the seed algorithm, beside the same pair of
// calls made to the simulated host kernel directly. The goal: the guest
// pair costs at most 5x the host pair.
func BenchmarkMmapMunmapPair(b *testing.B) {
	const live = 10000
	// The seed truncates a 4 GiB RESERVED_VA to 0 (quirk top-page-wrap)
	// and then finds room only once, so it runs with a page less.
	for _, c := range []struct {
		name     string
		quirks   QuirkSet
		reserved uint64
	}{{"sim=fixed", QuirkSet{}, 1 << 32}, {"sim=seed", SeedQuirks, 1<<32 - 0x10000}} {
		b.Run(c.name, func(b *testing.B) {
			k, err := hostvm.New(hostvm.Config{PageSize: 0x10000, AddrBits: 48, MaxMapCount: 1 << 20})
			if err != nil {
				b.Fatal(err)
			}
			s, err := New(KernelHost{k}, Config{ReservedVA: c.reserved, ProbeGuestBase: true, Quirks: c.quirks})
			if err != nil {
				b.Fatal(err)
			}
			s.SetRecording(false)
			for i := 0; i < live; i++ {
				prot := rw
				if i%2 == 1 {
					prot = protRead
				}
				if _, err := s.Mmap(0, 0x1000, prot, anon, -1, 0); err != nil {
					b.Fatalf("setup mapping %d: %v", i, err)
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				a, err := s.Mmap(0, 0x1000, rw, anon, -1, 0)
				if err != nil {
					b.Fatalf("iteration %d: %v", i, err)
				}
				if err := s.Munmap(a, 0x1000); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("host", func(b *testing.B) {
		k, err := hostvm.New(hostvm.Config{PageSize: 0x10000, AddrBits: 48, MaxMapCount: 1 << 20})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < live; i++ {
			prot := hostvm.ProtRead | hostvm.ProtWrite
			if i%2 == 1 {
				prot = hostvm.ProtRead
			}
			if _, err := k.Mmap(0, 0x10000, prot, anon, -1, 0); err != nil {
				b.Fatal(err)
			}
		}
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			a, err := k.Mmap(0, 0x10000, hostvm.ProtRead|hostvm.ProtWrite, anon, -1, 0)
			if err != nil {
				b.Fatal(err)
			}
			if err := k.Munmap(a, 0x10000); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkGuestMmapByRatio measures the guest pair for each host/target
// page ratio (1, 4, 16), without RESERVED_VA.
func BenchmarkGuestMmapByRatio(b *testing.B) {
	for _, host := range []uint64{0x1000, 0x4000, 0x10000} {
		b.Run(fmt.Sprintf("ratio=%d", host/0x1000), func(b *testing.B) {
			k, _ := hostvm.New(hostvm.Config{PageSize: host, AddrBits: 48, MaxMapCount: 1 << 20})
			s, err := New(KernelHost{k}, Config{})
			if err != nil {
				b.Fatal(err)
			}
			s.SetRecording(false)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				a, err := s.Mmap(0, 0x3000, rw, anon, -1, 0)
				if err != nil {
					b.Fatal(err)
				}
				s.Munmap(a, 0x3000)
			}
		})
	}
}

package sim

import (
	"math/rand"
	"testing"
)

// stepTopDown is mmap_find_vma_reserved's loop as the seed writes it (seed
// lines 229-247), one host page at a time: the reference findTopDown's
// skipping must agree with.
func (s *Sim) stepTopDown(start, size, reserved uint64) uint64 {
	g := &s.geom
	looped := false
	if size > reserved {
		return s.minusOne()
	}
	size = g.HostPageAlign(size)
	endAddr := s.rangeEnd(start + size)
	if endAddr > reserved {
		endAddr = s.rangeEnd(reserved)
	}
	addr := g.ABIWord(endAddr - g.HostPageSize)
	low := uint64(0)
	if !s.quirk(QuirkFindVMAReservedZero) {
		low = max(g.HostPageAlign(s.cfg.MmapMinAddr), g.HostPageSize)
	}
	for {
		if addr > endAddr || addr < low {
			if looped {
				return s.minusOne()
			}
			endAddr = s.rangeEnd(reserved)
			addr = g.ABIWord(endAddr - g.HostPageSize)
			looped = true
			continue
		}
		if s.hostPageUsed(addr) {
			endAddr = addr
		}
		if s.rangeEnd(addr+size) == endAddr {
			return addr
		}
		addr = g.ABIWord(addr - g.HostPageSize)
	}
}

// TestFindTopDownSkips checks findTopDown, which skips the steps that
// cannot change the outcome (free pages between events, stretches of
// pages in use), against the seed's loop one host page at a time, on
// random layouts of page flags, with and without the quirks that change
// what counts as a page in use and where the search stops.
func TestFindTopDownSkips(t *testing.T) {
	const seed = 12
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	for _, quirks := range []QuirkSet{0, QuirkSet(0).With(QuirkFindVMAFirstPage), QuirkSet(0).With(QuirkFindVMAReservedZero)} {
		for _, qemuPage := range []uint64{0, 0x4000, 0x10000} {
			const reserved = 0x400000 // 4 MiB: 1024 target pages
			s, _ := newTestSim(t, 4096, qemuPage, reserved, quirks)
			h := s.geom.HostPageSize
			for i := 0; i < 300; i++ {
				s.flags = s.flags.Clone()
				s.flags.SetPages(0, reserved/4096, 0)
				for n := rng.Intn(12); n > 0; n-- {
					first := uint64(rng.Intn(1024))
					s.flags.SetPages(first, min(first+uint64(rng.Intn(200)+1), 1024), uint32(PageValid|rng.Intn(8)))
				}
				start := uint64(rng.Intn(1024)) * 4096 &^ (h - 1)
				size := uint64(rng.Intn(64)+1) * 4096
				want := s.stepTopDown(start, size, reserved)
				got := s.findTopDown(start, size, reserved)
				if got != want {
					t.Fatalf("quirks %v, H %#x, layout %v: findTopDown(%#x, %#x) = %#x, the seed's loop %#x",
						quirks, h, s.FlagRuns(), start, size, got, want)
				}
			}
		}
	}
}

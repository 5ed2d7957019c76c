package sim

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// seedFindTopDown is mmap_find_vma_reserved's loop as the seed writes it
// (seed lines 211-254): one host page per step, no skipping. findTopDown
// must answer as it does.
func seedFindTopDown(s *Sim, start, size, reserved uint64) uint64 {
	g := &s.geom
	if size > reserved {
		return s.minusOne()
	}
	size = g.HostPageAlign(size)
	endAddr := min(s.rangeEnd(start+size), s.rangeEnd(reserved))
	addr := g.ABIWord(endAddr - g.HostPageSize)
	low := uint64(0)
	if !s.quirk(QuirkFindVMAReservedZero) {
		low = max(g.HostPageAlign(s.cfg.MmapMinAddr), g.HostPageSize)
	}
	looped := false
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

// TestFindTopDownSkips: findTopDown (which crosses free stretches and used
// ones in a step each) answers as the seed's page-by-page loop, over random
// page-flag layouts of a small reserved space, with H = T and H = 16T, with
// and without the quirks that change the loop's tests.
func TestFindTopDownSkips(t *testing.T) {
	const seed = 16
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	const reserved = 0x400000
	quirkSets := []QuirkSet{QuirkSet{}, QuirkSet{}.With(QuirkFindVMAFirstPage), QuirkSet{}.With(QuirkFindVMAReservedZero),
		QuirkSet{}.With(QuirkFindVMAFirstPage).With(QuirkFindVMAReservedZero).With(QuirkTopPageWrap)}
	for _, qemuPage := range []uint64{0, 0x4000, 0x10000} {
		for _, q := range quirkSets {
			for layout := 0; layout < 40; layout++ {
				s, _ := newTestSim(t, 4096, qemuPage, reserved, q)
				for i := 0; i < 1+rng.IntN(30); i++ {
					first := rng.Uint64N(reserved / 0x1000)
					end := min(first+1+rng.Uint64N(64), reserved/0x1000)
					s.pageSetFlags(first*0x1000, end*0x1000, uint32(PageValid|PageRead|rng.IntN(2)*PageWrite))
				}
				for query := 0; query < 30; query++ {
					start := rng.Uint64N(reserved) &^ (s.geom.HostPageSize - 1)
					size := 1 + rng.Uint64N(0x40000)
					next := s.mmapNextStart
					want := seedFindTopDown(s, start, size, reserved)
					got := s.findTopDown(start, size, reserved)
					s.mmapNextStart = next
					if got != want {
						t.Fatalf("H %#x, quirks %v, layout %d: findTopDown(%#x, %#x) = %#x, the seed's loop %#x\nflags: %v",
							s.geom.HostPageSize, q, layout, start, size, got, want, s.FlagRuns())
					}
				}
			}
		}
	}
}

// TestMmapFindVMAWrapsToMinAddr: without RESERVED_VA, when the host's
// answer to the hint lies outside a 32-bit guest's space, mmap_find_vma
// wraps and asks again from mmap_min_addr (seed lines 339-350), and the
// host grants that: the mapping lands at mmap_min_addr, not at the top of
// the guest space where the fallback search would put it.
func TestMmapFindVMAWrapsToMinAddr(t *testing.T) {
	for _, minAddr := range []uint64{0x10000, 0x20000} {
		k, err := hostvm.New(hostvm.Config{PageSize: 0x1000, AddrBits: 47})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(KernelHost{k}, Config{MmapMinAddr: minAddr, ProbeGuestBase: true})
		if err != nil {
			t.Fatal(err)
		}
		// Occupy the hint (TASK_UNMAPPED_BASE): the host places the probe
		// top down from its own mmap base, far above 4 GiB.
		hint := s.cfg.TaskUnmappedBase
		mustMmap(t, s, hint, 0x100000, rw, anon|hostvm.MapFixed)
		a, err := s.Mmap(0, 0x1000, rw, anon, -1, 0)
		if err != nil || a != minAddr {
			t.Errorf("mmap_min_addr %#x: non-fixed mmap with its hint taken = %#x, %v; want %#x (the wrap to mmap_min_addr)\n%s",
				minAddr, a, err, minAddr, calls(s))
		}
	}
}

// TestMmapFindVMARoundsUpUnalignedAnswer checks the round up of a host
// answer that is not aligned for the guest (seed line 325,
// TARGET_PAGE_ALIGN(addr); QEMU 7.2's ROUND_UP(addr, align)). QEMU's -B
// takes any guest_base; with one a byte past a host page boundary, every
// host page is a guest address one byte below an alignment boundary, so the
// retry's hint must be one byte above the host's first answer; with one a
// byte below a boundary, every host page is a guest address one byte past
// one, so the hint is a page less one byte above the answer. The host then
// rounds the hint up to its next page.
func TestMmapFindVMARoundsUpUnalignedAnswer(t *testing.T) {
	const pg = 0x1000
	for _, tc := range []struct {
		guestBase, past uint64 // past: the retry's hint less the first answer
	}{
		{0x40000001, 1},
		{0x3fffffff, pg - 1},
	} {
		k, err := hostvm.New(hostvm.Config{PageSize: pg, AddrBits: 47})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(KernelHost{k}, Config{GuestBase: tc.guestBase})
		if err != nil {
			t.Fatal(err)
		}
		s.Mmap(0, pg, rw, anon, -1, 0) // its result is not the point: the retries are
		var hints, answers []uint64
		for _, c := range s.LastHostCalls() {
			if c.Op == OpMmap {
				hints, answers = append(hints, c.Args[0]), append(answers, c.Ret)
			}
		}
		if len(hints) < 2 || answers[0]%pg != 0 {
			t.Fatalf("guest_base %#x: want at least two host mmaps, the first answer page-aligned; got\n%s", tc.guestBase, calls(s))
		}
		if want := answers[0] + tc.past; hints[1] != want {
			t.Errorf("guest_base %#x: the retry after host answer %#x hints %#x; want %#x (ROUND_UP of the unaligned guest address)\n%s",
				tc.guestBase, answers[0], hints[1], want, calls(s))
		}
	}
}

// TestFindVMAFallbackGivesUp checks the fix's search after mmap_find_vma's
// host hints failed (a sparc64 guest's 44-bit space on a 47-bit host, as
// policy/testdata/quirks/find-vma-probe.scn): it moves below each place the
// host refuses, and gives up after 64 refusals. The host here holds n
// places the guest's page flags call free, stacked below the top of the
// guest space, as an emulator's own memory would: with 63 the mapping
// lands just below them, with 64 the search fails with ENOMEM.
func TestFindVMAFallbackGivesUp(t *testing.T) {
	const size = 0x6000
	const top = uint64(1) << 44
	for _, n := range []uint64{63, 64} {
		k, err := hostvm.New(hostvm.Config{PageSize: 0x1000, AddrBits: 47})
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(KernelHost{k}, Config{TargetPageSize: 0x2000, ABIBits: 64, VirtBits: 44, MmapMinAddr: 0x10000})
		if err != nil {
			t.Fatal(err)
		}
		mustMmap(t, s, 0x10000, 0x8000, rw, anon|hostvm.MapFixed) // the second hint, mmap_min_addr, is taken
		for i := uint64(1); i <= n; i++ {
			// Alternate protections so the host keeps them apart.
			prot := hostvm.ProtRead
			if i%2 == 0 {
				prot = hostvm.ProtNone
			}
			if _, err := k.Mmap(hostvm.Addr(top-i*size), size, prot, hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapFixed, -1, 0); err != nil {
				t.Fatal(err)
			}
		}
		a, err := s.Mmap(top-size, size, rw, anon, -1, 0)
		switch {
		case n < 64 && (err != nil || a != top-(n+1)*size):
			t.Errorf("%d places taken: mmap = %#x, %v; want %#x, just below them\n%s", n, a, err, top-(n+1)*size, calls(s))
		case n == 64 && err != hostvm.ENOMEM:
			t.Errorf("%d places taken: mmap = %#x, %v; want ENOMEM after 64 refusals\n%s", n, a, err, calls(s))
		}
	}
}

// TestSeedFindVMAZeroSizeStopsAtUsedPage: the seed's
// mmap_find_vma_reserved asked for room of size 0 (here mremap's new size
// 0 with MREMAP_MAYMOVE, which the seed's mremap passes on unchecked)
// walks down from mmap_next_start, one host page at a time, to the first
// page in use, where addr + 0 == end_addr, and returns it, moving
// mmap_next_start there (QuirkFindVMAZeroSize). The start itself is free,
// so the search does not stop there: the next mapping goes just below the
// page in use, not at the top of the reservation.
func TestSeedFindVMAZeroSizeStopsAtUsedPage(t *testing.T) {
	const reserved = 0x10000000
	q := QuirkSet{}.With(QuirkFindVMAZeroSize).With(QuirkMremapHostPages).With(QuirkMremapUnchecked)
	s, _ := newTestSim(t, 0x1000, 0, reserved, q)
	old := mustMmap(t, s, 0x2000000, 0x1000, rw, anon|hostvm.MapFixed)
	if got, err := s.Mremap(old, 0x1000, 0, hostvm.MremapMayMove, 0); err == nil {
		t.Fatalf("mremap to size 0 = %#x, want the host's error\n%s", got, calls(s))
	}
	if got := mustMmap(t, s, 0, 0x1000, protRead, anon); got != old-0x1000 {
		t.Errorf("after the search for size 0, the next mapping is at %#x, want %#x, below the page in use it stopped at\n%s", got, old-0x1000, calls(s))
	}
}

// TestMmapFindVMASameUnalignedAnswerRetriesLow: without RESERVED_VA, when
// the host answers the hint with the same address not aligned for the
// guest (here to qemu_host_page_size 16K on a 4K host) three times in a
// row, the rounded-up hint and the rounded-down one being taken,
// mmap_find_vma starts over at low memory, from mmap_min_addr (seed lines
// 328-331 and 347-359), and the host grants that: the mapping lands at
// mmap_min_addr, not where the fallback search from the top would put it.
func TestMmapFindVMASameUnalignedAnswerRetriesLow(t *testing.T) {
	const minAddr = 0x10000
	k, err := hostvm.New(hostvm.Config{PageSize: 0x1000, AddrBits: 47})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(KernelHost{k}, Config{ABIBits: 64, VirtBits: 47, HostPageSize: 0x4000, MmapMinAddr: minAddr})
	if err != nil {
		t.Fatal(err)
	}
	if s.G2H(0) != 0 {
		t.Fatalf("guest_base %#x, want 0", s.G2H(0))
	}
	// The host's own memory: from x up to mmap_base, and one page at
	// p-0x1000, so that its top-down answer for 16K is p, 4K past a 16K
	// boundary, and both hints mmap_find_vma derives from p are taken.
	base := uint64(k.MmapBase())
	x := base&^0x3fff - 0x1000
	p := x - 0x4000
	for _, r := range [][2]uint64{{x, base - x}, {p - 0x1000, 0x1000}} {
		if _, err := k.Mmap(hostvm.Addr(r[0]), r[1], hostvm.ProtRead, hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapFixedNoReplace, -1, 0); err != nil {
			t.Fatalf("host mmap at %#x: %v", r[0], err)
		}
	}
	got, err := s.Mmap(p+0x1000, 0x1000, rw, anon, -1, 0)
	if err != nil || got != minAddr {
		t.Errorf("mmap with the hint %#x = %#x, %v; want %#x (the start over at mmap_min_addr)\n%s", p+0x1000, got, err, uint64(minAddr), calls(s))
	}
	// The hints in order: the guest's (p+0x1000, a host-page boundary), p
	// rounded up to 16K (the same), p rounded down (after the
	// second identical answer), then mmap_min_addr.
	var hints []uint64
	for _, c := range s.LastHostCalls() {
		if c.Op == OpMmap && c.Args[3]&uint64(hostvm.MapFixed) == 0 {
			hints = append(hints, c.Args[0])
		}
	}
	if want := []uint64{p + 0x1000, (p + 0x3fff) &^ 0x3fff, p &^ 0x3fff, minAddr}; !slices.Equal(hints, want) {
		t.Errorf("host mmap hints %#x; want %#x\n%s", hints, want, calls(s))
	}
}

package hostvm

import (
	"flag"
	"math/rand/v2"
	"testing"
)

var gapSteps = flag.Int("hostvm.gapsteps", 3000, "steps of TestPlacementOracle")

// TestLayoutBases: mmap_base sits below the stack gap (the stack rlimit plus
// the guard gap, clamped to [128 MiB, 5/6 of the space]); the bottom-up
// base is PAGE_ALIGN(TASK_SIZE/3) (Linux's arch_pick_mmap_layout() and
// __TASK_UNMAPPED_BASE).
func TestLayoutBases(t *testing.T) {
	for _, c := range []struct {
		name     string
		cfg      Config
		mmapBase Addr
		firstBU  Addr // first one-page mapping in the bottom-up layout
	}{
		{"x86-64", linuxConfig(), 0x7ffff7fff000, 0x2aaaaaaab000},
		{"x86-64 stack 1 GiB", Config{AddrBits: 47, TaskSize: 1<<47 - pg, StackLimit: 1 << 30}, 0x7fffbfeff000, 0x2aaaaaaab000},
		{"48-bit", Config{AddrBits: 48}, 0xfffff8000000, 0x555555556000},
		{"32-bit 3G", Config{AddrBits: 32, TaskSize: 0xC0000000}, 0xB8000000, 0x40000000},
		{"32-bit 4G", Config{AddrBits: 32}, 0xF8000000, 0x55556000},
		{"39-bit 64K", Config{AddrBits: 39, PageSize: 64 << 10}, 0x7ff8000000, 0x2aaaab0000},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := newKernel(t, c.cfg)
			if k.MmapBase() != c.mmapBase {
				t.Errorf("mmap_base %v, want %v", k.MmapBase(), c.mmapBase)
			}
			cfg := c.cfg
			cfg.Layout = BottomUp
			kb := newKernel(t, cfg)
			if got := mustMmap(t, kb, 0, 1, rw, pa, -1, 0); got != c.firstBU {
				t.Errorf("bottom-up first mapping %v, want %v", got, c.firstBU)
			}
			if got := mustMmap(t, kb, 0, 1, ProtRead, pa, -1, 0); got != c.firstBU+Addr(kb.PageSize()) {
				t.Errorf("bottom-up second mapping %v, want %v", got, c.firstBU+Addr(kb.PageSize()))
			}
		})
	}
}

// TestBottomUpTHP: in the legacy layout, an aligned padded search keeps
// the lowest aligned address (no extra PMD is added, __thp_get_unmapped_area()).
func TestBottomUpTHP(t *testing.T) {
	cfg := linuxConfig()
	cfg.Layout = BottomUp
	k := newKernel(t, cfg)
	if got := mustMmap(t, k, 0, 2<<20, rw, pa, -1, 0); got != 0x2aaaaac00000 {
		t.Errorf("2 MiB bottom-up = %v, want 0x2aaaaac00000", got)
	}
}

// TestPlacementFallback: when nothing fits below mmap_base, placement
// falls back to a bottom-up search from TASK_UNMAPPED_BASE; it never goes
// below mmap_min_addr (arch_get_unmapped_area_topdown()).
func TestPlacementFallback(t *testing.T) {
	k := newKernel(t, Config{AddrBits: 32, TaskSize: 0xC0000000})
	mustMmap(t, k, 0x10000, 0xB8000000-0x10000, ProtNone, pa|MapFixed|MapNoReserve, -1, 0)
	if got := mustMmap(t, k, 0, pg, rw, pa, -1, 0); got != 0xB8000000 {
		t.Errorf("fallback = %v, want 0xb8000000 (the first gap above TASK_UNMAPPED_BASE)", got)
	}
	if got := mustMmap(t, k, 0, 2*pg, rw, pa, -1, 0); got != 0xB8001000 {
		t.Errorf("second fallback = %v, want 0xb8001000", got)
	}
	// The space below mmap_min_addr stays unused.
	k = linuxKernel(t)
	mustMmap(t, k, 0x10000, 0x7ffffffff000-0x10000, ProtNone, pa|MapFixed|MapNoReserve, -1, 0)
	if _, err := k.Mmap(0, pg, rw, pa, -1, 0); errno(t, err) != ENOMEM {
		t.Errorf("full space = %v, want ENOMEM", err)
	}
	if _, err := k.Mmap(0x1000, pg, rw, pa, -1, 0); errno(t, err) != ENOMEM {
		t.Errorf("full space, low hint = %v, want ENOMEM", err)
	}
	mustMmap(t, k, 0x1000, pg, rw, pa|MapFixed, -1, 0)
	// A gap in the top-down region is found wherever it is.
	mustOK(t, k.Munmap(0x20000, 3*pg), "munmap")
	if got := mustMmap(t, k, 0, 3*pg, rw, pa, -1, 0); got != 0x20000 {
		t.Errorf("only gap = %v, want 0x20000", got)
	}
}

// TestPlacementGuardGap: top-down and bottom-up searches keep a stack's
// guard gap free (vm_start_gap()).
func TestPlacementGuardGap(t *testing.T) {
	const mib = 1 << 20
	k := linuxKernel(t)
	base := k.MmapBase()
	stack := mustMmap(t, k, base-4*pg, 4*pg, rw, pa|MapFixed|MapGrowsDown, -1, 0)
	if got := mustMmap(t, k, 0, pg, rw, pa, -1, 0); got != stack-mib-pg {
		t.Errorf("below a stack = %v, want %v", got, stack-mib-pg)
	}
	cfg := linuxConfig()
	cfg.Layout = BottomUp
	k = newKernel(t, cfg)
	first := mustMmap(t, k, 0, pg, rw, pa, -1, 0)
	mustMmap(t, k, first+pg+mib, pg, rw, pa|MapFixed|MapGrowsDown, -1, 0)
	mustMmap(t, k, first+pg+2*mib, pg, rw, pa|MapFixed, -1, 0)
	// [first+pg, first+pg+mib) is all guard gap: a page goes above the
	// stack instead.
	if got := mustMmap(t, k, 0, pg, rw, pa, -1, 0); got != first+2*pg+mib {
		t.Errorf("bottom-up past a guard gap = %v, want %v", got, first+2*pg+mib)
	}
}

// TestASLR: placement is randomised only with ASLR on, and then the seed
// decides it (rand.go's splitmix64).
func TestASLR(t *testing.T) {
	base := func(seed uint64, on bool) (Addr, Addr) {
		cfg := linuxConfig()
		cfg.ASLR, cfg.Seed = on, seed
		k := newKernel(t, cfg)
		return k.MmapBase(), k.BrkStart()
	}
	off, offBrk := base(1, false)
	if off2, _ := base(2, false); off2 != off || off != 0x7ffff7fff000 {
		t.Errorf("ASLR off: bases %v and %v, want 0x7ffff7fff000", off, off2)
	}
	a, ab := base(42, true)
	b, bb := base(42, true)
	c, _ := base(43, true)
	if a != b || ab != bb {
		t.Errorf("same seed, different layouts: %v/%v and %v/%v", a, ab, b, bb)
	}
	if a == c {
		t.Errorf("seeds 42 and 43 give the same mmap_base %v", a)
	}
	if a == off || ab == offBrk || a > off || off-a > 1<<40 || a%pg != 0 {
		t.Errorf("randomised mmap_base %v, brk %v", a, ab)
	}
}

// TestPlacementOracle compares placement with a brute-force search over
// the maps listing, after random mmaps and munmaps (the seed is logged).
func TestPlacementOracle(t *testing.T) {
	seed := uint64(20240601)
	t.Logf("seed %d, %d steps", seed, *gapSteps)
	rng := rand.New(rand.NewPCG(seed, seed))
	for _, layout := range []Layout{TopDown, BottomUp} {
		cfg := Config{AddrBits: 32, TaskSize: 0xC0000000, Layout: layout, NoTHP: true}
		k := newKernel(t, cfg)
		for i := 0; i < *gapSteps; i++ {
			n := uint64(1+rng.IntN(64)) * pg
			switch rng.IntN(4) {
			case 0, 1:
				flags := pa
				if rng.IntN(8) == 0 {
					flags |= MapGrowsDown
				}
				want, ok := oraclePlace(k, n)
				got, err := k.Mmap(0, n, Prot(rng.IntN(4)), flags, -1, 0)
				if !ok {
					if errno(t, err) != ENOMEM {
						t.Fatalf("step %d: mmap(%#x) = %v, %v; oracle finds no room", i, n, got, err)
					}
					continue
				}
				if err != nil || got != want {
					t.Fatalf("step %d (%v): mmap(%#x) = %v, %v; oracle %v\n%s", i, layout, n, got, err, want, k.Debug())
				}
			case 2:
				a := Addr(rng.Uint64N(0xC0000000/pg)) * pg
				_ = k.Munmap(a, n*uint64(1+rng.IntN(32)))
			case 3:
				a := Addr(0x10000+rng.Uint64N((0xC0000000-0x10000)/pg)*pg) &^ (pg - 1)
				if a+Addr(n) <= 0xC0000000 {
					mustMmap(t, k, a, n, ProtRead, pa|MapFixed, -1, 0)
				}
			}
			if err := k.CheckInvariants(); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
	}
}

// oraclePlace is placement by brute force: the effective gaps (below each
// VMA's vm_start_gap()) listed from the maps, searched top-down below
// mmap_base then bottom-up from TASK_UNMAPPED_BASE, or bottom-up only.
func oraclePlace(k *Kernel, n uint64) (Addr, bool) {
	type gap struct{ s, e Addr }
	var gaps []gap
	prev := Addr(0)
	for _, m := range k.Maps() {
		e := m.Start
		if m.GrowsDown {
			if uint64(e) >= k.g.guardGap {
				e -= Addr(k.g.guardGap)
			} else {
				e = 0
			}
		}
		if e > prev {
			gaps = append(gaps, gap{prev, e})
		}
		prev = m.End
	}
	if prev < k.TaskSize() {
		gaps = append(gaps, gap{prev, k.TaskSize()})
	}
	low := max(k.g.lowAddr, Addr(k.PageSize()))
	if k.cfg.Layout == TopDown {
		for i := len(gaps) - 1; i >= 0; i-- {
			s, e := max(gaps[i].s, low), min(gaps[i].e, k.MmapBase())
			if s < e && uint64(e-s) >= n {
				return e - Addr(n), true
			}
		}
	}
	for _, g := range gaps {
		s, e := max(g.s, low, k.unmappedBase), g.e
		if s < e && uint64(e-s) >= n {
			return s, true
		}
	}
	return 0, false
}

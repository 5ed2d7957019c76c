package hostvm

import (
	"fmt"
	"testing"
)

// Benchmarks of the operations issue 16 sets goals for, in the layouts
// `go run ./bench` uses (sections 1 and 2), so that profiles taken here
// (go test -bench Mix -cpuprofile) explain the bench tool's figures.

// mixGrid is section 1's layout: a PROT_NONE reservation of groups groups
// of four pages, made ---, r--, ---, r-x, so no two neighbours merge.
type mixGrid struct {
	k      *Kernel
	base   Addr
	groups int
}

func newMixGrid(b *testing.B, groups int) *mixGrid {
	b.Helper()
	cfg := linuxConfig()
	cfg.MaxMapCount = 4*groups + 1<<16
	k, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	g := &mixGrid{k: k, groups: groups}
	g.base = mustMmap(b, k, 0, 4*pg*uint64(groups), ProtNone, pa|MapNoReserve, -1, 0)
	for j := 0; j < groups; j++ {
		mustOK(b, k.Mprotect(g.at(j, 1), pg, ProtRead), "mprotect r--")
		mustOK(b, k.Mprotect(g.at(j, 3), pg, ProtRead|ProtExec), "mprotect r-x")
	}
	if k.MapCount() != 4*groups {
		b.Fatalf("grid of %d groups has %d VMAs", groups, k.MapCount())
	}
	return g
}

// at is the address of page p of group j.
func (g *mixGrid) at(j, p int) Addr { return g.base + Addr(4*j+p)*pg }

// spots is how many groups a batch works on: up to 512, spread evenly
// over the grid, as the bench tool spreads its calls.
func (g *mixGrid) spots() int { return min(512, g.groups) }

// spot is the group the i-th call works on.
func (g *mixGrid) spot(i int) int {
	n := g.spots()
	return (i % n) * g.groups / n
}

// restore makes pages 1-3 of group j r--, ---, r-x again.
func (g *mixGrid) restore(b *testing.B, j int) {
	mustMmap(b, g.k, g.at(j, 1), 3*pg, ProtNone, pa|MapFixed|MapNoReserve, -1, 0)
	mustOK(b, g.k.Mprotect(g.at(j, 1), pg, ProtRead), "mprotect r--")
	mustOK(b, g.k.Mprotect(g.at(j, 3), pg, ProtRead|ProtExec), "mprotect r-x")
}

// batched runs op(i) for b.N calls in batches of size calls, running
// undo(i) for each call of a batch, untimed, after it.
func batched(b *testing.B, size int, op, undo func(i int)) {
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(size, b.N-done)
		for i := 0; i < n; i++ {
			op(done + i)
		}
		if undo != nil {
			b.StopTimer()
			for i := 0; i < n; i++ {
				undo(done + i)
			}
			b.StartTimer()
		}
		done += n
	}
}

// flip times mprotect of page 1 of the groups to prot, putting back the
// protection back, untimed, after each batch.
func (g *mixGrid) flip(b *testing.B, prot, back Prot) {
	batched(b, g.spots(), func(i int) {
		mustOK(b, g.k.Mprotect(g.at(g.spot(i), 1), pg, prot), "mprotect")
	}, func(i int) {
		mustOK(b, g.k.Mprotect(g.at(g.spot(i), 1), pg, back), "mprotect back")
	})
}

// BenchmarkMix times each operation of the bench tool's section 1 on
// hostvm, at 100 and 10,000 VMAs.
func BenchmarkMix(b *testing.B) {
	for _, vmas := range []int{100, 10000} {
		b.Run(fmt.Sprintf("op=pair/vmas=%d", vmas), func(b *testing.B) {
			g := newMixGrid(b, vmas/4)
			batched(b, g.spots(), func(int) {
				a, err := g.k.Mmap(0, pg, rw, pa, -1, 0)
				if err != nil {
					b.Fatal(err)
				}
				if err := g.k.Munmap(a, pg); err != nil {
					b.Fatal(err)
				}
			}, nil)
		})
		b.Run(fmt.Sprintf("op=fixed3/vmas=%d", vmas), func(b *testing.B) {
			g := newMixGrid(b, vmas/4)
			batched(b, g.spots(), func(i int) {
				if _, err := g.k.Mmap(g.at(g.spot(i), 1), 3*pg, rw, pa|MapFixed, -1, 0); err != nil {
					b.Fatal(err)
				}
			}, func(i int) { g.restore(b, g.spot(i)) })
		})
		// Page 1 to --- merges three VMAs into one; back to r-- splits
		// them again.
		b.Run(fmt.Sprintf("op=mprotect-merge/vmas=%d", vmas), func(b *testing.B) {
			newMixGrid(b, vmas/4).flip(b, ProtNone, ProtRead)
		})
		b.Run(fmt.Sprintf("op=mprotect-split/vmas=%d", vmas), func(b *testing.B) {
			g := newMixGrid(b, vmas/4)
			for j := 0; j < g.groups; j++ {
				mustOK(b, g.k.Mprotect(g.at(j, 1), pg, ProtNone), "mprotect ---")
			}
			g.flip(b, ProtRead, ProtNone)
		})
		b.Run(fmt.Sprintf("op=mremap-grow/vmas=%d", vmas), func(b *testing.B) {
			g := newMixGrid(b, vmas/4)
			for j := 0; j < g.groups; j++ {
				mustOK(b, g.k.Munmap(g.at(j, 2), pg), "munmap")
			}
			batched(b, g.spots(), func(i int) {
				if _, err := g.k.Mremap(g.at(g.spot(i), 1), pg, 2*pg, 0, 0); err != nil {
					b.Fatal(err)
				}
			}, func(i int) {
				if _, err := g.k.Mremap(g.at(g.spot(i), 1), 2*pg, pg, 0, 0); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// ladderKernel is section 2's layout: n VMAs below mmap_base in groups of
// r--, ---, a one-page hole.
func ladderKernel(b *testing.B, n int) (*Kernel, Addr) {
	b.Helper()
	cfg := linuxConfig()
	cfg.MaxMapCount = 2*n + 1<<16
	k, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	base := k.MmapBase() - Addr(3*pg*uint64(n/2))
	for j := 0; j < n/2; j++ {
		a := base + Addr(3*j)*pg
		mustMmap(b, k, a, 2*pg, ProtRead, pa|MapFixed, -1, 0)
		mustOK(b, k.Mprotect(a+pg, pg, ProtNone), "mprotect")
	}
	if k.MapCount() != n {
		b.Fatalf("ladder of %d VMAs has %d", n, k.MapCount())
	}
	return k, base
}

// BenchmarkMunmapSpread times munmap of one r-- page of the ladder at 512
// places spread over it (each mapped again afterwards, untimed), from 100
// to 1,000,000 VMAs: the cost should grow logarithmically.
func BenchmarkMunmapSpread(b *testing.B) {
	for _, n := range []int{100, 10000, 100000, 1000000} {
		b.Run(fmt.Sprintf("vmas=%d", n), func(b *testing.B) {
			k, base := ladderKernel(b, n)
			groups := n / 2
			spots := min(512, groups)
			at := func(i int) Addr { return base + Addr(3*((i%spots)*groups/spots))*pg }
			batched(b, spots, func(i int) {
				if err := k.Munmap(at(i), pg); err != nil {
					b.Fatal(err)
				}
			}, func(i int) {
				if _, err := k.Mmap(at(i), pg, ProtRead, pa|MapFixed, -1, 0); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

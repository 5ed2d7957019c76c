package runs

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestAgainstArray checks Map against a plain array, for a fixed seed's
// random operations: over 64 pages (a tree of one leaf), and over 8,000
// pages with short and long ranges (a tree of several levels, so that
// Set's deletions and insertions split and merge nodes). The map's own
// invariants (Check) hold after every step.
func TestAgainstArray(t *testing.T) {
	for _, c := range []struct{ pages, steps, maxLen int }{{64, 5000, 64}, {8000, 6000, 40}} {
		t.Run(fmt.Sprintf("pages=%d", c.pages), func(t *testing.T) {
			const seed = 1
			t.Logf("seed %d", seed)
			r := rand.New(rand.NewPCG(seed, uint64(c.pages)))
			m := New()
			want := make([]uint32, c.pages)
			// Start from many short runs, so that the tree is tall.
			for p := 0; p+2 <= c.pages; p += 2 {
				m.Set(uint64(p), uint64(p+1), uint32(1+p%3))
				want[p] = uint32(1 + p%3)
			}
			for i := 0; i < c.steps; i++ {
				a := uint64(r.IntN(c.pages))
				b := min(a+uint64(r.IntN(c.maxLen+1)), uint64(c.pages))
				if r.IntN(8) == 0 {
					b = uint64(r.IntN(c.pages + 1)) // long, or empty
				}
				v := uint32(r.IntN(4))
				switch r.IntN(3) {
				case 0, 1:
					m.Set(a, b, v)
					for p := a; p < b; p++ {
						want[p] = v
					}
				case 2:
					if a+8 <= uint64(c.pages) && b+8 <= uint64(c.pages) && (a+8 <= b || b+8 <= a) {
						m.Move(a, 8, b)
						var tmp [8]uint32
						copy(tmp[:], want[a:a+8])
						for p := a; p < a+8; p++ {
							want[p] = 0
						}
						copy(want[b:b+8], tmp[:])
					}
				}
				agree(t, m, want, i)
				lo, hi := uint64(r.IntN(c.pages)), uint64(r.IntN(c.pages+1))
				any := false
				for p := lo; p < hi; p++ {
					any = any || want[p] != 0
				}
				if got := m.Any(lo, hi); got != any {
					t.Fatalf("step %d: Any(%d,%d) = %v, want %v", i, lo, hi, got, any)
				}
				var clipped []Run
				m.EachIn(lo, hi, func(r Run) bool {
					clipped = append(clipped, r)
					return true
				})
				if w := runsOf(want, lo, hi); fmt.Sprint(clipped) != fmt.Sprint(w) {
					t.Fatalf("step %d: EachIn(%d,%d) = %v, want %v", i, lo, hi, clipped, w)
				}
				n := uint64(r.IntN(c.pages + 1))
				wantPrev, wantOK := uint64(0), false
				for p := n; p > 0; p-- {
					if want[p-1] != 0 {
						wantPrev, wantOK = p-1, true
						break
					}
				}
				if got, ok := m.PrevSet(n); got != wantPrev || ok != wantOK {
					t.Fatalf("step %d: PrevSet(%d) = %d,%v want %d,%v", i, n, got, ok, wantPrev, wantOK)
				}
			}
		})
	}
}

// runsOf is the maximal runs of want within [lo, hi).
func runsOf(want []uint32, lo, hi uint64) []Run {
	var out []Run
	for p := lo; p < hi; p++ {
		if want[p] == 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].End == p && out[n-1].Val == want[p] {
			out[n-1].End++
			continue
		}
		out = append(out, Run{First: p, End: p + 1, Val: want[p]})
	}
	return out
}

// agree fails the test unless m holds exactly the runs of want and its
// invariants hold.
func agree(t *testing.T, m Map, want []uint32, step int) {
	t.Helper()
	if msg, ok := m.Check(); !ok {
		t.Fatalf("step %d: %s", step, msg)
	}
	var got []Run
	m.Each(func(r Run) bool {
		got = append(got, r)
		return true
	})
	w := runsOf(want, 0, uint64(len(want)))
	if len(got) != len(w) || m.Len() != len(w) {
		t.Fatalf("step %d: %d runs (Len %d), want %d", step, len(got), m.Len(), len(w))
	}
	for i := range got {
		if got[i] != w[i] {
			t.Fatalf("step %d: run %d is %+v, want %+v", step, i, got[i], w[i])
		}
	}
	for p := 0; p < len(want); p += 1 + p%7 {
		if g := m.Get(uint64(p)); g != want[p] {
			t.Fatalf("step %d: page %d = %d, want %d", step, p, g, want[p])
		}
	}
}

// TestClone checks that a clone and its original no longer share changes,
// on a map large enough for a tree of several levels: changing either
// leaves the other exactly as it was.
func TestClone(t *testing.T) {
	m := New()
	want := make([]uint32, 30000)
	for p := 0; p < len(want); p += 3 {
		m.Set(uint64(p), uint64(p+2), uint32(1+p%5))
		want[p], want[p+1] = uint32(1+p%5), uint32(1+p%5)
	}
	c := m.Clone()
	cwant := append([]uint32(nil), want...)
	for p := 100; p < len(want); p += 997 {
		c.Set(uint64(p), uint64(p+50), 9)
		for q := p; q < min(p+50, len(cwant)); q++ {
			cwant[q] = 9
		}
	}
	agree(t, m, want, -1)
	agree(t, c, cwant, -1)
	m.Set(0, uint64(len(want)), 0)
	clear(want)
	agree(t, m, want, -2)
	agree(t, c, cwant, -2)
}

// TestSnapshot: snapshots taken in several goroutines at once (run with
// -race) are independent of each other, and of the original once it has
// renewed itself with a snapshot of its own, as Snapshot's holder must.
func TestSnapshot(t *testing.T) {
	m := New()
	m.Set(10, 20, 1)
	snaps := make([]Map, 4)
	var wg sync.WaitGroup
	for i := range snaps {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := m.Snapshot()
			s.Set(uint64(12+i), uint64(13+i), uint32(2+i))
			snaps[i] = s
		}(i)
	}
	wg.Wait()
	m = m.Snapshot() // the holder renews m before changing it
	m.Set(0, 100, 9)
	for i, s := range snaps {
		for p := uint64(10); p < 20; p++ {
			want := uint32(1)
			if p == uint64(12+i) {
				want = uint32(2 + i)
			}
			if got := s.Get(p); got != want {
				t.Errorf("snapshot %d: page %d is %d, want %d", i, p, got, want)
			}
		}
	}
}

package runs

import (
	"math/rand/v2"
	"sync"
	"testing"
)

// TestAgainstArray checks Map against a plain array over a small range of
// pages, for a fixed seed's random operations.
func TestAgainstArray(t *testing.T) {
	const pages = 64
	const seed = 1
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 0))
	m := New()
	var want [pages]uint32
	for i := 0; i < 5000; i++ {
		a, b := uint64(r.IntN(pages)), uint64(r.IntN(pages+1))
		v := uint32(r.IntN(3))
		switch r.IntN(3) {
		case 0, 1:
			m.Set(a, b, v)
			for p := a; p < b; p++ {
				want[p] = v
			}
		case 2:
			if a+8 <= pages && b+8 <= pages && (a+8 <= b || b+8 <= a) {
				m.Move(a, 8, b)
				var tmp [8]uint32
				copy(tmp[:], want[a:a+8])
				for p := a; p < a+8; p++ {
					want[p] = 0
				}
				copy(want[b:b+8], tmp[:])
			}
		}
		prevEnd, prevVal := uint64(0), uint32(0)
		m.Each(func(run Run) bool {
			if run.First >= run.End || run.Val == 0 || (run.First == prevEnd && run.Val == prevVal) || run.First < prevEnd {
				t.Fatalf("step %d: run %+v not maximal after end %d val %d", i, run, prevEnd, prevVal)
			}
			prevEnd, prevVal = run.End, run.Val
			return true
		})
		for p := uint64(0); p < pages; p++ {
			if got := m.Get(p); got != want[p] {
				t.Fatalf("step %d: page %d = %d, want %d", i, p, got, want[p])
			}
		}
		lo, hi := uint64(r.IntN(pages)), uint64(r.IntN(pages+1))
		any := false
		for p := lo; p < hi; p++ {
			any = any || want[p] != 0
		}
		if got := m.Any(lo, hi); got != any {
			t.Fatalf("step %d: Any(%d,%d) = %v, want %v", i, lo, hi, got, any)
		}
		n := uint64(r.IntN(pages + 1))
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
}

// TestClone checks that a clone and its original no longer share changes.
func TestClone(t *testing.T) {
	m := New()
	m.Set(10, 20, 1)
	c := m.Clone()
	c.Set(15, 30, 2)
	if m.Get(25) != 0 || m.Get(15) != 1 {
		t.Fatalf("original changed through its clone: %d %d", m.Get(25), m.Get(15))
	}
	if c.Get(25) != 2 || c.Get(12) != 1 {
		t.Fatalf("clone lost a change: %d %d", c.Get(25), c.Get(12))
	}
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

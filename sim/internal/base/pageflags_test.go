package base

import (
	"math/rand/v2"
	"testing"
)

// TestFirstRunIn: FirstRunIn(start, last) answers, whole, the first run
// RunsIn(start, last+1) lists clipped (or none where it lists none), over
// random flag layouts and random ranges, page aligned or not.
func TestFirstRunIn(t *testing.T) {
	const seed = 16
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	const page = 0x1000
	for layout := 0; layout < 50; layout++ {
		f := NewPageFlags(page)
		for i := 0; i < 20; i++ {
			first := rng.Uint64N(256)
			f.SetPages(first, first+1+rng.Uint64N(16), uint32(rng.IntN(4)))
		}
		for q := 0; q < 200; q++ {
			start := rng.Uint64N(300 * page)
			end := start + 1 + rng.Uint64N(40*page)
			all := f.RunsIn(start, end)
			got, ok := f.FirstRunIn(start, end-1)
			clipped := got
			clipped.Start = max(got.Start, start&^(page-1))
			clipped.End = min(got.End, (end+page-1)&^(page-1))
			if ok != (len(all) > 0) || ok && clipped != all[0] {
				t.Fatalf("layout %d: FirstRunIn(%#x, %#x) = %+v, %v; RunsIn lists %+v", layout, start, end, got, ok, all)
			}
		}
	}
	var zero PageFlags
	if _, ok := zero.FirstRunIn(0, 1<<32); ok {
		t.Error("FirstRunIn on flags with no page size found a run")
	}
}

// TestFirstHole: FirstHole(start, end) answers as a page-by-page walk (the
// first address in [start, end) whose page is not PageValid, or end), over
// random flag layouts and random ranges whose ends are page aligned or
// not: an end inside a page still asks about that page.
func TestFirstHole(t *testing.T) {
	const seed = 12
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	const page = 0x1000
	walk := func(f *PageFlags, start, end uint64) uint64 {
		for at := start; at < end; at = at&^(page-1) + page {
			if f.Get(at)&PageValid == 0 {
				return at
			}
		}
		return end
	}
	for layout := 0; layout < 50; layout++ {
		f := NewPageFlags(page)
		for i := 0; i < 20; i++ {
			first := rng.Uint64N(256)
			f.SetPages(first, first+1+rng.Uint64N(16), uint32(rng.IntN(2)*PageValid|PageRead))
		}
		for q := 0; q < 200; q++ {
			start := rng.Uint64N(300 * page)
			end := start + 1 + rng.Uint64N(40*page)
			switch rng.IntN(4) {
			case 0: // the end one byte into a page
				end = end&^(page-1) + 1
			case 1:
				end = (end + page - 1) &^ (page - 1)
			}
			if end <= start {
				end = start + 1
			}
			if got, want := f.FirstHole(start, end), walk(&f, start, end); got != want {
				t.Fatalf("layout %d: FirstHole(%#x, %#x) = %#x, want %#x; flags %+v", layout, start, end, got, want, f.RunsIn(start, end))
			}
		}
	}
	// The smallest case: two valid pages, the end one byte into the second.
	f := NewPageFlags(page)
	f.SetPages(0, 2, PageValid)
	if got := f.FirstHole(0, page+1); got != page+1 {
		t.Errorf("FirstHole(0, %#x) over two valid pages = %#x, want the end", page+1, got)
	}
	if !f.AllValid(page, page+1) {
		t.Errorf("AllValid(%#x, %#x) over a valid page = false", page, page+1)
	}
}

// TestUnusedHostPageFromInsideAPage: UnusedHostPage works in whole host
// pages at both ends: from an lo inside a host page it answers that host
// page (when none of its guest pages has flags) or a later one, never an
// address inside a host page.
func TestUnusedHostPageFromInsideAPage(t *testing.T) {
	const hp = 0x10000
	f := NewPageFlags(0x1000)
	f.SetPages(0x10, 0x11, PageValid) // the first guest page of host page 0x10000
	for _, c := range []struct {
		lo, hi uint64
		want   uint64
		ok     bool
	}{
		{0x10000, 0x40000, 0x20000, true},
		{0x11000, 0x40000, 0x20000, true}, // the host page holding lo is used
		{0x21000, 0x30000, 0x20000, true}, // the host page holding lo is free
		{0x1f000, 0x20000, 0, false},
		{0x11000, 0x11001, 0, false},
		{0x21001, 0x30000, 0x20000, true}, // lo at an odd byte of a free host page
		{0x10001, 0x20000, 0, false},      // ... of a used one
	} {
		got, ok := f.UnusedHostPage(c.lo, c.hi, hp)
		if got != c.want || ok != c.ok {
			t.Errorf("UnusedHostPage(%#x, %#x) = %#x, %v; want %#x, %v", c.lo, c.hi, got, ok, c.want, c.ok)
		}
	}
}

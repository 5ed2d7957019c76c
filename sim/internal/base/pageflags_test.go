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

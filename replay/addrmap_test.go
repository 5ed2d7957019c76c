package replay

import (
	"math/rand/v2"
	"testing"
)

// TestAddrMapAgainstArray drives an addrMap with random sets over a small
// range of trace addresses (and a clone taken midway, changed on its own)
// and checks every address's translation and kind against a plain array,
// and that segments stay ordered and apart.
func TestAddrMapAgainstArray(t *testing.T) {
	const n = 3000
	seed := uint64(0x6164)
	t.Logf("seed %#x", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	type cell struct {
		set   bool
		delta uint64
		kind  memKind
	}
	check := func(am *addrMap, want []cell, step int) {
		t.Helper()
		prevEnd := uint64(0)
		count := 0
		am.segs.Ascend(func(start uint64, v segTail) bool {
			if start >= v.end || start < prevEnd {
				t.Fatalf("step %d: segment [%d, %d) after end %d", step, start, v.end, prevEnd)
			}
			prevEnd = v.end
			count++
			return true
		})
		if count != am.len() {
			t.Fatalf("step %d: %d segments, len %d", step, count, am.len())
		}
		if msg, ok := am.segs.Check("addrMap"); !ok {
			t.Fatalf("step %d: %s", step, msg)
		}
		for a := uint64(0); a < n+10; a++ {
			s, ok := am.find(a)
			var w cell
			if a < n {
				w = want[a]
			}
			if ok != w.set || ok && (s.delta != w.delta || s.kind != w.kind || a < s.start || a >= s.end) {
				t.Fatalf("step %d: address %d: segment %+v, %v; want %+v", step, a, s, ok, w)
			}
			if got, ok := am.lookup(a); ok != w.set || ok && got != a+w.delta {
				t.Fatalf("step %d: lookup(%d) = %d, %v", step, a, got, ok)
			}
		}
	}
	am := newAddrMap()
	want := make([]cell, n)
	var clone addrMap
	var cloneWant []cell
	for step := 0; step < 1500; step++ {
		start := uint64(rng.IntN(n))
		end := min(start+uint64(rng.IntN(60)), n)
		if rng.IntN(10) == 0 {
			end = min(start+uint64(rng.IntN(n)), n)
		}
		delta, kind := rng.Uint64(), memKind(rng.IntN(4))
		am.set(start, end, delta, kind)
		for a := start; a < end; a++ {
			want[a] = cell{true, delta, kind}
		}
		check(&am, want, step)
		if step == 700 {
			clone, cloneWant = am.clone(), append([]cell(nil), want...)
		}
		if step > 700 && step%50 == 0 {
			clone.set(0, n/2, 7, memFile)
			for a := 0; a < n/2; a++ {
				cloneWant[a] = cell{true, 7, memFile}
			}
			check(&clone, cloneWant, -step)
			check(&am, want, step)
		}
	}
}

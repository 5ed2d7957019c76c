package cowtree

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// filled returns a span tree of n entries [2i, 2i+1+i%7), tall enough
// to have inner nodes below the root.
func filled(t *testing.T, n int) Tree[uint64] {
	t.Helper()
	tr := spanTree(&Generation{})
	var c Cursor[uint64]
	for i := uint64(0); i < uint64(n); i++ {
		tr.SeekLE(&c, 2*i*8)
		c.InsertAfter(2*i*8, 2*i*8+1+i%7)
	}
	if tr.Height() < 2 {
		t.Fatalf("%d entries make a tree of height %d", n, tr.Height())
	}
	return tr
}

// TestCheckFindsCorruption: Check reports a stale summary, a stale count,
// a stale tally of a leaf's largest span, keys out of order and a stale
// inner key (hostvm's CheckInvariants passes
// on what Check says).
func TestCheckFindsCorruption(t *testing.T) {
	for _, c := range []struct {
		name    string
		corrupt func(tr *Tree[uint64])
		want    string
	}{
		{"stale root summary", func(tr *Tree[uint64]) { tr.root.maxLen++ }, "maxLen stale"},
		{"stale child summary", func(tr *Tree[uint64]) { tr.root.childMax[0]++ }, "maxLen stale"},
		{"stale count", func(tr *Tree[uint64]) { tr.n++ }, "count stale"},
		{"stale inner key", func(tr *Tree[uint64]) { tr.root.keys[1]++ }, "key of child 1"},
		{"keys out of order", func(tr *Tree[uint64]) {
			var c Cursor[uint64]
			tr.SeekFirst(&c)
			c.leaf.keys[0], c.leaf.keys[1] = c.leaf.keys[1], c.leaf.keys[0]
		}, "out of order"},
		{"stale largest-span tally", func(tr *Tree[uint64]) {
			var c Cursor[uint64]
			tr.SeekFirst(&c)
			c.leaf.nMax++
		}, "entries of its largest span"},
		{"slots not a permutation", func(tr *Tree[uint64]) {
			var c Cursor[uint64]
			tr.SeekFirst(&c)
			c.leaf.slot[0] = c.leaf.slot[1]
		}, "not a permutation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tr := filled(t, 2000)
			if msg, ok := tr.Check("test"); !ok {
				t.Fatalf("healthy tree: %s", msg)
			}
			c.corrupt(&tr)
			msg, ok := tr.Check("test")
			if ok || !strings.Contains(msg, c.want) {
				t.Errorf("Check = %q, %v; want it to mention %q", msg, ok, c.want)
			}
		})
	}
}

// TestCloneIndependent: editing a clone leaves the original exactly as it
// was, and editing the original leaves the clone; both stay valid.
func TestCloneIndependent(t *testing.T) {
	seed := uint64(0x636c6f6e)
	t.Logf("seed %#x", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	dump := func(tr *Tree[uint64]) []uint64 {
		var out []uint64
		tr.Ascend(func(k, v uint64) bool {
			out = append(out, k, v)
			return true
		})
		return out
	}
	scramble := func(tr *Tree[uint64]) {
		var c Cursor[uint64]
		for i := 0; i < 3000; i++ {
			k := rng.Uint64N(40000)
			tr.SeekLE(&c, k)
			switch {
			case c.Valid() && c.Key() == k:
				c.Delete()
			case rng.IntN(2) == 0 && c.Valid():
				c.SetItem(c.Key() + rng.Uint64N(9))
			default:
				c.InsertAfter(k, k+1)
			}
		}
	}
	orig := filled(t, 2500)
	want := dump(&orig)
	cl := orig.Clone()
	scramble(&cl)
	if slices.Equal(dump(&cl), want) {
		t.Fatal("scrambling the clone changed nothing")
	}
	if !slices.Equal(dump(&orig), want) {
		t.Fatal("scrambling the clone changed the original")
	}
	clWant := dump(&cl)
	scramble(&orig)
	if !slices.Equal(dump(&cl), clWant) {
		t.Fatal("scrambling the original changed the clone")
	}
	for _, tr := range []*Tree[uint64]{&orig, &cl} {
		if msg, ok := tr.Check("clone"); !ok {
			t.Fatal(msg)
		}
	}
}

// TestSearch: Search finds, in both directions, the entry a linear scan
// finds: the first (or last) entry of span at least m reaching into [lo,
// hi), over random disjoint intervals.
func TestSearch(t *testing.T) {
	seed := uint64(0x73726368)
	t.Logf("seed %#x", seed)
	rng := rand.New(rand.NewPCG(seed, 4))
	tr := spanTree(&Generation{})
	var keys, ends []uint64
	var c Cursor[uint64]
	at := uint64(0)
	for i := 0; i < 5000; i++ {
		at += 1 + rng.Uint64N(50)
		end := at + 1 + rng.Uint64N(uint64(1+rng.IntN(200)))
		tr.SeekLE(&c, at)
		c.InsertAfter(at, end)
		keys, ends = append(keys, at), append(ends, end)
		at = end
	}
	for q := 0; q < 3000; q++ {
		lo := rng.Uint64N(at)
		hi := lo + rng.Uint64N(at-lo+1)
		m := rng.Uint64N(150)
		down := rng.IntN(2) == 0
		want := -1
		for x := range keys {
			i := x
			if down {
				i = len(keys) - 1 - x
			}
			if ends[i]-keys[i] >= m && ends[i] > lo && keys[i] < hi {
				want = i
				break
			}
		}
		got := -1
		tr.Search(Query{Low: lo, High: hi, MinSpan: m, Down: down}, func(k uint64, ep *uint64) bool {
			e := *ep
			if down && e <= lo || !down && k >= hi {
				return true
			}
			if e-k >= m && e > lo && k < hi {
				got = searchKeys(keys, k) - 1
				return true
			}
			return false
		})
		if got != want {
			t.Fatalf("query %d [%#x, %#x) span %d down=%v: found entry %d, want %d", q, lo, hi, m, down, got, want)
		}
	}
}

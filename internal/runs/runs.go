// Package runs is a sparse map from page numbers to small values, kept as
// maximal runs of equal non-zero values in a B-tree. sim keeps QEMU's page
// flags in one (a 4 GiB guest space costs only the runs that exist) and
// hostvm its guard-page markers.
package runs

import "github.com/google/btree"

// Run says pages [First, End) all have value Val.
type Run struct {
	First, End uint64
	Val        uint32
}

func runLess(a, b Run) bool { return a.First < b.First }

// Map is the sparse map. The zero value is not usable; call New.
type Map struct {
	t *btree.BTreeG[Run]
}

// New returns an empty map.
func New() Map { return Map{t: btree.NewG[Run](16, runLess)} }

// Clone returns an independent copy in O(1) (copy-on-write). It marks m's
// tree shared in place: not safe while another goroutine uses m.
func (m Map) Clone() Map { return Map{t: m.t.Clone()} }

// Snapshot is Clone reading m only, for copies taken in several goroutines
// at once. m keeps the nodes it shares with the copy as its own: before m
// next changes, its holder must replace it with a Snapshot of itself, or
// the copy changes too.
func (m Map) Snapshot() Map {
	t := *m.t
	return Map{t: t.Clone()}
}

// Len is the number of runs.
func (m Map) Len() int { return m.t.Len() }

// At returns the run containing page n, if any.
func (m Map) At(n uint64) (Run, bool) {
	var got Run
	ok := false
	m.t.DescendLessOrEqual(Run{First: n}, func(r Run) bool {
		if n < r.End {
			got, ok = r, true
		}
		return false
	})
	return got, ok
}

// Get returns the value of page n, 0 if unset.
func (m Map) Get(n uint64) uint32 {
	r, _ := m.At(n)
	return r.Val
}

// Set gives pages [first, end) the value val (0 clears them), keeping the
// runs maximal. It does nothing when first >= end.
func (m Map) Set(first, end uint64, val uint32) {
	if first >= end {
		return
	}
	for _, cut := range [2]uint64{first, end} {
		if r, ok := m.At(cut); ok && r.First < cut {
			lo, hi := r, r
			lo.End, hi.First = cut, cut
			m.t.ReplaceOrInsert(lo)
			m.t.ReplaceOrInsert(hi)
		}
	}
	var inside []Run
	m.t.AscendRange(Run{First: first}, Run{First: end}, func(r Run) bool {
		inside = append(inside, r)
		return true
	})
	for _, r := range inside {
		m.t.Delete(r)
	}
	if val == 0 {
		return
	}
	n := Run{First: first, End: end, Val: val}
	if first > 0 {
		if r, ok := m.At(first - 1); ok && r.Val == val && r.End == first {
			m.t.Delete(r)
			n.First = r.First
		}
	}
	if r, ok := m.t.Get(Run{First: end}); ok && r.Val == val {
		m.t.Delete(r)
		n.End = r.End
	}
	m.t.ReplaceOrInsert(n)
}

// Each calls fn for every run in order until fn returns false.
func (m Map) Each(fn func(r Run) bool) { m.t.Ascend(fn) }

// EachIn calls fn for the runs overlapping pages [first, end), clipped to
// them, in order until fn returns false.
func (m Map) EachIn(first, end uint64, fn func(r Run) bool) {
	if first >= end {
		return
	}
	if r, ok := m.At(first); ok && r.First < first {
		r.First, r.End = first, min(r.End, end)
		if !fn(r) {
			return
		}
	}
	m.t.AscendRange(Run{First: first}, Run{First: end}, func(r Run) bool {
		r.End = min(r.End, end)
		return fn(r)
	})
}

// Any reports whether some page in [first, end) is set.
func (m Map) Any(first, end uint64) bool {
	found := false
	m.EachIn(first, end, func(Run) bool {
		found = true
		return false
	})
	return found
}

// PrevSet returns the highest set page below n.
func (m Map) PrevSet(n uint64) (uint64, bool) {
	if n == 0 {
		return 0, false
	}
	var got uint64
	ok := false
	m.t.DescendLessOrEqual(Run{First: n - 1}, func(r Run) bool {
		got, ok = min(r.End, n)-1, true
		return false
	})
	return got, ok
}

// Move moves the runs of pages [first, first+n) to start at page to,
// clearing what was at the destination. Preconditions: the ranges do not
// overlap.
func (m Map) Move(first, n, to uint64) {
	var moved []Run
	m.EachIn(first, first+n, func(r Run) bool {
		moved = append(moved, r)
		return true
	})
	m.Set(first, first+n, 0)
	m.Set(to, to+n, 0)
	for _, r := range moved {
		m.Set(r.First-first+to, r.End-first+to, r.Val)
	}
}

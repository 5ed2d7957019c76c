package runs

import (
	"fmt"

	"github.com/mmapsim/mmapsim/internal/cowtree"
)

// Run says pages [First, End) all have value Val.
type Run struct {
	First, End uint64
	Val        uint32
}

// span is a run in the tree, keyed by its first page.
type span struct {
	end uint64
	val uint32
}

// Map is the sparse map. The zero value is not usable; call New. A Map
// value refers to its tree: copies of it are the same map (Clone makes
// another).
type Map struct {
	t *cowtree.Tree[span]
}

// New returns an empty map.
func New() Map {
	t := cowtree.New[span](&cowtree.Generation{}, nil)
	return Map{t: &t}
}

// Clone returns an independent copy in O(1) (copy-on-write). It gives m's
// tree a fresh generation in place: not safe while another goroutine uses m.
func (m Map) Clone() Map {
	c := m.t.Clone()
	return Map{t: &c}
}

// Snapshot is Clone reading m only, for copies taken in several goroutines
// at once. m keeps the nodes it shares with the copy as its own: before m
// next changes, its holder must replace it with a Snapshot of itself, or
// the copy changes too.
func (m Map) Snapshot() Map {
	t := *m.t
	c := t.Clone()
	return Map{t: &c}
}

// Len is the number of runs.
func (m Map) Len() int { return m.t.Len() }

// run is the run c stands on.
// Preconditions: c.Valid().
func run(c *cowtree.Cursor[span]) Run {
	s := c.Item()
	return Run{First: c.Key(), End: s.end, Val: s.val}
}

// At returns the run containing page n, if any.
func (m Map) At(n uint64) (Run, bool) {
	if m.t.Len() == 0 {
		return Run{}, false
	}
	var c cowtree.Cursor[span]
	m.t.SeekLE(&c, n)
	if c.Valid() {
		if r := run(&c); n < r.End {
			return r, true
		}
	}
	return Run{}, false
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
	var c cowtree.Cursor[span]
	m.t.SeekLT(&c, first)
	lo, hi := first, end // the new run, grown by equal neighbours
	var tail Run         // the part past end of a run that straddles [first, end)
	if !c.Valid() {
		c.Next()
	} else if r := run(&c); r.End < first || r.End == first && r.Val != val {
		c.Next() // before first, and not to be merged
	} else if r.Val == val {
		if r.End >= end {
			return // already so
		}
		lo = r.First // the new run absorbs it
		c.Delete()
	} else {
		// It starts below first and reaches into [first, end): keep its
		// head, and its tail past end.
		if r.End > end {
			tail = Run{First: end, End: r.End, Val: r.Val}
		}
		c.SetItem(span{end: first, val: r.Val})
		c.Next()
	}
	// The runs starting inside [first, end): delete them, but the last
	// may reach past end, keeping its part past end (or joining the new
	// run).
	for c.Valid() && c.Key() < end {
		r := run(&c)
		if r.End <= end {
			c.Delete()
			continue
		}
		if r.Val == val {
			hi = r.End
			c.Delete()
		} else {
			c.Set(end, span{end: r.End, val: r.Val})
		}
		break
	}
	if val != 0 && c.Valid() && c.Key() == hi && c.Item().val == val {
		hi = c.Item().end
		c.Delete()
	}
	if val == 0 && tail.Val == 0 {
		return
	}
	// c stands on the first run at or past hi: insert before it.
	c.Prev()
	if val != 0 {
		c.InsertAfter(lo, span{end: hi, val: val})
	}
	if tail.Val != 0 {
		c.InsertAfter(tail.First, span{end: tail.End, val: tail.Val})
	}
}

// Each calls fn for every run in order until fn returns false.
func (m Map) Each(fn func(r Run) bool) {
	m.t.Ascend(func(first uint64, s span) bool {
		return fn(Run{First: first, End: s.end, Val: s.val})
	})
}

// EachIn calls fn for the runs overlapping pages [first, end), clipped to
// them, in order until fn returns false.
func (m Map) EachIn(first, end uint64, fn func(r Run) bool) {
	if first >= end || m.t.Len() == 0 {
		return
	}
	var c cowtree.Cursor[span]
	m.t.SeekLE(&c, first)
	if !c.Valid() || c.Item().end <= first {
		c.Next()
	}
	for ; c.Valid() && c.Key() < end; c.Next() {
		r := run(&c)
		r.First, r.End = max(r.First, first), min(r.End, end)
		if !fn(r) {
			return
		}
	}
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
	var c cowtree.Cursor[span]
	m.t.SeekLT(&c, n)
	if !c.Valid() {
		return 0, false
	}
	return min(c.Item().end, n) - 1, true
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

// Check verifies the map: the tree's invariants, and runs that are
// non-empty, apart, maximal and non-zero. It returns the first violation.
func (m Map) Check() (string, bool) {
	if msg, ok := m.t.Check("runs"); !ok {
		return msg, false
	}
	bad := ""
	var prev Run
	m.Each(func(r Run) bool {
		switch {
		case r.First >= r.End:
			bad = "empty run"
		case r.Val == 0:
			bad = "run of zero"
		case prev.End > r.First:
			bad = "overlapping runs"
		case prev.Val != 0 && prev.End == r.First && prev.Val == r.Val:
			bad = "equal runs apart"
		}
		if bad != "" {
			bad = fmt.Sprintf("%s: %+v after %+v", bad, r, prev)
			return false
		}
		prev = r
		return true
	})
	return bad, bad == ""
}

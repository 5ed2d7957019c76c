package hostvm

import "github.com/mmapsim/mmapsim/internal/cowtree"

// The gap index: every free range between VMAs, keyed by start address and
// holding its end, in a tree (internal/cowtree) that keeps the longest gap of every
// subtree, so that both placement searches (highest fit below a limit,
// lowest fit above one) are O(log n). Linux gets the same from its maple
// tree (mas_empty_area_rev); gVisor keeps the largest gap per node of its
// VMA set for the same reason.
//
// A gap's end is its effective end: the next VMA's vm_start_gap(), which for
// a MAP_GROWSDOWN VMA lies stack_guard_gap below its start. Searching
// effective gaps gives the answers Linux's retry loop reaches.

// generation identifies the owner allowed to mutate a node, page or chunk in
// place: the trees' generations (internal/cowtree) serve the pages too. A
// Clone marks the owner's generation shared (Generation.MarkShared, the one
// thing Clone writes, atomically, so that clones of one kernel may be taken
// concurrently): the owner takes a fresh generation before it next writes
// (unshare).
type generation = cowtree.Generation

type gapTree struct{ cowtree.Tree[Addr] }

func newGapTree(gen *generation) gapTree { return gapTree{cowtree.New(gen, gapLen)} }

// gapLen is a gap's span in the tree: the index keeps the longest.
func gapLen(start uint64, end Addr) uint64 { return uint64(end) - start }

// insert adds the gap [start, end).
// Preconditions: no gap starts at start.
func (t *gapTree) insert(start, end Addr) {
	var c cowtree.Cursor[Addr]
	t.SeekLE(&c, uint64(start))
	c.InsertAfter(uint64(start), end)
}

// replace makes gaps (sorted, their starts in [lo, hi]) the gaps whose
// starts lie in [lo, hi], editing only those that differ.
func (t *gapTree) replace(lo, hi Addr, gaps []Range) {
	var c cowtree.Cursor[Addr]
	t.SeekLE(&c, uint64(lo))
	if !c.Valid() || Addr(c.Key()) < lo {
		c.Next()
	}
	for _, g := range gaps {
		for c.Valid() && Addr(c.Key()) < g.Start {
			c.Delete()
		}
		if c.Valid() && Addr(c.Key()) == g.Start {
			if c.Item() != g.End {
				c.SetItem(g.End)
			}
			c.Next()
			continue
		}
		c.Prev()
		c.InsertAfter(uint64(g.Start), g.End)
		c.Next()
	}
	for c.Valid() && Addr(c.Key()) <= hi {
		c.Delete()
	}
}

// topDown returns the highest address a with [a, a+length) inside one gap
// and inside [low, high). Compare Linux's unmapped_area_topdown().
func (t *gapTree) topDown(low, high Addr, length uint64) (Addr, bool) {
	return t.search(cowtree.Query{Low: uint64(low), High: uint64(high), MinSpan: length, Down: true})
}

// bottomUp returns the lowest address a with [a, a+length) inside one gap
// and inside [low, high). Compare Linux's unmapped_area().
func (t *gapTree) bottomUp(low, high Addr, length uint64) (Addr, bool) {
	return t.search(cowtree.Query{Low: uint64(low), High: uint64(high), MinSpan: length})
}

// search finds the place q asks for: MinSpan bytes inside one gap and
// inside [Low, High), the highest such place (Down) or the lowest.
func (t *gapTree) search(q cowtree.Query) (Addr, bool) {
	var found Addr
	ok := false
	t.Search(q, func(start uint64, end Addr) bool {
		if q.Past(start, uint64(end)) {
			return true
		}
		s, e := max(start, q.Low), min(uint64(end), q.High)
		if s >= e || e-s < q.MinSpan {
			return false
		}
		found, ok = Addr(s), true
		if q.Down {
			found = Addr(e - q.MinSpan)
		}
		return true
	})
	return found, ok
}

// each calls fn for every gap in address order.
func (t *gapTree) each(fn func(start, end Addr)) {
	t.Ascend(func(start uint64, end Addr) bool {
		fn(Addr(start), end)
		return true
	})
}

// check verifies the tree's invariants and that the gaps are non-empty and
// apart.
func (t *gapTree) check() (string, bool) {
	if msg, ok := t.Tree.Check("gap"); !ok {
		return msg, false
	}
	bad := ""
	prevEnd := Addr(0)
	t.each(func(s, e Addr) {
		if bad == "" && (e <= s || s < prevEnd) {
			bad = "gap " + Range{s, e}.String() + " out of order or empty"
		}
		prevEnd = e
	})
	return bad, bad == ""
}

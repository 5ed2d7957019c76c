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
	return t.search(gapQuery{low, high, length, true})
}

// bottomUp returns the lowest address a with [a, a+length) inside one gap
// and inside [low, high). Compare Linux's unmapped_area().
func (t *gapTree) bottomUp(low, high Addr, length uint64) (Addr, bool) {
	return t.search(gapQuery{low, high, length, false})
}

// gapQuery is a placement search: length bytes inside one gap and inside
// [low, high), the highest such place (down) or the lowest.
type gapQuery struct {
	low, high Addr
	length    uint64
	down      bool
}

// past reports whether everything from [lo, hi) on, in the direction of
// the search, lies beyond [low, high).
func (q *gapQuery) past(lo, hi Addr) bool {
	if q.down {
		return hi <= q.low
	}
	return lo >= q.high
}

// fit returns the place the query finds in the gap [s, e), if any.
func (q *gapQuery) fit(s, e Addr) (Addr, bool) {
	s, e = max(s, q.low), min(e, q.high)
	if s >= e || uint64(e-s) < q.length {
		return 0, false
	}
	if q.down {
		return e - Addr(q.length), true
	}
	return s, true
}

func (t *gapTree) search(q gapQuery) (Addr, bool) {
	var found Addr
	ok := false
	t.Search(cowtree.Query{Low: uint64(q.low), High: uint64(q.high), MinSpan: q.length, Down: q.down},
		func(start uint64, end Addr) bool {
			if q.past(Addr(start), end) {
				return true
			}
			found, ok = q.fit(Addr(start), end)
			return ok
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

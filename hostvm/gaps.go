package hostvm

import "sync/atomic"

// The gap index: every free range between VMAs, keyed by start address and
// holding its end, in a tree (tree.go) that keeps the longest gap of every
// subtree, so that both placement searches (highest fit below a limit,
// lowest fit above one) are O(log n). Linux gets the same from its maple
// tree (mas_empty_area_rev); gVisor keeps the largest gap per node of its
// VMA set for the same reason.
//
// A gap's end is its effective end: the next VMA's vm_start_gap(), which for
// a MAP_GROWSDOWN VMA lies stack_guard_gap below its start. Searching
// effective gaps gives the answers Linux's retry loop reaches.

// generation identifies the owner allowed to mutate a node, page or chunk in
// place. shared says a Clone has taken a snapshot of what the owner holds:
// the owner takes a fresh generation before it next writes (unshare). It is
// the one thing Clone writes, atomically, so that clones of one kernel may
// be taken concurrently.
type generation struct{ shared atomic.Bool }

type gapTree struct{ tree[Addr] }

func newGapTree(gen *generation) gapTree { return gapTree{newTree(gen, gapLen)} }

// gapLen is a gap's span in the tree: the index keeps the longest.
func gapLen(start uint64, end Addr) uint64 { return uint64(end) - start }

// insert adds the gap [start, end).
// Preconditions: no gap starts at start.
func (t *gapTree) insert(start, end Addr) {
	var c cursor[Addr]
	t.seekLE(&c, uint64(start))
	c.insertAfter(uint64(start), end)
}

// replace makes gaps (sorted, their starts in [lo, hi]) the gaps whose
// starts lie in [lo, hi], editing only those that differ.
func (t *gapTree) replace(lo, hi Addr, gaps []Range) {
	var c cursor[Addr]
	t.seekLE(&c, uint64(lo))
	if !c.valid() || Addr(c.key()) < lo {
		c.next()
	}
	for _, g := range gaps {
		for c.valid() && Addr(c.key()) < g.Start {
			c.delete()
		}
		if c.valid() && Addr(c.key()) == g.Start {
			if c.item() != g.End {
				c.setItem(g.End)
			}
			c.next()
			continue
		}
		c.prev()
		c.insertAfter(uint64(g.Start), g.End)
		c.next()
	}
	for c.valid() && Addr(c.key()) <= hi {
		c.delete()
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
	if t.root.maxLen < q.length {
		return 0, false
	}
	return t.searchIn(t.root, 0, &q)
}

// searchIn visits n's children in the query's direction, skipping those
// whose longest gap is too short or whose gaps all lie outside [low,
// high): the gaps under child j start at or above its key and end at or
// below the next child's key.
func (t *gapTree) searchIn(n *inner[Addr], level int, q *gapQuery) (Addr, bool) {
	for x := 0; x < n.n; x++ {
		j := x
		if q.down {
			j = n.n - 1 - x
		}
		lo, hi := Addr(n.keys[j]), ^Addr(0)
		if j+1 < n.n {
			hi = Addr(n.keys[j+1])
		}
		if q.past(lo, hi) {
			break
		}
		if n.childMax[j] < q.length || lo >= q.high || hi <= q.low {
			continue
		}
		var a Addr
		var ok bool
		if level == t.height-1 {
			a, ok = q.searchLeaf(n.leaves[j])
		} else {
			a, ok = t.searchIn(n.kids[j], level+1, q)
		}
		if ok {
			return a, true
		}
	}
	return 0, false
}

func (q *gapQuery) searchLeaf(l *leaf[Addr]) (Addr, bool) {
	for x := 0; x < l.n; x++ {
		i := x
		if q.down {
			i = l.n - 1 - x
		}
		s, e := Addr(l.keys[i]), l.item(i)
		if q.past(s, e) {
			break
		}
		if a, ok := q.fit(s, e); ok {
			return a, true
		}
	}
	return 0, false
}

// each calls fn for every gap in address order.
func (t *gapTree) each(fn func(start, end Addr)) {
	t.ascend(func(start uint64, end Addr) bool {
		fn(Addr(start), end)
		return true
	})
}

// check verifies the tree's invariants and that the gaps are non-empty and
// apart.
func (t *gapTree) check() (string, bool) {
	if msg, ok := t.tree.check("gap"); !ok {
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

package hostvm

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
// place. It has a field because Go may give every zero-sized allocation the
// same address.
type generation struct{ _ byte }

type gapTree struct{ tree[Addr] }

func newGapTree(gen *generation) gapTree { return gapTree{newTree(gen, longestGap)} }

// longestGap is the gap index's summary of a leaf.
func longestGap(starts []uint64, ends []Addr) uint64 {
	m := uint64(0)
	for i, s := range starts {
		m = max(m, uint64(ends[i])-s)
	}
	return m
}

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
	if t.root.maxLen < length {
		return 0, false
	}
	return t.topDownIn(t.root, 0, low, high, length)
}

func (t *gapTree) topDownIn(n *inner[Addr], level int, low, high Addr, length uint64) (Addr, bool) {
	for j := n.n - 1; j >= 0; j-- {
		// Every gap under child j starts at or above its key.
		if n.childMax[j] >= length && Addr(n.keys[j]) < high {
			var a Addr
			var ok bool
			if level == t.height-1 {
				a, ok = topDownLeaf(n.leaves[j], low, high, length)
			} else {
				a, ok = t.topDownIn(n.kids[j], level+1, low, high, length)
			}
			if ok {
				return a, true
			}
		}
		// Every gap left of child j ends at or below its key.
		if Addr(n.keys[j]) <= low {
			break
		}
	}
	return 0, false
}

func topDownLeaf(l *leaf[Addr], low, high Addr, length uint64) (Addr, bool) {
	for i := l.n - 1; i >= 0; i-- {
		s, e := Addr(l.keys[i]), l.items[i]
		if s >= high {
			continue
		}
		if e <= low {
			break
		}
		s, e = max(s, low), min(e, high)
		if s < e && uint64(e-s) >= length {
			return e - Addr(length), true
		}
	}
	return 0, false
}

// bottomUp returns the lowest address a with [a, a+length) inside one gap
// and inside [low, high). Compare Linux's unmapped_area().
func (t *gapTree) bottomUp(low, high Addr, length uint64) (Addr, bool) {
	if t.root.maxLen < length {
		return 0, false
	}
	return t.bottomUpIn(t.root, 0, low, high, length)
}

func (t *gapTree) bottomUpIn(n *inner[Addr], level int, low, high Addr, length uint64) (Addr, bool) {
	for j := 0; j < n.n; j++ {
		// Every gap under child j and right of it starts at or above
		// its key; every gap under it ends at or below the next key.
		if Addr(n.keys[j]) >= high {
			break
		}
		if j+1 < n.n && Addr(n.keys[j+1]) <= low || n.childMax[j] < length {
			continue
		}
		var a Addr
		var ok bool
		if level == t.height-1 {
			a, ok = bottomUpLeaf(n.leaves[j], low, high, length)
		} else {
			a, ok = t.bottomUpIn(n.kids[j], level+1, low, high, length)
		}
		if ok {
			return a, true
		}
	}
	return 0, false
}

func bottomUpLeaf(l *leaf[Addr], low, high Addr, length uint64) (Addr, bool) {
	for i := 0; i < l.n; i++ {
		s, e := Addr(l.keys[i]), l.items[i]
		if s >= high {
			break
		}
		if e <= low {
			continue
		}
		s, e = max(s, low), min(e, high)
		if s < e && uint64(e-s) >= length {
			return s, true
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

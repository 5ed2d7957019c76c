package cowtree

import "fmt"

// Edits that change the tree's shape: inserting into a full node splits it,
// deleting from a node that falls below treeMinFill merges it with a
// neighbour or takes entries from it. Both end by seeking the cursor again
// (rare: at most once every treeMinFill edits of a node).

// fixAbove records key and sum as the smallest key and the summary of child
// c.idx[l] of c.path[l], and carries the change up the path as far as it
// reaches.
// Preconditions: c's path is owned down to level l.
func (c *Cursor[T]) fixAbove(l int, key, sum uint64) {
	if c.t.span == nil {
		// No summaries (all 0): only a first key can move, and the
		// summary arrays are left untouched, out of the cache.
		for ; l >= 0 && c.path[l].keys[c.idx[l]] != key; l-- {
			p := c.path[l]
			p.keys[c.idx[l]] = key
			key = p.keys[0]
		}
		return
	}
	for ; l >= 0; l-- {
		p, j := c.path[l], c.idx[l]
		if p.keys[j] == key && p.childMax[j] == sum {
			return // nothing above can change
		}
		old := p.childMax[j]
		p.keys[j], p.childMax[j] = key, sum
		switch {
		case sum >= p.maxLen:
			p.maxLen = sum
		case old == p.maxLen:
			p.recount()
		}
		key, sum = p.keys[0], p.maxLen
	}
}

// fixUp brings the keys and summaries on c's path up to date after c's
// leaf changed without changing shape: added is the span added to it (0
// if none), removed the largest removed (0 if none) and nRemoved how many
// removed entries had it.
// Preconditions: c's path is owned; the leaf is not empty, or is the only
// one.
func (c *Cursor[T]) fixUp(added, removed uint64, nRemoved int) {
	t := c.t
	l := c.leaf
	last := t.height - 1
	key := uint64(0)
	if l.n > 0 {
		key = l.keys[0]
	}
	sum := uint64(0)
	if t.span != nil {
		sum = c.path[last].childMax[c.idx[last]]
		lost := false // removed every entry with the largest span
		if removed != 0 && removed >= sum {
			lost = int(l.nMax) <= nRemoved
			l.nMax -= uint8(min(nRemoved, int(l.nMax)))
		}
		switch {
		case added > sum:
			sum, l.nMax = added, 1
		case added == sum && added != 0:
			l.nMax++
		case lost:
			sum = t.leafSummary(l)
		}
	}
	c.fixAbove(last, key, sum)
}

// Set replaces the entry c stands on.
// Preconditions: c.Valid(); key keeps the keys in order.
func (c *Cursor[T]) Set(key uint64, item T) {
	c.own()
	removed := c.t.spanOf(c.leaf, c.i)
	c.leaf.keys[c.i] = key
	c.leaf.setItem(c.i, item)
	c.fixUp(c.t.spanOf(c.leaf, c.i), removed, 1)
}

// splitPoint is how many of the treeCap+1 entries (or children) of a node
// that overflowed when one was added at pos stay in the left half. Adding
// at either end, as building a space in address order does, leaves the
// old node three quarters full rather than half.
func splitPoint(pos int) int {
	switch pos {
	case treeCap:
		return treeCap + 1 - treeMinFill
	case 0:
		return treeMinFill
	}
	return (treeCap + 1) / 2
}

// InsertAfter adds an entry right after the one c stands on (first, if c
// stands before the first entry) and leaves c on it.
// Preconditions: c.Valid() or c stands before the first entry; key lies
// between the keys of its new neighbours.
func (c *Cursor[T]) InsertAfter(key uint64, item T) {
	c.own()
	t := c.t
	t.n++
	l := c.leaf
	pos := c.i + 1
	if l.n < treeCap {
		l.insertAt(pos, key, item)
		c.i = pos
		c.fixUp(t.spanOf(l, pos), 0, 0)
		return
	}
	// Split: the left part stays in l, the right part moves to r.
	m := splitPoint(pos)
	k := m // old entries that stay in l
	if pos < m {
		k = m - 1
	}
	r := newLeaf[T](t.gen)
	r.appendFrom(l, k, l.n)
	l.removeRange(k, l.n)
	if pos < m {
		l.insertAt(pos, key, item)
	} else {
		r.insertAt(pos-k, key, item)
	}
	last := t.height - 1
	c.addChild(last, l.keys[0], t.leafSummary(l), nil, r, r.keys[0], t.leafSummary(r))
	t.SeekLE(c, key)
}

// addChild gives c.path[l] a new child (inner node in, or leaf lf) right of
// child c.idx[l], whose key and summary become key and sum, and splits
// c.path[l] if it overflows, upwards to a new root if need be.
// Preconditions: c's path is owned down to level l.
func (c *Cursor[T]) addChild(l int, key, sum uint64, in *inner[T], lf *leaf[T], newKey, newSum uint64) {
	t := c.t
	p, j := c.path[l], c.idx[l]
	p.keys[j], p.childMax[j] = key, sum
	pos := j + 1
	if p.n < treeCap {
		p.insertChildAt(pos, in, lf, newKey, newSum)
		p.recount()
		if l > 0 {
			c.fixAbove(l-1, p.keys[0], p.maxLen)
		}
		return
	}
	m := splitPoint(pos)
	q := &inner[T]{gen: t.gen}
	// q takes the children from m on (of treeCap+1), p keeps the rest.
	if pos >= m {
		q.moveChildren(0, p, m, pos)
		q.insertChildAt(q.n, in, lf, newKey, newSum)
		q.moveChildren(q.n, p, pos, treeCap)
		p.n = m
	} else {
		q.moveChildren(0, p, m-1, treeCap)
		p.n = m - 1
		p.insertChildAt(pos, in, lf, newKey, newSum)
	}
	clear(p.kids[p.n:])
	clear(p.leaves[p.n:])
	p.recount()
	q.recount()
	if l == 0 {
		root := &inner[T]{gen: t.gen, n: 2}
		root.keys[0], root.childMax[0], root.kids[0] = p.keys[0], p.maxLen, p
		root.keys[1], root.childMax[1], root.kids[1] = q.keys[0], q.maxLen, q
		root.recount()
		t.root = root
		t.height++
		if t.height > treeMaxHeight {
			panic("cowtree: tree too high")
		}
		return
	}
	c.addChild(l-1, p.keys[0], p.maxLen, q, nil, q.keys[0], q.maxLen)
}

// insertChildAt makes a child (in or lf) child pos of n, shifting the
// children from pos on. It leaves n.maxLen to the caller.
// Preconditions: n.n < treeCap.
func (n *inner[T]) insertChildAt(pos int, in *inner[T], lf *leaf[T], key, sum uint64) {
	copy(n.keys[pos+1:n.n+1], n.keys[pos:n.n])
	copy(n.childMax[pos+1:n.n+1], n.childMax[pos:n.n])
	copy(n.kids[pos+1:n.n+1], n.kids[pos:n.n])
	copy(n.leaves[pos+1:n.n+1], n.leaves[pos:n.n])
	n.keys[pos], n.childMax[pos], n.kids[pos], n.leaves[pos] = key, sum, in, lf
	n.n++
}

// moveChildren copies children [from, to) of src to n, at position at,
// and sets n.n to at plus their number. It leaves n.maxLen to the caller.
func (n *inner[T]) moveChildren(at int, src *inner[T], from, to int) {
	copy(n.keys[at:], src.keys[from:to])
	copy(n.childMax[at:], src.childMax[from:to])
	copy(n.kids[at:], src.kids[from:to])
	copy(n.leaves[at:], src.leaves[from:to])
	n.n = at + to - from
}

// removeChild drops child pos of n.
func (n *inner[T]) removeChild(pos int) {
	copy(n.keys[pos:], n.keys[pos+1:n.n])
	copy(n.childMax[pos:], n.childMax[pos+1:n.n])
	copy(n.kids[pos:], n.kids[pos+1:n.n])
	copy(n.leaves[pos:], n.leaves[pos+1:n.n])
	n.n--
	n.kids[n.n], n.leaves[n.n] = nil, nil
	n.recount()
}

// Delete removes the entry c stands on and leaves c on the entry that
// followed it (after the last entry, if none did).
// Preconditions: c.Valid().
func (c *Cursor[T]) Delete() {
	c.own()
	t := c.t
	l := c.leaf
	removed := t.spanOf(l, c.i)
	l.removeRange(c.i, c.i+1)
	t.n--
	last := t.height - 1
	if l.n >= treeMinFill || c.path[last].n == 1 {
		// A leaf alone under its parent is the root's only one.
		c.fixUp(0, removed, 1)
		if c.i == l.n {
			c.i--
			c.Next()
		}
		return
	}
	// The leaf is too small: find what follows before reshaping.
	after := *c
	after.i--
	hasNext := after.Next()
	nextKey := uint64(0)
	if hasNext {
		nextKey = after.Key()
	}
	c.rebalanceLeaf()
	if hasNext {
		t.SeekLE(c, nextKey)
		return
	}
	t.SeekLast(c)
	c.i = c.leaf.n
}

// DeleteRun removes n entries, from the one c stands on, and leaves c as
// Delete does. Entries of one leaf go together when the leaf keeps enough.
// Preconditions: c.Valid(), and at least n entries from c on.
func (c *Cursor[T]) DeleteRun(n int) {
	for n > 0 {
		l := c.leaf
		d := min(n, l.n-c.i)
		if d == 1 || l.n-d < treeMinFill && c.path[c.t.height-1].n > 1 {
			c.Delete()
			n--
			continue
		}
		c.own()
		l = c.leaf
		removed, nRemoved := uint64(0), 0
		for i := c.i; i < c.i+d; i++ {
			switch s := c.t.spanOf(l, i); {
			case s > removed:
				removed, nRemoved = s, 1
			case s == removed:
				nRemoved++
			}
		}
		l.removeRange(c.i, c.i+d)
		c.t.n -= d
		n -= d
		c.fixUp(0, removed, nRemoved)
		if c.i == l.n {
			c.i--
			c.Next()
		}
	}
}

// pair returns the indexes of c.path[l]'s child c.idx[l] and a neighbour,
// left one first.
func (c *Cursor[T]) pair(l int) (int, int) {
	j := c.idx[l]
	if j > 0 {
		return j - 1, j
	}
	return j, j + 1
}

// rebalanceLeaf merges c's leaf, which fell below treeMinFill, with a
// neighbour, or evens the two out, and continues upwards.
// Preconditions: c's path is owned; the parent has another child.
func (c *Cursor[T]) rebalanceLeaf() {
	t := c.t
	last := t.height - 1
	p := c.path[last]
	i, j := c.pair(last)
	a, b := t.ownLeaf(p.leaves[i]), t.ownLeaf(p.leaves[j])
	p.leaves[i], p.leaves[j] = a, b
	if a.n+b.n <= treeCap {
		a.appendFrom(b, 0, b.n)
		p.keys[i], p.childMax[i] = a.keys[0], t.leafSummary(a)
		p.removeChild(j)
	} else {
		half := (a.n + b.n) / 2
		if a.n > half {
			b.prependFrom(a, half, a.n)
			a.removeRange(half, a.n)
		} else {
			d := half - a.n
			a.appendFrom(b, 0, d)
			b.removeRange(0, d)
		}
		p.keys[i], p.childMax[i] = a.keys[0], t.leafSummary(a)
		p.keys[j], p.childMax[j] = b.keys[0], t.leafSummary(b)
		p.recount()
	}
	c.rebalanceInner(last)
}

// rebalanceInner continues a rebalancing at c.path[l], whose children
// changed: it merges or evens it out with a neighbour if it fell below
// treeMinFill, drops a root left with one inner child, and brings the
// levels above up to date.
// Preconditions: c's path is owned down to level l.
func (c *Cursor[T]) rebalanceInner(l int) {
	t := c.t
	n := c.path[l]
	if l == 0 {
		for t.height > 1 && t.root.n == 1 {
			t.root = t.root.kids[0]
			t.height--
		}
		return
	}
	if n.n >= treeMinFill {
		c.fixAbove(l-1, n.keys[0], n.maxLen)
		return
	}
	p := c.path[l-1]
	i, j := c.pair(l - 1)
	a, b := t.ownInner(p.kids[i]), t.ownInner(p.kids[j])
	p.kids[i], p.kids[j] = a, b
	if a.n+b.n <= treeCap {
		a.moveChildren(a.n, b, 0, b.n)
		a.recount()
		p.keys[i], p.childMax[i] = a.keys[0], a.maxLen
		p.removeChild(j)
	} else {
		half := (a.n + b.n) / 2
		var tmp inner[T]
		if a.n > half {
			tmp.moveChildren(0, a, half, a.n)
			tmp.moveChildren(tmp.n, b, 0, b.n)
			a.n = half
		} else {
			tmp.moveChildren(0, b, half-a.n, b.n)
			a.moveChildren(a.n, b, 0, half-a.n)
		}
		b.moveChildren(0, &tmp, 0, tmp.n)
		clear(a.kids[a.n:])
		clear(a.leaves[a.n:])
		clear(b.kids[b.n:])
		clear(b.leaves[b.n:])
		a.recount()
		b.recount()
		p.keys[i], p.childMax[i] = a.keys[0], a.maxLen
		p.keys[j], p.childMax[j] = b.keys[0], b.maxLen
		p.recount()
	}
	c.rebalanceInner(l - 1)
}

// Check verifies the invariants listed at the top of tree.go and returns
// the first violation, naming the tree as what.
func (t *Tree[T]) Check(what string) (string, bool) {
	count := 0
	prevKey, havePrev := uint64(0), false
	var bad string
	var walkLeaf func(l *leaf[T]) (uint64, uint64)
	walkLeaf = func(l *leaf[T]) (uint64, uint64) {
		if l.n < 0 || l.n > treeCap {
			bad = fmt.Sprintf("%s leaf holds %d entries", what, l.n)
			return 0, 0
		}
		if !l.checkSlots() {
			bad = fmt.Sprintf("%s leaf slots are not a permutation", what)
			return 0, 0
		}
		for _, k := range l.keys[:l.n] {
			if havePrev && k <= prevKey {
				bad = fmt.Sprintf("%s keys out of order at %#x", what, k)
			}
			prevKey, havePrev = k, true
		}
		count += l.n
		if l.n == 0 {
			return 0, 0
		}
		m, nm := t.largestSpan(l)
		if bad == "" && m != 0 && l.nMax != nm {
			bad = fmt.Sprintf("%s leaf at %#x counts %d entries of its largest span, not %d", what, l.keys[0], l.nMax, nm)
		}
		return l.keys[0], m
	}
	var walk func(n *inner[T], level int) (uint64, uint64)
	walk = func(n *inner[T], level int) (uint64, uint64) {
		if n.n < 1 || n.n > treeCap || level > 0 && n.n < treeMinFill || level == 0 && t.height > 1 && n.n < 2 {
			bad = fmt.Sprintf("%s inner node at level %d holds %d children", what, level, n.n)
			return 0, 0
		}
		m := uint64(0)
		for i := 0; i < n.n && bad == ""; i++ {
			var key, sum uint64
			if level == t.height-1 {
				l := n.leaves[i]
				if l == nil || n.kids[i] != nil {
					bad = fmt.Sprintf("%s leaf missing at level %d", what, level)
					break
				}
				if l.n < treeMinFill && !(level == 0 && n.n == 1) {
					bad = fmt.Sprintf("%s leaf at %#x holds only %d entries", what, l.keys[0], l.n)
				}
				key, sum = walkLeaf(l)
			} else {
				if n.kids[i] == nil || n.leaves[i] != nil {
					bad = fmt.Sprintf("%s inner node missing at level %d", what, level)
					break
				}
				key, sum = walk(n.kids[i], level+1)
			}
			if bad == "" && n.keys[i] != key {
				bad = fmt.Sprintf("%s key of child %d at level %d is %#x, want %#x", what, i, level, n.keys[i], key)
			}
			if bad == "" && n.childMax[i] != sum {
				bad = fmt.Sprintf("%s maxLen stale for child %d at level %d", what, i, level)
			}
			m = max(m, sum)
		}
		if bad == "" && n.maxLen != m {
			bad = fmt.Sprintf("%s maxLen stale at level %d (%#x, want %#x)", what, level, n.maxLen, m)
		}
		return n.keys[0], n.maxLen
	}
	walk(t.root, 0)
	if bad == "" && count != t.n {
		bad = fmt.Sprintf("%s count stale: %d recorded, %d entries", what, t.n, count)
	}
	return bad, bad == ""
}

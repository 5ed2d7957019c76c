package hostvm

// The gap index: every free range between VMAs, in a treap ordered by start
// address and augmented with the longest gap in each subtree, so that both
// placement searches (highest fit below a limit, lowest fit above one) are
// O(log n). Linux gets the same from its maple tree (mas_empty_area_rev);
// gVisor keeps the largest gap per node of its VMA set for the same reason.
//
// A gap's end is its effective end: the next VMA's vm_start_gap(), which for
// a MAP_GROWSDOWN VMA lies stack_guard_gap below its start. Searching
// effective gaps gives the answers Linux's retry loop reaches.
//
// Nodes are copy-on-write: each carries the generation that may modify it in
// place, and a tree whose generation differs copies the node first. Clone
// therefore costs O(1): both trees take fresh generations and share every
// node until one of them writes.

// generation identifies the owner allowed to mutate a node, page or chunk in
// place. It has a field because Go may give every zero-sized allocation the
// same address.
type generation struct{ _ byte }

type gapNode struct {
	start, end Addr
	maxLen     uint64 // longest end-start in this subtree
	prio       uint64
	left       *gapNode
	right      *gapNode
	gen        *generation
}

type gapTree struct {
	root *gapNode
	gen  *generation
	n    int
}

func (n *gapNode) len() uint64 { return uint64(n.end - n.start) }

func (t *gapTree) own(n *gapNode) *gapNode {
	if n == nil || n.gen == t.gen {
		return n
	}
	c := *n
	c.gen = t.gen
	return &c
}

func (n *gapNode) fix() {
	m := n.len()
	if n.left != nil && n.left.maxLen > m {
		m = n.left.maxLen
	}
	if n.right != nil && n.right.maxLen > m {
		m = n.right.maxLen
	}
	n.maxLen = m
}

// insert adds the gap [start, end); start must not be in the tree already.
func (t *gapTree) insert(start, end Addr) {
	nn := &gapNode{start: start, end: end, maxLen: uint64(end - start), prio: mix64(uint64(start)), gen: t.gen}
	t.root = t.insertAt(t.root, nn)
	t.n++
}

func (t *gapTree) insertAt(n, nn *gapNode) *gapNode {
	if n == nil {
		return nn
	}
	if nn.prio > n.prio {
		nn.left, nn.right = t.split(n, nn.start)
		nn.fix()
		return nn
	}
	n = t.own(n)
	if nn.start < n.start {
		n.left = t.insertAt(n.left, nn)
	} else {
		n.right = t.insertAt(n.right, nn)
	}
	n.fix()
	return n
}

// split divides n into the nodes with start < key and those with start >= key.
func (t *gapTree) split(n *gapNode, key Addr) (l, r *gapNode) {
	if n == nil {
		return nil, nil
	}
	n = t.own(n)
	if n.start < key {
		n.right, r = t.split(n.right, key)
		n.fix()
		return n, r
	}
	l, n.left = t.split(n.left, key)
	n.fix()
	return l, n
}

// join concatenates l and r, every start in l being below every start in r.
func (t *gapTree) join(l, r *gapNode) *gapNode {
	if l == nil {
		return r
	}
	if r == nil {
		return l
	}
	if l.prio > r.prio {
		l = t.own(l)
		l.right = t.join(l.right, r)
		l.fix()
		return l
	}
	r = t.own(r)
	r.left = t.join(l, r.left)
	r.fix()
	return r
}

// deleteRange removes every gap whose start lies in [lo, hi].
func (t *gapTree) deleteRange(lo, hi Addr) {
	l, rest := t.split(t.root, lo)
	var mid, r *gapNode
	if hi == ^Addr(0) {
		mid = rest
	} else {
		mid, r = t.split(rest, hi+1)
	}
	t.n -= countNodes(mid)
	t.root = t.join(l, r)
}

func countNodes(n *gapNode) int {
	if n == nil {
		return 0
	}
	return 1 + countNodes(n.left) + countNodes(n.right)
}

// topDown returns the highest address a with [a, a+length) inside one gap
// and inside [low, high). Compare Linux's unmapped_area_topdown().
func (t *gapTree) topDown(low, high Addr, length uint64) (Addr, bool) {
	return topDownIn(t.root, low, high, length)
}

func topDownIn(n *gapNode, low, high Addr, length uint64) (Addr, bool) {
	for n != nil && n.maxLen >= length {
		if n.start < high {
			if a, ok := topDownIn(n.right, low, high, length); ok {
				return a, true
			}
			if a, ok := fitTop(n, low, high, length); ok {
				return a, true
			}
		}
		// Every gap in the left subtree ends at or below n.start.
		if n.start <= low {
			return 0, false
		}
		n = n.left
	}
	return 0, false
}

func fitTop(n *gapNode, low, high Addr, length uint64) (Addr, bool) {
	s, e := max(n.start, low), min(n.end, high)
	if s < e && uint64(e-s) >= length {
		return e - Addr(length), true
	}
	return 0, false
}

// bottomUp returns the lowest address a with [a, a+length) inside one gap
// and inside [low, high). Compare Linux's unmapped_area().
func (t *gapTree) bottomUp(low, high Addr, length uint64) (Addr, bool) {
	return bottomUpIn(t.root, low, high, length)
}

func bottomUpIn(n *gapNode, low, high Addr, length uint64) (Addr, bool) {
	for n != nil && n.maxLen >= length {
		// Gaps in the left subtree end at or below n.start.
		if n.start > low {
			if a, ok := bottomUpIn(n.left, low, high, length); ok {
				return a, true
			}
		}
		if n.start >= high {
			return 0, false
		}
		s, e := max(n.start, low), min(n.end, high)
		if s < e && uint64(e-s) >= length {
			return s, true
		}
		n = n.right
	}
	return 0, false
}

// each calls fn for every gap in address order.
func (t *gapTree) each(fn func(start, end Addr)) {
	var walk func(n *gapNode)
	walk = func(n *gapNode) {
		if n == nil {
			return
		}
		walk(n.left)
		fn(n.start, n.end)
		walk(n.right)
	}
	walk(t.root)
}

// check verifies the treap's order, heap and augmentation invariants.
func (t *gapTree) check() (string, bool) {
	var bad string
	var walk func(n *gapNode, lo, hi Addr) (int, uint64)
	walk = func(n *gapNode, lo, hi Addr) (int, uint64) {
		if n == nil || bad != "" {
			return 0, 0
		}
		if n.start < lo || n.start > hi || n.end <= n.start {
			bad = "gap " + Range{n.start, n.end}.String() + " out of order or empty"
			return 0, 0
		}
		if (n.left != nil && n.left.prio > n.prio) || (n.right != nil && n.right.prio > n.prio) {
			bad = "gap treap heap order broken at " + n.start.String()
		}
		cl, ml := walk(n.left, lo, n.start)
		cr, mr := walk(n.right, n.start, hi)
		m := max(n.len(), ml, mr)
		if m != n.maxLen {
			bad = "gap treap maxLen stale at " + n.start.String()
		}
		return cl + cr + 1, m
	}
	c, _ := walk(t.root, 0, ^Addr(0))
	if bad == "" && c != t.n {
		bad = "gap count stale"
	}
	return bad, bad == ""
}

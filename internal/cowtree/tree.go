package cowtree

import "sync/atomic"

// The tree: layout, summaries, copy-on-write and invariants.
//
// Layout: every entry lives in a leaf (keys sorted in one array, values in
// another, reached through slot bytes so that edits move no values; see
// leaf.go); inner nodes hold, per child, the smallest key under it and the
// child's summary. The root is always an inner node, and an empty tree has
// one empty leaf, so a cursor always has a leaf to stand in.
//
// Summaries: a tree may give each entry a span (for hostvm's VMAs, the
// length of the free gap above each) and keep, for every subtree, the
// largest span in it, so that searches can skip subtrees (search.go). Leaves keep theirs in
// the parent (childMax); an inner node keeps the largest of its children's
// in maxLen. An edit updates a leaf's summary from the spans it adds and
// removes, and rescans the leaf only when it removed the last entry with
// the largest (a leaf counts those, nMax).
//
// Copy-on-write: every node carries the generation allowed to modify it in
// place. A cursor that edits first copies the nodes on its path that belong
// to another generation (own), so a clone costs O(1): both trees adopt
// fresh generations and share every node until one of them writes.
//
// Invariants (Check): keys strictly increasing in key order across leaves;
// each inner key equal to the smallest key under that child; every
// summary current; n equal to the number of entries; every node but the
// root holds at least treeMinFill entries or children (a lone leaf may be
// empty); all leaves at the same depth; each leaf's slots a permutation.

const (
	// treeCap is the most entries a leaf, or children an inner node,
	// holds. 31 makes a leaf of VMAs (31 keys, slot bytes and 56-byte
	// values, and the allocator's 8-byte header for objects with
	// pointers) just fit its 2048-byte size class.
	treeCap = 31
	// treeMinFill is the fewest a node other than the root keeps: below
	// it, a node takes entries from a neighbour or merges with it.
	treeMinFill = 8
	// treeMaxHeight bounds the inner levels: with nodes at least
	// treeMinFill full, 16 levels hold far more than 2^40 entries.
	treeMaxHeight = 16
)

// leaf holds entries: keys in order, values by slot (leaf.go).
type leaf[T any] struct {
	gen  *Generation
	n    int
	keys [treeCap]uint64
	slot [treeCap]uint8 // slot[i]: where the value of keys[i] is
	// nMax counts the entries whose span is the leaf's summary (when
	// that is not 0), so that removing one of several does not rescan
	// the leaf. It fits in the padding after slot.
	nMax  uint8
	items [treeCap]T
}

type inner[T any] struct {
	gen      *Generation
	n        int
	maxLen   uint64             // the largest childMax: this subtree's summary
	keys     [treeCap]uint64    // the smallest key under each child
	childMax [treeCap]uint64    // each child's summary
	kids     [treeCap]*inner[T] // children, when they are inner nodes
	leaves   [treeCap]*leaf[T]  // children, when they are leaves
}

// Generation identifies the owner allowed to modify a node in place (it is
// not zero-sized: Go may give every zero-sized allocation the same
// address). hostvm gives its pages and chunks the same generations as its
// trees, and marks a generation shared when a Clone takes a snapshot
// without writing the original (see MarkShared).
type Generation struct{ shared atomic.Bool }

// MarkShared records that a snapshot now shares what the owner of g holds.
// It is the one write a read-only snapshot makes, atomically: the owner
// must take a fresh generation (and Adopt it) before it next writes.
func (g *Generation) MarkShared() { g.shared.Store(true) }

// Shared reports whether MarkShared was called on g.
func (g *Generation) Shared() bool { return g.shared.Load() }

// Tree is an ordered map from distinct uint64 keys to values of type T.
// Copying a Tree value shares its nodes: use Clone for a snapshot.
type Tree[T any] struct {
	root   *inner[T]
	height int // levels of inner nodes; at the last, children are leaves
	n      int // entries
	gen    *Generation
	// span is an entry's contribution to the summaries; nil keeps none
	// (every summary is 0). It reads the item in place and must not keep
	// the pointer.
	span func(key uint64, item *T) uint64
}

// New returns an empty tree owned by gen.
func New[T any](gen *Generation, span func(key uint64, item *T) uint64) Tree[T] {
	root := &inner[T]{gen: gen, n: 1}
	root.leaves[0] = newLeaf[T](gen)
	return Tree[T]{root: root, height: 1, gen: gen, span: span}
}

// Len is the number of entries.
func (t *Tree[T]) Len() int { return t.n }

// Height is the number of levels of inner nodes (1 for a tree whose root's
// children are leaves).
func (t *Tree[T]) Height() int { return t.height }

// Adopt makes gen the generation t modifies in place: nodes of any other
// generation are copied before t changes them.
func (t *Tree[T]) Adopt(gen *Generation) { t.gen = gen }

// Clone returns a snapshot of t in O(1): t and the copy adopt fresh
// generations and share every node until one of them writes. Callers that
// share a generation between several trees (hostvm) copy the Tree value
// and Adopt instead.
func (t *Tree[T]) Clone() Tree[T] {
	c := *t
	t.gen = &Generation{}
	c.gen = &Generation{}
	return c
}

// leafSummary is the largest span in l; it also sets l.nMax.
// Preconditions: t may modify l.
func (t *Tree[T]) leafSummary(l *leaf[T]) uint64 {
	m, n := t.largestSpan(l)
	l.nMax = n
	return m
}

// largestSpan is the largest span in l and how many entries have it.
func (t *Tree[T]) largestSpan(l *leaf[T]) (uint64, uint8) {
	m, n := uint64(0), uint8(0)
	if t.span != nil {
		for i, k := range l.keys[:l.n] {
			switch s := t.span(k, &l.items[l.slot[i]]); {
			case s > m:
				m, n = s, 1
			case s == m:
				n++
			}
		}
	}
	return m, n
}

// spanOf is the span of entry i of l.
func (t *Tree[T]) spanOf(l *leaf[T], i int) uint64 {
	if t.span == nil {
		return 0
	}
	return t.span(l.keys[i], &l.items[l.slot[i]])
}

// recount sets n.maxLen from its children's summaries.
func (n *inner[T]) recount() {
	m := uint64(0)
	for _, c := range n.childMax[:n.n] {
		m = max(m, c)
	}
	n.maxLen = m
}

// ownLeaf returns l, or a copy of it that t may modify.
func (t *Tree[T]) ownLeaf(l *leaf[T]) *leaf[T] {
	if l.gen == t.gen {
		return l
	}
	c := *l
	c.gen = t.gen
	return &c
}

// ownInner returns n, or a copy of it that t may modify.
func (t *Tree[T]) ownInner(n *inner[T]) *inner[T] {
	if n.gen == t.gen {
		return n
	}
	c := *n
	c.gen = t.gen
	return &c
}

// searchKeys returns how many of keys (sorted) are <= key.
func searchKeys(keys []uint64, key uint64) int {
	lo, hi := 0, len(keys)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if keys[m] <= key {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// Cursor is a position in a tree: the path from the root to a leaf and an
// index in it. It stands on an entry (valid), before the first entry
// (i == -1, in the first leaf) or after the last (i == leaf.n, in the last
// leaf). Any edit of the tree not made through this cursor invalidates it.
// The zero Cursor stands nowhere: a Seek method places it.
type Cursor[T any] struct {
	t    *Tree[T]
	path [treeMaxHeight]*inner[T]
	idx  [treeMaxHeight]int // the child taken at each level
	leaf *leaf[T]
	i    int
}

// SeekLE puts c on the last entry whose key is <= key, or before the
// first entry if there is none.
func (t *Tree[T]) SeekLE(c *Cursor[T], key uint64) {
	c.t = t
	n := t.root
	last := t.height - 1
	for l := 0; ; l++ {
		c.path[l] = n
		j := searchKeys(n.keys[:n.n], key) - 1
		j = max(j, 0)
		c.idx[l] = j
		if l == last {
			c.leaf = n.leaves[j]
			break
		}
		n = n.kids[j]
	}
	c.i = searchKeys(c.leaf.keys[:c.leaf.n], key) - 1
}

// SeekLT puts c on the last entry whose key is < key, or before the first
// entry if there is none.
func (t *Tree[T]) SeekLT(c *Cursor[T], key uint64) {
	if key == 0 {
		t.SeekLE(c, 0)
		c.i = -1
		return
	}
	t.SeekLE(c, key-1)
}

// SeekFirst puts c on the first entry (after the last, in an empty tree).
func (t *Tree[T]) SeekFirst(c *Cursor[T]) {
	t.SeekLE(c, 0)
	if c.i < 0 {
		c.i = 0
	}
}

// SeekLast puts c on the last entry (before the first, in an empty tree).
func (t *Tree[T]) SeekLast(c *Cursor[T]) { t.SeekLE(c, ^uint64(0)) }

// Valid reports whether c stands on an entry.
func (c *Cursor[T]) Valid() bool { return c.i >= 0 && c.i < c.leaf.n }

// Key and Item are the entry c stands on.
// Preconditions: c.Valid().
func (c *Cursor[T]) Key() uint64 { return c.leaf.keys[c.i] }
func (c *Cursor[T]) Item() T     { return c.leaf.item(c.i) }

// Next moves c to the next entry and reports whether there is one; past
// the last, c stands after it.
func (c *Cursor[T]) Next() bool {
	if c.i+1 < c.leaf.n {
		c.i++
		return true
	}
	last := c.t.height - 1
	for l := last; l >= 0; l-- {
		if c.idx[l]+1 >= c.path[l].n {
			continue
		}
		c.idx[l]++
		for m := l; m < last; m++ {
			c.path[m+1] = c.path[m].kids[c.idx[m]]
			c.idx[m+1] = 0
		}
		c.leaf = c.path[last].leaves[c.idx[last]]
		c.i = 0
		return true
	}
	c.i = c.leaf.n
	return false
}

// Prev moves c to the previous entry and reports whether there is one;
// before the first, c stands before it.
func (c *Cursor[T]) Prev() bool {
	if c.i > 0 {
		c.i = min(c.i, c.leaf.n) - 1
		return c.i >= 0
	}
	last := c.t.height - 1
	for l := last; l >= 0; l-- {
		if c.idx[l] == 0 {
			continue
		}
		c.idx[l]--
		for m := l; m < last; m++ {
			k := c.path[m].kids[c.idx[m]]
			c.path[m+1] = k
			c.idx[m+1] = k.n - 1
		}
		c.leaf = c.path[last].leaves[c.idx[last]]
		c.i = c.leaf.n - 1
		return true
	}
	c.i = -1
	return false
}

// own makes every node on c's path one that c.t may modify, copying the
// nodes another generation shares.
func (c *Cursor[T]) own() {
	t := c.t
	if t.root.gen != t.gen {
		t.root = t.ownInner(t.root)
	}
	c.path[0] = t.root
	last := t.height - 1
	for l := 0; l < last; l++ {
		p, j := c.path[l], c.idx[l]
		if p.kids[j].gen != t.gen {
			p.kids[j] = t.ownInner(p.kids[j])
		}
		c.path[l+1] = p.kids[j]
	}
	p, j := c.path[last], c.idx[last]
	if p.leaves[j].gen != t.gen {
		p.leaves[j] = t.ownLeaf(p.leaves[j])
	}
	c.leaf = p.leaves[j]
}

// SetItem replaces the value of the entry c stands on, keeping its key.
// Preconditions: c.Valid().
func (c *Cursor[T]) SetItem(item T) { c.Set(c.Key(), item) }

// Ascend calls fn for every entry in key order until fn returns false.
func (t *Tree[T]) Ascend(fn func(key uint64, item T) bool) {
	var c Cursor[T]
	t.SeekFirst(&c)
	for ok := c.Valid(); ok; ok = c.Next() {
		if !fn(c.Key(), c.Item()) {
			return
		}
	}
}

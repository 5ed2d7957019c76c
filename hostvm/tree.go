package hostvm

// tree is an ordered map from distinct uint64 keys to values of type T: a
// copy-on-write B+tree with a cursor. hostvm keeps its VMAs in one (keyed
// by start) and its gap index in another (keyed by a gap's start, holding
// its end).
//
// Why not google/btree: every lookup there descends from the root through a
// comparison closure, and neighbours are reached by new descents. Here a
// cursor keeps its path from the root, so an operation finds its position
// once and reaches the VMAs before and after it, edits them and fixes the
// path, without another descent; keys sit in flat arrays compared inline.
// Linux's maple tree and gVisor's segment sets work the same way.
//
// Layout: every entry lives in a leaf (keys sorted in one array, values in
// another, reached through slot bytes so that edits move no values; see
// tree_leaf.go); inner nodes hold, per child, the smallest key under it
// and the child's summary. The root is always an inner node, and an empty
// tree has one empty leaf, so a cursor always has a leaf to stand in.
//
// Summaries: a tree may give each entry a span (for the gap index, the
// gap's length) and keep, for every subtree, the largest span in it, so
// that searches can skip subtrees. Leaves keep theirs in the parent
// (childMax); an inner node keeps the largest of its children's in maxLen.
// An edit updates a leaf's summary from the spans it adds and removes, and
// rescans the leaf only when it removed the largest.
//
// Copy-on-write: every node carries the generation allowed to modify it in
// place. A cursor that edits first copies the nodes on its path that belong
// to another generation (own), so Clone costs O(1): both trees take fresh
// generations and share every node until one of them writes.
//
// Invariants (check): keys strictly increasing in key order across leaves;
// each inner key equal to the smallest key under that child; every
// summary current; n equal to the number of entries; every node but the
// root holds at least treeMinFill entries or children (a lone leaf may be
// empty); all leaves at the same depth; each leaf's slots a permutation.

const (
	// treeCap is the most entries a leaf, or children an inner node,
	// holds. 31 makes a leaf of VMAs (31 keys, slot bytes and 48-byte
	// values, and the allocator's 8-byte header for objects with
	// pointers) just fit its 1792-byte size class.
	treeCap = 31
	// treeMinFill is the fewest a node other than the root keeps: below
	// it, a node takes entries from a neighbour or merges with it.
	treeMinFill = 8
	// treeMaxHeight bounds the inner levels: with nodes at least
	// treeMinFill full, 16 levels hold far more than 2^40 entries.
	treeMaxHeight = 16
)

// leaf holds entries: keys in order, values by slot (tree_leaf.go).
type leaf[T any] struct {
	gen   *generation
	n     int
	keys  [treeCap]uint64
	slot  [treeCap]uint8 // slot[i]: where the value of keys[i] is
	items [treeCap]T
}

type inner[T any] struct {
	gen      *generation
	n        int
	maxLen   uint64             // the largest childMax: this subtree's summary
	keys     [treeCap]uint64    // the smallest key under each child
	childMax [treeCap]uint64    // each child's summary
	kids     [treeCap]*inner[T] // children, when they are inner nodes
	leaves   [treeCap]*leaf[T]  // children, when they are leaves
}

type tree[T any] struct {
	root   *inner[T]
	height int // levels of inner nodes; at the last, children are leaves
	n      int // entries
	gen    *generation
	// span is an entry's contribution to the summaries; nil keeps none
	// (every summary is 0).
	span func(key uint64, item T) uint64
}

// newTree returns an empty tree owned by gen.
func newTree[T any](gen *generation, span func(key uint64, item T) uint64) tree[T] {
	root := &inner[T]{gen: gen, n: 1}
	root.leaves[0] = newLeaf[T](gen)
	return tree[T]{root: root, height: 1, gen: gen, span: span}
}

// Len is the number of entries.
func (t *tree[T]) Len() int { return t.n }

// leafSummary is the largest span in l.
func (t *tree[T]) leafSummary(l *leaf[T]) uint64 {
	m := uint64(0)
	if t.span != nil {
		for i, k := range l.keys[:l.n] {
			m = max(m, t.span(k, l.item(i)))
		}
	}
	return m
}

// spanOf is the span of entry i of l.
func (t *tree[T]) spanOf(l *leaf[T], i int) uint64 {
	if t.span == nil {
		return 0
	}
	return t.span(l.keys[i], l.item(i))
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
func (t *tree[T]) ownLeaf(l *leaf[T]) *leaf[T] {
	if l.gen == t.gen {
		return l
	}
	c := *l
	c.gen = t.gen
	return &c
}

// ownInner returns n, or a copy of it that t may modify.
func (t *tree[T]) ownInner(n *inner[T]) *inner[T] {
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

// cursor is a position in a tree: the path from the root to a leaf and an
// index in it. It stands on an entry (valid), before the first entry
// (i == -1, in the first leaf) or after the last (i == leaf.n, in the last
// leaf). Any edit of the tree not made through this cursor invalidates it.
type cursor[T any] struct {
	t    *tree[T]
	path [treeMaxHeight]*inner[T]
	idx  [treeMaxHeight]int // the child taken at each level
	leaf *leaf[T]
	i    int
}

// seekLE puts c on the last entry whose key is <= key, or before the
// first entry if there is none.
func (t *tree[T]) seekLE(c *cursor[T], key uint64) {
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

// seekFirst puts c on the first entry (after the last, in an empty tree).
func (t *tree[T]) seekFirst(c *cursor[T]) {
	t.seekLE(c, 0)
	if c.i < 0 {
		c.i = 0
	}
}

// seekLast puts c on the last entry (before the first, in an empty tree).
func (t *tree[T]) seekLast(c *cursor[T]) { t.seekLE(c, ^uint64(0)) }

func (c *cursor[T]) valid() bool { return c.i >= 0 && c.i < c.leaf.n }

// key and item are the entry c stands on.
// Preconditions: c.valid().
func (c *cursor[T]) key() uint64 { return c.leaf.keys[c.i] }
func (c *cursor[T]) item() T     { return c.leaf.item(c.i) }

// next moves c to the next entry and reports whether there is one; past
// the last, c stands after it.
func (c *cursor[T]) next() bool {
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

// prev moves c to the previous entry and reports whether there is one;
// before the first, c stands before it.
func (c *cursor[T]) prev() bool {
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
func (c *cursor[T]) own() {
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

// setItem replaces the value of the entry c stands on, keeping its key.
// Preconditions: c.valid().
func (c *cursor[T]) setItem(item T) { c.set(c.key(), item) }

// ascend calls fn for every entry in key order until fn returns false.
func (t *tree[T]) ascend(fn func(key uint64, item T) bool) {
	var c cursor[T]
	t.seekFirst(&c)
	for ok := c.valid(); ok; ok = c.next() {
		if !fn(c.key(), c.item()) {
			return
		}
	}
}

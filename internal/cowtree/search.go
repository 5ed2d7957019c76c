package cowtree

// Searches by span: a tree whose entries are disjoint intervals, each
// starting at its key and ending by the next entry's key (hostvm's VMAs,
// each with the free gap above it), can find an entry of a least span
// inside a window of keys in O(log n), skipping every subtree whose
// largest span is too small or whose keys lie outside the window. Compare
// Linux's mas_empty_area_rev() over the maple tree, and gVisor's gap
// search in its segment sets.

// Query is a search: entries whose span is at least MinSpan and which may
// reach into [Low, High), visited in key order, or in reverse when Down.
type Query struct {
	Low, High uint64
	MinSpan   uint64
	Down      bool
}

// Past reports whether the keys [lo, hi) of a subtree or an entry, and
// everything beyond them in the search's direction, lie outside [Low,
// High): a visit may stop there.
func (q *Query) Past(lo, hi uint64) bool {
	if q.Down {
		return hi <= q.Low
	}
	return lo >= q.High
}

// Search visits, in the query's direction, the entries of the subtrees
// that may hold one it wants, calling visit for each until visit returns
// true (done: it found what it wants, or every entry from there on in the
// query's direction lies outside the window). visit sees every entry of
// the leaves it reaches, in place, and checks spans and bounds itself; it
// must not edit the tree nor keep the pointer.
// Preconditions: every entry ends by the next entry's key (so a subtree's
// entries lie in [its key, the next subtree's key)).
func (t *Tree[T]) Search(q Query, visit func(key uint64, item *T) (done bool)) {
	if t.root.maxLen < q.MinSpan {
		return
	}
	t.searchIn(t.root, 0, &q, visit)
}

// searchIn, which reports whether visit said done, visits n's children in the query's direction, skipping those
// whose largest span is too small or whose entries all lie outside [Low,
// High): the entries under child j start at or above its key and end at or
// below the next child's key.
func (t *Tree[T]) searchIn(n *inner[T], level int, q *Query, visit func(key uint64, item *T) bool) bool {
	for x := 0; x < n.n; x++ {
		j := x
		if q.Down {
			j = n.n - 1 - x
		}
		lo, hi := n.keys[j], ^uint64(0)
		if j+1 < n.n {
			hi = n.keys[j+1]
		}
		if q.Past(lo, hi) {
			break
		}
		if n.childMax[j] < q.MinSpan || lo >= q.High || hi <= q.Low {
			continue
		}
		var found bool
		if level == t.height-1 {
			found = searchLeaf(n.leaves[j], q, visit)
		} else {
			found = t.searchIn(n.kids[j], level+1, q, visit)
		}
		if found {
			return true
		}
	}
	return false
}

func searchLeaf[T any](l *leaf[T], q *Query, visit func(key uint64, item *T) bool) bool {
	for x := 0; x < l.n; x++ {
		i := x
		if q.Down {
			i = l.n - 1 - x
		}
		if visit(l.keys[i], &l.items[l.slot[i]]) {
			return true
		}
	}
	return false
}

package hostvm

// A leaf keeps its keys sorted but each value where it was put: slot[i]
// says which element of items holds the i-th key's value. slot is always a
// permutation of the elements: slot[:n] are the entries' in key order,
// slot[n:] the free ones. Inserting or deleting an entry shifts keys and
// slot bytes, never values: in a leaf of VMAs that is at most 280 bytes
// moved instead of 1.5 KiB, which is most of what an edit costs when the
// leaf is not in the cache.

// newLeaf returns an empty leaf owned by gen.
func newLeaf[T any](gen *generation) *leaf[T] {
	l := &leaf[T]{gen: gen}
	for i := range l.slot {
		l.slot[i] = uint8(i)
	}
	return l
}

// item is the value of entry i.
func (l *leaf[T]) item(i int) T { return l.items[l.slot[i]] }

// setItem replaces the value of entry i.
func (l *leaf[T]) setItem(i int, item T) { l.items[l.slot[i]] = item }

// insertAt makes (key, item) entry pos, after shifting the entries from pos
// on.
// Preconditions: l.n < treeCap; 0 <= pos <= l.n.
func (l *leaf[T]) insertAt(pos int, key uint64, item T) {
	s := l.slot[l.n] // a free element
	l.items[s] = item
	copy(l.keys[pos+1:l.n+1], l.keys[pos:l.n])
	copy(l.slot[pos+1:l.n+1], l.slot[pos:l.n])
	l.keys[pos], l.slot[pos] = key, s
	l.n++
}

// removeRange drops entries [from, to).
func (l *leaf[T]) removeRange(from, to int) {
	var zero T
	var freed [treeCap]uint8
	d := copy(freed[:], l.slot[from:to])
	for _, s := range freed[:d] {
		l.items[s] = zero
	}
	copy(l.keys[from:], l.keys[to:l.n])
	copy(l.slot[from:], l.slot[to:l.n])
	l.n -= d
	copy(l.slot[l.n:], freed[:d])
}

// appendFrom adds entries [from, to) of src after l's last.
// Preconditions: l.n+to-from <= treeCap; src's keys are above l's.
func (l *leaf[T]) appendFrom(src *leaf[T], from, to int) {
	for i := from; i < to; i++ {
		l.insertAt(l.n, src.keys[i], src.item(i))
	}
}

// prependFrom adds entries [from, to) of src before l's first.
// Preconditions: l.n+to-from <= treeCap; src's keys are below l's.
func (l *leaf[T]) prependFrom(src *leaf[T], from, to int) {
	d := to - from
	var free [treeCap]uint8
	copy(free[:], l.slot[l.n:l.n+d])
	copy(l.keys[d:], l.keys[:l.n])
	copy(l.slot[d:], l.slot[:l.n])
	for j := 0; j < d; j++ {
		s := free[j]
		l.items[s] = src.item(from + j)
		l.keys[j], l.slot[j] = src.keys[from+j], s
	}
	l.n += d
}

// checkSlots reports whether slot is a permutation of the elements.
func (l *leaf[T]) checkSlots() bool {
	seen := uint64(0)
	for _, s := range l.slot {
		if s >= treeCap || seen&(1<<s) != 0 {
			return false
		}
		seen |= 1 << s
	}
	return true
}

package hostvm

import "github.com/mmapsim/mmapsim/internal/cowtree"

// The gaps: every VMA records where the free range above it ends (gapEnd),
// and the VMA tree keeps, per subtree, the longest such gap (its span), so
// that both placement searches (highest fit below a limit, lowest fit above
// one) are O(log n) in the VMA tree alone. Linux did the same with
// rb_subtree_gap in its VMA rbtree (now the maple tree's gaps, see
// mas_empty_area_rev); gVisor keeps the largest gap per node of its VMA set.
// The gap below the first VMA has no VMA to hold it: the searches compute
// it from the first VMA.
//
// A gap's end is its effective end: the next VMA's vm_start_gap(), which for
// a MAP_GROWSDOWN VMA lies stack_guard_gap below its start. Searching
// effective gaps gives the answers Linux's retry loop reaches.
//
// An operation that changes VMAs brings the gapEnd of the VMAs around the
// change up to date before it returns (regap, regapCovered, regapHole,
// fixGapAbove); in between, a VMA's gapEnd may be stale.

// generation identifies the owner allowed to mutate a node, page or chunk in
// place: the trees' generations (internal/cowtree) serve the pages too. A
// Clone marks the owner's generation shared (Generation.MarkShared, the one
// thing Clone writes, atomically, so that clones of one kernel may be taken
// concurrently): the owner takes a fresh generation before it next writes
// (unshare).
type generation = cowtree.Generation

// gapSpan is v's span in the VMA tree: the length of the gap above it (0
// while gapEnd is stale below end).
func gapSpan(_ uint64, v *vma) uint64 {
	if v.gapEnd <= v.end {
		return 0
	}
	return uint64(v.gapEnd - v.end)
}

// gapEndAbove is what gapEnd must be for a VMA ending at end whose next
// VMA is next (hasNext false: there is none).
func (k *Kernel) gapEndAbove(end Addr, next vma, hasNext bool) Addr {
	e := k.g.taskSize
	if hasNext {
		e = k.vmStartGap(next)
	}
	return max(e, end)
}

// fixGapAbove brings the gapEnd of the VMA c stands on up to date, from
// the VMA after it, and leaves c there.
// Preconditions: c.Valid().
func (k *Kernel) fixGapAbove(c *cowtree.Cursor[vma]) {
	v := c.Item()
	var next vma
	hasNext := c.Next()
	if hasNext {
		next = c.Item()
	}
	c.Prev()
	if e := k.gapEndAbove(v.end, next, hasNext); e != v.gapEnd {
		v.gapEnd = e
		c.SetItem(v)
	}
}

// regap brings the gaps up to date after an operation that changed VMAs
// only inside [lo, hi) (and merged them with their neighbours): the gaps
// that can have changed are those above the last VMA below lo, above the
// VMAs in [lo, hi) and above the first VMA ending above hi.
func (k *Kernel) regap(lo, hi Addr) {
	var c cowtree.Cursor[vma]
	k.seekBelow(&c, lo)
	if !c.Valid() && !c.Next() {
		return
	}
	for {
		end := c.Item().end
		k.fixGapAbove(&c)
		if end > hi || !c.Next() {
			return
		}
	}
}

// regapCovered brings the gaps up to date after r, which held no VMA or
// only VMAs now gone, came to lie inside the VMA V that c stands on (the
// one put there, joined to its neighbours where they merged): the gap
// below V, if V starts at r, and the gap above V changed. Gaps further out
// kept both their ends.
// Preconditions: c stands on V; V covers r; outside r, VMAs changed only
// by merging with V.
func (k *Kernel) regapCovered(c *cowtree.Cursor[vma], r Range) {
	if c.Item().start == r.Start {
		if c.Prev() {
			k.fixGapAbove(c)
		}
		c.Next()
	}
	k.fixGapAbove(c)
}

// regapHole brings the gaps up to date after unmapAt emptied r: the gap
// above P, the VMA below r, now ends at the next VMA's vm_start_gap(). With
// no VMA below r, the gap below the first VMA is computed when needed.
// Preconditions: c stands where unmapAt left it, on P or before the first
// VMA; nothing is mapped in r.
func (k *Kernel) regapHole(c *cowtree.Cursor[vma]) {
	if c.Valid() {
		k.fixGapAbove(c)
	}
}

// topDown returns the highest address a with [a, a+length) inside one gap
// and inside [low, high). Compare Linux's unmapped_area_topdown().
func (k *Kernel) topDown(low, high Addr, length uint64) (Addr, bool) {
	q := cowtree.Query{Low: uint64(low), High: uint64(high), MinSpan: length, Down: true}
	if a, ok := k.searchGaps(&q); ok {
		return a, true
	}
	return fitIn(&q, 0, uint64(k.firstGapEnd()))
}

// bottomUp returns the lowest address a with [a, a+length) inside one gap
// and inside [low, high). Compare Linux's unmapped_area().
func (k *Kernel) bottomUp(low, high Addr, length uint64) (Addr, bool) {
	q := cowtree.Query{Low: uint64(low), High: uint64(high), MinSpan: length}
	if a, ok := fitIn(&q, 0, uint64(k.firstGapEnd())); ok {
		return a, true
	}
	return k.searchGaps(&q)
}

// firstGapEnd is the end of the gap below the first VMA (TaskSize in an
// empty space).
func (k *Kernel) firstGapEnd() Addr {
	var c cowtree.Cursor[vma]
	k.vmas.SeekFirst(&c)
	if !c.Valid() {
		return k.g.taskSize
	}
	return k.vmStartGap(c.Item())
}

// searchGaps finds the place q asks for in the gaps above VMAs: MinSpan
// bytes inside one gap and inside [Low, High), the highest such place
// (Down) or the lowest.
func (k *Kernel) searchGaps(q *cowtree.Query) (Addr, bool) {
	var found Addr
	ok := false
	k.vmas.Search(*q, func(_ uint64, v *vma) bool {
		if q.Past(uint64(v.end), uint64(v.gapEnd)) {
			return true
		}
		found, ok = fitIn(q, uint64(v.end), uint64(v.gapEnd))
		return ok
	})
	return found, ok
}

// fitIn returns the place q asks for inside the gap [start, end), if any.
func fitIn(q *cowtree.Query, start, end uint64) (Addr, bool) {
	s, e := max(start, q.Low), min(end, q.High)
	if s >= e || e-s < q.MinSpan {
		return 0, false
	}
	if q.Down {
		return Addr(e - q.MinSpan), true
	}
	return Addr(s), true
}

package hostvm

// vmFlags are the parts of Linux's vm_flags that hostvm models besides the
// access bits. They decide merging, so two VMAs that /proc/self/maps prints
// alike may still stay apart, exactly as on Linux.
type vmFlags uint32

const (
	vmShared     vmFlags = 1 << iota // VM_SHARED: writes reach the file
	vmMayRead                        // VM_MAYREAD
	vmMayWrite                       // VM_MAYWRITE: mprotect may add PROT_WRITE
	vmMayExec                        // VM_MAYEXEC
	vmMayShare                       // VM_MAYSHARE: a MAP_SHARED mapping (printed 's')
	vmGrowsDown                      // VM_GROWSDOWN: a stack, with a guard gap below
	vmLocked                         // VM_LOCKED (MAP_LOCKED)
	vmNoReserve                      // VM_NORESERVE (MAP_NORESERVE)
	vmAccount                        // VM_ACCOUNT: private writable memory is charged
	vmDontCopy                       // VM_DONTCOPY (MADV_DONTFORK)
	vmDontDump                       // VM_DONTDUMP (MADV_DONTDUMP)
	vmWipeOnFork                     // VM_WIPEONFORK (MADV_WIPEONFORK)
	vmHugePage                       // VM_HUGEPAGE (MADV_HUGEPAGE)
	vmNoHugePage                     // VM_NOHUGEPAGE (MADV_NOHUGEPAGE, MAP_STACK)
	vmRandRead                       // VM_RAND_READ (MADV_RANDOM)
	vmSeqRead                        // VM_SEQ_READ (MADV_SEQUENTIAL)
	vmMergeable                      // VM_MERGEABLE (MADV_MERGEABLE)
	vmDroppable                      // VM_DROPPABLE (MAP_DROPPABLE)
	// vmExecOnlyKey is the execute-only protection key in VM_PKEY_BIT*
	// (Config.PKeys): set on exactly the VMAs whose protection was made
	// exactly PROT_EXEC.
	vmExecOnlyKey
)

// vma is one virtual memory area. Values, not pointers, live in the tree, so
// a cloned tree is a real snapshot.
//
// Invariants (CheckInvariants): start < end, both page aligned, inside
// [0, TaskSize); VMAs do not overlap; no two adjacent VMAs are mergeable.
type vma struct {
	start, end Addr
	prot       Prot    // access bits only (ProtRWX)
	flags      vmFlags // everything else Linux keeps in vm_flags
	ino        uint32  // the mapped file or shared-memory object; 0 = private anonymous
	file       uint32  // the open file description mapped (vm_file); 0 iff ino is 0
	anon       uint32  // anon_vma identity: 0 until a private page is first written
	pgoff      uint64  // vm_pgoff: file page of start; start>>pageShift at creation for anonymous
}

func (v vma) rng() Range { return Range{v.start, v.end} }

// shared reports MAP_SHARED semantics: contents live in the page cache.
func (v vma) shared() bool { return v.flags&vmMayShare != 0 }

// vmaTree holds the address space: VMAs keyed by start.
type vmaTree struct{ tree[vma] }

func newVMATree(gen *generation) vmaTree { return vmaTree{newTree[vma](gen, nil)} }

// ReplaceOrInsert puts v in the tree, replacing the VMA that starts where
// v does. It neither merges nor updates the gap index.
func (t *vmaTree) ReplaceOrInsert(v vma) {
	var c cursor[vma]
	t.seekLE(&c, uint64(v.start))
	if c.valid() && c.key() == uint64(v.start) {
		c.setItem(v)
		return
	}
	c.insertAfter(uint64(v.start), v)
}

// Delete removes the VMA that starts where v does, if there is one. It
// neither merges nor updates the gap index.
func (t *vmaTree) Delete(v vma) {
	var c cursor[vma]
	t.seekLE(&c, uint64(v.start))
	if c.valid() && c.key() == uint64(v.start) {
		c.delete()
	}
}

// Ascend calls fn for every VMA in address order until fn returns false.
func (t *vmaTree) Ascend(fn func(v vma) bool) {
	t.ascend(func(_ uint64, v vma) bool { return fn(v) })
}

// pageOf is the file (or anonymous) page index that address a of v maps.
func (k *Kernel) pageOf(v vma, a Addr) uint64 {
	return v.pgoff + uint64(a-v.start)>>k.g.pageShift
}

// seekVMA puts c on the first VMA that ends above a: the one containing a,
// or the first after it (c is not valid if there is none). Compare Linux's
// find_vma().
func (k *Kernel) seekVMA(c *cursor[vma], a Addr) {
	k.vmas.seekLE(c, uint64(a))
	if !c.valid() || c.item().end <= a {
		c.next()
	}
}

// seekBelow puts c on the last VMA that starts below a (c is not valid if
// there is none).
func (k *Kernel) seekBelow(c *cursor[vma], a Addr) {
	if a == 0 {
		k.vmas.seekLE(c, 0)
		c.i = -1
		return
	}
	k.vmas.seekLE(c, uint64(a-1))
}

// findVMA returns the VMA containing a.
func (k *Kernel) findVMA(a Addr) (vma, bool) {
	var c cursor[vma]
	k.vmas.seekLE(&c, uint64(a))
	if c.valid() {
		if v := c.item(); v.end > a {
			return v, true
		}
	}
	return vma{}, false
}

// nextVMA returns the first VMA that ends above a: the one containing a, or
// the first after it. Compare Linux's find_vma().
func (k *Kernel) nextVMA(a Addr) (vma, bool) {
	var c cursor[vma]
	k.seekVMA(&c, a)
	if c.valid() {
		return c.item(), true
	}
	return vma{}, false
}

// prevVMA returns the last VMA that starts below a.
func (k *Kernel) prevVMA(a Addr) (vma, bool) {
	var c cursor[vma]
	k.seekBelow(&c, a)
	if c.valid() {
		return c.item(), true
	}
	return vma{}, false
}

// vmasIn returns the VMAs overlapping r, in address order.
func (k *Kernel) vmasIn(r Range) []vma {
	var out []vma
	var c cursor[vma]
	for k.seekVMA(&c, r.Start); c.valid() && c.item().start < r.End; c.next() {
		out = append(out, c.item())
	}
	return out
}

// anyVMAIn reports whether some VMA overlaps r.
func (k *Kernel) anyVMAIn(r Range) bool {
	v, ok := k.nextVMA(r.Start)
	return ok && v.start < r.End
}

// splitAt cuts the VMA strictly containing a (if any) into two at a.
// Preconditions: a is page aligned.
func (k *Kernel) splitAt(a Addr) {
	var c cursor[vma]
	k.vmas.seekLE(&c, uint64(a))
	if c.valid() {
		k.splitHere(&c, a)
	}
}

// splitHere cuts the VMA c stands on in two at a, if a lies strictly inside
// it, and leaves c on the lower part.
// Preconditions: c.valid(); a is page aligned.
func (k *Kernel) splitHere(c *cursor[vma], a Addr) {
	v := c.item()
	if a <= v.start || a >= v.end {
		return
	}
	lo, hi := v, v
	lo.end = a
	hi.start = a
	hi.pgoff = k.pageOf(v, a)
	c.setItem(lo)
	c.insertAfter(uint64(a), hi)
	c.prev()
}

// mergeable reports whether a and b (a directly below b) may be one VMA.
// Compare Linux's is_mergeable_vma(), is_mergeable_anon_vma() and the pgoff
// test of can_vma_merge_after().
func (k *Kernel) mergeable(a, b vma) bool {
	return a.end == b.start && a.prot == b.prot && a.flags == b.flags && a.file == b.file &&
		(a.anon == 0 || b.anon == 0 || a.anon == b.anon) &&
		a.pgoff+uint64(a.end-a.start)>>k.g.pageShift == b.pgoff
}

// joined is the VMA that merging a with b (directly above it) leaves.
// Preconditions: k.mergeable(a, b).
func joined(a, b vma) vma {
	a.end = b.end
	if a.anon == 0 {
		a.anon = b.anon
	}
	return a
}

// mergeNext merges the VMA c stands on with the next one if they are
// mergeable, and reports whether it did. c stays on the (merged) VMA.
// Preconditions: c.valid().
func (k *Kernel) mergeNext(c *cursor[vma]) bool {
	v := c.item()
	if !c.next() {
		c.prev()
		return false
	}
	n := c.item()
	if !k.mergeable(v, n) {
		c.prev()
		return false
	}
	c.delete()
	c.prev()
	c.setItem(joined(v, n))
	return true
}

// mergeAround merges the VMA c stands on with its neighbours, where they
// are mergeable, below first, and leaves c on the result. After an
// operation that changed one VMA of a maximally merged space, that is all
// the merging there is to do.
// Preconditions: c.valid().
func (k *Kernel) mergeAround(c *cursor[vma]) {
	if !c.prev() || !k.mergeNext(c) {
		c.next()
	}
	k.mergeNext(c)
}

// mergeRange merges every mergeable adjacent pair whose common boundary lies
// in [lo, hi], so the tree stays maximally merged after an operation that
// changed only that range.
func (k *Kernel) mergeRange(lo, hi Addr) {
	var c cursor[vma]
	k.seekBelow(&c, lo)
	if !c.valid() && !c.next() {
		return
	}
	a := c.item()
	for c.next() {
		b := c.item()
		if b.start > hi {
			return
		}
		if !k.mergeable(a, b) {
			a = b
			continue
		}
		c.delete()
		c.prev()
		a = joined(a, b)
		c.setItem(a)
	}
}

// regap recomputes the gap index after an operation that changed VMAs only
// inside [lo, hi) (and merged them with their neighbours). Gaps are keyed by
// the end of the VMA below them, so the gaps that can have changed are those
// starting between the last VMA below lo and the first VMA above hi.
func (k *Kernel) regap(lo, hi Addr) {
	var c cursor[vma]
	k.seekBelow(&c, lo)
	a, prevEnd := Addr(0), Addr(0)
	if c.valid() {
		v := c.item()
		a, prevEnd = v.start, v.end
		c.next()
	} else {
		c.next()
	}
	// b is the end of the first VMA ending above hi, once it is seen:
	// the gaps to redo start in [a, b].
	b, seen := k.g.taskSize, prevEnd > hi
	if seen {
		b = prevEnd
	}
	var buf [8]Range
	gaps := buf[:0]
	for ; c.valid(); c.next() {
		if prevEnd > b {
			break
		}
		v := c.item()
		if e := k.vmStartGap(v); prevEnd < e {
			gaps = append(gaps, Range{prevEnd, e})
		}
		prevEnd = v.end
		if !seen && v.end > hi {
			b, seen = v.end, true
		}
	}
	if !c.valid() && prevEnd <= b && prevEnd < k.g.taskSize {
		gaps = append(gaps, Range{prevEnd, k.g.taskSize})
	}
	k.gaps.replace(a, b, gaps)
}

// regapCovered updates the gap index after r, which held no VMA or only
// VMAs now gone, came to lie inside the VMA V that c stands on (the one
// put there, joined to its neighbours where they merged). The gaps that
// started in [lo, r.End] are the ones that changed, lo being the end of
// the VMA below V if V starts at r (else r.Start, where V's lower part
// ends): they become the gap below V, if V starts at r, and the gap above
// it, if V ends at r.End. Gaps further out kept both their ends.
// Preconditions: c stands on V; V covers r; outside r, VMAs changed only
// by merging with V.
func (k *Kernel) regapCovered(c *cursor[vma], r Range) {
	var buf [2]Range
	gaps := buf[:0]
	v := c.item()
	lo := r.Start
	if v.start == r.Start {
		lo = 0
		if c.prev() {
			lo = c.item().end
		}
		c.next()
		if e := k.vmStartGap(v); lo < e {
			gaps = append(gaps, Range{lo, e})
		}
	}
	if v.end == r.End {
		e := k.g.taskSize
		if c.next() {
			e = k.vmStartGap(c.item())
		}
		if r.End < e {
			gaps = append(gaps, Range{r.End, e})
		}
	}
	k.gaps.replace(lo, r.End, gaps)
}

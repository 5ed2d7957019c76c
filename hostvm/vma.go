package hostvm

import "github.com/mmapsim/mmapsim/internal/cowtree"

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
	// gapEnd is where the free gap above the VMA ends: the next VMA's
	// vm_start_gap(), or TaskSize above the last, and never below end
	// (gaps.go). The tree keeps the longest gap of every subtree.
	gapEnd Addr
}

func (v vma) rng() Range { return Range{v.start, v.end} }

// shared reports MAP_SHARED semantics: contents live in the page cache.
func (v vma) shared() bool { return v.flags&vmMayShare != 0 }

// vmaTree holds the address space: VMAs keyed by start.
type vmaTree struct{ cowtree.Tree[vma] }

func newVMATree(gen *generation) vmaTree { return vmaTree{cowtree.New(gen, gapSpan)} }

// ReplaceOrInsert puts v in the tree, replacing the VMA that starts where
// v does. It neither merges nor updates the gaps.
func (t *vmaTree) ReplaceOrInsert(v vma) {
	var c cowtree.Cursor[vma]
	t.SeekLE(&c, uint64(v.start))
	if c.Valid() && c.Key() == uint64(v.start) {
		c.SetItem(v)
		return
	}
	c.InsertAfter(uint64(v.start), v)
}

// Delete removes the VMA that starts where v does, if there is one. It
// neither merges nor updates the gaps.
func (t *vmaTree) Delete(v vma) {
	var c cowtree.Cursor[vma]
	t.SeekLE(&c, uint64(v.start))
	if c.Valid() && c.Key() == uint64(v.start) {
		c.Delete()
	}
}

// Ascend calls fn for every VMA in address order until fn returns false.
func (t *vmaTree) Ascend(fn func(v vma) bool) {
	t.Tree.Ascend(func(_ uint64, v vma) bool { return fn(v) })
}

// pageOf is the file (or anonymous) page index that address a of v maps.
func (k *Kernel) pageOf(v vma, a Addr) uint64 {
	return v.pgoff + uint64(a-v.start)>>k.g.pageShift
}

// seekVMA puts c on the first VMA that ends above a: the one containing a,
// or the first after it (c is not valid if there is none). Compare Linux's
// find_vma().
func (k *Kernel) seekVMA(c *cowtree.Cursor[vma], a Addr) {
	k.vmas.SeekLE(c, uint64(a))
	if !c.Valid() || c.Item().end <= a {
		c.Next()
	}
}

// seekBelow puts c on the last VMA that starts below a (c is not valid if
// there is none).
func (k *Kernel) seekBelow(c *cowtree.Cursor[vma], a Addr) {
	k.vmas.SeekLT(c, uint64(a))
}

// findVMA returns the VMA containing a.
func (k *Kernel) findVMA(a Addr) (vma, bool) {
	var c cowtree.Cursor[vma]
	k.vmas.SeekLE(&c, uint64(a))
	if c.Valid() {
		if v := c.Item(); v.end > a {
			return v, true
		}
	}
	return vma{}, false
}

// nextVMA returns the first VMA that ends above a: the one containing a, or
// the first after it. Compare Linux's find_vma().
func (k *Kernel) nextVMA(a Addr) (vma, bool) {
	var c cowtree.Cursor[vma]
	k.seekVMA(&c, a)
	if c.Valid() {
		return c.Item(), true
	}
	return vma{}, false
}

// prevVMA returns the last VMA that starts below a.
func (k *Kernel) prevVMA(a Addr) (vma, bool) {
	var c cowtree.Cursor[vma]
	k.seekBelow(&c, a)
	if c.Valid() {
		return c.Item(), true
	}
	return vma{}, false
}

// vmasIn returns the VMAs overlapping r, in address order.
func (k *Kernel) vmasIn(r Range) []vma {
	var out []vma
	var c cowtree.Cursor[vma]
	for k.seekVMA(&c, r.Start); c.Valid() && c.Item().start < r.End; c.Next() {
		out = append(out, c.Item())
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
	var c cowtree.Cursor[vma]
	k.vmas.SeekLE(&c, uint64(a))
	if c.Valid() {
		k.splitHere(&c, a)
	}
}

// splitHere cuts the VMA c stands on in two at a, if a lies strictly inside
// it, and leaves c on the lower part.
// Preconditions: c.Valid(); a is page aligned.
func (k *Kernel) splitHere(c *cowtree.Cursor[vma], a Addr) {
	v := c.Item()
	if a <= v.start || a >= v.end {
		return
	}
	lo, hi := v, v
	lo.end, lo.gapEnd = a, a
	hi.start = a
	hi.pgoff = k.pageOf(v, a)
	c.SetItem(lo)
	c.InsertAfter(uint64(a), hi)
	c.Prev()
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
	a.end, a.gapEnd = b.end, b.gapEnd
	if a.anon == 0 {
		a.anon = b.anon
	}
	return a
}

// mergeNext merges the VMA c stands on with the next one if they are
// mergeable, and reports whether it did. c stays on the (merged) VMA.
// Preconditions: c.Valid().
func (k *Kernel) mergeNext(c *cowtree.Cursor[vma]) bool {
	v := c.Item()
	if !c.Next() {
		c.Prev()
		return false
	}
	n := c.Item()
	if !k.mergeable(v, n) {
		c.Prev()
		return false
	}
	c.Delete()
	c.Prev()
	c.SetItem(joined(v, n))
	return true
}

// mergeAround merges the VMA c stands on with its neighbours, where they
// are mergeable, below first, and leaves c on the result. After an
// operation that changed one VMA of a maximally merged space, that is all
// the merging there is to do.
// Preconditions: c.Valid().
func (k *Kernel) mergeAround(c *cowtree.Cursor[vma]) {
	if !c.Prev() || !k.mergeNext(c) {
		c.Next()
	}
	k.mergeNext(c)
}

// mergeRange merges every mergeable adjacent pair whose common boundary lies
// in [lo, hi], so the tree stays maximally merged after an operation that
// changed only that range.
func (k *Kernel) mergeRange(lo, hi Addr) {
	var c cowtree.Cursor[vma]
	k.seekBelow(&c, lo)
	if !c.Valid() && !c.Next() {
		return
	}
	a := c.Item()
	for c.Next() {
		b := c.Item()
		if b.start > hi {
			return
		}
		if !k.mergeable(a, b) {
			a = b
			continue
		}
		c.Delete()
		c.Prev()
		a = joined(a, b)
		c.SetItem(a)
	}
}

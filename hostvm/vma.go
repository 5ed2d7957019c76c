package hostvm

import "github.com/google/btree"

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

func vmaLess(a, b vma) bool { return a.start < b.start }

func newVMATree() *btree.BTreeG[vma] { return btree.NewG[vma](32, vmaLess) }

// pageOf is the file (or anonymous) page index that address a of v maps.
func (k *Kernel) pageOf(v vma, a Addr) uint64 {
	return v.pgoff + uint64(a-v.start)>>k.g.pageShift
}

// findVMA returns the VMA containing a.
func (k *Kernel) findVMA(a Addr) (vma, bool) {
	var found vma
	ok := false
	k.vmas.DescendLessOrEqual(vma{start: a}, func(v vma) bool {
		if v.end > a {
			found, ok = v, true
		}
		return false
	})
	return found, ok
}

// nextVMA returns the first VMA that ends above a: the one containing a, or
// the first after it. Compare Linux's find_vma().
func (k *Kernel) nextVMA(a Addr) (vma, bool) {
	if v, ok := k.findVMA(a); ok {
		return v, true
	}
	var found vma
	ok := false
	k.vmas.AscendGreaterOrEqual(vma{start: a}, func(v vma) bool {
		found, ok = v, true
		return false
	})
	return found, ok
}

// prevVMA returns the last VMA that starts below a.
func (k *Kernel) prevVMA(a Addr) (vma, bool) {
	var found vma
	ok := false
	k.vmas.DescendLessOrEqual(vma{start: a}, func(v vma) bool {
		if v.start < a {
			found, ok = v, true
			return false
		}
		return true
	})
	return found, ok
}

// vmasIn returns the VMAs overlapping r, in address order.
func (k *Kernel) vmasIn(r Range) []vma {
	var out []vma
	if v, ok := k.findVMA(r.Start); ok {
		out = append(out, v)
	}
	k.vmas.AscendRange(vma{start: r.Start + 1}, vma{start: r.End}, func(v vma) bool {
		out = append(out, v)
		return true
	})
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
	v, ok := k.findVMA(a)
	if !ok || v.start == a {
		return
	}
	lo, hi := v, v
	lo.end = a
	hi.start = a
	hi.pgoff = k.pageOf(v, a)
	k.vmas.ReplaceOrInsert(lo)
	k.vmas.ReplaceOrInsert(hi)
}

// mergeable reports whether a and b (a directly below b) may be one VMA.
// Compare Linux's is_mergeable_vma(), is_mergeable_anon_vma() and the pgoff
// test of can_vma_merge_after().
func (k *Kernel) mergeable(a, b vma) bool {
	return a.end == b.start && a.prot == b.prot && a.flags == b.flags && a.file == b.file &&
		(a.anon == 0 || b.anon == 0 || a.anon == b.anon) &&
		a.pgoff+uint64(a.end-a.start)>>k.g.pageShift == b.pgoff
}

// mergeRange merges every mergeable adjacent pair whose common boundary lies
// in [lo, hi], so the tree stays maximally merged after an operation that
// changed only that range.
func (k *Kernel) mergeRange(lo, hi Addr) {
	var list []vma
	if p, ok := k.prevVMA(lo); ok {
		list = append(list, p)
	}
	k.vmas.AscendGreaterOrEqual(vma{start: lo}, func(v vma) bool {
		if v.start > hi {
			return false
		}
		list = append(list, v)
		return true
	})
	for i := 1; i < len(list); i++ {
		a, b := list[i-1], list[i]
		if !k.mergeable(a, b) {
			continue
		}
		k.vmas.Delete(b)
		a.end = b.end
		if a.anon == 0 {
			a.anon = b.anon
		}
		k.vmas.ReplaceOrInsert(a)
		list[i] = a
	}
}

// regap recomputes the gap index after an operation that changed VMAs only
// inside [lo, hi) (and merged them with their neighbours). Gaps are keyed by
// the end of the VMA below them, so the gaps that can have changed are those
// starting between the last VMA below lo and the first VMA above hi.
func (k *Kernel) regap(lo, hi Addr) {
	a := Addr(0)
	if pv, ok := k.prevVMA(lo); ok {
		a = pv.start
	}
	b := k.g.taskSize
	if nv, ok := k.nextVMA(hi); ok {
		b = nv.end
	}
	k.gaps.deleteRange(a, b)
	prevEnd, have := Addr(0), a == 0
	done := false
	k.vmas.AscendGreaterOrEqual(vma{start: a}, func(v vma) bool {
		if have {
			if prevEnd > b {
				done = true
				return false
			}
			k.addGap(prevEnd, v)
		}
		prevEnd, have = v.end, true
		return true
	})
	if !done && prevEnd <= b {
		k.addGapTo(prevEnd, k.g.taskSize)
	}
}

// addGap records the free range between end and VMA next, shortened by
// next's guard gap.
func (k *Kernel) addGap(end Addr, next vma) {
	e := next.start
	if next.flags&vmGrowsDown != 0 {
		if uint64(e-end) > k.g.guardGap {
			e -= Addr(k.g.guardGap)
		} else {
			e = end
		}
	}
	k.addGapTo(end, e)
}

func (k *Kernel) addGapTo(s, e Addr) {
	if s < e {
		k.gaps.insert(s, e)
	}
}

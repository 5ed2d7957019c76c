package hostvm

import "github.com/mmapsim/mmapsim/internal/cowtree"

// Madvise is madvise(2). Advice that changes what memory holds
// (MADV_DONTNEED, MADV_REMOVE, MADV_POPULATE_*) acts on contents as Linux
// does; advice that sets a VMA flag (MADV_DONTFORK, MADV_HUGEPAGE, ...)
// splits and merges VMAs as Linux does; the rest are accepted hints. Holes
// in the range are skipped and reported as ENOMEM after the mapped parts are
// done. Compare Linux's do_madvise() and madvise_walk_vmas().
func (k *Kernel) Madvise(addr Addr, length uint64, advice Advice) error {
	if !k.mutable() {
		return EINVAL
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("madvise")
	}
	addr = Addr(uint64(addr) & k.g.argMask)
	length &= k.g.argMask
	if !validAdvice(advice) {
		return EINVAL
	}
	if !k.g.pageAligned(uint64(addr)) {
		return EINVAL
	}
	alen := k.g.pageAlign(length)
	if length != 0 && alen == 0 {
		return EINVAL
	}
	end := k.g.add(addr, alen)
	if end < addr {
		return EINVAL
	}
	if end == addr {
		return nil
	}
	if advice == MadvPopulateRead || advice == MadvPopulateWrite {
		return k.populateAdvice(Range{addr, end}, advice == MadvPopulateWrite)
	}
	var unmapped error
	for a := addr; a < end; {
		v, ok := k.nextVMA(a)
		if !ok {
			return ENOMEM
		}
		if a < v.start {
			unmapped = ENOMEM
			a = v.start
			if a >= end {
				break
			}
		}
		e := min(end, v.end)
		if err := k.advise(v, a, e, advice); err != nil {
			return err
		}
		a = e
	}
	return unmapped
}

func validAdvice(a Advice) bool {
	switch a {
	case MadvNormal, MadvRandom, MadvSequential, MadvWillNeed, MadvDontNeed, MadvFree,
		MadvRemove, MadvDontFork, MadvDoFork, MadvMergeable, MadvUnmergeable,
		MadvHugePage, MadvNoHugePage, MadvDontDump, MadvDoDump, MadvWipeOnFork,
		MadvKeepOnFork, MadvCold, MadvPageOut, MadvPopulateRead, MadvPopulateWrite,
		MadvDontNeedLocked, MadvCollapse, MadvGuardInstall, MadvGuardRemove:
		return true
	}
	return false
}

// adviceFlags gives the vm_flags an advice sets and clears.
var adviceFlags = map[Advice][2]vmFlags{
	MadvNormal:      {0, vmRandRead | vmSeqRead},
	MadvRandom:      {vmRandRead, vmSeqRead},
	MadvSequential:  {vmSeqRead, vmRandRead},
	MadvDontFork:    {vmDontCopy, 0},
	MadvDoFork:      {0, vmDontCopy},
	MadvDontDump:    {vmDontDump, 0},
	MadvDoDump:      {0, vmDontDump},
	MadvWipeOnFork:  {vmWipeOnFork, 0},
	MadvKeepOnFork:  {0, vmWipeOnFork},
	MadvHugePage:    {vmHugePage, vmNoHugePage},
	MadvNoHugePage:  {vmNoHugePage, vmHugePage},
	MadvMergeable:   {vmMergeable, 0},
	MadvUnmergeable: {0, vmMergeable},
}

// advise applies advice to the part [s, e) of VMA v.
// Preconditions: v.start <= s < e <= v.end.
func (k *Kernel) advise(v vma, s, e Addr, advice Advice) error {
	r := Range{s, e}
	if f, ok := adviceFlags[advice]; ok {
		// madvise_vma_behavior()
		switch {
		case advice == MadvWipeOnFork && v.ino != 0:
			return EINVAL
		case (advice == MadvKeepOnFork || advice == MadvDoDump) && v.flags&vmDroppable != 0:
			return EINVAL // droppable pages are never inherited nor dumped
		case (advice == MadvMergeable || advice == MadvUnmergeable) &&
			(v.shared() || v.flags&vmDroppable != 0):
			// ksm_madvise(): KSM leaves shared and droppable
			// mappings alone (vma_ksm_compatible()).
			return nil
		}
		nv := v
		nv.flags = (v.flags | f[0]) &^ f[1]
		var c cowtree.Cursor[vma]
		k.seekVMA(&c, s)
		if err := k.modify(&c, s, e, nv); err != nil {
			// madvise_vma_behavior(): a failed split is "kernel
			// resources temporarily unavailable".
			if err == ENOMEM {
				return EAGAIN
			}
			return err
		}
		return nil
	}
	switch advice {
	case MadvCold, MadvPageOut:
		// can_madv_lru_vma(): locked pages stay on their LRU.
		if v.flags&vmLocked != 0 {
			return EINVAL
		}
	case MadvDontNeed, MadvDontNeedLocked:
		if advice == MadvDontNeed && v.flags&vmLocked != 0 {
			return EINVAL
		}
		// Private pages go: anonymous memory reads zero again and
		// private file pages show the file again. Shared pages are the
		// page cache's and stay.
		k.dropPrivate(r)
	case MadvFree:
		if v.ino != 0 || v.flags&vmLocked != 0 {
			return EINVAL
		}
		// Freed lazily, under memory pressure the simulator never has:
		// the data stays until then.
	case MadvRemove:
		if v.flags&vmLocked != 0 || v.ino == 0 {
			return EINVAL
		}
		if v.flags&vmShared == 0 {
			return EACCES
		}
		k.punchHole(k.fs.inodes[v.ino], k.pageOf(v, s), k.pageOf(v, e))
	case MadvCollapse:
		return k.collapse(v, s, e)
	case MadvGuardInstall:
		if v.flags&vmLocked != 0 {
			return EINVAL
		}
		// Page tables with markers in them need an anon_vma (so that
		// fork copies them): madvise_guard_install() prepares one for
		// anonymous VMAs (vma_is_anonymous(): not files, not shmem;
		// measured on Linux 6.18). Guard markers then replace whatever
		// the page tables held.
		if v.ino == 0 {
			k.prepareAnon(v)
		}
		k.dropPrivate(r)
		k.writableGuards().Set(uint64(s)>>k.g.pageShift, uint64(e)>>k.g.pageShift, 1)
	case MadvGuardRemove:
		k.writableGuards().Set(uint64(s)>>k.g.pageShift, uint64(e)>>k.g.pageShift, 0)
	}
	return nil
}

// collapse is MADV_COLLAPSE on the part [s, e) of VMA v. hostvm keeps no
// huge pages, so a collapse changes nothing it shows: only the answer is
// modelled. The VMA must be able to hold a transparent huge page
// (thp_vma_allowable_order() with TVA_FORCED_COLLAPSE, which ignores the
// sysfs settings and shmem's huge= option): THP built in, no VM_NOHUGEPAGE,
// room for one PMD-aligned huge page (thp_vma_suitable_order()), and
// either private anonymous memory with an anon_vma, or shared anonymous
// memory (shmem) whose vm_pgoff is aligned like its address. Files are
// refused: ext4 files that are open for writing cannot hold one
// (file_thp_enabled()), and the differential test always has them open.
// Then the whole PMDs between round_up(s) and round_down(e) are collapsed,
// which always works here: 0, even for none; a range inside one PMD
// (round_up(s) > round_down(e)) is EINVAL. Measured on Linux 6.18 with
// linuxdiff scenarios. Compare Linux's madvise_collapse() and
// __thp_vma_allowable_orders().
// Preconditions: v.start <= s < e <= v.end.
func (k *Kernel) collapse(v vma, s, e Addr) error {
	pmd := k.g.pmdSize
	if pmd == 0 || v.flags&vmNoHugePage != 0 {
		return EINVAL
	}
	switch {
	case v.ino == 0:
		if v.anon == 0 {
			return EINVAL
		}
	case k.fs.inodes[v.ino].path == "": // shmem
		if (uint64(v.start)>>k.g.pageShift-v.pgoff)%(pmd>>k.g.pageShift) != 0 {
			return EINVAL
		}
	default:
		return EINVAL
	}
	first, ok := AlignUp(uint64(v.start), pmd)
	if !ok || first+pmd > uint64(v.end) {
		return EINVAL
	}
	hstart, _ := AlignUp(uint64(s), pmd)
	if hstart > AlignDown(uint64(e), pmd) {
		return EINVAL // madvise_collapse_errno(SCAN_FAIL)
	}
	return nil
}

// populateAdvice is MADV_POPULATE_READ and MADV_POPULATE_WRITE, which Linux
// does not run per VMA but as one get_user_pages() walk: it stops at the
// first hole with ENOMEM, at a VMA that forbids the access (VM_READ for a
// read, VM_WRITE for a write) with EINVAL, and at a page that cannot be
// faulted in (SIGBUS beyond end-of-file) with EFAULT. Compare Linux's
// madvise_populate() and faultin_page_range().
// Preconditions: r is page aligned and non-empty.
func (k *Kernel) populateAdvice(r Range, write bool) error {
	acc, need := AccessRead, ProtRead
	if write {
		acc, need = AccessWrite, ProtWrite
	}
	for a := r.Start; a < r.End; {
		v, ok := k.findVMA(a)
		if !ok {
			return ENOMEM
		}
		if v.prot&need == 0 {
			return EINVAL
		}
		e := min(r.End, v.end)
		if k.prefault(v, Range{a, e}, acc) != nil {
			return EFAULT
		}
		// prefault may have merged v with a neighbour.
		a = e
	}
	return nil
}

// punchHole zeroes file pages [from, to) of ind, as
// fallocate(FALLOC_FL_PUNCH_HOLE) does. Unlike truncation it leaves the
// private copies mappings made of those pages: truncate_pagecache_range()
// says "hole-punching should not remove private COWed pages from the hole".
func (k *Kernel) punchHole(ind *inode, from, to uint64) {
	ind = k.ownInode(ind.ino)
	deleteKeys(ind.pages, from, to)
}

package hostvm

// Madvise is madvise(2). Advice that changes what memory holds
// (MADV_DONTNEED, MADV_REMOVE, MADV_POPULATE_*) acts on contents as Linux
// does; advice that sets a VMA flag (MADV_DONTFORK, MADV_HUGEPAGE, ...)
// splits and merges VMAs as Linux does; the rest are accepted hints. Holes
// in the range are skipped and reported as ENOMEM after the mapped parts are
// done. Compare Linux's do_madvise() and madvise_walk_vmas().
func (k *Kernel) Madvise(addr Addr, length uint64, advice Advice) error {
	if invariantsEnabled {
		defer k.checkInvariantsAfter("madvise")
	}
	addr = Addr(uint64(addr) & k.g.wordMask)
	length &= k.g.wordMask
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
		if advice == MadvWipeOnFork && (v.ino != 0) {
			return EINVAL
		}
		if (advice == MadvMergeable || advice == MadvUnmergeable) && v.shared() {
			return nil // KSM leaves shared mappings alone
		}
		nv := v
		nv.flags = (v.flags | f[0]) &^ f[1]
		return k.modify(v, s, e, nv)
	}
	switch advice {
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
	case MadvPopulateRead, MadvPopulateWrite:
		acc := AccessRead
		if advice == MadvPopulateWrite {
			acc = AccessWrite
		}
		if !k.allows(v.prot, acc) {
			return EINVAL
		}
		if k.prefault(v, r, acc) != nil {
			return EFAULT
		}
	case MadvCollapse:
		// No transparent huge pages on the simulated host: nothing
		// can collapse.
		return EINVAL
	case MadvGuardInstall:
		if v.flags&vmLocked != 0 {
			return EINVAL
		}
		// Guard markers replace whatever the page tables held.
		k.dropPrivate(r)
		k.guards.Set(uint64(s)>>k.g.pageShift, uint64(e)>>k.g.pageShift, 1)
	case MadvGuardRemove:
		k.guards.Set(uint64(s)>>k.g.pageShift, uint64(e)>>k.g.pageShift, 0)
	}
	return nil
}

// punchHole zeroes file pages [from, to) of ind and discards private copies
// of them in every mapping, as fallocate(FALLOC_FL_PUNCH_HOLE) and
// truncate_pagecache_range() do.
func (k *Kernel) punchHole(ind *inode, from, to uint64) {
	deleteKeys(ind.pages, from, to)
	var drop []Range
	k.vmas.Ascend(func(v vma) bool {
		if v.ino != ind.ino || v.shared() {
			return true
		}
		last := v.pgoff + uint64(v.end-v.start)>>k.g.pageShift
		lo, hi := max(from, v.pgoff), min(to, last)
		if lo < hi {
			drop = append(drop, Range{v.start + Addr((lo-v.pgoff)<<k.g.pageShift), v.start + Addr((hi-v.pgoff)<<k.g.pageShift)})
		}
		return true
	})
	for _, r := range drop {
		k.dropPrivate(r)
	}
}

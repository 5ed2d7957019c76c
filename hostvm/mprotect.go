package hostvm

import "github.com/mmapsim/mmapsim/internal/cowtree"

// Mprotect is mprotect(2). Like Linux, it changes the VMAs in order and
// stops at the first hole with ENOMEM, keeping the changes already made.
// Compare Linux's do_mprotect_pkey() and mprotect_fixup().
func (k *Kernel) Mprotect(addr Addr, length uint64, prot Prot) error {
	if !k.mutable() {
		return EINVAL
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("mprotect")
	}
	addr = Addr(uint64(addr) & k.g.argMask)
	length &= k.g.argMask
	grows := prot & (ProtGrowsDown | ProtGrowsUp)
	prot &^= grows
	if grows == ProtGrowsDown|ProtGrowsUp {
		return EINVAL
	}
	if !k.g.pageAligned(uint64(addr)) {
		return EINVAL
	}
	if length == 0 {
		return nil
	}
	length = k.g.pageAlign(length)
	end := k.g.add(addr, length)
	if end <= addr {
		return ENOMEM
	}
	if prot&^(ProtRWX|ProtSem) != 0 {
		return EINVAL
	}
	execOnly := k.execOnlyKey(prot) // before PROT_SEM goes
	prot &= ProtRWX
	start := addr
	var c cowtree.Cursor[vma]
	k.seekVMA(&c, start)
	if !c.Valid() || c.Item().start >= end {
		return ENOMEM
	}
	if v := c.Item(); grows&ProtGrowsDown != 0 {
		start = v.start
		if v.flags&vmGrowsDown == 0 {
			return EINVAL
		}
	} else {
		if v.start > start {
			return ENOMEM
		}
		if grows&ProtGrowsUp != 0 {
			// No architecture hostvm models has VM_GROWSUP.
			return EINVAL
		}
	}
	// c stands on the first VMA ending above a; each step may merge it
	// with its neighbours.
	for a := start; a < end; {
		if !c.Valid() || c.Item().start > a {
			return ENOMEM
		}
		v := c.Item()
		if (prot&ProtRead != 0 && v.flags&vmMayRead == 0) ||
			(prot&ProtWrite != 0 && v.flags&vmMayWrite == 0) ||
			(prot&ProtExec != 0 && v.flags&vmMayExec == 0) {
			return EACCES
		}
		nv := v
		nv.prot = prot
		// arch_override_mprotect_pkey(): exactly PROT_EXEC takes the
		// execute-only key, anything else leaves it (a VMA has it only
		// when its protection is PROT_EXEC, so "inherit the VMA's
		// key" is key 0).
		nv.flags &^= vmExecOnlyKey
		if execOnly {
			nv.flags |= vmExecOnlyKey
		}
		if prot&ProtWrite != 0 {
			if v.flags&(vmAccount|vmNoReserve|vmShared) == 0 && v.prot&ProtWrite == 0 {
				nv.flags |= vmAccount
			}
		} else if v.flags&vmAccount != 0 && v.ino == 0 && v.anon == 0 {
			nv.flags &^= vmAccount
		}
		e := min(end, v.end)
		if err := k.modify(&c, a, e, nv); err != nil {
			return err
		}
		// mprotect_fixup(): a locked private VMA becoming writable is
		// populated at once with write faults (copy-on-write of its
		// file pages, an anon_vma), so that no access faults later.
		if v.flags&(vmShared|vmLocked) == vmLocked && v.prot&ProtWrite == 0 && prot&ProtWrite != 0 {
			k.populate(Range{a, e})
			k.seekVMA(&c, e)
		} else if c.Item().end <= e {
			c.Next()
		}
		a = e
	}
	return nil
}

// execOnlyKey reports whether a mapping given protection prot, as the
// caller passed it, takes the execute-only protection key: exactly
// PROT_EXEC, on a CPU with protection keys. Compare Linux's do_mmap() and
// arch_override_mprotect_pkey().
func (k *Kernel) execOnlyKey(prot Prot) bool { return k.cfg.PKeys && prot == ProtExec }

// modify gives the part [s, e) of the VMA c stands on the attributes of nv
// (its prot, flags and anon_vma), splitting the VMA where the part does not
// merge into a neighbour, and leaves c on the VMA that holds the part. Each
// split that would pass max_map_count fails with ENOMEM before anything
// changes. Compare Linux's vma_modify() and split_vma().
// Preconditions: c.Valid(); v = c.Item() has v.start <= s < e <= v.end,
// page aligned.
func (k *Kernel) modify(c *cowtree.Cursor[vma], s, e Addr, nv vma) error {
	v := c.Item()
	if nv.prot == v.prot && nv.flags == v.flags && nv.anon == v.anon {
		return nil
	}
	part := nv
	part.start, part.end, part.pgoff = s, e, k.pageOf(v, s)
	mergePrev, mergeNext := false, false
	if s == v.start && c.Prev() {
		mergePrev = k.mergeable(c.Item(), part)
	}
	if s == v.start {
		c.Next()
	}
	if e == v.end && c.Next() {
		mergeNext = k.mergeable(part, c.Item())
	}
	if e == v.end {
		c.Prev()
	}
	count := k.vmas.Len()
	if s > v.start && !mergeNext {
		if count >= k.g.maxMaps {
			return ENOMEM
		}
		count++
	}
	if e < v.end && !mergePrev && count >= k.g.maxMaps {
		return ENOMEM
	}
	// Each part's gap above is the next part's start, or v's gap above.
	part.gapEnd = v.gapEnd
	if e < v.end {
		part.gapEnd = e
	}
	if s > v.start {
		lo := v
		lo.end, lo.gapEnd = s, s
		c.SetItem(lo)
		c.InsertAfter(uint64(s), part)
	} else {
		c.SetItem(part)
	}
	if e < v.end {
		hi := v
		hi.start, hi.pgoff = e, k.pageOf(v, e)
		c.InsertAfter(uint64(e), hi)
		c.Prev()
	}
	k.mergeAround(c)
	if (v.flags^nv.flags)&vmGrowsDown != 0 {
		k.regap(s, e)
		k.seekVMA(c, s)
	}
	return nil
}

package hostvm

// Brk is brk(2): it moves the program break to newBrk and returns the new
// break, or the unchanged one when the move is refused (below the start,
// into another mapping, beyond the address space). brk(0) reads the break.
// Compare Linux's sys_brk() and do_brk_flags().
func (k *Kernel) Brk(newBrk Addr) Addr {
	if !k.mutable() {
		return 0
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("brk")
	}
	newBrk = Addr(uint64(newBrk) & k.g.argMask)
	orig := k.brk
	if newBrk < k.startBrk {
		return orig
	}
	newA := Addr(k.g.pageAlign(uint64(newBrk)))
	oldA := Addr(k.g.pageAlign(uint64(k.brk)))
	if newA == 0 && newBrk != 0 {
		return orig // PAGE_ALIGN wrapped: beyond any address space
	}
	if newA == oldA {
		k.brk = newBrk
		return newBrk
	}
	if newBrk <= k.brk {
		// Shrinking is always allowed, if the break's VMA is there.
		v, ok := k.nextVMA(newA)
		if !ok || v.start >= oldA {
			return orig
		}
		if k.unmapRange(Range{newA, oldA}) != nil {
			return orig
		}
		k.brk = newBrk
		return newBrk
	}
	// Growing: the new heap, plus a page, must stay below the next
	// mapping (and its stack guard gap).
	if uint64(newA) > uint64(k.g.taskSize) {
		return orig
	}
	if n, ok := k.nextVMA(oldA); ok {
		limit := uint64(newA) + k.g.pageSize
		if n.start < newA+Addr(k.g.pageSize)+Addr(k.g.guardGap) && limit > uint64(k.vmStartGap(n)) {
			return orig
		}
	}
	if k.vmas.Len() > k.g.maxMaps {
		return orig
	}
	v := vma{start: oldA, end: newA, prot: ProtRead | ProtWrite,
		flags: vmMayRead | vmMayWrite | vmMayExec | vmAccount,
		pgoff: uint64(oldA) >> k.g.pageShift}
	k.insertNew(v)
	k.brk = newBrk
	return newBrk
}

// BrkStart is where the program break started (mm->start_brk).
func (k *Kernel) BrkStart() Addr {
	if !k.live() {
		return 0
	}
	return k.startBrk
}

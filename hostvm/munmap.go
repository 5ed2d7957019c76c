package hostvm

// Munmap is munmap(2). Compare Linux's __vm_munmap() and do_vmi_munmap().
func (k *Kernel) Munmap(addr Addr, length uint64) error {
	if invariantsEnabled {
		defer k.checkInvariantsAfter("munmap")
	}
	return k.doMunmap(Addr(uint64(addr)&k.g.argMask), length&k.g.argMask)
}

// doMunmap validates a range as Linux's do_vmi_munmap() does (EINVAL for
// an unaligned start, a range passing TASK_SIZE or an empty one) and
// unmaps it. mremap's shrinking paths use it too, so a wrapping old_len
// fails here as it does on Linux.
// Preconditions: addr and length are already cut to the host's word width.
func (k *Kernel) doMunmap(addr Addr, length uint64) error {
	task := k.g.taskSize
	if !k.g.pageAligned(uint64(addr)) || addr > task || length > uint64(task-addr) {
		return EINVAL
	}
	// addr+length <= task, so aligning cannot pass task (it is aligned).
	end := k.g.end(addr, k.g.pageAlign(length))
	if end == addr {
		return EINVAL
	}
	return k.unmapRange(Range{addr, end})
}

// unmapRange removes every mapping inside r, splitting the VMAs that
// straddle its ends, and discards their private pages. It fails with ENOMEM,
// changing nothing, when r lies strictly inside one VMA and the split would
// pass max_map_count. Compare Linux's vms_gather_munmap_vmas().
// Preconditions: r is page aligned and inside the address space.
func (k *Kernel) unmapRange(r Range) error {
	first, ok := k.nextVMA(r.Start)
	if !ok || first.start >= r.End {
		return nil
	}
	if first.start < r.Start && first.end > r.End && k.vmas.Len() >= k.g.maxMaps {
		return ENOMEM
	}
	k.splitAt(r.Start)
	k.splitAt(r.End)
	for _, v := range k.vmasIn(r) {
		k.vmas.Delete(v)
		k.totalVM -= v.rng().Len()
	}
	k.dropPrivate(r)
	k.guards.Set(uint64(r.Start)>>k.g.pageShift, uint64(r.End)>>k.g.pageShift, 0)
	k.regap(r.Start, r.End)
	return nil
}

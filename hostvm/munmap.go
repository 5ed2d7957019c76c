package hostvm

import "github.com/mmapsim/mmapsim/internal/cowtree"

// Munmap is munmap(2). Compare Linux's __vm_munmap() and do_vmi_munmap().
func (k *Kernel) Munmap(addr Addr, length uint64) error {
	if !k.mutable() {
		return EINVAL
	}
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
	var c cowtree.Cursor[vma]
	k.seekVMA(&c, r.Start)
	res, err := k.unmapAt(&c, r)
	if res.changed {
		k.regapHole(&c)
	}
	return err
}

// unmapResult says what unmapAt did, for the gaps.
type unmapResult struct {
	changed bool // some VMA was removed or cut
	// covered: VMAs covered all of r, none of them a stack. Putting
	// one VMA (not a stack) back over r then leaves every gap as it
	// was, since the gaps next to r end at a VMA that kept its start and
	// flags, or at r.
	covered bool
}

// unmapAt is unmapRange without the gaps' update, for a caller that
// has sought r.Start: it leaves c on the last VMA below r (before the first
// VMA if there is none), where the caller may insert a VMA for r.
// Preconditions: r is page aligned and inside the address space; c stands
// where k.seekVMA(c, r.Start) puts it.
func (k *Kernel) unmapAt(c *cowtree.Cursor[vma], r Range) (unmapResult, error) {
	if !c.Valid() || c.Item().start >= r.End {
		c.Prev()
		return unmapResult{}, nil
	}
	covered, next := true, r.Start // next: where the next VMA must start for r to stay covered
	if v := c.Item(); v.start < r.Start {
		if v.end > r.End && k.vmas.Len() >= k.g.maxMaps {
			c.Prev()
			return unmapResult{}, ENOMEM
		}
		// Keep the part below r; the rest is handled below.
		k.splitHere(c, r.Start)
		c.Next()
	}
	for c.Valid() && c.Item().start < r.End {
		v := c.Item()
		covered = covered && v.start == next && v.flags&vmGrowsDown == 0
		next = v.end
		if v.end > r.End {
			// Keep the part above r.
			hi := v
			hi.start, hi.pgoff = r.End, k.pageOf(v, r.End)
			c.Set(uint64(r.End), hi)
			k.totalVM -= uint64(r.End - v.start)
			break
		}
		c.Delete()
		k.totalVM -= v.rng().Len()
	}
	k.dropPrivate(r)
	if k.guards.Len() != 0 {
		k.writableGuards().Set(uint64(r.Start)>>k.g.pageShift, uint64(r.End)>>k.g.pageShift, 0)
	}
	// c stands on the first VMA above r: the one before it is the last
	// below r.
	c.Prev()
	return unmapResult{changed: true, covered: covered && next >= r.End}, nil
}

package hostvm

import "github.com/mmapsim/mmapsim/internal/cowtree"

// Installing a mapping over whatever it replaces: Linux's mmap_region(),
// with a one-pass path for the common case of a mapping laid exactly over
// existing VMAs (a MAP_FIXED remap, a placeholder put back into a
// reservation), and MmapReserve, the call that puts such a placeholder
// back.

// mmapRegion installs v, replacing whatever it overlaps. shmem asks for a
// new shared anonymous object of v's size. Compare Linux's mmap_region().
// Preconditions: v is validated and inside the address space.
func (k *Kernel) mmapRegion(v vma, shmem bool) error {
	r := v.rng()
	var c cowtree.Cursor[vma]
	k.seekVMA(&c, r.Start)
	tiles := k.tiles(&c, r) && v.flags&vmGrowsDown == 0
	var res unmapResult
	if !tiles {
		var err error
		if res, err = k.unmapAt(&c, r); err != nil {
			return err
		}
	}
	if shmem {
		ind := k.fs.newInode(k.gen, "", 0o600)
		ind.size = r.Len()
		k.fs.nextFile++
		v.ino, v.file = ind.ino, k.fs.nextFile
		v.pgoff = 0
	}
	if tiles {
		k.replaceTiles(&c, v)
		return nil
	}
	k.insertAt(&c, v, !res.covered || v.flags&vmGrowsDown != 0)
	return nil
}

// tiles reports whether the VMAs from the one c stands on tile r exactly:
// the first starts at r.Start, each starts where the one before ends, the
// last ends at r.End, and none is a stack (MAP_GROWSDOWN). It does not
// move c.
func (k *Kernel) tiles(c *cowtree.Cursor[vma], r Range) bool {
	if !c.Valid() || c.Item().start != r.Start {
		return false
	}
	d := *c
	for next := r.Start; ; {
		v := d.Item()
		if v.start != next || v.end > r.End || v.flags&vmGrowsDown != 0 {
			return false
		}
		if next = v.end; next == r.End {
			return true
		}
		if !d.Next() {
			return false
		}
	}
}

// replaceTiles puts v in place of the VMAs that tile its range, joining it
// to the VMAs below and above where they are mergeable, in one pass: the
// VMA that v becomes (the one below, if v joins it, else the first tile) is
// rewritten and the rest deleted together. Neither total_vm nor any gap
// changes: the range was mapped and stays mapped by a VMA that is not a
// stack. Compare the VMA merging of Linux's mmap_region().
// Preconditions: c stands on the first tile; k.tiles(c, v.rng()); v is
// not a stack.
func (k *Kernel) replaceTiles(c *cowtree.Cursor[vma], v vma) {
	r := v.rng()
	k.dropPrivate(r)
	if k.guards.Len() != 0 {
		k.writableGuards().Set(uint64(r.Start)>>k.g.pageShift, uint64(r.End)>>k.g.pageShift, 0)
	}
	w, below := v, false // w: what the VMA v becomes or joins ends up as
	if c.Prev() {
		if prev := c.Item(); k.mergeable(prev, v) {
			w, below = joined(prev, v), true
		}
	}
	c.Next()
	tiles := 1
	for c.Item().end < r.End {
		c.Next()
		tiles++
	}
	// v ends where the last tile did: its gap above is the last tile's.
	w.gapEnd = c.Item().gapEnd
	drop := tiles // the entries deleted after the one rewritten
	if c.Next() {
		if next := c.Item(); k.mergeable(w, next) {
			w, drop = joined(w, next), drop+1
		}
	}
	// Back to the first tile, and to the VMA below if v joins it.
	for i := 0; i < tiles; i++ {
		c.Prev()
	}
	if below {
		c.Prev()
	} else {
		drop--
	}
	c.SetItem(w)
	c.Next()
	c.DeleteRun(drop)
}

// MmapReserve is
//
//	Mmap(addr, length, ProtNone, MapFixed|MapPrivate|MapAnonymous|MapNoReserve, -1, 0)
//
// with the same checks, errno, result and effect: the call QEMU's
// mmap_reserve() makes under RESERVED_VA to put the PROT_NONE placeholder
// back over guest memory the guest gave back. It skips Mmap's decoding of
// flags, file and offset, which for these arguments always comes out the
// same; the work left is mmap_region()'s: unmap what the range covers,
// then join the placeholder to its neighbours (which, inside a
// reservation, are placeholders too). When the range was wholly mapped,
// the gaps are left alone: no gap can have changed.
func (k *Kernel) MmapReserve(addr Addr, length uint64) (Addr, error) {
	if !k.mutable() {
		return 0, EINVAL
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("mmap")
	}
	addr = Addr(uint64(addr) & k.g.argMask)
	length &= k.g.argMask
	// do_mmap()'s checks, in Mmap's order, for these arguments.
	if length == 0 {
		return 0, EINVAL
	}
	length = k.g.pageAlign(length)
	if length == 0 {
		return 0, ENOMEM
	}
	if k.vmas.Len() > k.g.maxMaps {
		return 0, ENOMEM
	}
	addr, err := k.getUnmappedArea(addr, length, MapFixed, areaAnon, 0)
	if err != nil {
		return 0, err
	}
	v := vma{start: addr, end: addr + Addr(length),
		flags: vmMayRead | vmMayWrite | vmMayExec | vmNoReserve,
		pgoff: uint64(addr) >> k.g.pageShift}
	if err := k.mmapRegion(v, false); err != nil {
		return 0, err
	}
	return addr, nil
}

package hostvm

import "github.com/mmapsim/mmapsim/internal/cowtree"

// mremap follows Linux 6.18's mm/mremap.c: check_mremap_params() first, then
// either remap_move() (MREMAP_FIXED with equal lengths, which may move
// several VMAs at once) or a lookup of the VMA at addr, check_prep_vma() and
// mremap_to() or mremap_at().

// remapOp is one mremap request after the syscall-level checks: Linux's
// struct vma_remap_struct.
type remapOp struct {
	addr    Addr
	oldLen  uint64
	newLen  uint64
	flags   MremapFlags
	newAddr Addr
	v       vma // the VMA containing addr
	// batch: remapMove is moving several VMAs, so the source a
	// MREMAP_DONTUNMAP move leaves is not merged with its neighbours
	// until all have moved; until then each VMA is what Linux's
	// remap_move() finds.
	batch bool
}

func (op *remapOp) impliesNewAddr() bool { return op.flags&(MremapFixed|MremapDontUnmap) != 0 }

// Mremap is mremap(2): it resizes the mapping at addr from oldLen to newLen
// bytes, moving it if MREMAP_MAYMOVE allows and it must, or to newAddr with
// MREMAP_FIXED; MREMAP_DONTUNMAP leaves the old range mapped but empty.
// oldLen 0 on a shared mapping makes a second mapping of the same pages.
func (k *Kernel) Mremap(addr Addr, oldLen, newLen uint64, flags MremapFlags, newAddr Addr) (Addr, error) {
	if !k.mutable() {
		return 0, EINVAL
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("mremap")
	}
	op := remapOp{
		addr:    Addr(uint64(addr) & k.g.argMask),
		oldLen:  k.g.pageAlign(oldLen & k.g.argMask),
		newLen:  k.g.pageAlign(newLen & k.g.argMask),
		flags:   flags,
		newAddr: Addr(uint64(newAddr) & k.g.argMask),
	}
	if err := k.checkRemapParams(&op); err != nil {
		return 0, err
	}
	if op.flags&MremapFixed != 0 && op.oldLen == op.newLen {
		return k.remapMove(op)
	}
	var c cowtree.Cursor[vma]
	k.seekVMA(&c, op.addr)
	if !c.Valid() || c.Item().start > op.addr {
		return 0, EFAULT
	}
	op.v = c.Item()
	if err := k.checkPrepVMA(&op); err != nil {
		return 0, err
	}
	if op.impliesNewAddr() {
		return k.mremapTo(op)
	}
	return k.mremapAt(op, &c)
}

// checkRemapParams is Linux's check_mremap_params().
func (k *Kernel) checkRemapParams(op *remapOp) error {
	task := uint64(k.g.taskSize)
	if op.flags&^(MremapFixed|MremapMayMove|MremapDontUnmap) != 0 {
		return EINVAL
	}
	if !k.g.pageAligned(uint64(op.addr)) {
		return EINVAL
	}
	if op.newLen == 0 || op.newLen > task {
		return EINVAL
	}
	if !op.impliesNewAddr() {
		return nil
	}
	if uint64(op.newAddr) > task-op.newLen {
		return EINVAL
	}
	if !k.g.pageAligned(uint64(op.newAddr)) {
		return EINVAL
	}
	if op.flags&MremapMayMove == 0 {
		return EINVAL
	}
	if op.flags&MremapDontUnmap != 0 && op.oldLen != op.newLen {
		return EINVAL
	}
	// vrm_overlaps(), in unsigned long arithmetic.
	oldEnd := k.g.end(op.addr, op.oldLen)
	newEnd := k.g.end(op.newAddr, op.newLen)
	if oldEnd > op.newAddr && newEnd > op.addr {
		return EINVAL
	}
	// Room for both ends to split in three (measured on Linux 6.18:
	// these moves fail from max_map_count-5 VMAs up).
	if k.vmas.Len()+2 >= k.g.maxMaps-3 {
		return ENOMEM
	}
	return nil
}

// checkPrepVMA is Linux's check_prep_vma(), for op.v found at op.addr.
func (k *Kernel) checkPrepVMA(op *remapOp) error {
	if !op.impliesNewAddr() {
		op.newAddr = op.addr
	}
	expand := op.newLen > op.oldLen
	if !expand && !op.impliesNewAddr() {
		return nil
	}
	v := op.v
	if op.oldLen == 0 && v.flags&(vmShared|vmMayShare) == 0 {
		return EINVAL
	}
	oldLen := op.oldLen
	if op.oldLen > op.newLen {
		oldLen = op.newLen // the part beyond new_len is unmapped, wherever it lies
	}
	if oldLen > uint64(v.end-op.addr) {
		return EFAULT
	}
	if op.newLen == oldLen {
		return nil
	}
	pgoff := k.pageOf(v, op.addr) & k.g.wordMask
	if (pgoff+op.newLen>>k.g.pageShift)&k.g.wordMask < pgoff {
		return EINVAL
	}
	return nil
}

// mremapAt resizes without a caller-chosen new address: Linux's mremap_at().
// Preconditions: c stands on op.v.
func (k *Kernel) mremapAt(op remapOp, c *cowtree.Cursor[vma]) (Addr, error) {
	switch {
	case op.newLen == op.oldLen:
		return op.addr, nil
	case op.newLen < op.oldLen:
		// shrink_vma(): do_vmi_munmap() validates the tail, so an
		// old_len running past TASK_SIZE (or wrapping) fails there.
		if err := k.doMunmap(k.g.add(op.addr, op.newLen), op.oldLen-op.newLen); err != nil {
			return 0, err
		}
		return op.addr, nil
	}
	// Expand: in place when the request runs to the VMA's end and the
	// space after it is free (expand_vma() and vma_expandable()).
	v := op.v
	delta := op.newLen - op.oldLen
	if uint64(v.end-op.addr) == op.oldLen {
		end, ok := AddLen(v.end, delta)
		// The VMA after v is the first that could overlap the growth.
		free := ok && (!c.Next() || c.Item().start >= end)
		c.Prev()
		if free && uint64(end) <= uint64(k.g.taskSize) &&
			(v.start >= k.g.minAddr || k.cfg.Privileged) {
			old := v.end
			v.end = end
			c.SetItem(v)
			k.totalVM += delta
			k.mergeNext(c)
			k.regapCovered(c, Range{old, end})
			if v.flags&vmLocked != 0 {
				k.populate(Range{old, end})
			}
			return op.addr, nil
		}
	}
	if op.flags&MremapMayMove == 0 {
		return 0, ENOMEM
	}
	if err := k.setRemapAddr(&op); err != nil {
		return 0, err
	}
	return k.moveVMA(op)
}

// mremapTo moves to a new address: Linux's mremap_to().
func (k *Kernel) mremapTo(op remapOp) (Addr, error) {
	if op.flags&MremapFixed != 0 {
		if err := k.doMunmap(op.newAddr, op.newLen); err != nil {
			return 0, err
		}
		v, ok := k.findVMA(op.addr)
		if !ok {
			return 0, EFAULT
		}
		op.v = v
	}
	if op.newLen < op.oldLen {
		if err := k.doMunmap(k.g.add(op.addr, op.newLen), op.oldLen-op.newLen); err != nil {
			return 0, err
		}
		v, ok := k.findVMA(op.addr)
		if !ok {
			return 0, EFAULT
		}
		op.v = v
		op.oldLen = op.newLen
	}
	if err := k.setRemapAddr(&op); err != nil {
		return 0, err
	}
	return k.moveVMA(op)
}

// setRemapAddr chooses the destination as mmap would: exact for
// MREMAP_FIXED, a hint for MREMAP_DONTUNMAP, anywhere otherwise, with the
// alignment the VMA's file (or anonymous memory) asks for. Compare Linux's
// vrm_set_new_addr().
func (k *Kernel) setRemapAddr(op *remapOp) error {
	hint := Addr(0)
	var mf MapFlags
	if op.impliesNewAddr() {
		hint = op.newAddr
	}
	if op.flags&MremapFixed != 0 {
		mf |= MapFixed
	}
	kind := areaAnon
	if op.v.ino != 0 {
		kind = areaFile
		if k.fs.inodes[op.v.ino].path == "" {
			kind = areaShmem
		}
	}
	a, err := k.getUnmappedArea(hint, op.newLen, mf, kind, k.pageOf(op.v, op.addr))
	if err != nil {
		return err
	}
	op.newAddr = a
	return nil
}

// moveVMA moves [op.addr, op.addr+op.oldLen) of op.v, with its private
// pages, to a new VMA of op.newLen bytes at op.newAddr, then unmaps the
// source unless MREMAP_DONTUNMAP keeps it (mapped, but emptied). Compare
// Linux's move_vma(), copy_vma_and_data() and dontunmap_complete().
func (k *Kernel) moveVMA(op remapOp) (Addr, error) {
	// Room for the copy and a three-way split of the source (measured
	// on Linux 6.18: moves fail from max_map_count-3 VMAs up).
	if k.vmas.Len() >= k.g.maxMaps-3 {
		return 0, ENOMEM
	}
	v := op.v
	nv := v
	nv.start, nv.end = op.newAddr, op.newAddr+Addr(op.newLen)
	nv.pgoff = k.pageOf(v, op.addr)
	if v.ino == 0 && v.anon == 0 {
		// copy_vma(): anonymous memory never written takes the pgoff
		// of its new address, so it can merge there.
		nv.pgoff = uint64(nv.start) >> k.g.pageShift
	}
	src := Range{op.addr, op.addr + Addr(op.oldLen)}
	if op.flags&MremapDontUnmap != 0 {
		k.movePrivate(src.Start, op.newAddr, op.oldLen)
		k.insertNew(nv)
		k.dontUnmapComplete(op, src)
		return op.newAddr, nil
	}
	if src.Len() > 0 {
		// Detach the source without discarding its pages, which move.
		k.splitAt(src.Start)
		k.splitAt(src.End)
		for _, s := range k.vmasIn(src) {
			k.vmas.Delete(s)
			k.totalVM -= s.rng().Len()
		}
		k.movePrivate(src.Start, op.newAddr, op.oldLen)
		k.regap(src.Start, src.End)
	}
	k.insertNew(nv)
	if nv.flags&vmLocked != 0 && op.newLen > op.oldLen {
		k.populate(Range{nv.start + Addr(op.oldLen), nv.end})
	}
	return op.newAddr, nil
}

// dontUnmapComplete clears VM_LOCKED on the source VMA of a MREMAP_DONTUNMAP
// move, after the copy was inserted, and drops its anon_vma if all of it
// moved: Linux's dontunmap_complete(). The source VMA is looked up again:
// when the copy merged with it (an anonymous VMA never written takes the
// pgoff of its new address, so a copy placed next to it merges, see
// copy_vma()), it is the merged VMA, copy included, that is unlocked, and
// it keeps its anon_vma (new_vma == vrm->vma). Linux merges nothing here;
// hostvm merges the VMA with its neighbours (README, "Merging"), unless
// op.batch leaves that to remapMove.
// Preconditions: src was moved and the copy inserted.
func (k *Kernel) dontUnmapComplete(op remapOp, src Range) {
	v, _ := k.findVMA(src.Start)
	ov := v
	ov.flags &^= vmLocked
	self := v.start <= op.newAddr && op.newAddr < v.end
	if !self && src == v.rng() {
		ov.anon = 0
	}
	k.vmas.ReplaceOrInsert(ov) // same start: replaces v
	if !op.batch {
		k.mergeRange(v.start, v.end)
	}
}

// remapMove is MREMAP_FIXED with equal lengths, which may span several
// VMAs (and gaps between them, but not before the first): each is moved in
// turn, keeping the gaps between them. A failure part-way leaves the VMAs
// already moved where they went. Compare Linux's remap_move().
func (k *Kernel) remapMove(op remapOp) (Addr, error) {
	start, end := op.addr, op.addr+Addr(op.oldLen)
	target := op.newAddr
	var res Addr
	seen := false
	var lastEnd Addr
	if op.flags&MremapDontUnmap != 0 {
		// The emptied sources stay apart until all VMAs have moved
		// (op.batch), as on Linux, so that each is found and moved
		// once; then they merge, failure or not.
		first := start
		if v, ok := k.findVMA(start); ok {
			first = v.start
		}
		defer func() {
			if lastEnd > first {
				k.mergeRange(first, lastEnd)
			}
		}()
	}
	for cur := start; cur < end; {
		v, ok := k.nextVMA(cur)
		if !ok || v.start >= end {
			break
		}
		if !seen && start < v.start {
			return 0, EFAULT
		}
		a := max(v.start, start)
		length := uint64(min(end, v.end) - a)
		offset := Addr(0)
		if seen {
			offset = v.start - lastEnd
		}
		lastEnd = v.end
		sub := remapOp{addr: a, oldLen: length, newLen: length, flags: op.flags,
			newAddr: target + offset, v: v, batch: true}
		if err := k.checkPrepVMA(&sub); err != nil {
			return 0, err
		}
		got, err := k.mremapTo(sub)
		if err != nil {
			return 0, err
		}
		if !seen {
			res = got
		}
		seen = true
		target = got + Addr(length)
		cur = min(end, lastEnd)
	}
	if !seen {
		return 0, EFAULT
	}
	return res, nil
}

package hostvm

import "github.com/mmapsim/mmapsim/internal/runs"

// Mmap is mmap(2): it maps length bytes at addr (a hint, or exact with
// MAP_FIXED), anonymous or from the file open at fd at offset off. It checks
// its arguments in the order Linux does (x86-64's sys_mmap, then
// ksys_mmap_pgoff(), do_mmap(), __get_unmapped_area() and mmap_region()),
// so a call with several faults reports the errno Linux reports.
func (k *Kernel) Mmap(addr Addr, length uint64, prot Prot, flags MapFlags, fd int, off uint64) (Addr, error) {
	if !k.mutable() {
		return 0, EINVAL
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("mmap")
	}
	addr = Addr(uint64(addr) & k.g.argMask)
	length &= k.g.argMask
	if !k.g.pageAligned(off) {
		return 0, EINVAL
	}
	var file openFile
	origFlags := flags
	anon := flags&MapAnonymous != 0
	kind := areaAnon
	if !anon {
		f, ok := k.fs.file(fd)
		if !ok {
			return 0, EBADF
		}
		if flags&MapHugeTLB != 0 {
			return 0, EINVAL
		}
		file = f
		kind = areaFile
	} else if flags&MapHugeTLB != 0 {
		// ksys_mmap_pgoff() picks the hstate (only the PMD-sized one
		// exists) and rounds the length up to it; the mapping itself
		// fails later, in mmap_region(), because the simulated host
		// reserves no huge pages (vm.nr_hugepages = 0).
		hs := k.g.hugeSize
		if sz := flags & MapHugeMask; sz != 0 && uint64(sz>>26) != uint64(k.g.hugeShift) {
			return 0, EINVAL
		}
		length = (length + hs - 1) &^ (hs - 1) & k.g.wordMask
		kind = areaHuge
	} else if flags&MapShared != 0 {
		kind = areaShmem // __get_unmapped_area() tests the bit
	}

	// do_mmap()
	if length == 0 {
		return 0, EINVAL
	}
	if flags&MapFixedNoReplace != 0 {
		flags |= MapFixed
	}
	if flags&MapFixed == 0 {
		addr = k.roundHintToMin(addr)
	}
	length = k.g.pageAlign(length)
	if length == 0 {
		return 0, ENOMEM
	}
	pgoff := off >> k.g.pageShift
	if pgoff+length>>k.g.pageShift < pgoff {
		return 0, EOVERFLOW
	}
	if k.vmas.Len() > k.g.maxMaps {
		return 0, ENOMEM
	}
	addr, err := k.getUnmappedArea(addr, length, flags, kind, pgoff)
	if err != nil {
		return 0, err
	}
	if flags&MapFixedNoReplace != 0 && k.anyVMAIn(Range{addr, addr + Addr(length)}) {
		return 0, EEXIST
	}

	v := vma{start: addr, end: addr + Addr(length), prot: prot & ProtRWX,
		flags: vmMayRead | vmMayWrite | vmMayExec}
	if k.execOnlyKey(prot) {
		v.flags |= vmExecOnlyKey // do_mmap(): "if (prot == PROT_EXEC)"
	}
	if flags&MapGrowsDown != 0 {
		v.flags |= vmGrowsDown
	}
	if flags&MapLocked != 0 {
		v.flags |= vmLocked
	}
	if flags&MapStack != 0 {
		v.flags |= vmNoHugePage
	}
	if flags&MapNoReserve != 0 {
		v.flags |= vmNoReserve
	}
	if kind == areaHuge {
		// The hugetlbfs file takes do_mmap()'s file branch.
		switch flags & MapType {
		case MapShared, MapSharedValidate:
			if flags&MapType == MapShared {
				flags &= legacyMapMask
			}
			if flags&^legacyMapMask != 0 {
				return 0, EOPNOTSUPP
			}
			fallthrough
		case MapPrivate:
			if v.flags&vmGrowsDown != 0 {
				return 0, EINVAL
			}
		default:
			return 0, EINVAL
		}
		// hugetlbfs_file_mmap(): hugetlb_reserve_pages() finds the
		// pool empty. With MAP_NORESERVE Linux maps it anyway (every
		// access then raises SIGBUS); hostvm does not model hugetlb
		// VMAs and refuses (see README, "Known differences").
		return 0, ENOMEM
	}
	if !anon {
		// file_mmap_ok(): the mapping must end below MAX_LFS_FILESIZE.
		if pgoff > (maxFileSize-length)>>k.g.pageShift {
			return 0, EOVERFLOW
		}
		switch flags & MapType {
		case MapShared, MapSharedValidate:
			if flags&MapType == MapShared {
				flags &= legacyMapMask
			}
			// ext4 supports MAP_SYNC (FOP_MMAP_SYNC), so it passes
			// here and fails in the file system's hook below.
			if flags&^(legacyMapMask|MapSync) != 0 {
				return 0, EOPNOTSUPP
			}
			if prot&ProtWrite != 0 && !file.writable() {
				return 0, EACCES
			}
			v.flags |= vmShared | vmMayShare
			if !file.writable() {
				v.flags &^= vmMayWrite | vmShared
			}
			fallthrough
		case MapPrivate:
			if !file.readable() {
				return 0, EACCES
			}
			if v.flags&vmGrowsDown != 0 {
				return 0, EINVAL
			}
		default:
			return 0, EINVAL
		}
		v.ino, v.file = file.ino, file.id
		v.pgoff = pgoff
	} else {
		switch flags & MapType {
		case MapShared:
			if v.flags&vmGrowsDown != 0 {
				return 0, EINVAL
			}
			v.flags |= vmShared | vmMayShare
		case MapPrivate:
			v.pgoff = uint64(addr) >> k.g.pageShift
		case MapDroppable:
			if flags&(MapLocked|MapHugeTLB) != 0 || v.flags&vmGrowsDown != 0 {
				return 0, EINVAL
			}
			// Droppable pages are neither reserved, inherited nor dumped.
			v.flags |= vmDroppable | vmNoReserve | vmWipeOnFork | vmDontDump
			v.pgoff = uint64(addr) >> k.g.pageShift
		default:
			return 0, EINVAL
		}
	}
	// accountable_mapping(): private writable memory is charged.
	if v.flags&(vmNoReserve|vmShared) == 0 && v.prot&ProtWrite != 0 {
		v.flags |= vmAccount
	}
	if !anon && origFlags&MapSync != 0 {
		// The file system's mmap hook: ext4 without DAX refuses
		// VM_SYNC (which MAP_SYNC sets before MAP_SHARED drops the
		// flag), after __mmap_setup() unmapped what MAP_FIXED
		// replaces: the range stays a hole (ext4_file_mmap_prepare(),
		// __mmap_region(), vms_abort_munmap_vmas()).
		if err := k.unmapRange(v.rng()); err != nil {
			return 0, err
		}
		return 0, EOPNOTSUPP
	}
	if err := k.mmapRegion(v, anon && v.shared()); err != nil {
		return 0, err
	}
	if flags&(MapPopulate|MapNonBlock) == MapPopulate || v.flags&vmLocked != 0 {
		k.populate(Range{v.start, v.end})
	}
	return addr, nil
}

// roundHintToMin rounds a hint down to a page and lifts a non-zero hint
// below mmap_min_addr up to it. Compare Linux's round_hint_to_min().
func (k *Kernel) roundHintToMin(hint Addr) Addr {
	hint = Addr(uint64(hint) & k.g.pageMask)
	if hint != 0 && hint < k.g.lowAddr {
		return Addr(k.g.pageAlign(uint64(k.g.lowAddr)))
	}
	return hint
}

// areaKind says whose get_unmapped_area hook places a mapping, which
// decides its alignment. Compare Linux's __get_unmapped_area().
type areaKind uint8

const (
	// areaAnon is private anonymous memory: aligned to a PMD (a
	// transparent huge page) when it has no hint and its length is a
	// multiple of the PMD size (Linux 6.7+, limited to such lengths in
	// 6.13).
	areaAnon areaKind = iota
	// areaFile is a regular file of hostvm's file system, which places
	// like ext4's thp_get_unmapped_area(): PMD aligned (relative to the
	// file offset) whenever the mapping can hold an aligned PMD.
	areaFile
	// areaShmem is shared anonymous memory: shmem, with huge pages off,
	// places like plain mmap.
	areaShmem
	// areaHuge is a MAP_HUGETLB mapping: huge-page aligned.
	areaHuge
)

// getUnmappedArea chooses (or, for MAP_FIXED, checks) where length bytes
// go. pgoff is the file page the mapping starts at (for areaFile).
// Preconditions: length is a non-zero multiple of the page size.
// Compare Linux's __get_unmapped_area() and x86-64's
// arch_get_unmapped_area{,_topdown}().
func (k *Kernel) getUnmappedArea(addr Addr, length uint64, flags MapFlags, kind areaKind, pgoff uint64) (Addr, error) {
	task := k.g.taskSize
	if length > uint64(task) {
		return 0, ENOMEM
	}
	if kind == areaHuge {
		// hugetlb_get_unmapped_area()
		hs := k.g.hugeSize
		if flags&MapFixed != 0 && uint64(addr)&(hs-1) != 0 {
			return 0, EINVAL
		}
		if flags&MapFixed == 0 && addr != 0 {
			a, ok := AlignUp(uint64(addr), hs)
			if !ok {
				a = 0
			}
			addr = Addr(a & k.g.argMask)
		}
	}
	if flags&MapFixed == 0 {
		a, ok := k.placeTHP(addr, length, flags, kind, pgoff)
		if !ok {
			a, ok = k.placeAligned(addr, length, flags, kind)
		}
		if !ok {
			return 0, ENOMEM
		}
		addr = a
	}
	if uint64(addr) > uint64(task)-length {
		return 0, ENOMEM
	}
	if !k.g.pageAligned(uint64(addr)) {
		return 0, EINVAL
	}
	if addr < k.g.minAddr && !k.cfg.Privileged {
		return 0, EPERM
	}
	return addr, nil
}

// placeTHP places a mapping PMD aligned, as Linux's
// __thp_get_unmapped_area() does: it searches for length plus a PMD, then
// moves the result up so that the file offset (zero for anonymous memory)
// and the address agree modulo the PMD size. It reports false when the
// mapping does not qualify or the padded search fails, and the caller then
// places it unpadded.
func (k *Kernel) placeTHP(hint Addr, length uint64, flags MapFlags, kind areaKind, pgoff uint64) (Addr, bool) {
	size := k.g.pmdSize
	if size == 0 {
		return 0, false
	}
	off := uint64(0)
	switch kind {
	case areaAnon:
		if hint != 0 || length%size != 0 {
			return 0, false
		}
	case areaFile:
		off = pgoff << k.g.pageShift
	default:
		return 0, false
	}
	offEnd := off + length
	offAlign, ok := AlignUp(off, size)
	if !ok || offEnd <= offAlign || offEnd-offAlign < size {
		return 0, false
	}
	lenPad := length + size
	if lenPad < length || lenPad > uint64(k.g.taskSize) || off > maxFileSize-lenPad {
		return 0, false
	}
	ret, ok := k.place(hint, lenPad, flags)
	if !ok {
		return 0, false
	}
	if ret == hint {
		return ret, true
	}
	offSub := (off - uint64(ret)) & (size - 1)
	if k.cfg.Layout == TopDown && offSub == 0 {
		return ret + Addr(size), true
	}
	return ret + Addr(offSub), true
}

// placeAligned is place, except that a hugetlb mapping is searched for
// with huge-page alignment.
func (k *Kernel) placeAligned(hint Addr, length uint64, flags MapFlags, kind areaKind) (Addr, bool) {
	if kind != areaHuge {
		return k.place(hint, length, flags)
	}
	hs := k.g.hugeSize
	if hint != 0 {
		if a, ok := k.place(hint, length, flags); ok && a == hint {
			return a, true
		}
	}
	// vm_unmapped_area() with align_mask: search for the worst case
	// and align within the result.
	pad := length + hs - k.g.pageSize
	if pad < length || pad > uint64(k.g.taskSize) {
		return 0, false
	}
	a, ok := k.place(0, pad, flags)
	if !ok {
		return 0, false
	}
	if k.cfg.Layout == TopDown {
		return Addr(AlignDown(uint64(a)+pad-length, hs)), true
	}
	up, _ := AlignUp(uint64(a), hs)
	return Addr(up), true
}

// place finds a free range of length bytes: the hint if it is free (with
// room for any stack guard gap above it), else the layout's search.
// Preconditions: 0 < length <= TaskSize.
func (k *Kernel) place(hint Addr, length uint64, flags MapFlags) (Addr, bool) {
	task := k.g.taskSize
	low := max(k.g.lowAddr, Addr(k.g.pageSize))
	if flags&Map32Bit != 0 && !k.g.is32 {
		// x86-64's find_start_end(): MAP_32BIT mappings go bottom-up
		// into [1 GiB, 2 GiB), with no fallback. The hint test is
		// arch_get_unmapped_area()'s, wrapping as it does.
		const begin, end = Addr(0x40000000), Addr(0x80000000)
		if hint != 0 && uint64(hint) <= uint64(task)-length &&
			uint64(end)-length >= uint64(hint) && k.fits(hint, length) {
			return hint, true
		}
		return k.bottomUp(max(low, begin), min(end, task), length)
	}
	if hint != 0 && uint64(hint) <= uint64(task)-length {
		if k.fits(hint, length) {
			return hint, true
		}
	}
	if k.cfg.Layout == TopDown {
		if a, ok := k.topDown(low, k.mmapBase, length); ok {
			return a, true
		}
		// A failed top-down search falls back to bottom-up, from
		// TASK_UNMAPPED_BASE to the top.
	}
	return k.bottomUp(max(low, k.unmappedBase), task, length)
}

// fits reports whether [a, a+length) is free and clear of the guard gap of
// a MAP_GROWSDOWN VMA above it.
func (k *Kernel) fits(a Addr, length uint64) bool {
	end := a + Addr(length)
	n, ok := k.nextVMA(a)
	if !ok {
		return true
	}
	return uint64(end) <= uint64(k.vmStartGap(n))
}

// vmStartGap is the lowest address a mapping below v may reach: v's start,
// less the guard gap for a stack. Compare Linux's vm_start_gap().
func (k *Kernel) vmStartGap(v vma) Addr {
	if v.flags&vmGrowsDown == 0 {
		return v.start
	}
	if uint64(v.start) < k.g.guardGap {
		return 0
	}
	return v.start - Addr(k.g.guardGap)
}

// populate faults in r as MAP_POPULATE does, stopping silently at the
// first fault. Compare Linux's populate_vma_page_range().
func (k *Kernel) populate(r Range) {
	for _, v := range k.vmasIn(r) {
		if v.prot&ProtRWX == 0 {
			continue // mlock and MAP_POPULATE skip PROT_NONE
		}
		acc := AccessRead
		if !v.shared() && v.prot&ProtWrite != 0 {
			acc = AccessWrite
		}
		s, _ := r.Intersect(v.rng())
		if k.prefault(v, s, acc) != nil {
			return
		}
	}
}

// prefault faults in the part s of VMA v for acc as the page-fault handler
// would page by page, and returns the first fault. Only what is observable
// is done: a write to private memory gives it an anon_vma and, for a file,
// private copies of the file's pages (later changes to the file no longer
// show through them); anonymous zero pages are not materialised, and pages
// past end-of-file end the walk with SIGBUS, so the cost is bounded by the
// file's size, not the mapping's. A guard page (MADV_GUARD_INSTALL) ends
// the walk with SIGSEGV, as its fault does (handle_pte_marker()).
// Preconditions: s lies inside v.
func (k *Kernel) prefault(v vma, s Range, acc Access) *Fault {
	if f := k.accessFault(v, s.Start, acc); f != nil {
		return f // get_user_pages() fails alike (check_vma_flags())
	}
	var guard *Fault
	k.guards.EachIn(uint64(s.Start)>>k.g.pageShift, uint64(s.End)>>k.g.pageShift, func(r runs.Run) bool {
		s.End = Addr(r.First << k.g.pageShift)
		guard = &Fault{Signal: SIGSEGV, Code: SegvMapErr, Addr: s.End, Access: acc}
		return false
	})
	if s.Start == s.End {
		return guard
	}
	if v.ino == 0 {
		if acc == AccessWrite {
			k.prepareAnon(v)
		}
		return guard
	}
	ind := k.fs.inodes[v.ino]
	// First page of s beyond end-of-file, if any.
	eofPage := (ind.size + k.g.pageSize - 1) >> k.g.pageShift
	stop := s.End
	if first := k.pageOf(v, s.Start); first >= eofPage {
		stop = s.Start
	} else if k.pageOf(v, s.End-1) >= eofPage {
		stop = v.start + Addr((eofPage-v.pgoff)<<k.g.pageShift)
	}
	if acc == AccessWrite && !v.shared() {
		// The walk ends at stop: privatePage faults there, after
		// giving the VMA its anon_vma (do_cow_fault()).
		for a := s.Start; a < s.End; a += Addr(k.g.pageSize) {
			cur, _ := k.findVMA(a)
			if _, f := k.privatePage(cur, a); f != nil {
				return f
			}
		}
		return guard
	}
	if stop < s.End {
		return &Fault{Signal: SIGBUS, Code: BusAdrErr, Addr: stop, Access: acc}
	}
	return guard
}

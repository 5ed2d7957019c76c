package hostvm

// Mmap is mmap(2): it maps length bytes at addr (a hint, or exact with
// MAP_FIXED), anonymous or from the file open at fd at offset off. It checks
// its arguments in the order Linux does (x86-64's sys_mmap, then
// ksys_mmap_pgoff(), do_mmap(), __get_unmapped_area() and mmap_region()),
// so a call with several faults reports the errno Linux reports.
func (k *Kernel) Mmap(addr Addr, length uint64, prot Prot, flags MapFlags, fd int, off uint64) (Addr, error) {
	if invariantsEnabled {
		defer k.checkInvariantsAfter("mmap")
	}
	addr = Addr(uint64(addr) & k.g.wordMask)
	length &= k.g.wordMask
	if !k.g.pageAligned(off) {
		return 0, EINVAL
	}
	var file openFile
	origFlags := flags
	anon := flags&MapAnonymous != 0
	if !anon {
		f, ok := k.fs.file(fd)
		if !ok {
			return 0, EBADF
		}
		if flags&MapHugeTLB != 0 {
			return 0, EINVAL
		}
		file = f
	} else if flags&MapHugeTLB != 0 {
		// Only 2 MiB huge pages exist, and none is reserved on the
		// simulated host.
		if sz := flags & MapHugeMask; sz != 0 && sz != 21<<26 {
			return 0, EINVAL
		}
		return 0, ENOMEM
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
	addr, err := k.getUnmappedArea(addr, length, flags)
	if err != nil {
		return 0, err
	}
	if flags&MapFixedNoReplace != 0 && k.anyVMAIn(Range{addr, addr + Addr(length)}) {
		return 0, EEXIST
	}

	v := vma{start: addr, end: addr + Addr(length), prot: prot & ProtRWX,
		flags: vmMayRead | vmMayWrite | vmMayExec}
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
			if flags&^legacyMapMask != 0 {
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
		// The file system's mmap hook: ext4 without DAX refuses MAP_SYNC,
		// which sets VM_SYNC before MAP_SHARED drops the flag.
		if origFlags&MapSync != 0 {
			return 0, EOPNOTSUPP
		}
		v.ino = file.ino
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
			if v.flags&vmGrowsDown != 0 {
				return 0, EINVAL
			}
			v.flags |= vmDroppable
			v.pgoff = uint64(addr) >> k.g.pageShift
		default:
			return 0, EINVAL
		}
	}
	// accountable_mapping(): private writable memory is charged.
	if v.flags&(vmNoReserve|vmShared) == 0 && v.prot&ProtWrite != 0 {
		v.flags |= vmAccount
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

// getUnmappedArea chooses (or, for MAP_FIXED, checks) where length bytes go.
// Preconditions: length is a non-zero multiple of the page size.
// Compare Linux's __get_unmapped_area() and x86-64's
// arch_get_unmapped_area{,_topdown}().
func (k *Kernel) getUnmappedArea(addr Addr, length uint64, flags MapFlags) (Addr, error) {
	task := k.g.taskSize
	if length > uint64(task) {
		return 0, ENOMEM
	}
	if flags&MapFixed == 0 {
		a, ok := k.place(addr, length)
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

// place finds a free range of length bytes: the hint if it is free (with
// room for any stack guard gap above it), else the layout's search.
func (k *Kernel) place(hint Addr, length uint64) (Addr, bool) {
	task := k.g.taskSize
	if hint != 0 && uint64(hint) <= uint64(task)-length {
		if k.fits(hint, length) {
			return hint, true
		}
	}
	low := max(k.g.lowAddr, Addr(k.g.pageSize))
	if k.cfg.Layout == TopDown {
		if a, ok := k.gaps.topDown(low, k.mmapBase, length); ok {
			return a, true
		}
		// A failed top-down search falls back to bottom-up, from
		// TASK_UNMAPPED_BASE to the top.
	}
	return k.gaps.bottomUp(max(low, k.unmappedBase), task, length)
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

// mmapRegion installs v, replacing whatever it overlaps. shmem asks for a
// new shared anonymous object of v's size. Compare Linux's mmap_region().
// Preconditions: v is validated and inside the address space.
func (k *Kernel) mmapRegion(v vma, shmem bool) error {
	r := v.rng()
	if err := k.unmapRange(r); err != nil {
		return err
	}
	if shmem {
		ind := k.fs.newInode("", 0o600)
		ind.size = r.Len()
		v.ino = ind.ino
		v.pgoff = 0
	}
	k.insertNew(v)
	return nil
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
// file's size, not the mapping's.
// Preconditions: s lies inside v.
func (k *Kernel) prefault(v vma, s Range, acc Access) *Fault {
	if !k.allows(v.prot, acc) {
		return &Fault{Signal: SIGSEGV, Code: SegvAccErr, Addr: s.Start, Access: acc}
	}
	if v.ino == 0 {
		if acc == AccessWrite {
			k.prepareAnon(v)
		}
		return nil
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
		for a := s.Start; a < stop; a += Addr(k.g.pageSize) {
			cur, _ := k.findVMA(a)
			if _, f := k.privatePage(cur, a); f != nil {
				return f
			}
		}
	}
	if stop < s.End {
		return &Fault{Signal: SIGBUS, Code: BusAdrErr, Addr: stop, Access: acc}
	}
	return nil
}

package qemu11

import "github.com/mmapsim/mmapsim/hostvm"

// The three page-size cases of target_mmap (see the table in mmap.go).
// Each returns the guest address, or -1 with s.libc.Errno set.

// wantP is target_mmap's want_p: g2h(start) for a fixed mapping or a
// hint, NULL (0) when the host may choose freely.
func (s *Guest) wantP(start uint64, flags hostvm.MapFlags) hostvm.Addr {
	if start != 0 || flags&(hostvm.MapFixed|hostvm.MapFixedNoReplace) != 0 {
		return s.g2h(start)
	}
	return 0
}

// mmapHEqG is mmap_h_eq_g() (mmap.c:605-630): host page size == target
// page size, where there are no edge conditions.
//
// Preconditions: the mmap lock is held; length is non-zero and page
// aligned.
func (s *Guest) mmapHEqG(start, length uint64, hostProt int, flags hostvm.MapFlags, pageFlags uint32, fd int, offset uint64) uint64 {
	wantP := s.wantP(start, flags)
	p, ok := s.libc.Mmap(wantP, length, hostProt, flags, fd, offset)
	if !ok {
		return s.minusOne()
	}
	// If the host kernel does not support MAP_FIXED_NOREPLACE, emulate
	// (mmap.c:620-625).
	if flags&hostvm.MapFixedNoReplace != 0 && p != wantP {
		s.doMunmap(p, length)
		s.libc.Errno = hostvm.EEXIST
		return s.minusOne()
	}
	start = s.h2g(p)
	last := s.abi(start + length - 1)
	return s.mmapEnd(start, last, start, last, flags, pageFlags)
}

// mmapHLtG is mmap_h_lt_g() (mmap.c:659-784): host page size < target page
// size. A file mapping reaching past end-of-file is mapped anonymous
// first, then the file over the part before end-of-file, so the guest can
// read the rest of its last target page (where the host would raise
// SIGBUS); a mapping wholly past end-of-file becomes anonymous. A non-fixed
// mapping is over-allocated and trimmed to target-page alignment.
//
// Preconditions: the mmap lock is held; length is non-zero and
// target-page aligned.
func (s *Guest) mmapHLtG(start, length uint64, hostProt int, mmapFlags hostvm.MapFlags, pageFlags uint32, fd int, offset uint64) uint64 {
	g := &s.geom
	h := s.hostPage()
	flags := mmapFlags
	wantP := s.wantP(start, flags)
	var fileendAdj uint64 // off_t: how much of the mapping lies past end-of-file

	if flags&hostvm.MapAnonymous == 0 {
		sb, ok := s.libc.Fstat(fd)
		if !ok {
			return s.minusOne()
		}
		size := uint64(max(sb.Size, 0))
		switch {
		case offset >= size:
			// The entire map is beyond the end of the file: transform it
			// to an anonymous mapping (mmap.c:678-685).
			flags |= hostvm.MapAnonymous
			fd, offset = -1, 0
		case offset+length > size:
			// A portion of the map is beyond the end of the file:
			// truncate the file portion of the allocation.
			fileendAdj = offset + length - size
		}
	}

	var p hostvm.Addr
	if flags&(hostvm.MapFixed|hostvm.MapFixedNoReplace) != 0 {
		var ok bool
		if fileendAdj != 0 {
			p, ok = s.libc.Mmap(wantP, length, hostProt, flags|hostvm.MapAnonymous, -1, 0)
		} else {
			p, ok = s.libc.Mmap(wantP, length, hostProt, flags, fd, offset)
		}
		if !ok || p != wantP {
			if ok {
				// Host does not support MAP_FIXED_NOREPLACE: emulate.
				s.doMunmap(p, length)
				s.libc.Errno = hostvm.EEXIST
			}
			return s.minusOne()
		}
		if fileendAdj != 0 {
			fileFlags := flags&^hostvm.MapFixedNoReplace | hostvm.MapFixed
			if _, ok := s.libc.Mmap(p, length-fileendAdj, hostProt, fileFlags, fd, offset); !ok {
				// We failed a map over the top of the successful anonymous
				// mapping above: if it replaced an existing mapping with
				// MAP_FIXED, that cannot be recovered (mmap.c:715-735;
				// QEMU only logs "target_mmap late failure").
				saved := s.libc.Errno
				s.doMunmap(wantP, length)
				s.libc.Errno = saved
				return s.minusOne()
			}
		}
	} else {
		// Take care to align the host memory: a larger anonymous
		// allocation, the aligned portion extracted, the file remapped on
		// top (mmap.c:738-775).
		hostLen := length + g.TargetPageSize - h
		var ok bool
		p, ok = s.libc.Mmap(wantP, hostLen, hostProt, flags|hostvm.MapAnonymous, -1, 0)
		if !ok {
			return s.minusOne()
		}
		if partLen := uint64(p) & (g.TargetPageSize - 1); partLen != 0 {
			partLen = g.TargetPageSize - partLen
			s.doMunmap(p, partLen)
			p = s.hostAdd(p, partLen)
			hostLen -= partLen
		}
		if length < hostLen {
			s.doMunmap(s.hostAdd(p, length), hostLen-length)
		}
		if flags&hostvm.MapAnonymous == 0 {
			if _, ok := s.libc.Mmap(p, length-fileendAdj, hostProt, flags|hostvm.MapFixed, fd, offset); !ok {
				saved := s.libc.Errno
				s.doMunmap(p, length)
				s.libc.Errno = saved
				return s.minusOne()
			}
		}
		start = s.h2g(p)
	}

	last := s.abi(start + length - 1)
	passLast := last
	if fileendAdj != 0 {
		passLast = s.abi(s.roundUp(s.abi(last-fileendAdj), h) - 1)
	}
	return s.mmapEnd(start, last, start, passLast, mmapFlags, pageFlags)
}

// mmapHGtG is mmap_h_gt_g() (mmap.c:792-912): host page size > target page
// size. A non-fixed mapping (only without reserved_va) is mapped from the
// host-aligned offset and the guest address moved up to match. A fixed one
// maps its partial host pages with mmap_frag, then the middle: directly,
// or, where the file offset is not congruent with the address modulo the
// host page, anonymous memory filled with pread (refused for a mapping that
// is not MAP_PRIVATE).
//
// Preconditions: the mmap lock is held; length is non-zero and
// target-page aligned; a fixed start is target-page aligned.
func (s *Guest) mmapHGtG(start, length uint64, targetProt, hostProt int, flags hostvm.MapFlags, pageFlags uint32, fd int, offset uint64) uint64 {
	h := s.hostPage()
	wantP := s.wantP(start, flags)
	hostOffset := offset &^ (h - 1)

	if flags&(hostvm.MapFixed|hostvm.MapFixedNoReplace) == 0 {
		// Adjust the offset to something representable on the host
		// (mmap.c:807-823).
		hostLen := length + offset - hostOffset
		p, ok := s.libc.Mmap(wantP, hostLen, hostProt, flags, fd, hostOffset)
		if !ok {
			return s.minusOne()
		}
		// Update start to the file position at offset.
		p = s.hostAdd(p, offset-hostOffset)
		start = s.h2g(p)
		last := s.abi(start + length - 1)
		return s.mmapEnd(start, last, start, last, flags, pageFlags)
	}

	misalignedOffset := false
	if flags&hostvm.MapAnonymous == 0 {
		misalignedOffset = (start^offset)&(h-1) != 0
		// The fallback for misalignment is a private mapping + read,
		// which carries none of the semantics of MAP_SHARED (mmap.c:832).
		if misalignedOffset && flags&hostvm.MapType != hostvm.MapPrivate {
			s.libc.Errno = hostvm.EINVAL
			return s.minusOne()
		}
	}

	last := s.abi(start + length - 1)
	realStart := start &^ (h - 1)
	realLast := s.abi(s.roundUp(last, h) - 1)

	// Handle the start and end of the mapping (mmap.c:845-875).
	if realStart < start {
		realPageLast := s.abi(realStart + h - 1)
		if last <= realPageLast {
			// Entire allocation a subset of one host page.
			if !s.mmapFrag(realStart, start, last, targetProt, flags, fd, offset) {
				return s.minusOne()
			}
			return s.mmapEnd(start, last, 1, 0, flags, pageFlags)
		}
		if !s.mmapFrag(realStart, start, realPageLast, targetProt, flags, fd, offset) {
			return s.minusOne()
		}
		realStart = s.abi(realPageLast + 1)
	}
	if last < realLast {
		realPageStart := s.abi(realLast - h + 1)
		if !s.mmapFrag(realPageStart, realPageStart, last, targetProt, flags, fd, offset+realPageStart-start) {
			return s.minusOne()
		}
		realLast = s.abi(realPageStart - 1)
	}
	if realStart > realLast {
		return s.mmapEnd(start, last, 1, 0, flags, pageFlags)
	}

	// Handle the middle of the mapping (mmap.c:881-911).
	hostLen := s.abi(realLast - realStart + 1)
	wantP = s.hostAdd(wantP, realStart-start)
	var p hostvm.Addr
	var ok bool
	switch {
	case flags&hostvm.MapAnonymous != 0:
		p, ok = s.libc.Mmap(wantP, hostLen, hostProt, flags, -1, 0)
	case !misalignedOffset:
		p, ok = s.libc.Mmap(wantP, hostLen, hostProt, flags, fd, offset+realStart-start)
	default:
		p, ok = s.libc.Mmap(wantP, hostLen, hostProt|protWrite, flags|hostvm.MapAnonymous, -1, 0)
	}
	if !ok || p != wantP {
		if ok {
			s.doMunmap(p, hostLen)
			s.libc.Errno = hostvm.EEXIST
		}
		return s.minusOne()
	}
	if misalignedOffset {
		if !s.mmapPread(fd, p, hostLen, offset+realStart-start, false) {
			s.doMunmap(p, hostLen)
			return s.minusOne()
		}
		if hostProt&protWrite == 0 {
			s.libc.Mprotect(p, hostLen, hostProt)
		}
	}
	return s.mmapEnd(start, last, 1, 0, flags, pageFlags)
}

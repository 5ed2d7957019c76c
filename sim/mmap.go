package sim

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// targetMmap is target_mmap(). Compare QEMU linux-user/mmap.c:target_mmap()
// (seed lines 370-583). It returns the guest address, or (abi_ulong)-1 with
// s.libc.Errno set, or (in one seed path) a negated errno from
// target_mprotect.
//
// Preconditions: the arguments are abi_ulong values (Mmap truncates them);
// the caller translated the guest's flags (mmapFlagsTable).
func (s *Sim) targetMmap(start, length uint64, prot int, flags hostvm.MapFlags, fd int, offset uint64) uint64 {
	g := &s.geom
	var end, realStart, realEnd, retaddr, hostOffset, hostLen, flagsLen uint64
	var eofLo, eofHi uint64 // the fix's EOF overlay, relative to start
	var ptLo, ptHi uint64   // what went straight onto host pages (QuirkMadvisePassthrough)
	var pflags uint32
	// placed says mmap_find_vma placed the mapping at [foundStart,
	// foundStart+foundLen) (reserving it, without RESERVED_VA), which a
	// later failure gives back in the fix.
	var placed bool
	var foundStart, foundLen uint64
	// hostChanged says a MAP_FIXED request has changed the host (a
	// fragment mapped, a host page's protection raised, the middle
	// mapped), which a later failure undoes in the fix (fixedMmapUndo).
	var hostChanged bool
	// guestFlags are the flags as the guest gave them, for the fix's
	// checks, when guestCall (not in the mappings QEMU makes for itself).
	guestFlags, guestCall := s.guestFlags, s.guestCall
	s.guestCall = false
	origLen := length
	if s.quirk(QuirkMmapProtEINVAL) && length != 0 && prot&^(protRead|protWrite|protExec|int(hostvm.ProtSem)) != 0 {
		s.libc.Errno = hostvm.EINVAL // 7.2 mmap.c:447-450, after "if (!len)"
		return s.minusOne()
	}
	if !s.quirk(QuirkMmapProtUnmasked) {
		prot &= protRead | protWrite | protExec // Linux's mmap ignores other bits
	}
	s.mmapLock()
	if offset&^g.TargetPageMask() != 0 {
		s.libc.Errno = hostvm.EINVAL
		goto fail
	}
	if flags&hostvm.MapAnonymous != 0 && !s.quirk(QuirkMmapAnonOffset) {
		offset = 0 // the fix: Linux ignores an anonymous mapping's offset
	}
	if flags&hostvm.MapAnonymous == 0 && guestCall && !s.quirk(QuirkMmapFlagsUnchecked) {
		// The fix: Linux looks the file up first (EBADF).
		if _, ok := s.libc.FcntlGetFl(fd); !ok {
			goto fail
		}
	}
	if s.quirk(QuirkMmapLenZero) {
		length = g.TargetPageAlign(length)
	} else {
		// The fix keeps the carry, as Linux's 64-bit PAGE_ALIGN does for
		// a 32-bit process: 0xffffffff is 4 GiB, not 0.
		length = s.targetPageAlignEnd(length)
	}
	if length == 0 {
		if s.quirk(QuirkMmapLenZero) {
			goto the_end // seed 409: success, nothing mapped
		}
		s.libc.Errno = hostvm.EINVAL
		if origLen != 0 {
			s.libc.Errno = hostvm.ENOMEM // the length wrapped when aligned
		}
		goto fail
	}
	flagsLen = length // what the guest asked for, page aligned
	realStart = start & g.HostPageMask()
	hostOffset = offset & g.HostPageMask()

	// If the user is asking for the kernel to find a location, do that
	// before we truncate the length for mapping files below (seed 414).
	if flags&hostvm.MapFixed == 0 {
		hostLen = g.ABIWord(length + offset - hostOffset)
		if !s.quirk(QuirkMmapHostLenWrap) && (hostLen < length || g.HostPageAlign(hostLen) == 0) {
			// The fix: the host pages the mapping needs pass the end
			// of the guest word, so there is no room for them.
			s.libc.Errno = hostvm.ENOMEM
			goto fail
		}
		hostLen = g.HostPageAlign(hostLen)
		start = s.mmapFindVMA(realStart, hostLen)
		if start == s.minusOne() {
			s.libc.Errno = hostvm.ENOMEM
			goto fail
		}
		placed, foundStart, foundLen = true, start, hostLen
		if errno := s.placedMmapChecks(guestFlags, guestCall, prot, flags, fd, offset, length); errno != 0 {
			s.libc.Errno = errno // the fix: refused where Linux refuses, after placement
			goto fail
		}
	}

	// When mapping files into a memory area larger than the file, accesses
	// to pages beyond the file size will cause a SIGBUS (seed 426): with a
	// target page larger than the real host page, truncate the file map at
	// EOF, aligned to the real host page.
	if s.eofTruncates() && flags&hostvm.MapAnonymous == 0 {
		sb, ok := s.libc.Fstat(fd)
		if !ok {
			goto fail
		}
		if int64(g.ABIWord(offset+length)) > sb.Size {
			if s.quirk(QuirkEOFTruncatedFlags) {
				length = g.ABIWord(uint64(sb.Size) - offset)
				length = g.ABIWord(length + g.RealHostPageSize - 1)
				length &= ^(g.RealHostPageSize - 1)
			} else if uint64(sb.Size) > offset {
				// The fix maps the whole file range (so pages wholly past
				// end-of-file fault with SIGBUS, as the guest's kernel
				// would) and lays anonymous memory over the rest of the
				// target page holding end-of-file, which the guest may read.
				rel := uint64(sb.Size) - offset
				eofLo = (rel + g.RealHostPageSize - 1) &^ (g.RealHostPageSize - 1)
				eofHi = min((rel+g.TargetPageSize-1)&^(g.TargetPageSize-1), length)
			}
		}
	}

	if flags&hostvm.MapFixed == 0 {
		hostLen = g.ABIWord(length + offset - hostOffset)
		hostLen = g.HostPageAlign(hostLen)
		// Note: we prefer to control the mapping address (seed 463).
		p, ok := s.libc.Mmap(g.G2H(start), hostLen, s.hostProt(prot), flags|hostvm.MapFixed|hostvm.MapAnonymous, -1, 0)
		if !ok {
			goto fail
		}
		// update start so that it points to the file position at 'offset'
		hostStart := uint64(p)
		if flags&hostvm.MapAnonymous == 0 {
			fileLen := length
			if !s.quirk(QuirkNonFixedFileShort) {
				fileLen = g.ABIWord(length + offset - hostOffset) // map the whole file range
			}
			if _, ok := s.libc.Mmap(g.G2H(start), fileLen, s.hostProt(prot), flags|hostvm.MapFixed, fd, hostOffset); !ok {
				saved := s.libc.Errno
				s.unmapOrReserve(start, hostLen)
				s.libc.Errno = saved
				placed = false // given back already
				goto fail
			}
			hostStart += offset - hostOffset
		}
		start = g.H2G(hostvm.Addr(hostStart & g.HostMask))
		ptLo, ptHi = start, s.rangeEnd(start+length)
	} else {
		if errno := s.fixedMmapChecks(start, length, prot, flags, guestFlags, guestCall, fd, offset); errno != 0 {
			s.libc.Errno = errno // the fix: refused before the host is touched
			goto fail
		}
		if start&^g.TargetPageMask() != 0 { // seed 483
			s.libc.Errno = hostvm.EINVAL
			goto fail
		}
		end = s.rangeEnd(start + length)
		realEnd = s.hostPageAlignEnd(end)

		// Test if requested memory area fits target address space. It
		// can fail only on 64-bit host with 32-bit target (seed 491).
		if (start+length-1)&g.HostMask > g.ABIMask {
			s.libc.Errno = hostvm.EINVAL
			if !s.quirk(QuirkFixedFitEINVAL) {
				s.libc.Errno = hostvm.ENOMEM // as Linux: the range passes the top of the space
			}
			goto fail
		}

		// worst case: we cannot map the file because the offset is not
		// aligned, so we read it (seed 500)
		if flags&hostvm.MapAnonymous == 0 && offset&^g.HostPageMask() != start&^g.HostPageMask() {
			// msync() won't work here, so we return an error if write is
			// possible while it is a shared mapping
			if flags&hostvm.MapType == hostvm.MapShared && prot&protWrite != 0 {
				s.libc.Errno = hostvm.EINVAL
				goto fail
			}
			retaddr = s.targetMmap(start, length, prot|protWrite,
				hostvm.MapFixed|hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0)
			if retaddr == s.minusOne() {
				goto fail
			}
			if !s.libc.Pread(fd, g.G2H(start), length, offset) {
				if !s.quirk(QuirkMmapOffsetOverflow) {
					// The fix: a failed mmap leaves nothing mapped.
					saved := s.libc.Errno
					s.targetMunmap(start, length)
					s.libc.Errno = saved
				}
				goto fail
			}
			if !s.quirk(QuirkNoPageAnon) && !s.quirk(QuirkMadvisePassthrough) {
				// The guest mapped a file: the anonymous memory holding
				// its copy is not private anonymous memory to the guest.
				s.setFlags(start, s.rangeEnd(start+length), uint32(prot|protWrite|PageValid))
			}
			if prot&protWrite == 0 {
				r := s.targetMprotect(start, length, prot)
				if r != 0 && s.quirk(QuirkPreadMprotectAssert) {
					base.Raise("target_mmap", "assertion failed: ret == 0 (target_mprotect(%#x, %#x) of the pread emulation returned %d)", start, length, r)
				}
				if r != 0 && !s.quirk(QuirkFixedFailLeak) {
					// The fix: the failed mmap leaves its range unmapped,
					// as a MAP_FIXED mmap that fails after the host
					// changed does (fixedMmapUndo), not a writable copy.
					s.errnoFrom(r)
					saved := s.libc.Errno
					s.targetMunmap(start, length)
					s.libc.Errno = saved
					goto fail
				}
				if r != 0 {
					start = g.ABIWord(uint64(r))
					goto the_end
				}
			}
			goto the_end
		}

		// handle the start of the mapping (seed 528)
		if start > realStart {
			if realEnd == s.rangeEnd(realStart+g.HostPageSize) {
				// one single host page
				r, changed := s.mmapFrag(realStart, start, end, s.hostProt(prot), flags, fd, offset)
				hostChanged = hostChanged || changed
				if r == -1 {
					goto fail
				}
				goto the_end1
			}
			r, changed := s.mmapFrag(realStart, start, s.rangeEnd(realStart+g.HostPageSize), s.hostProt(prot), flags, fd, offset)
			hostChanged = hostChanged || changed
			if r == -1 {
				goto fail
			}
			realStart += g.HostPageSize
		}
		// handle the end of the mapping (seed 544)
		if end < realEnd {
			fragEnd := end
			if s.quirk(QuirkFragTailRealEnd) {
				fragEnd = realEnd
			}
			r, changed := s.mmapFrag(realEnd-g.HostPageSize, realEnd-g.HostPageSize, fragEnd, s.hostProt(prot), flags, fd,
				g.ABIWord(offset+realEnd-g.HostPageSize-start))
			hostChanged = hostChanged || changed
			if r == -1 {
				goto fail
			}
			realEnd -= g.HostPageSize
		}
		// map the middle (easier)
		if realStart < realEnd {
			var offset1 uint64
			if flags&hostvm.MapAnonymous == 0 {
				offset1 = g.ABIWord(offset + realStart - start)
			}
			if _, ok := s.libc.Mmap(g.G2H(realStart), realEnd-realStart, s.hostProt(prot), flags, fd, offset1); !ok {
				goto fail
			}
			hostChanged = true
			ptLo, ptHi = realStart, realEnd
		}
	}
the_end1:
	if eofLo < eofHi {
		if _, ok := s.libc.Mmap(g.G2H(start+eofLo), eofHi-eofLo, prot,
			hostvm.MapFixed|hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0); !ok {
			goto fail
		}
	}
	if s.quirk(QuirkEOFTruncatedFlags) {
		flagsLen = length // the length truncated at end-of-file (seed 450)
	}
	pflags = uint32(prot | PageValid)
	if !s.quirk(QuirkNoPageAnon) && flags&(hostvm.MapAnonymous|hostvm.MapType) == hostvm.MapAnonymous|hostvm.MapPrivate {
		pflags |= PageAnon
	}
	s.setFlags(start, s.rangeEnd(start+flagsLen), pflags)
	s.markPassthrough(ptLo, ptHi)
the_end:
	s.libc.TBInvalidatePhysRange(start, s.rangeEnd(start+length))
	s.mmapUnlock()
	return start
fail:
	if placed && !s.quirk(QuirkNonFixedFailLeak) {
		// The fix: give back the range mmap_find_vma placed.
		saved := s.libc.Errno
		s.unmapOrReserve(foundStart, foundLen)
		s.libc.Errno = saved
	}
	if hostChanged && !s.quirk(QuirkFixedFailLeak) {
		// The fix: a MAP_FIXED request that fails after changing the
		// host leaves its range unmapped, as Linux's may.
		saved := s.libc.Errno
		s.fixedMmapUndo(start, length)
		s.libc.Errno = saved
	}
	s.mmapUnlock()
	return s.minusOne()
}

// fixedMmapChecks makes the checks of a MAP_FIXED request that the fix adds
// before the seed's body touches the host, so that a refused request
// changes nothing (the seed's body maps fragments first, and a later
// failure leaves them behind). In order:
//
//   - under QuirkFixedAlignFirst, the seed's (and 7.2's) order: start is
//     target-page aligned, EINVAL, before anything else;
//   - the range lies in the guest space: ENOMEM, as Linux's "addr >
//     TASK_SIZE - len" (EINVAL under QuirkFixedFitEINVAL when it passes the
//     top of the word); skipped under QuirkUncheckedRange;
//   - start is target-page aligned (the seed's own check, seed 483): EINVAL;
//   - MAP_FIXED_NOREPLACE finds no guest page mapped: EEXIST;
//   - a file's fd is open (EBADF) and the mapping ends within the largest
//     file offset, as Linux's file_mmap_ok() checks: EOVERFLOW; skipped
//     under QuirkMmapOffsetOverflow;
//   - the map type and flags are valid (EINVAL, EOPNOTSUPP; skipped under
//     QuirkMmapFlagsUnchecked) and the file's open mode allows the
//     mapping (EACCES; skipped under QuirkFileModeUnchecked), as Linux's
//     do_mmap() checks them: mapTypeErrno;
//   - the first host page is not below the host's mmap_min_addr: EPERM;
//     skipped under QuirkMinAddrUnchecked;
//   - mmap_frag will not refuse the tail's host page when the head has a
//     fragment of its own (fragRefused): EINVAL.
//
// It returns 0 when the request may go on.
//
// Preconditions: length is target-page aligned and non-zero.
func (s *Sim) fixedMmapChecks(start, length uint64, prot int, flags, guestFlags hostvm.MapFlags, guestCall bool, fd int, offset uint64) hostvm.Errno {
	g := &s.geom
	if s.quirk(QuirkFixedAlignFirst) && start&^g.TargetPageMask() != 0 {
		return hostvm.EINVAL // seed 483, 7.2 mmap.c:551-554: before the range
	}
	if !s.quirk(QuirkUncheckedRange) && !g.GuestRangeValid(start, length) {
		if s.quirk(QuirkFixedFitEINVAL) && start+length-1 > g.ABIMask {
			return hostvm.EINVAL // the seed's own check, seed 495
		}
		return hostvm.ENOMEM // as Linux: addr > TASK_SIZE - len
	}
	if start&^g.TargetPageMask() != 0 {
		return hostvm.EINVAL
	}
	if s.noReplace && s.flagsBetween(start, s.rangeEnd(start+length)) != 0 {
		return hostvm.EEXIST
	}
	if !s.quirk(QuirkMmapOffsetOverflow) && flags&hostvm.MapAnonymous == 0 {
		if errno := s.fileOffsetErrno(fd, offset, length); errno != 0 {
			return errno
		}
	}
	if errno := s.mapTypeErrno(guestFlags, guestCall, prot, flags, fd); errno != 0 {
		return errno
	}
	if !s.quirk(QuirkMinAddrUnchecked) && uint64(g.G2H(start&g.HostPageMask())) < s.cfg.MmapMinAddr {
		// The host refuses the first host page (below its mmap_min_addr):
		// fail before a fragment is mapped, which the failure would leave
		// behind.
		return hostvm.EPERM
	}
	if end := s.rangeEnd(start + length); start&^g.HostPageMask() != 0 && end%g.HostPageSize != 0 &&
		(end-1)&g.HostPageMask() != start&g.HostPageMask() && s.fragRefused((end-1)&g.HostPageMask(), start, end) {
		// mmap_frag will refuse the tail's host page (fragAsLinux):
		// fail before the head's fragment is mapped.
		return hostvm.EINVAL
	}
	return 0
}

// maxFileOffset is MAX_LFS_FILESIZE on a 64-bit kernel: the largest file
// offset a mapping may reach (LLONG_MAX).
const maxFileOffset = 1<<63 - 1

// fileOffsetErrno makes Linux's file_mmap_ok() check of a file mapping of
// length bytes at offset, with the guest kernel's page: EOVERFLOW when it
// passes the largest file offset. A bad fd is EBADF first, as the kernel
// looks the file up before anything else.
//
// Preconditions: length is target-page aligned and non-zero.
func (s *Sim) fileOffsetErrno(fd int, offset, length uint64) hostvm.Errno {
	if _, ok := s.libc.FcntlGetFl(fd); !ok {
		return s.libc.Errno
	}
	if length > maxFileOffset || offset/s.geom.TargetPageSize > (maxFileOffset-length)/s.geom.TargetPageSize {
		return hostvm.EOVERFLOW
	}
	return 0
}

// eofTruncates reports whether target_mmap truncates file mappings at
// end-of-file: with a target page larger than the real host page (the
// seed's test, seed 438), or, under QuirkEOFTruncateHostPage, with a
// qemu_host_page_size (-p) larger than it (QEMU 7.2's, mmap.c:506).
func (s *Sim) eofTruncates() bool {
	g := &s.geom
	return g.RealHostPageSize < g.TargetPageSize ||
		s.quirk(QuirkEOFTruncateHostPage) && g.RealHostPageSize < g.HostPageSize
}

// hostProt is the protection target_mmap and target_mprotect give the host
// for the guest's prot: prot itself, or, under QuirkHostProtNoExec, QEMU
// 7.2's host_prot, PROT_READ for PROT_EXEC (mmap.c:86-87).
func (s *Sim) hostProt(prot int) int {
	if !s.quirk(QuirkHostProtNoExec) {
		return prot
	}
	hp := prot & (protRead | protWrite)
	if prot&protExec != 0 {
		hp |= protRead
	}
	return hp
}

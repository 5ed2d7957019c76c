package sim

import "github.com/mmapsim/mmapsim/hostvm"

// targetMremap is the guest's mremap. With QuirkMremapHostPages (the seed)
// it is seedMremap, which hands guest ranges to the host's mremap as they
// are. The fix first checks the arguments as Linux 6.18 does (unless
// QuirkMremapUnchecked), then uses seedMremap where every address and
// length is a whole number of host pages, and otherwise emulates the
// resize or move with target_mmap, a copy of the data and target_munmap —
// which is exact for private anonymous memory; for file and shared
// mappings on partial host pages it falls back to the host (a documented
// divergence).
func (s *Sim) targetMremap(oldAddr, oldSize, newSize uint64, flags hostvm.MremapFlags, newAddr uint64) uint64 {
	if s.quirk(QuirkMremapHostPages) && s.quirk(QuirkMremapUnchecked) {
		return s.seedMremap(oldAddr, oldSize, newSize, flags, newAddr)
	}
	fail := func(e hostvm.Errno) uint64 {
		s.libc.Errno = e
		return s.minusOne()
	}
	oldLen, newLen := s.targetPageAlignEnd(oldSize), s.targetPageAlignEnd(newSize)
	if !s.quirk(QuirkMremapUnchecked) {
		if e := s.checkMremap(oldAddr, oldLen, newLen, oldSize, newSize, flags, newAddr); e != 0 {
			return fail(e)
		}
		if flags&hostvm.MremapFixed != 0 && oldLen == newLen {
			return s.remapMove(oldAddr, oldLen, flags, newAddr)
		}
		r, ok := s.runAt(oldAddr)
		if !ok {
			return fail(hostvm.EFAULT)
		}
		if e := s.checkMremapRun(r, oldAddr, oldLen, newLen, flags); e != 0 {
			return fail(e)
		}
		if flags&hostvm.MremapFixed != 0 && oldLen == 0 && oldAddr >= newAddr && oldAddr-newAddr < newLen {
			// A duplication (old_len 0) whose source lies in the
			// destination: Linux unmaps the destination first, and with
			// it the source, then finds no VMA at old_addr.
			s.targetMunmap(newAddr, newLen)
			return fail(hostvm.EFAULT)
		}
		if newLen < oldLen && !s.geom.GuestRangeValid(oldAddr+newLen, oldLen-newLen) {
			// Linux unmaps the tail with do_vmi_munmap(), which refuses a
			// range past TASK_SIZE; mremap_to() has unmapped the
			// destination by then.
			if flags&hostvm.MremapFixed != 0 {
				s.targetMunmap(newAddr, newLen)
			}
			return fail(hostvm.EINVAL)
		}
	}
	if flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) == 0 && flags&hostvm.MremapMayMove != 0 &&
		!s.quirk(QuirkMremapMayMoveMoves) {
		// Linux resizes in place when it can, and moves only when it
		// must; the seed always moves.
		saved := s.libc.Errno
		if got := s.resize(oldAddr, oldLen, newLen, flags&^hostvm.MremapMayMove, newAddr); got != s.minusOne() || newLen <= oldLen {
			return got
		}
		s.libc.Errno = saved
	}
	return s.resize(oldAddr, oldLen, newLen, flags, newAddr)
}

// resize hands an mremap to the host where the host's pages fit it, and
// emulates it where they do not.
//
// Preconditions: unless QuirkMremapUnchecked, the arguments passed
// checkMremap and checkMremapRun; oldLen and newLen are target-page aligned.
func (s *Sim) resize(oldAddr, oldLen, newLen uint64, flags hostvm.MremapFlags, newAddr uint64) uint64 {
	if s.quirk(QuirkMremapHostPages) {
		return s.seedMremap(oldAddr, oldLen, newLen, flags, newAddr)
	}
	moves := flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) != 0
	switch {
	case !moves && newLen == oldLen:
		return oldAddr
	case !moves && newLen < oldLen && !s.seedShrinkPath(flags):
		// A shrink is an munmap of the tail, whatever the mapping (and
		// whatever mappings the range spans: the seed's host mremap gives
		// the whole rest the first page's flags).
		if r := s.targetMunmap(oldAddr+newLen, oldLen-newLen); r != 0 {
			return s.failWith(r)
		}
		return oldAddr
	case !moves && flags&hostvm.MremapMayMove == 0:
		// Growing in place needs the old range to end where its mapping
		// does (Linux's vrm_can_expand_in_place()).
		// And the pages after it to be free and in the guest space.
		newEnd := s.rangeEnd(oldAddr + newLen)
		if r, ok := s.runAt(oldAddr); ok && r.End != oldAddr+oldLen ||
			!s.geom.GuestRangeValid(oldAddr, newLen) || s.flagsBetween(oldAddr+oldLen, newEnd) != 0 {
			s.libc.Errno = hostvm.ENOMEM
			return s.minusOne()
		}
	}
	if newLen > oldLen && s.otherObjectAfter(oldAddr) {
		// The guest's shared memory goes on in another host object
		// (mmap_frag gave a fragment of it a host page of its own): the
		// pages the host would add map past the end of the first one.
		s.libc.Errno = hostvm.EINVAL
		return s.minusOne()
	}
	if s.hostAligned(oldAddr, oldLen, newLen, flags, newAddr) {
		return s.seedMremap(oldAddr, oldLen, newLen, flags, newAddr)
	}
	if !s.anonPrivate(oldAddr) {
		// Shared and file memory can only move in whole host pages: the
		// host would take the neighbours along. Refuse, as a host with
		// such pages refuses.
		s.libc.Errno = hostvm.EINVAL
		return s.minusOne()
	}
	return s.emulateMremap(oldAddr, oldLen, newLen, flags, newAddr)
}

// seedShrinkPath reports whether a shrink must take the seed's path through
// the host's mremap, because one of the defects of that path is switched
// on (so it can be seen by itself).
func (s *Sim) seedShrinkPath(flags hostvm.MremapFlags) bool {
	return s.quirk(QuirkMremapProtFirstPage) || s.quirk(QuirkMremapShrinkReserve) ||
		s.quirk(QuirkMremapShrinkReserveAddr) || s.quirk(QuirkMremapFitHostAddr) ||
		flags&hostvm.MremapMayMove != 0 && s.quirk(QuirkMremapMayMoveMoves)
}

// failWith sets errno from a function's negative result and returns
// (abi_ulong)-1.
func (s *Sim) failWith(r int64) uint64 {
	s.errnoFrom(r)
	return s.minusOne()
}

// checkMremap is Linux's check_mremap_params(), in guest terms.
func (s *Sim) checkMremap(oldAddr, oldLen, newLen, oldSize, newSize uint64, flags hostvm.MremapFlags, newAddr uint64) hostvm.Errno {
	g := &s.geom
	space := s.geom.GuestAddrMax() + 1
	if flags&^(hostvm.MremapFixed|hostvm.MremapMayMove|hostvm.MremapDontUnmap) != 0 {
		return hostvm.EINVAL
	}
	if oldAddr&^g.TargetPageMask() != 0 {
		return hostvm.EINVAL
	}
	if newLen == 0 || newLen > space && space != 0 {
		return hostvm.EINVAL
	}
	if flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) == 0 {
		return 0
	}
	if space != 0 && newAddr > space-newLen {
		return hostvm.EINVAL
	}
	if newAddr&^g.TargetPageMask() != 0 || flags&hostvm.MremapMayMove == 0 {
		return hostvm.EINVAL
	}
	if flags&hostvm.MremapDontUnmap != 0 && oldLen != newLen {
		return hostvm.EINVAL
	}
	if oldAddr+oldLen > newAddr && newAddr+newLen > oldAddr {
		return hostvm.EINVAL
	}
	return 0
}

// runAt returns the run of valid guest pages with equal flags that holds
// addr: what QEMU knows of the VMA there.
func (s *Sim) runAt(addr uint64) (FlagRun, bool) {
	r, ok := s.flags.RunAt(addr)
	if !ok || r.Flags&PageValid == 0 {
		return FlagRun{}, false
	}
	return r, true
}

// checkMremapRun is Linux's check_prep_vma() for the run at oldAddr.
//
// Preconditions: checkMremap passed; r is runAt(oldAddr).
func (s *Sim) checkMremapRun(r FlagRun, oldAddr, oldLen, newLen uint64, flags hostvm.MremapFlags) hostvm.Errno {
	moves := flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) != 0
	if newLen <= oldLen && !moves {
		return 0
	}
	if oldLen == 0 && !s.hostShared(oldAddr) {
		return hostvm.EINVAL
	}
	if min(oldLen, newLen) > r.End-oldAddr && (newLen > oldLen || moves) {
		return hostvm.EFAULT
	}
	return 0
}

// hostAligned reports whether the request is made of whole host pages, so
// the host's mremap does exactly what the guest asked.
func (s *Sim) hostAligned(oldAddr, oldLen, newLen uint64, flags hostvm.MremapFlags, newAddr uint64) bool {
	h := s.geom.HostPageSize
	ok := oldAddr%h == 0 && oldLen%h == 0 && newLen%h == 0
	if flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) != 0 {
		ok = ok && newAddr%h == 0
	}
	return ok
}

// anonPrivate reports whether the guest memory at a is private anonymous
// memory as the guest mapped it (whatever backs it on the host: a fragment
// may live in a host page of a private file mapping), which target_mmap and
// a copy emulate exactly. Under QuirkNoPageAnon nothing is known to be:
// the emulation refuses what it cannot prove.
func (s *Sim) anonPrivate(a uint64) bool {
	return s.pageGetFlags(a)&PageAnon != 0
}

// otherObjectAfter reports whether the shared host mapping at guest
// address a ends before the run of guest pages holding a does, and the run
// goes on in a host page of another object: a fragment mmap_frag mapped
// for the same guest mapping (only a host page larger than the guest's
// has them).
func (s *Sim) otherObjectAfter(a uint64) bool {
	g := &s.geom
	m, ok := s.hostMapping(a)
	r, inRun := s.runAt(a)
	if g.HostPageSize == g.TargetPageSize || !ok || !m.Shared || !inRun {
		return false
	}
	end := uint64(m.End) - g.GuestBase
	if end >= r.End {
		return false
	}
	n, ok := s.hostMapping(end)
	return ok && n.Inode != m.Inode && uint64(n.End-n.Start) == g.HostPageSize
}

func (s *Sim) hostShared(a uint64) bool {
	m, ok := s.hostMapping(a)
	return ok && m.Shared
}

// emulateMremap resizes or moves private anonymous guest memory that does
// not fill whole host pages, with the mapping primitives QEMU has.
// Preconditions: the arguments passed checkMremap and checkMremapRun.
func (s *Sim) emulateMremap(oldAddr, oldLen, newLen uint64, flags hostvm.MremapFlags, newAddr uint64) uint64 {
	prot := int(s.pageGetFlags(oldAddr) & PageBits)
	moves := flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) != 0
	if !moves {
		switch {
		case newLen == oldLen:
			return oldAddr
		case newLen < oldLen:
			if r := s.targetMunmap(oldAddr+newLen, oldLen-newLen); r != 0 {
				return s.failWith(r)
			}
			return oldAddr
		}
		// Grow in place when the run ends where the old range does and
		// the pages after it are free.
		r, _ := s.runAt(oldAddr)
		end := s.rangeEnd(oldAddr + newLen)
		if r.End == oldAddr+oldLen && end <= s.geom.GuestAddrMax()+1 && end > oldAddr &&
			s.flagsBetween(oldAddr+oldLen, end) == 0 {
			got := s.targetMmap(oldAddr+oldLen, newLen-oldLen, prot,
				hostvm.MapFixed|hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0)
			if got != s.minusOne() {
				return oldAddr
			}
			// A host page after the old range holds a shared or file
			// fragment the new pages cannot join, or the host refused a
			// call part way: give back what target_mmap left of the
			// free pages, then move, or fail as a kernel without room
			// to grow does.
			s.targetMunmap(oldAddr+oldLen, newLen-oldLen)
		}
		if flags&hostvm.MremapMayMove == 0 {
			s.libc.Errno = hostvm.ENOMEM
			return s.minusOne()
		}
	}
	// Shrink first, then move.
	if newLen < oldLen {
		if r := s.targetMunmap(oldAddr+newLen, oldLen-newLen); r != 0 {
			return s.failWith(r)
		}
		oldLen = newLen
	}
	var dest uint64
	switch {
	case flags&hostvm.MremapFixed != 0:
		if r := s.targetMunmap(newAddr, newLen); r != 0 {
			return s.failWith(r)
		}
		dest = newAddr
	default:
		hint := uint64(0)
		if flags&hostvm.MremapDontUnmap != 0 {
			hint = newAddr
		}
		if dest = s.findFree(hint, newLen); dest == s.minusOne() {
			s.libc.Errno = hostvm.ENOMEM
			return s.minusOne()
		}
	}
	if got := s.targetMmap(dest, newLen, prot|protWrite, hostvm.MapFixed|hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0); got == s.minusOne() {
		return s.dropDestination(dest, newLen, s.libc.Errno)
	}
	s.copyGuest(oldAddr, dest, oldLen)
	if prot&protWrite == 0 {
		if r := s.targetMprotect(dest, newLen, prot); r != 0 {
			// The copy cannot be given the guest's protection: the move
			// fails, the old mapping as it was.
			s.errnoFrom(r)
			return s.dropDestination(dest, newLen, s.libc.Errno)
		}
	}
	if flags&hostvm.MremapDontUnmap != 0 {
		// The old range stays mapped and reads zero.
		s.targetMmap(oldAddr, oldLen, prot, hostvm.MapFixed|hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0)
	} else {
		s.targetMunmap(oldAddr, oldLen)
	}
	return dest
}

// dropDestination ends an emulated move whose destination [dest,
// dest+length) could not be filled: it unmaps what target_mmap (and
// mmap_find_vma's PROT_NONE reservation, without RESERVED_VA) left of the
// destination on the host, host pages other guest pages use excepted, and
// fails with errno. Linux's mremap leaves the destination unmapped when it
// fails: a place it chose was free, and one the guest named
// (MREMAP_FIXED) it unmapped first (compare Linux mm/mremap.c
// mremap_to()). A target_mmap refused part way has mapped fresh host pages
// for the destination's fragments (mmap_frag) that no guest page owns.
//
// Preconditions: no guest page of [dest, dest+length) is valid, or all are
// (target_mmap succeeded); dest and length are target-page aligned.
func (s *Sim) dropDestination(dest, length uint64, errno hostvm.Errno) uint64 {
	s.targetMunmap(dest, length)
	s.libc.Errno = errno
	return s.minusOne()
}

// findFree finds newLen bytes of free guest space, preferring hint, as
// get_unmapped_area would: the guest kernel's mremap places the mapping
// wherever its mmap would. Without RESERVED_VA, mmap_find_vma leaves a
// PROT_NONE host reservation there, which the caller's target_mmap
// replaces or, if that fails, the caller unmaps (dropDestination).
func (s *Sim) findFree(hint, length uint64) uint64 {
	if hint != 0 && s.flagsBetween(hint, s.rangeEnd(hint+length)) == 0 && s.geom.GuestRangeValid(hint, length) {
		return hint
	}
	return s.mmapFindVMA(0, length)
}

// copyGuest copies n bytes of guest memory from src to dst on the host,
// whatever the protections (QEMU copies with the host's view). Of private
// anonymous host memory only the pages that hold private copies are read,
// and zero pieces are not written: a large, barely touched mapping costs
// neither time nor memory.
// Preconditions: dst is fresh anonymous memory (it reads zero); the
// source is mapped on the host.
func (s *Sim) copyGuest(src, dst, n uint64) {
	if n == 0 {
		return
	}
	g := &s.geom
	for _, m := range s.libc.Host.MappingsIn(g.HostRange(src, n)) {
		parts := []hostvm.Range{{Start: m.Start, End: m.End}}
		if m.Anonymous && !m.Shared {
			parts = s.libc.Host.PrivatePagesIn(parts[0])
		}
		for _, p := range parts {
			lo := max(uint64(p.Start)-g.GuestBase, src)
			hi := min(uint64(p.End)-g.GuestBase, src+n)
			if lo < hi {
				s.copyBytes(lo, dst+(lo-src), hi-lo)
			}
		}
	}
}

// copyBytes copies n bytes of guest memory from src to dst, in pieces,
// leaving zero pieces unwritten.
//
// Preconditions: as copyGuest's.
func (s *Sim) copyBytes(src, dst, n uint64) {
	g := &s.geom
	buf := s.libc.Scratch(min(n, 64<<10))
	for done := uint64(0); done < n; done += uint64(len(buf)) {
		c := min(uint64(len(buf)), n-done)
		s.withAccess(src+done, c, protRead, func() { s.libc.Host.Read(g.G2H(src+done), buf[:c]) })
		if !allZero(buf[:c]) {
			s.withAccess(dst+done, c, protWrite, func() { s.libc.Host.Write(g.G2H(dst+done), buf[:c]) })
		}
	}
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// withAccess runs fn with the host pages of [a, a+n) given access acc,
// restoring their protection afterwards. The protection changes are the
// emulator's own, not recorded host calls.
//
// Preconditions: [a, a+n) lies in the guest space.
func (s *Sim) withAccess(a, n uint64, acc int, fn func()) {
	lo, hi := s.accessWindow(a, n)
	saved := s.libc.AppendHostMappings(s.accessMaps[:0], s.geom.HostRange(lo, hi-lo))
	s.accessMaps = nil // taken while fn runs
	defer func() { s.accessMaps = saved[:0] }()
	for _, m := range saved {
		if int(m.Prot)&acc == 0 {
			s.libc.Host.Mprotect(m.Start, uint64(m.End-m.Start), m.Prot|hostvm.Prot(acc))
		}
	}
	fn()
	for _, m := range saved {
		if int(m.Prot)&acc == 0 {
			s.libc.Host.Mprotect(m.Start, uint64(m.End-m.Start), m.Prot)
		}
	}
}

// accessWindow is the guest range withAccess(a, n, ...) looks at: [a, a+n)
// widened to whole host pages.
func (s *Sim) accessWindow(a, n uint64) (lo, hi uint64) {
	return a & s.geom.HostPageMask(), s.hostPageAlignEnd(a + n)
}

// withAccessVia is withAccess(a, n, acc, fn) for a caller that holds m,
// the host mapping at a: where m covers the whole window and allows acc,
// no protection needs lending and fn runs alone, without looking the
// window's mappings up. It reports whether it lent protection.
func (s *Sim) withAccessVia(m hostvm.Mapping, a, n uint64, acc int, fn func()) (lent bool) {
	lo, hi := s.accessWindow(a, n)
	r := s.geom.HostRange(lo, hi-lo)
	if int(m.Prot)&acc != 0 && r.Start < r.End && m.Start <= r.Start && r.End <= m.End {
		fn()
		return false
	}
	s.withAccess(a, n, acc, fn)
	return true
}

// remapMove is MREMAP_FIXED with equal lengths, which Linux 6.18 allows to
// span several VMAs (and the gaps between them, but not a gap at the
// start): each run of guest pages moves to the same offset from newAddr.
//
// Preconditions: checkMremap passed (length > 0, both ranges aligned, in
// the guest space and apart).
func (s *Sim) remapMove(oldAddr, length uint64, flags hostvm.MremapFlags, newAddr uint64) uint64 {
	type piece struct{ start, end uint64 }
	var pieces []piece
	for _, r := range s.FlagRunsIn(oldAddr, oldAddr+length) {
		if r.Flags&PageValid != 0 {
			pieces = append(pieces, piece{r.Start, r.End})
		}
	}
	if len(pieces) == 0 || pieces[0].start != oldAddr {
		s.libc.Errno = hostvm.EFAULT
		return s.minusOne()
	}
	for i, p := range pieces {
		n := p.end - p.start
		to := newAddr + (p.start - oldAddr)
		var got uint64
		switch {
		case s.hostAligned(p.start, n, n, flags, to):
			got = s.seedMremap(p.start, n, n, flags, to)
		case s.anonPrivate(p.start):
			got = s.emulateMremap(p.start, n, n, flags, to)
		default:
			// Shared and file memory moves in whole host pages only, as
			// in resize.
			s.libc.Errno = hostvm.EINVAL
			got = s.minusOne()
		}
		if got == s.minusOne() {
			if i == 0 {
				return got
			}
			return s.minusOne() // Linux leaves the pieces already moved where they went
		}
	}
	return newAddr
}

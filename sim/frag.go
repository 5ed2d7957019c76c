package sim

import "github.com/mmapsim/mmapsim/hostvm"

// mmapFrag is mmap_frag(): it maps [start, end), part of the host page at
// realStart, keeping the other guest pages of that host page. Compare QEMU
// linux-user/mmap.c:mmap_frag() (seed lines 140-194). It returns 0, or -1
// with s.libc.Errno set, and whether it changed the host page (mapped it
// fresh, or asked for its protection changed), which a failure of
// target_mmap undoes in the fix (fixedMmapUndo), its own included.
//
// Preconditions: realStart is host-page aligned; realStart <= start < end
// <= realStart+H, target-page aligned (end may be realStart+H).
func (s *Sim) mmapFrag(realStart, start, end uint64, prot int, flags hostvm.MapFlags, fd int, offset uint64) (r int, changed bool) {
	g := &s.geom
	realEnd := s.rangeEnd(realStart + g.HostPageSize)
	hostStart := g.G2H(realStart)

	// get the protection of the target pages outside the mapping (seed 151):
	// the seed tests every byte; a page counts if any byte of it is outside.
	prot1 := 0
	for p := realStart; p < realEnd; p += g.TargetPageSize {
		if p < start || p+g.TargetPageSize > end {
			prot1 |= int(s.pageGetFlags(p))
		}
	}
	if !s.fragAsLinux(realStart, prot1, prot, flags) {
		return -1, false
	}
	fresh := false
	if prot1 == 0 {
		// no page was there, so we allocate one
		if _, ok := s.libc.Mmap(hostStart, g.HostPageSize, prot, flags|hostvm.MapAnonymous, -1, 0); !ok {
			return -1, false
		}
		prot1 = prot
		fresh = true
		changed = true
	}
	prot1 &= PageBits
	protNew := prot | prot1
	if flags&hostvm.MapAnonymous == 0 {
		// msync() won't work here, so we return an error if write is
		// possible while it is a shared mapping (seed 170)
		if flags&hostvm.MapType == hostvm.MapShared && prot&protWrite != 0 {
			if !s.quirk(QuirkFragSharedErrno) {
				s.libc.Errno = hostvm.EINVAL
			}
			// The fresh page left behind is QuirkFragSharedLeak's own
			// defect (fragAsLinux refuses before mapping it otherwise):
			// it stays, whatever fixed-fail-leak's fix undoes.
			return -1, false
		}
		// adjust protection to be able to read
		if prot1&protWrite == 0 {
			s.libc.Mprotect(hostStart, g.HostPageSize, prot1|protWrite)
			changed = true
		}
		// read the corresponding file data
		if !s.libc.Pread(fd, g.G2H(start), end-start, offset) {
			return -1, changed
		}
		// put final protection
		if protNew != prot1|protWrite {
			s.libc.Mprotect(hostStart, g.HostPageSize, protNew)
		}
		changed = true // the data read
	} else {
		// just update the protection
		if protNew != prot1 {
			changed = true
			if !s.libc.Mprotect(hostStart, g.HostPageSize, protNew) && !s.quirk(QuirkFragSharedHostPage) {
				// The host page belongs to a mapping that may not change
				// so (a shared mapping of a read-only file): fail rather
				// than record a protection the host does not give.
				return -1, changed
			}
		}
		switch {
		case s.quirk(QuirkFragAnonStale):
		case s.quirk(QuirkFragClearWritable):
			if protNew&protWrite != 0 {
				s.fragMemset72(start, end)
			}
		case !fresh:
			// The fix: an anonymous fragment reads zero, whatever the
			// host page held before.
			s.zeroGuest(start, end, protNew)
		}
	}
	return 0, true
}

// fragAsLinux is what the fix does before mmap_frag touches the host page
// at realStart, whose other guest pages' protection is prot1 (0: none is
// mapped): it refuses a fragment that cannot share the host page (unless
// QuirkFragSharedHostPage) or that mmap_frag would refuse after mapping a
// fresh page (unless QuirkFragSharedLeak), and gives a privately mapped
// file host page anonymous memory (unless QuirkFragFileHostPage). It
// returns false, with errno set, to fail.
func (s *Sim) fragAsLinux(realStart uint64, prot1, prot int, flags hostvm.MapFlags) bool {
	if prot1 != 0 && !s.quirk(QuirkFragSharedHostPage) {
		// The host page exists and belongs to a shared mapping: writing the
		// new fragment's bytes (zeros, file data) into it would write them
		// to that mapping's file or shared memory. One host page has one
		// backing, so the fix refuses.
		if m, ok := s.hostMapping(realStart); ok && m.Shared {
			s.libc.Errno = hostvm.EINVAL
			return false
		}
	}
	if !s.quirk(QuirkFragSharedLeak) && flags&hostvm.MapAnonymous == 0 &&
		flags&hostvm.MapType == hostvm.MapShared && prot&protWrite != 0 {
		// The fix refuses a writable shared file fragment before mapping
		// anything, so no host page is left behind.
		if !s.quirk(QuirkFragSharedErrno) {
			s.libc.Errno = hostvm.EINVAL
		}
		return false
	}
	if prot1 != 0 && !s.quirk(QuirkFragFileHostPage) {
		return s.anonymizeHostPage(realStart)
	}
	return true
}

// fragRefused reports whether fragAsLinux will refuse a fragment [start,
// end) of the host page at realStart because other guest pages use it and
// the host maps it shared (unless QuirkFragSharedHostPage).
//
// Preconditions: realStart is host-page aligned; [start, end) overlaps its
// host page.
func (s *Sim) fragRefused(realStart, start, end uint64) bool {
	if s.quirk(QuirkFragSharedHostPage) {
		return false
	}
	realEnd := s.rangeEnd(realStart + s.geom.HostPageSize)
	if s.flagsBetween(realStart, max(start, realStart))|s.flagsBetween(min(end, realEnd), realEnd) == 0 {
		return false
	}
	m, ok := s.hostMapping(realStart)
	return ok && m.Shared
}

// anonymizeHostPage replaces a private file mapping of the host page at
// guest address realStart with anonymous memory holding the bytes its
// mapped guest pages show (zeros where they fault): QEMU's pread emulation
// of a private file page, applied to the neighbours. A fragment written
// into the file mapping instead would fault past the file's end, and would
// fault later if the file shrank (truncation unmaps even private copies).
// It returns false, with errno set, when the host refuses the new page.
//
// Preconditions: realStart is host-page aligned and inside the guest space.
func (s *Sim) anonymizeHostPage(realStart uint64) bool {
	g := &s.geom
	m, ok := s.hostMapping(realStart)
	if !ok || m.Shared || m.Anonymous {
		return true
	}
	buf := s.libc.Scratch(g.HostPageSize)
	for p := realStart; p < realStart+g.HostPageSize; p += g.TargetPageSize {
		if s.pageGetFlags(p)&PageValid != 0 {
			i := p - realStart
			s.withAccess(p, g.TargetPageSize, protRead, func() { s.libc.Host.Read(g.G2H(p), buf[i:i+g.TargetPageSize]) })
		}
	}
	hs := g.G2H(realStart)
	if _, ok := s.libc.Mmap(hs, g.HostPageSize, int(m.Prot)|protWrite, hostvm.MapPrivate|hostvm.MapFixed|hostvm.MapAnonymous, -1, 0); !ok {
		return false
	}
	s.libc.Host.Write(hs, buf)
	if int(m.Prot)&protWrite == 0 {
		s.libc.Mprotect(hs, g.HostPageSize, int(m.Prot))
	}
	return true
}

// zeroGuest clears guest memory [start, end) inside one host page whose
// protection is prot, making it writable for the moment if need be.
//
// Preconditions: [start, end) lies inside one mapped host page.
func (s *Sim) zeroGuest(start, end uint64, prot int) {
	g := &s.geom
	hostPage := g.G2H(start & g.HostPageMask())
	if prot&protWrite == 0 {
		s.libc.Mprotect(hostPage, g.HostPageSize, prot|protWrite)
	}
	s.libc.WriteZeros(g.G2H(start), end-start)
	if prot&protWrite == 0 {
		s.libc.Mprotect(hostPage, g.HostPageSize, prot)
	}
}

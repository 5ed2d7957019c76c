package sim

import (
	"slices"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/internal/runs"
)

// This file ports QEMU linux-user/mmap.c as of March 2015 (the seed,
// ../shared/seed/000_6589d207e1b47749.txt), function by function and line
// by line, keeping its names, its C integer widths and its control flow.
// Comments "seed NNN" give the seed's line numbers. Where a quirk is off,
// the fix replaces the seed's line in place and says so.
//
// Values typed abi_ulong in C are uint64s masked with g.w; the end of a
// range goes through s.e, which wraps like the seed's abi_ulong while
// QuirkTopPageWrap is on and otherwise keeps the carry, as later QEMU's
// inclusive "last" addresses do.

const (
	protRead  = int(hostvm.ProtRead)
	protWrite = int(hostvm.ProtWrite)
	protExec  = int(hostvm.ProtExec)
)

// minus1 is (abi_ulong)-1, the failure value of mmap_find_vma and
// target_mmap.
func (s *Sim) minus1() uint64 { return s.g.abiMask }

// q reports whether quirk k is on.
func (s *Sim) q(k Quirk) bool { return s.cfg.Quirks.Has(k) }

// e converts an end address: abi_ulong wrapping in the seed; exact (one bit
// wider) once the top-page fix is in.
func (s *Sim) e(x uint64) uint64 {
	if s.q(QuirkTopPageWrap) || s.g.abiMask == ^uint64(0) {
		return s.g.w(x)
	}
	return x & (s.g.abiMask<<1 | 1)
}

// hAlignEnd is HOST_PAGE_ALIGN of an end address, under the same rule.
func (s *Sim) hAlignEnd(x uint64) uint64 { return s.e(x+s.g.h-1) &^ (s.g.h - 1) }

// tAlignEnd is TARGET_PAGE_ALIGN of an end address, under the same rule.
func (s *Sim) tAlignEnd(x uint64) uint64 { return s.e(x+s.g.t-1) &^ (s.g.t - 1) }

// flagsBetween ors the flags of every guest page with a byte in [from, to)
// : the seed's loops "for (addr = from; addr < to; addr += T) prot |=
// page_get_flags(addr)" (or addr++), run page by page.
func (s *Sim) flagsBetween(from, to uint64) int {
	prot := 0
	if from >= to {
		return 0
	}
	s.flags.EachIn(from/s.g.t, (to+s.g.t-1)/s.g.t, func(r runs.Run) bool {
		prot |= int(r.Val)
		return true
	})
	return prot
}

// setFlags is page_set_flags(start, end, flags) as the seed calls it: with
// the top-page fix, an end that reached the top of a 32-bit space is named
// by its last byte instead of wrapping to 0.
func (s *Sim) setFlags(start, end uint64, flags uint32) {
	if !s.q(QuirkTopPageWrap) && end > s.g.abiMask && start <= s.g.abiMask {
		s.pageSetFlagsLast(start, end-1, flags)
		return
	}
	s.pageSetFlags(start, end, flags)
}

// targetMprotect is target_mprotect(). Compare QEMU linux-user/mmap.c
// (seed 70-137). It returns 0, -errno, or -1 with s.errno set.
func (s *Sim) targetMprotect(start, length uint64, prot int) int64 {
	g := &s.g
	var end, hostStart, hostEnd, addr uint64
	var prot1 int
	if start&^g.tMask() != 0 { // seed 83
		return -int64(hostvm.EINVAL)
	}
	// Lengths and ends keep their carry in the fix, as a 32-bit process
	// on a 64-bit kernel computes them: a range past the top of the space
	// is a hole there, not a wrap.
	length = s.tAlignEnd(length)
	end = s.e(start + length)
	if s.q(QuirkMprotectWrapEINVAL) && g.w(start+length) < start {
		return -int64(hostvm.EINVAL) // the seed: abi_ulong end < start
	}
	if end < start {
		return -int64(hostvm.ENOMEM) // Linux: a wrapping range is ENOMEM
	}
	if length == 0 {
		return 0 // Linux returns before it looks at prot
	}
	if !s.q(QuirkMprotectBadProt) && prot&^(protRead|protWrite|protExec|int(hostvm.ProtSem)) != 0 {
		return -int64(hostvm.EINVAL) // Linux rejects unknown bits; the seed drops them
	}
	prot &= protRead | protWrite | protExec // seed 89
	if !s.q(QuirkUncheckedRange) && !s.guestRangeValid(start, length) {
		// Past the end of the guest space is a hole, as past TASK_SIZE
		// on Linux: what lies before it changes, then ENOMEM.
		spaceEnd := s.guestAddrMax() + 1
		if s.q(QuirkMprotectUnmapped) || start >= spaceEnd || spaceEnd == 0 {
			return -int64(hostvm.ENOMEM)
		}
		if r := s.targetMprotect(start, spaceEnd-start, prot); r != 0 {
			return r
		}
		return -int64(hostvm.ENOMEM)
	}
	if !s.q(QuirkMprotectUnmapped) {
		// Linux changes the mapped pages up to the first hole, then
		// fails with ENOMEM; the seed marks the hole's pages valid.
		if hole := s.firstHole(start, end); hole < end {
			if hole > start {
				if r := s.targetMprotect(start, hole-start, prot); r != 0 {
					return r
				}
			}
			return -int64(hostvm.ENOMEM)
		}
		// Linux changes one VMA after another and stops at the first it
		// refuses (EACCES), keeping the changes before it: go piece by
		// piece (runs of equal flags, cut where host mappings meet), so
		// the page flags follow what the host did.
		if cuts := s.mprotectCuts(start, end); len(cuts) > 0 {
			lo := start
			for _, hi := range append(cuts, end) {
				if e := s.targetMprotect(lo, hi-lo, prot); e != 0 {
					return e
				}
				lo = hi
			}
			return 0
		}
	}

	s.mmapLock()
	hostStart = start & g.hMask()
	hostEnd = s.hAlignEnd(end)
	if start > hostStart {
		// handle host page containing start (seed 96)
		prot1 = prot
		for addr = hostStart; addr < start; addr += g.t {
			prot1 |= int(s.pageGetFlags(addr))
		}
		if hostEnd == s.e(hostStart+g.h) {
			prot1 |= s.flagsBetween(end, hostEnd)
			end = hostEnd
		}
		if !s.hostMprotect(g.g2h(hostStart), g.h, prot1&PageBits) {
			goto error
		}
		hostStart += g.h
	}
	if end < hostEnd {
		prot1 = prot | s.flagsBetween(end, hostEnd)
		if !s.hostMprotect(g.g2h(hostEnd-g.h), g.h, prot1&PageBits) {
			goto error
		}
		hostEnd -= g.h
	}
	// handle the pages in the middle (seed 125)
	if hostStart < hostEnd {
		if !s.hostMprotect(g.g2h(hostStart), hostEnd-hostStart, prot) {
			goto error
		}
	}
	s.keepAnonSetFlags(start, s.e(start+length), uint32(prot|PageValid))
	s.mmapUnlock()
	return 0
error:
	s.mmapUnlock()
	return -1
}

// mmapFrag is mmap_frag(): it maps [start, end), part of the host page at
// realStart, keeping the other guest pages of that host page. Compare QEMU
// linux-user/mmap.c (seed 140-194). It returns 0, or -1 with s.errno set.
func (s *Sim) mmapFrag(realStart, start, end uint64, prot int, flags hostvm.MapFlags, fd int, offset uint64) int {
	g := &s.g
	realEnd := s.e(realStart + g.h)
	hostStart := g.g2h(realStart)

	// get the protection of the target pages outside the mapping (seed 151):
	// the seed tests every byte; a page counts if any byte of it is outside.
	prot1 := 0
	for p := realStart; p < realEnd; p += g.t {
		if p < start || p+g.t > end {
			prot1 |= int(s.pageGetFlags(p))
		}
	}
	fresh := false
	if prot1 != 0 && !s.q(QuirkFragSharedHostPage) {
		// The host page exists and belongs to a shared mapping: writing the
		// new fragment's bytes (zeros, file data) into it would write them
		// to that mapping's file or shared memory. One host page has one
		// backing, so the fix refuses.
		if m, ok := s.hostMapping(realStart); ok && m.Shared {
			s.errno = hostvm.EINVAL
			return -1
		}
	}
	if !s.q(QuirkFragSharedLeak) && flags&hostvm.MapAnonymous == 0 &&
		flags&hostvm.MapType == hostvm.MapShared && prot&protWrite != 0 {
		// The fix refuses a writable shared file fragment before mapping
		// anything, so no host page is left behind.
		if !s.q(QuirkFragSharedErrno) {
			s.errno = hostvm.EINVAL
		}
		return -1
	}
	if prot1 != 0 && !s.q(QuirkFragFileHostPage) && !s.anonymizeHostPage(realStart) {
		return -1
	}
	if prot1 == 0 {
		// no page was there, so we allocate one
		if _, ok := s.hostMmap(hostStart, g.h, prot, flags|hostvm.MapAnonymous, -1, 0); !ok {
			return -1
		}
		prot1 = prot
		fresh = true
	}
	prot1 &= PageBits
	protNew := prot | prot1
	if flags&hostvm.MapAnonymous == 0 {
		// msync() won't work here, so we return an error if write is
		// possible while it is a shared mapping (seed 170)
		if flags&hostvm.MapType == hostvm.MapShared && prot&protWrite != 0 {
			if !s.q(QuirkFragSharedErrno) {
				s.errno = hostvm.EINVAL
			}
			return -1
		}
		// adjust protection to be able to read
		if prot1&protWrite == 0 {
			s.hostMprotect(hostStart, g.h, prot1|protWrite)
		}
		// read the corresponding file data
		if !s.hostPread(fd, g.g2h(start), end-start, offset) {
			return -1
		}
		// put final protection
		if protNew != prot1|protWrite {
			s.hostMprotect(hostStart, g.h, protNew)
		}
	} else {
		// just update the protection
		if protNew != prot1 {
			if !s.hostMprotect(hostStart, g.h, protNew) && !s.q(QuirkFragSharedHostPage) {
				// The host page belongs to a mapping that may not change
				// so (a shared mapping of a read-only file): fail rather
				// than record a protection the host does not give.
				return -1
			}
		}
		if !fresh && !s.q(QuirkFragAnonStale) {
			// The fix: an anonymous fragment reads zero, whatever the
			// host page held before.
			s.zeroGuest(start, end, protNew)
		}
	}
	return 0
}

// zeroGuest clears guest memory [start, end) inside one host page whose
// protection is prot, making it writable for the moment if need be.
// fileAccessOK makes Linux's checks of the file's open mode (do_mmap():
// EACCES) before any fragment is touched, setting errno when they fail.
func (s *Sim) fileAccessOK(fd int, prot int, flags hostvm.MapFlags) bool {
	fl, err := s.host.FcntlGetFl(fd)
	if !s.setErrno(err) {
		return false
	}
	acc := fl & hostvm.OAccMode
	readable := acc == hostvm.ORdOnly || acc == hostvm.ORdWr
	writable := acc == hostvm.OWrOnly || acc == hostvm.ORdWr
	if !readable || flags&hostvm.MapType == hostvm.MapShared && prot&protWrite != 0 && !writable {
		s.errno = hostvm.EACCES
		return false
	}
	return true
}

// mprotectCuts returns the guest-page-aligned addresses inside (start, end)
// where a run of equal page flags ends or a host mapping begins.
func (s *Sim) mprotectCuts(start, end uint64) []uint64 {
	g := &s.g
	var cuts []uint64
	add := func(a uint64) {
		if a > start && a < end && a%g.t == 0 {
			cuts = append(cuts, a)
		}
	}
	for _, r := range s.FlagRunsIn(start, end) {
		add(r.End)
	}
	if insp, ok := s.host.(HostInspector); ok {
		for _, m := range insp.MappingsIn(hostvm.Range{Start: g.g2h(start), End: g.g2h(start) + hostvm.Addr(end-start)}) {
			if m.Start > g.g2h(start) {
				add(uint64(m.Start) - g.guestBase)
			}
		}
	}
	slices.Sort(cuts)
	return slices.Compact(cuts)
}

// anonymizeHostPage replaces a private file mapping of the host page at
// guest address realStart with anonymous memory holding the bytes its
// mapped guest pages show (zeros where they fault): QEMU's pread emulation
// of a private file page, applied to the neighbours. A fragment written
// into the file mapping instead would fault past the file's end, and would
// fault later if the file shrank (truncation unmaps even private copies).
func (s *Sim) anonymizeHostPage(realStart uint64) bool {
	g := &s.g
	m, ok := s.hostMapping(realStart)
	if !ok || m.Shared || m.Anonymous {
		return true
	}
	buf := make([]byte, g.h)
	for p := realStart; p < realStart+g.h; p += g.t {
		if s.pageGetFlags(p)&PageValid != 0 {
			i := p - realStart
			s.withAccess(p, g.t, protRead, func() { s.host.Read(g.g2h(p), buf[i:i+g.t]) })
		}
	}
	hs := g.g2h(realStart)
	if _, ok := s.hostMmap(hs, g.h, int(m.Prot)|protWrite, hostvm.MapPrivate|hostvm.MapFixed|hostvm.MapAnonymous, -1, 0); !ok {
		return false
	}
	s.host.Write(hs, buf)
	if int(m.Prot)&protWrite == 0 {
		s.hostMprotect(hs, g.h, int(m.Prot))
	}
	return true
}

func (s *Sim) zeroGuest(start, end uint64, prot int) {
	g := &s.g
	hostPage := g.g2h(start & g.hMask())
	if prot&protWrite == 0 {
		s.hostMprotect(hostPage, g.h, prot|protWrite)
	}
	s.host.Write(g.g2h(start), make([]byte, end-start))
	if prot&protWrite == 0 {
		s.hostMprotect(hostPage, g.h, prot)
	}
}

// mmapFindVMAReserved is mmap_find_vma_reserved(): a top-down search of the
// page flags of the reserved guest space, one host page at a time, from
// start+size down, wrapping once to the top. Compare QEMU
// linux-user/mmap.c (seed 211-254).
func (s *Sim) mmapFindVMAReserved(start, size uint64) uint64 {
	return s.findTopDown(start, size, s.cfg.ReservedVA)
}

// findTopDown is mmap_find_vma_reserved's search, with the top of the space
// searched (RESERVED_VA in the seed) as a parameter.
func (s *Sim) findTopDown(start, size, reserved uint64) uint64 {
	g := &s.g
	looped := false
	if size > reserved {
		return s.minus1()
	}
	size = g.hAlign(size)
	endAddr := s.e(start + size)
	if endAddr > reserved {
		endAddr = s.e(reserved)
	}
	addr := g.w(endAddr - g.h)
	// The fix keeps the search at or above mmap_min_addr (and off page 0).
	low := uint64(0)
	if !s.q(QuirkFindVMAReservedZero) {
		low = max(g.hAlign(s.cfg.MmapMinAddr), g.h)
	}
	for {
		if addr > endAddr || addr < low {
			if looped {
				return s.minus1()
			}
			endAddr = s.e(reserved)
			addr = g.w(endAddr - g.h)
			looped = true
			continue
		}
		var used bool
		if s.q(QuirkFindVMAFirstPage) {
			used = s.pageGetFlags(addr) != 0
		} else {
			used = s.flagsBetween(addr, s.e(addr+g.h)) != 0
		}
		if used {
			endAddr = addr
		}
		if s.e(addr+size) == endAddr {
			break
		}
		addr = s.skipDown(addr, endAddr, size, low)
	}
	if start == s.mmapNextStart {
		s.mmapNextStart = addr
	}
	return addr
}

// skipDown is the seed's "addr -= qemu_host_page_size" (seed 246) with the
// steps that cannot change the outcome skipped, so the search costs the
// number of host pages in use rather than the size of the space. All of
// addr, endAddr and size are host-page aligned. From addr down, the loop's
// next event is the first of: the address where addr+size == endAddr (it
// stops), a host page in use (endAddr moves), or falling below low or
// through zero (it wraps); every step between only decrements addr.
func (s *Sim) skipDown(addr, endAddr, size, low uint64) uint64 {
	g := &s.g
	next := g.w(addr - g.h)
	if next > addr || next < low {
		return next // the loop's wrap branch takes it from here
	}
	best := g.w(low - g.h) // below low (or through zero): wrap
	if endAddr >= size {
		if stop := endAddr - size; stop < addr && stop >= low {
			best = stop
		}
	}
	if used, ok := s.usedHostPageBelow(addr); ok && used >= low && used >= best {
		best = used
	}
	return best
}

// usedHostPageBelow returns the highest host page below addr that
// mmap_find_vma_reserved counts as in use: with QuirkFindVMAFirstPage, one
// whose first guest page has flags (the seed tests only that page);
// otherwise one with any guest page flagged.
func (s *Sim) usedHostPageBelow(addr uint64) (uint64, bool) {
	g := &s.g
	n := addr / g.t
	for {
		p, ok := s.flags.PrevSet(n)
		if !ok {
			return 0, false
		}
		hp := (p * g.t) &^ (g.h - 1)
		if !s.q(QuirkFindVMAFirstPage) || s.pageGetFlags(hp) != 0 {
			return hp, true
		}
		n = hp / g.t
	}
}

// mmapFindVMA is mmap_find_vma(): find (and, without RESERVED_VA, reserve
// with a PROT_NONE host mapping) size bytes of free guest space from start.
// Without RESERVED_VA it asks the host kernel, using start as a hint, and
// retries when the host's answer is outside the guest space. Compare QEMU
// linux-user/mmap.c (seed 263-367).
func (s *Sim) mmapFindVMA(start, size uint64) uint64 {
	g := &s.g
	var ptr, prev hostvm.Addr
	var addr uint64
	var wrapped, repeat int
	// If 'start' == 0, then a default start address is used.
	if start == 0 {
		start = s.mmapNextStart
	} else {
		start &= g.hMask()
	}
	size = g.hAlign(size)
	if s.cfg.ReservedVA != 0 {
		return s.mmapFindVMAReserved(start, size)
	}
	addr = start
	for ; ; prev = ptr {
		// Reserve needed memory area to avoid a race (seed 290).
		var ok bool
		ptr, ok = s.hostMmap(g.g2h(addr), size, 0,
			hostvm.MapAnonymous|hostvm.MapPrivate|hostvm.MapNoReserve, -1, 0)
		// ENOMEM, if host address space has no memory
		if !ok {
			return s.findVMAFallback(size)
		}
		// Count the number of sequential returns of the same address.
		if ptr == prev {
			repeat++
		} else {
			repeat = 0
		}
		if g.h2gValid((uint64(ptr) + size - 1) & g.hostMask) {
			addr = g.h2g(ptr)
			if addr&^g.tMask() == 0 {
				// Success.
				if start == s.mmapNextStart && addr >= s.cfg.TaskUnmappedBase {
					s.mmapNextStart = s.e(addr + size)
				}
				return addr
			}
			// The address is not properly aligned for the target.
			switch repeat {
			case 0:
				addr = g.tAlign(addr)
			case 1:
				addr &= g.tMask()
			case 2:
				addr = 0
			default:
				addr = s.minus1()
			}
		} else {
			// Since the result the kernel gave didn't fit, start again
			// at low memory. If any repetition, fail.
			if repeat != 0 {
				addr = s.minus1()
			} else {
				addr = 0
			}
		}
		// Unmap and try again.
		s.hostMunmap(ptr, size)
		// ENOMEM if we checked the whole of the target address space.
		switch {
		case addr == s.minus1():
			return s.findVMAFallback(size)
		case addr == 0:
			if wrapped != 0 {
				return s.findVMAFallback(size)
			}
			wrapped = 1
			// Don't actually use 0 when wrapping, instead indicate that
			// we'd truly like an allocation in low memory.
			if s.cfg.MmapMinAddr > g.t {
				addr = g.tAlign(s.cfg.MmapMinAddr)
			} else {
				addr = g.t
			}
		case wrapped != 0 && addr >= start:
			return s.findVMAFallback(size)
		}
	}
}

// findVMAFallback is where the seed's mmap_find_vma gives up: it has asked
// the host kernel for two hints, and neither answer fitted the guest space.
// With QuirkFindVMAProbe that is ENOMEM, even when the guest space has room.
// The fix searches the guest's page flags, top down like
// mmap_find_vma_reserved, and reserves the range it finds on the host with
// MAP_FIXED_NOREPLACE, moving on below anything the host has there.
func (s *Sim) findVMAFallback(size uint64) uint64 {
	if s.q(QuirkFindVMAProbe) {
		return s.minus1()
	}
	g := &s.g
	top := s.guestAddrMax()&g.hMask() + g.h
	if g.abiMask == ^uint64(0) && top == 0 {
		top = g.hMask()
	}
	start := top
	for tries := 0; tries < 64; tries++ {
		addr := s.findTopDown(start, size, top)
		if addr == s.minus1() || addr >= start && tries > 0 {
			return s.minus1()
		}
		p, ok := s.hostMmap(g.g2h(addr), size, 0,
			hostvm.MapAnonymous|hostvm.MapPrivate|hostvm.MapNoReserve|hostvm.MapFixedNoReplace, -1, 0)
		if ok && p == g.g2h(addr) {
			return addr
		}
		start = addr // the host has something there: search below it
	}
	return s.minus1()
}

// targetMmap is target_mmap(). Compare QEMU linux-user/mmap.c (seed
// 370-583). It returns the guest address, or (abi_ulong)-1 with s.errno
// set, or (in one seed path) a negated errno from target_mprotect.
func (s *Sim) targetMmap(start, length uint64, prot int, flags hostvm.MapFlags, fd int, offset uint64) uint64 {
	g := &s.g
	var end, realStart, realEnd, retaddr, hostOffset, hostLen, flagsLen uint64
	var eofLo, eofHi uint64 // the EOF overlay, relative to start
	var pflags uint32
	origLen := length
	if !s.q(QuirkMmapProtUnmasked) {
		prot &= protRead | protWrite | protExec // Linux's mmap ignores other bits
	}
	s.mmapLock()
	if offset&^g.tMask() != 0 {
		s.errno = hostvm.EINVAL
		goto fail
	}
	length = g.tAlign(length)
	if length == 0 {
		if s.q(QuirkMmapLenZero) {
			goto the_end // seed 409: success, nothing mapped
		}
		s.errno = hostvm.EINVAL
		if origLen != 0 {
			s.errno = hostvm.ENOMEM // the length wrapped when aligned
		}
		goto fail
	}
	flagsLen = length // what the guest asked for, page aligned
	realStart = start & g.hMask()
	hostOffset = offset & g.hMask()

	// If the user is asking for the kernel to find a location, do that
	// before we truncate the length for mapping files below (seed 414).
	if flags&hostvm.MapFixed == 0 {
		hostLen = g.w(length + offset - hostOffset)
		hostLen = g.hAlign(hostLen)
		start = s.mmapFindVMA(realStart, hostLen)
		if start == s.minus1() {
			s.errno = hostvm.ENOMEM
			goto fail
		}
	}

	// When mapping files into a memory area larger than the file, accesses
	// to pages beyond the file size will cause a SIGBUS (seed 426): with a
	// target page larger than the real host page, truncate the file map at
	// EOF, aligned to the real host page.
	if g.realHost < g.t && flags&hostvm.MapAnonymous == 0 {
		sb, ok := s.hostFstat(fd)
		if !ok {
			goto fail
		}
		if int64(g.w(offset+length)) > sb.Size {
			if s.q(QuirkEOFTruncatedFlags) {
				length = g.w(uint64(sb.Size) - offset)
				length = g.w(length + g.realHost - 1)
				length &= ^(g.realHost - 1)
			} else if uint64(sb.Size) > offset {
				// The fix maps the whole file range (so pages wholly past
				// end-of-file fault with SIGBUS, as the guest's kernel
				// would) and lays anonymous memory over the rest of the
				// target page holding end-of-file, which the guest may read.
				rel := uint64(sb.Size) - offset
				eofLo = (rel + g.realHost - 1) &^ (g.realHost - 1)
				eofHi = min((rel+g.t-1)&^(g.t-1), length)
			}
		}
	}

	if flags&hostvm.MapFixed == 0 {
		hostLen = g.w(length + offset - hostOffset)
		hostLen = g.hAlign(hostLen)
		// Note: we prefer to control the mapping address (seed 463).
		p, ok := s.hostMmap(g.g2h(start), hostLen, prot, flags|hostvm.MapFixed|hostvm.MapAnonymous, -1, 0)
		if !ok {
			goto fail
		}
		// update start so that it points to the file position at 'offset'
		hostStart := uint64(p)
		if flags&hostvm.MapAnonymous == 0 {
			fileLen := length
			if !s.q(QuirkNonFixedFileShort) {
				fileLen = g.w(length + offset - hostOffset) // map the whole file range
			}
			if _, ok := s.hostMmap(g.g2h(start), fileLen, prot, flags|hostvm.MapFixed, fd, hostOffset); !ok {
				saved := s.errno
				s.unmapOrReserve(start, hostLen)
				s.errno = saved
				goto fail
			}
			hostStart += offset - hostOffset
		}
		start = g.h2g(hostvm.Addr(hostStart & g.hostMask))
	} else {
		if !s.q(QuirkUncheckedRange) && !s.guestRangeValid(start, length) {
			s.errno = hostvm.ENOMEM // as Linux: addr > TASK_SIZE - len
			if s.q(QuirkFixedFitEINVAL) && start+length-1 > g.abiMask {
				s.errno = hostvm.EINVAL // the seed's own check, seed 495
			}
			goto fail
		}
		if start&^g.tMask() != 0 {
			s.errno = hostvm.EINVAL
			goto fail
		}
		end = s.e(start + length)
		realEnd = s.hAlignEnd(end)
		if s.noReplace && s.flagsBetween(start, end) != 0 {
			s.errno = hostvm.EEXIST
			goto fail
		}
		if !s.q(QuirkFragSharedErrno) && flags&hostvm.MapAnonymous == 0 && !s.fileAccessOK(fd, prot, flags) {
			goto fail
		}
		if !s.q(QuirkUncheckedRange) && uint64(g.g2h(realStart)) < s.cfg.MmapMinAddr {
			// The host refuses the first host page (below its
			// mmap_min_addr): fail before a fragment is mapped, which
			// the failure would leave behind.
			s.errno = hostvm.EPERM
			goto fail
		}

		// Test if requested memory area fits target address space. It
		// can fail only on 64-bit host with 32-bit target (seed 491).
		if (start+length-1)&g.hostMask > g.abiMask {
			s.errno = hostvm.EINVAL
			if !s.q(QuirkFixedFitEINVAL) {
				s.errno = hostvm.ENOMEM // as Linux: the range passes the top of the space
			}
			goto fail
		}

		// worst case: we cannot map the file because the offset is not
		// aligned, so we read it (seed 500)
		if flags&hostvm.MapAnonymous == 0 && offset&^g.hMask() != start&^g.hMask() {
			// msync() won't work here, so we return an error if write is
			// possible while it is a shared mapping
			if flags&hostvm.MapType == hostvm.MapShared && prot&protWrite != 0 {
				s.errno = hostvm.EINVAL
				goto fail
			}
			retaddr = s.targetMmap(start, length, prot|protWrite,
				hostvm.MapFixed|hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0)
			if retaddr == s.minus1() {
				goto fail
			}
			if !s.hostPread(fd, g.g2h(start), length, offset) {
				goto fail
			}
			if !s.q(QuirkMremapHostPages) {
				// The guest mapped a file: the anonymous memory holding
				// its copy is not private anonymous memory to the guest.
				s.setFlags(start, s.e(start+length), uint32(prot|protWrite|PageValid))
			}
			if prot&protWrite == 0 {
				r := s.targetMprotect(start, length, prot)
				if r != 0 {
					start = g.w(uint64(r))
					goto the_end
				}
			}
			goto the_end
		}

		// handle the start of the mapping (seed 528)
		if start > realStart {
			if realEnd == s.e(realStart+g.h) {
				// one single host page
				if s.mmapFrag(realStart, start, end, prot, flags, fd, offset) == -1 {
					goto fail
				}
				goto the_end1
			}
			if s.mmapFrag(realStart, start, s.e(realStart+g.h), prot, flags, fd, offset) == -1 {
				goto fail
			}
			realStart += g.h
		}
		// handle the end of the mapping (seed 544)
		if end < realEnd {
			fragEnd := end
			if s.q(QuirkFragTailRealEnd) {
				fragEnd = realEnd
			}
			if s.mmapFrag(realEnd-g.h, realEnd-g.h, fragEnd, prot, flags, fd,
				g.w(offset+realEnd-g.h-start)) == -1 {
				goto fail
			}
			realEnd -= g.h
		}
		// map the middle (easier)
		if realStart < realEnd {
			var offset1 uint64
			if flags&hostvm.MapAnonymous == 0 {
				offset1 = g.w(offset + realStart - start)
			}
			if _, ok := s.hostMmap(g.g2h(realStart), realEnd-realStart, prot, flags, fd, offset1); !ok {
				goto fail
			}
		}
	}
the_end1:
	if eofLo < eofHi {
		if _, ok := s.hostMmap(g.g2h(start+eofLo), eofHi-eofLo, prot,
			hostvm.MapFixed|hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0); !ok {
			goto fail
		}
	}
	if s.q(QuirkEOFTruncatedFlags) {
		flagsLen = length // the length truncated at end-of-file (seed 450)
	}
	pflags = uint32(prot | PageValid)
	if !s.q(QuirkMremapHostPages) && flags&(hostvm.MapAnonymous|hostvm.MapType) == hostvm.MapAnonymous|hostvm.MapPrivate {
		pflags |= PageAnon
	}
	s.setFlags(start, s.e(start+flagsLen), pflags)
the_end:
	s.tbInvalidatePhysRange(start, s.e(start+length))
	s.mmapUnlock()
	return start
fail:
	s.mmapUnlock()
	return s.minus1()
}

// keepAnonSetFlags sets the flags of [start, end) as page_set_flags does,
// keeping each page's PageAnon bit (mprotect changes protection, not
// backing).
func (s *Sim) keepAnonSetFlags(start, end uint64, flags uint32) {
	var anon []FlagRun
	for _, r := range s.FlagRunsIn(start, end) {
		if r.Flags&PageAnon != 0 {
			anon = append(anon, r)
		}
	}
	s.setFlags(start, end, flags)
	for _, r := range anon {
		lo, hi := max(r.Start, start), min(r.End, end)
		s.setFlags(lo, hi, flags|PageAnon)
	}
}

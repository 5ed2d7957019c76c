package sim

import (
	"slices"

	"github.com/mmapsim/mmapsim/hostvm"
)

// targetMprotect is target_mprotect(). Compare QEMU
// linux-user/mmap.c:target_mprotect() (seed lines 70-137). It returns 0,
// -errno, or -1 with s.libc.Errno set.
//
// Preconditions: start and length are abi_ulong values.
func (s *Sim) targetMprotect(start, length uint64, prot int) int64 {
	g := &s.geom
	var end, hostStart, hostEnd, addr uint64
	var prot1 int
	// The fix's undo (undoMprotect): the host's mappings before; the ends
	// of the host pages asked to change and changed so far; the last host
	// page's change, which the fix makes after the middle's.
	var saved []hostvm.Mapping
	var tried, done, tailProt uint64
	var tailLater bool
	const growsBits = int(hostvm.ProtGrowsDown | hostvm.ProtGrowsUp)
	grows, origLen := 0, length
	if !s.quirk(QuirkMprotectBadProt) && !s.quirk(QuirkMprotectProtFirst) {
		// Linux takes them off first; the seed drops them with every
		// unknown bit, 7.2 refuses them as unknown (mmap.c:127-130).
		grows = prot & growsBits
		prot &^= growsBits
		if grows == growsBits {
			return -int64(hostvm.EINVAL) // it cannot grow both ways
		}
	}
	if start&^g.TargetPageMask() != 0 { // seed 83
		return -int64(hostvm.EINVAL)
	}
	if s.quirk(QuirkMprotectProtFirst) && prot&^(protRead|protWrite|protExec|int(hostvm.ProtSem)) != 0 {
		return -int64(hostvm.EINVAL) // 7.2 mmap.c:127-130
	}
	// Lengths and ends keep their carry in the fix, as a 32-bit process
	// on a 64-bit kernel computes them: a range past the top of the space
	// is a hole there, not a wrap.
	length = s.targetPageAlignEnd(length)
	end = s.rangeEnd(start + length)
	if s.quirk(QuirkMprotectWrapEINVAL) && g.ABIWord(start+length) < start {
		return -int64(hostvm.EINVAL) // the seed: abi_ulong end < start
	}
	if end < start {
		return -int64(hostvm.ENOMEM) // Linux: a wrapping range is ENOMEM
	}
	if length == 0 {
		if s.quirk(QuirkZeroLenRange) && !s.guestRangeValid72(start, 0) {
			return -int64(hostvm.ENOMEM) // 7.2 mmap.c:133-135
		}
		if origLen != 0 && !s.quirk(QuirkMprotectWrapEINVAL) && !s.quirk(QuirkZeroLenRange) {
			return -int64(hostvm.ENOMEM) // the aligned length wrapped: Linux's end <= start
		}
		return 0 // Linux returns before it looks at prot
	}
	if !s.quirk(QuirkMprotectBadProt) && prot&^(protRead|protWrite|protExec|int(hostvm.ProtSem)) != 0 {
		return -int64(hostvm.EINVAL) // Linux rejects unknown bits; the seed drops them
	}
	if grows != 0 {
		// No guest mapping can grow (QEMU's page flags keep no
		// VM_GROWSDOWN or VM_GROWSUP): Linux refuses the mapping the
		// range starts in (PROT_GROWSUP) or first meets (PROT_GROWSDOWN)
		// with EINVAL, and a range where it finds none with ENOMEM.
		if grows == int(hostvm.ProtGrowsUp) && s.pageGetFlags(start)&PageValid != 0 ||
			grows == int(hostvm.ProtGrowsDown) && s.flagsBetween(start, end)&PageValid != 0 {
			return -int64(hostvm.EINVAL)
		}
		return -int64(hostvm.ENOMEM)
	}
	prot &= protRead | protWrite | protExec // seed 89
	if r, done := s.mprotectAsLinux(start, length, end, prot); done {
		return r
	}

	s.mmapLock()
	hostStart = start & g.HostPageMask()
	hostEnd = s.hostPageAlignEnd(end)
	if !s.quirk(QuirkMprotectFailPartial) {
		saved = s.libc.AppendHostMappings(s.protectMaps[:0], g.HostRange(hostStart, hostEnd-hostStart))
		s.protectMaps = saved[:0]
	}
	tried, done = hostStart, hostStart
	if start > hostStart {
		// handle host page containing start (seed 96)
		prot1 = s.hostProt(prot)
		for addr = hostStart; addr < start; addr += g.TargetPageSize {
			prot1 |= int(s.pageGetFlags(addr))
		}
		if hostEnd == s.rangeEnd(hostStart+g.HostPageSize) {
			prot1 |= s.flagsBetween(end, hostEnd)
			end = hostEnd
		}
		tried = hostStart + g.HostPageSize
		if !s.libc.Mprotect(g.G2H(hostStart), g.HostPageSize, prot1&PageBits) {
			goto error
		}
		hostStart += g.HostPageSize
		done = hostStart
	}
	if end < hostEnd {
		prot1 = s.hostProt(prot) | s.flagsBetween(end, hostEnd)
		if !s.quirk(QuirkMprotectFailPartial) {
			// The fix changes the host pages in address order, this one
			// after the middle, so that what a failure leaves changed is
			// a prefix (undoMprotect).
			tailProt, tailLater = uint64(prot1&PageBits), true
		} else if !s.libc.Mprotect(g.G2H(hostEnd-g.HostPageSize), g.HostPageSize, prot1&PageBits) {
			goto error
		}
		hostEnd -= g.HostPageSize
	}
	// handle the pages in the middle (seed 125)
	if hostStart < hostEnd {
		tried = hostEnd
		if !s.libc.Mprotect(g.G2H(hostStart), hostEnd-hostStart, s.hostProt(prot)) {
			goto error
		}
		done = hostEnd
	}
	if tailLater {
		tried = hostEnd + g.HostPageSize
		if !s.libc.Mprotect(g.G2H(hostEnd), g.HostPageSize, int(tailProt)) {
			goto error
		}
	}
	s.keepAnonSetFlags(start, s.rangeEnd(start+length), uint32(prot|PageValid))
	s.mmapUnlock()
	return 0
error:
	if !s.quirk(QuirkMprotectFailPartial) {
		s.undoMprotect(saved, start, s.rangeEnd(start+length), tried, done, prot)
	}
	s.mmapUnlock()
	return -1
}

// undoMprotect gives the host pages a failed target_mprotect of [start,
// end) asked to change, up to tried, back the protection they had, saved
// (the host mappings over its host pages before the call). A guest kernel's
// mprotect that fails part way keeps the new protection of the VMAs
// before the one it fails at and leaves that one and the rest as they
// were (compare Linux mm/mprotect.c do_mprotect_pkey(), whose loop over
// the VMAs stops at the first mprotect_fixup() that fails). The fix's
// caller (mprotectAsLinux) goes VMA by VMA, and QEMU's host calls for one
// of them are one change to the guest: it fails whole, the page flags
// unchanged. Where the host refuses to change a mapping back, the undo
// stops there (it goes down from the highest), and the guest pages of
// [start, end) below its end, and below done (the host pages the call's
// calls changed), take the new protection, as the host has them: what
// stays changed is a prefix of the range, and the page flags say what the
// host gives. errno stays the first failure's.
//
// Preconditions: the mmap lock is held; saved are the host mappings over
// the host pages of [start, end) before the call, in address order; the
// call asked to change the host pages from the first of them up to tried
// (a guest address), in address order, and no other, and changed them up
// to done; prot is the guest's protection (PROT_READ, PROT_WRITE,
// PROT_EXEC).
func (s *Sim) undoMprotect(saved []hostvm.Mapping, start, end, tried, done uint64, prot int) {
	g := &s.geom
	errno := s.libc.Errno
	hostStart := start & g.HostPageMask()
	look := g.HostRange(hostStart, tried-hostStart)
	for i := len(saved) - 1; i >= 0; i-- {
		m := saved[i]
		r := hostvm.Range{Start: max(m.Start, look.Start), End: min(m.End, look.End)}
		if r.Start >= r.End {
			continue
		}
		if now, ok := s.libc.HostMapping(r); ok && now.Prot == m.Prot && now.Start <= r.Start && r.End <= now.End {
			continue // unchanged
		}
		if !s.libc.Mprotect(r.Start, uint64(r.End-r.Start), int(m.Prot)) {
			if hi := min(uint64(r.End)-g.GuestBase, end, done); hi > start {
				s.keepAnonSetFlags(start, hi, uint32(prot|PageValid))
			}
			break
		}
	}
	s.libc.Errno = errno
}

// mprotectAsLinux makes the fix's checks of a protection change that the
// seed lacks: a range past the end of the guest space (unless
// QuirkUncheckedRange) or over unmapped pages (unless
// QuirkMprotectUnmapped) changes what lies before the hole and then fails
// with ENOMEM, and a range spanning several host mappings changes them one
// after another, stopping at the first the host refuses. It reports
// whether it has done the call (with its result); if not, the seed's body
// does it whole.
//
// Preconditions: start is target-page aligned; length is aligned, non-zero
// and end = start+length does not wrap; prot has only PROT_READ,
// PROT_WRITE and PROT_EXEC.
func (s *Sim) mprotectAsLinux(start, length, end uint64, prot int) (int64, bool) {
	g := &s.geom
	if !s.quirk(QuirkUncheckedRange) && !g.GuestRangeValid(start, length) {
		// Past the end of the guest space is a hole, as past TASK_SIZE
		// on Linux: what lies before it changes, then ENOMEM.
		spaceEnd := g.GuestAddrMax() + 1
		if s.quirk(QuirkMprotectUnmapped) || start >= spaceEnd || spaceEnd == 0 {
			return -int64(hostvm.ENOMEM), true
		}
		if r := s.targetMprotect(start, spaceEnd-start, prot); r != 0 {
			return r, true
		}
		return -int64(hostvm.ENOMEM), true
	}
	if s.quirk(QuirkMprotectUnmapped) {
		return 0, false
	}
	// Linux changes the mapped pages up to the first hole, then fails
	// with ENOMEM; the seed marks the hole's pages valid.
	if hole := s.flags.FirstHole(start, end); hole < end {
		if hole > start {
			if r := s.targetMprotect(start, hole-start, prot); r != 0 {
				return r, true
			}
		}
		return -int64(hostvm.ENOMEM), true
	}
	// Linux changes one VMA after another and stops at the first it
	// refuses (EACCES), keeping the changes before it: go piece by piece
	// (runs of equal flags, cut where host mappings meet), so the page
	// flags follow what the host did.
	cuts := s.mprotectCuts(start, end)
	if len(cuts) == 0 {
		return 0, false
	}
	lo := start
	for _, hi := range append(cuts, end) {
		if r := s.targetMprotect(lo, hi-lo, prot); r != 0 {
			return r, true
		}
		lo = hi
	}
	return 0, true
}

// mprotectCuts returns the guest-page-aligned addresses inside (start, end)
// where a run of equal page flags ends or a host mapping begins.
func (s *Sim) mprotectCuts(start, end uint64) []uint64 {
	g := &s.geom
	var cuts []uint64
	add := func(a uint64) {
		if a > start && a < end && a%g.TargetPageSize == 0 {
			cuts = append(cuts, a)
		}
	}
	for _, r := range s.FlagRunsIn(start, end) {
		add(r.End)
	}
	for _, m := range s.libc.Host.MappingsIn(g.HostRange(start, end-start)) {
		if m.Start > g.G2H(start) {
			add(uint64(m.Start) - g.GuestBase)
		}
	}
	slices.Sort(cuts)
	return slices.Compact(cuts)
}

// keepAnonSetFlags sets the flags of [start, end) as page_set_flags does,
// keeping each page's PageAnon and PagePassthrough bits (mprotect changes
// protection, not backing: later QEMU's PAGE_STICKY).
func (s *Sim) keepAnonSetFlags(start, end uint64, flags uint32) {
	const sticky = PageAnon | PagePassthrough
	var anon []FlagRun
	for _, r := range s.FlagRunsIn(start, end) {
		if r.Flags&sticky != 0 {
			anon = append(anon, r)
		}
	}
	s.setFlags(start, end, flags)
	for _, r := range anon {
		lo, hi := max(r.Start, start), min(r.End, end)
		s.setFlags(lo, hi, flags|r.Flags&sticky)
	}
}

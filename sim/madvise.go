package sim

import "github.com/mmapsim/mmapsim/hostvm"

// Madvise is the guest's madvise(addr, length, advice). The seed era's
// do_syscall ignored it and returned 0 ("this is a hint"), which loses
// MADV_DONTNEED's effect on contents (QuirkMadviseIgnored). The fix checks
// the arguments as Linux does and emulates MADV_DONTNEED: whole host pages
// inside the range are passed to the host's madvise; on a host page shared
// with guest pages outside the range, the guest pages are cleared when the
// host memory there is private and anonymous. A private file page on such a
// shared host page cannot be restored from its file: it keeps its data (a
// documented divergence, as in later QEMU).
func (s *Sim) Madvise(addr, length uint64, advice hostvm.Advice) error {
	return s.guard(func() error {
		g := &s.geom
		addr, length = g.ABIWord(addr), g.ABIWord(length)
		if s.quirk(QuirkMadviseIgnored) {
			return nil
		}
		if s.quirk(QuirkMadvisePassthrough) {
			return s.targetMadvise72(addr, length, advice)
		}
		if !validAdvice(advice) || addr&^g.TargetPageMask() != 0 {
			return hostvm.EINVAL
		}
		alen := s.targetPageAlignEnd(length)
		if length != 0 && alen == 0 {
			return hostvm.EINVAL
		}
		end := s.rangeEnd(addr + alen)
		if end < addr {
			return hostvm.EINVAL
		}
		if end == addr {
			return nil
		}
		// As Linux's madvise_walk_vmas(): each mapped part in order, the
		// first invalid one ends the call; holes make ENOMEM at the end.
		var err error
		s.mmapLock()
		defer s.mmapUnlock()
		at := addr
		populate := advice == hostvm.MadvPopulateRead || advice == hostvm.MadvPopulateWrite
		for _, r := range s.FlagRunsIn(addr, end) {
			lo, hi := max(r.Start, addr), min(r.End, end)
			if lo > at || r.Flags&PageValid == 0 {
				if populate {
					return hostvm.ENOMEM // one walk, which stops at the first hole
				}
				err = hostvm.ENOMEM
			}
			if r.Flags&PageValid != 0 {
				if e := s.adviseRun(lo, hi, r.Flags, advice); e != 0 {
					return e
				}
			}
			at = hi
		}
		if at < end {
			err = hostvm.ENOMEM
		}
		return err
	})
}

// adviseRun applies advice to mapped guest pages [lo, hi), whose page
// flags are flags. Only MADV_DONTNEED changes anything; MADV_FREE is
// refused, as Linux refuses it, where the guest memory is not private
// anonymous (as the guest mapped it, or, under QuirkNoPageAnon, which
// records no PageAnon, as the host memory is).
//
// Preconditions: the mmap lock is held; [lo, hi) is one run of mapped
// guest pages, target-page aligned.
func (s *Sim) adviseRun(lo, hi uint64, flags uint32, advice hostvm.Advice) hostvm.Errno {
	switch advice {
	case hostvm.MadvFree:
		if !s.quirk(QuirkNoPageAnon) && flags&PageAnon == 0 {
			return hostvm.EINVAL
		}
		if s.quirk(QuirkNoPageAnon) {
			for _, m := range s.libc.Host.MappingsIn(hostvm.Range{Start: s.geom.G2H(lo), End: s.geom.G2H(hi)}) {
				if !m.Anonymous || m.Shared {
					return hostvm.EINVAL
				}
			}
		}
	case hostvm.MadvDontNeed, hostvm.MadvDontNeedLocked:
		s.dontNeed(lo, hi)
	case hostvm.MadvPopulateRead, hostvm.MadvPopulateWrite:
		return s.populate(lo, hi, flags, advice == hostvm.MadvPopulateWrite)
	}
	return 0
}

// populate is MADV_POPULATE_READ (write false) or MADV_POPULATE_WRITE of
// the mapped guest pages [lo, hi), whose page flags are flags, as Linux's
// faultin_page_range() walks them: a page the guest may not read (write)
// is EINVAL, one that cannot be faulted in (past the end of its file)
// EFAULT. A write makes the private file pages the host maps from their
// file private copies, as the guest kernel's are: later writes to the file
// no longer show in them.
//
// Preconditions: the mmap lock is held; [lo, hi) is one run of mapped
// guest pages, target-page aligned.
func (s *Sim) populate(lo, hi uint64, flags uint32, write bool) hostvm.Errno {
	need := uint32(PageRead)
	if write {
		need = PageWrite
	}
	if flags&need == 0 {
		return hostvm.EINVAL
	}
	if flags&PageAnon != 0 {
		return 0 // anonymous memory never fails to fault in
	}
	g := &s.geom
	// Each step lies in one host page, which a load of its first byte
	// faults in (or fails to) as a load of the whole step would; a store
	// of the byte loaded breaks copy-on-write for the page and changes no
	// data.
	step := min(g.TargetPageSize, g.RealHostPageSize)
	var one [1]byte
	buf := one[:]
	// m is the host mapping of the last page, kept for the next pages
	// it holds while no protection was lent (the walk's reads and writes
	// change no mapping's kind or protection then).
	var m hostvm.Mapping
	ok, lent := false, true
	for p := lo; p < hi; p += step {
		if h := g.G2H(p); !ok || lent || h < m.Start || h >= m.End {
			m, ok = s.hostMapping(p)
		}
		if !ok || m.Anonymous {
			continue // a copy QEMU made (pread), or a hole the walk met before
		}
		var f *hostvm.Fault
		lent = s.withAccessVia(m, p, step, protRead, func() { _, f = s.libc.Host.Read(g.G2H(p), buf) })
		if f != nil {
			return hostvm.EFAULT
		}
		if write && !m.Shared && s.withAccessVia(m, p, step, protWrite, func() { s.libc.Host.Write(g.G2H(p), buf) }) {
			lent = true
		}
	}
	return 0
}

// dontNeed is MADV_DONTNEED of the guest pages [start, end): whole host
// pages no other guest page uses go to the host; elsewhere private
// anonymous guest pages are cleared, and private file pages QEMU filled with
// pread (known by PageAnon) keep their data.
//
// Preconditions: the mmap lock is held; every page of [start, end) is
// mapped (PageValid); start and end are target-page aligned.
func (s *Sim) dontNeed(start, end uint64) {
	g := &s.geom
	for hp := start &^ (g.HostPageSize - 1); hp < end; hp += g.HostPageSize {
		lo, hi := max(hp, start), min(hp+g.HostPageSize, end)
		alone := lo == hp && hi == hp+g.HostPageSize || s.flagsBetween(hp, lo)|s.flagsBetween(hi, hp+g.HostPageSize) == 0
		m, mapped := s.hostMapping(lo)
		privAnon, prot := mapped && m.Anonymous && !m.Shared, int(m.Prot)
		if privAnon && !s.quirk(QuirkNoPageAnon) && s.privateFilePages(lo, hi) {
			// Private file pages QEMU filled with pread (known by the
			// PageAnon flag, recorded where no-page-anon is off):
			// the host cannot restore them from the file, so they keep
			// their data (a divergence only where the guest wrote them);
			// the anonymous guest pages among them are cleared.
			for _, r := range s.FlagRunsIn(lo, hi) {
				if r.Flags&PageAnon != 0 {
					s.zeroGuest(max(r.Start, lo), min(r.End, hi), prot)
				}
			}
			hp = s.sameHostMappingTo(hp, lo, hi, end) - g.HostPageSize
			continue
		}
		if alone {
			// No other guest page uses this host page: pass the whole
			// host page through (the host refuses parts of one), with
			// the whole ones after it that take the same way.
			next := s.sameHostMappingTo(hp, lo, hi, end)
			s.libc.Madvise(g.G2H(hp), next-hp, hostvm.MadvDontNeed)
			hp = next - g.HostPageSize
		} else if privAnon {
			s.zeroGuest(lo, hi, prot)
		}
	}
}

// sameHostMappingTo returns where the host pages that dontNeed treats as it
// treats the one at hp end: when [lo, hi), the part of the range in that
// host page, is all of it, the whole host pages after it in the range and
// in the same host mapping (the range is one run of page flags, so they
// hold the same kind of guest pages); else hp's own end.
//
// Preconditions: hp is host-page aligned; hp <= lo < hi <= end.
func (s *Sim) sameHostMappingTo(hp, lo, hi, end uint64) uint64 {
	g := &s.geom
	next := hp + g.HostPageSize
	if lo != hp || hi != next {
		return next
	}
	ms := s.libc.Host.MappingsIn(g.HostRange(hp, end-hp))
	if len(ms) == 0 || ms[0].Start > g.G2H(hp) {
		return next // hp is not mapped: one page at a time
	}
	last := (min(end, uint64(ms[0].End)-g.GuestBase)) &^ (g.HostPageSize - 1)
	return max(next, last)
}

// privateFilePages reports whether mapped guest pages in [lo, hi) are not
// anonymous: on private anonymous host memory, those are private file
// pages QEMU emulated.
func (s *Sim) privateFilePages(lo, hi uint64) bool {
	for _, r := range s.FlagRunsIn(lo, hi) {
		if r.Flags&PageValid != 0 && r.Flags&PageAnon == 0 {
			return true
		}
	}
	return false
}

func validAdvice(a hostvm.Advice) bool {
	switch a {
	case hostvm.MadvNormal, hostvm.MadvRandom, hostvm.MadvSequential, hostvm.MadvWillNeed,
		hostvm.MadvDontNeed, hostvm.MadvFree, hostvm.MadvRemove, hostvm.MadvDontFork,
		hostvm.MadvDoFork, hostvm.MadvMergeable, hostvm.MadvUnmergeable, hostvm.MadvHugePage,
		hostvm.MadvNoHugePage, hostvm.MadvDontDump, hostvm.MadvDoDump, hostvm.MadvWipeOnFork,
		hostvm.MadvKeepOnFork, hostvm.MadvCold, hostvm.MadvPageOut, hostvm.MadvPopulateRead,
		hostvm.MadvPopulateWrite, hostvm.MadvDontNeedLocked, hostvm.MadvCollapse:
		return true
	}
	return false
}

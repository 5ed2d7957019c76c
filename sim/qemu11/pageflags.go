package qemu11

import (
	"github.com/mmapsim/mmapsim/sim"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// Page flags as QEMU 11.1 keeps them (accel/tcg/user-exec.c, "user-exec.c"
// below): an interval tree of [start, last] ranges with inclusive last
// bytes, each with a flags word, updated by page_set_flags(start, last,
// set_flags, clear_flags). Only which pages a range covers and their flags
// are observable (page_get_flags, page_check_range, page_find_range_empty
// and the dumps); where the tree keeps two adjacent nodes of equal flags,
// the store here (base.PageFlags) keeps one run.

// Page flag bits of include/exec/page-protection.h beyond base's.
const (
	// PagePassthrough (PAGE_PASSTHROUGH, 0x40) marks guest pages mapped
	// with the same semantics on the host as in the guest: target_madvise
	// passes MADV_DONTNEED through only where every page has it.
	PagePassthrough = 0x40
	// PageAnon (PAGE_ANON, 0x80) marks pages mapped MAP_ANONYMOUS.
	PageAnon = base.PageAnon
	// PageDontDump (PAGE_DONTDUMP, 0x100): MADV_DONTDUMP.
	PageDontDump = 0x100
)

// pageGetFlags is page_get_flags() (user-exec.c:240).
func (s *Guest) pageGetFlags(addr uint64) uint32 { return s.flags.Get(addr) }

// pageSetFlags is page_set_flags(start, last, set_flags, clear_flags)
// (user-exec.c:462): for each target page of [start, last], flags = (flags
// & ~clear_flags) | set_flags; a page left without PAGE_VALID is removed.
// Setting (or clearing) PAGE_WRITE does the same to PAGE_WRITE_ORG. A
// clear_flags with PAGE_VALID is a new mapping: everything is cleared first.
// It records tb_invalidate_phys_range(start, last) when an executable page
// loses PAGE_EXEC, gains PAGE_WRITE or is replaced.
//
// Preconditions: called inside guard (a failed assertion aborts).
func (s *Guest) pageSetFlags(start, last uint64, set, clear uint32) {
	if !(start <= last) {
		base.Raise("page_set_flags", "assertion failed: start <= last (start=%#x last=%#x)", start, last)
	}
	if !(last <= s.guestAddrMax) {
		base.Raise("page_set_flags", "assertion failed: last <= guest_addr_max (last=%#x guest_addr_max=%#x)", last, s.guestAddrMax)
	}
	if s.lockCount == 0 {
		base.Raise("page_set_flags", "assertion failed: the mmap lock is held")
	}
	t := s.geom.TargetPageSize
	start &^= t - 1 // user-exec.c:473
	last |= t - 1
	if set&base.PageWrite != 0 {
		set |= base.PageWriteOrg
	}
	if clear&base.PageWrite != 0 {
		clear |= base.PageWriteOrg
	}
	if clear&base.PageValid != 0 {
		clear = ^uint32(0) // user-exec.c:483-485 (page_reset_target_data: no target data here)
	} else if set&PageAnon != 0 {
		base.Raise("page_set_flags", "assertion failed: !(set_flags & PAGE_ANON): PAGE_ANON is only set with new mappings")
	}
	if s.pageflagsSetClear(start, last, set, clear) {
		s.libc.TBInvalidatePhysRange(start, last)
	}
}

// pageflagsSetClear is pageflags_set_clear() (user-exec.c:322), page by
// page: it reports whether translated code must be flushed.
//
// Preconditions: start and last are the first and last bytes of target
// pages; clear includes PAGE_WRITE_ORG when it includes PAGE_WRITE.
func (s *Guest) pageflagsSetClear(start, last uint64, set, clear uint32) bool {
	t := s.geom.TargetPageSize
	type piece struct {
		first, end uint64 // page numbers
		flags      uint32
	}
	var pieces []piece
	inval := false
	newFlags := func(old uint32) uint32 {
		f := old&^clear | set
		if f&base.PageValid == 0 {
			return 0
		}
		return f
	}
	at := start / t
	for _, r := range s.flags.RunsInLast(start, last) {
		if first := r.Start / t; first > at {
			pieces = append(pieces, piece{at, first, newFlags(0)})
		}
		merged := newFlags(r.Flags)
		if r.Flags&base.PageExec != 0 && (merged&base.PageExec == 0 || merged&^r.Flags&base.PageWrite != 0 ||
			clear&base.PageValid != 0) {
			inval = true // user-exec.c:349-354
		}
		pieces = append(pieces, piece{r.Start / t, r.End / t, merged})
		at = r.End / t
	}
	if end := last/t + 1; at < end {
		pieces = append(pieces, piece{at, end, newFlags(0)})
	}
	for _, p := range pieces {
		s.flags.SetPages(p.first, p.end, p.flags)
	}
	return inval
}

// pageCheckRange is page_check_range(start, len, flags) (user-exec.c:496):
// every page of [start, start+len) is mapped and has flags. A page that
// lacks PAGE_WRITE but has PAGE_WRITE_ORG counts as writable
// (page_unprotect would make it so).
func (s *Guest) pageCheckRange(start, length uint64, flags uint32) bool {
	if length == 0 {
		return true
	}
	last := start + length - 1
	if last < start {
		return false // wrap around
	}
	for {
		p, ok := s.flags.FirstRunIn(start, last)
		if !ok || start < p.Start {
			return false // unmapped
		}
		missing := flags &^ p.Flags
		if missing&^base.PageWrite != 0 || missing&base.PageWrite != 0 && p.Flags&base.PageWriteOrg == 0 {
			return false
		}
		pLast := p.End - 1
		if last <= pLast {
			return true
		}
		start = pLast + 1
	}
}

// pageCheckRangeEmpty is page_check_range_empty(start, last)
// (user-exec.c:576): no page of [start, last] is mapped.
//
// Preconditions: called inside guard (a failed assertion aborts).
func (s *Guest) pageCheckRangeEmpty(start, last uint64) bool {
	if !(last >= start) {
		base.Raise("page_check_range_empty", "assertion failed: last >= start (start=%#x last=%#x)", start, last)
	}
	_, found := s.flags.FirstRunIn(start, last)
	return !found
}

// pageFindRangeEmpty is page_find_range_empty(min, max, len, align)
// (user-exec.c:583): the lowest x in [min, max] aligned to align with
// [x, x+len) unmapped and inside [min, max], or (vaddr)-1.
//
// Preconditions: called inside guard (a failed assertion aborts).
func (s *Guest) pageFindRangeEmpty(lo, hi, length, align uint64) uint64 {
	const notFound = ^uint64(0)
	switch {
	case !(lo <= hi):
		base.Raise("page_find_range_empty", "assertion failed: min <= max (min=%#x max=%#x)", lo, hi)
	case !(hi <= s.guestAddrMax):
		base.Raise("page_find_range_empty", "assertion failed: max <= guest_addr_max (max=%#x)", hi)
	case length == 0:
		base.Raise("page_find_range_empty", "assertion failed: len != 0")
	case align == 0 || align&(align-1) != 0:
		base.Raise("page_find_range_empty", "assertion failed: is_power_of_2(align) (align=%#x)", align)
	}
	lenM1, alignM1 := length-1, align-1
	for {
		// Align min and double-check there's enough space remaining.
		lo = (lo + alignM1) &^ alignM1
		if lo > hi || lenM1 > hi-lo {
			return notFound
		}
		p, ok := s.flags.FirstRunIn(lo, lo+lenM1)
		if !ok {
			return lo // found
		}
		pLast := p.End - 1
		if hi <= pLast {
			return notFound // an allocation fills the rest of the region
		}
		lo = pLast + 1
	}
}

// PageFlags returns the page flags of the guest page holding addr.
func (s *Guest) PageFlags(addr uint64) uint32 { return s.pageGetFlags(s.geom.ABIWord(addr)) }

// FlagRuns lists the runs of non-zero page flags in address order.
func (s *Guest) FlagRuns() []sim.FlagRun { return s.flags.Runs() }

// FlagRunsIn lists the runs of non-zero page flags overlapping [start, end).
func (s *Guest) FlagRunsIn(start, end uint64) []sim.FlagRun { return s.flags.RunsIn(start, end) }

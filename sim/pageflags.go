package sim

import "github.com/mmapsim/mmapsim/sim/internal/base"

// Page flags, one word per guest page, as QEMU's translate-all.c keeps them
// (page_set_flags/page_get_flags), in a base.PageFlags store.

// Page flag bits (QEMU's PAGE_*).
const (
	PageRead     = base.PageRead
	PageWrite    = base.PageWrite
	PageExec     = base.PageExec
	PageBits     = base.PageBits
	PageValid    = base.PageValid
	PageWriteOrg = base.PageWriteOrg
	// PageAnon marks private anonymous guest memory (later QEMU's
	// PAGE_ANON). The seed has no such bit (QuirkNoPageAnon); the fixed
	// algorithm records it, so it can tell private anonymous memory, which
	// it may copy, from file memory QEMU emulated with anonymous host
	// pages.
	PageAnon = base.PageAnon
	// PagePassthrough marks guest pages that target_mmap mapped straight
	// onto host pages (QEMU 7.2's PAGE_PASSTHROUGH), recorded only under
	// QuirkMadvisePassthrough, whose madvise reads it. Like PageAnon it
	// survives mprotect (7.2's PAGE_STICKY).
	PagePassthrough = base.PagePassthrough
)

// FlagRun is a run of guest pages with equal flags: guest addresses
// [Start, End), End possibly 1<<32 for a 32-bit guest.
type FlagRun = base.FlagRun

// pageGetFlags is page_get_flags(): the flags of the guest page holding addr.
func (s *Sim) pageGetFlags(addr uint64) uint32 { return s.flags.Get(addr) }

// pageSetFlags is page_set_flags(start, end, flags): QEMU asserts
// start < end and that end-1 lies in the guest space, then rounds both to
// target pages. Setting PAGE_WRITE sets PAGE_WRITE_ORG.
//
// Preconditions: called inside guard (a failed assertion aborts).
func (s *Sim) pageSetFlags(start, end uint64, flags uint32) {
	g := &s.geom
	if g.WordSpace && g.ABIWord(end-1) > g.GuestAddrMax() {
		// QEMU 7.2's first assertion (accel/tcg/translate-all.c).
		base.Raise("page_set_flags", "assertion failed: end - 1 <= GUEST_ADDR_MAX (end=%#x)", end)
	}
	if !(start < end) {
		base.Raise("page_set_flags", "assertion failed: start < end (start=%#x end=%#x)", start, end)
	}
	if g.VirtBits < 64 && end-1 >= 1<<g.VirtBits {
		base.Raise("page_set_flags", "assertion failed: end-1 (%#x) outside the %d-bit guest space", end-1, g.VirtBits)
	}
	first := (start & g.TargetPageMask()) / g.TargetPageSize
	alignedEnd := g.TargetPageAlign(end)
	var lim uint64
	if alignedEnd == 0 && end != 0 {
		lim = g.ABIMask/g.TargetPageSize + 1 // the end wrapped to the top of the space
	} else {
		lim = alignedEnd / g.TargetPageSize
	}
	if first < lim {
		s.flags.SetPages(first, lim, flags)
	}
}

// pageSetFlagsLast is the fixed page_set_flags(start, last, flags) of later
// QEMU, with an inclusive last address, so the top page of the space can be
// named.
func (s *Sim) pageSetFlagsLast(start, last uint64, flags uint32) {
	if start > last {
		base.Raise("page_set_flags", "assertion failed: start <= last (start=%#x last=%#x)", start, last)
	}
	s.flags.SetPages(start/s.geom.TargetPageSize, last/s.geom.TargetPageSize+1, flags)
}

// setFlags is page_set_flags(start, end, flags) as the seed calls it: with
// the top-page fix, an end that reached the top of a 32-bit space is named
// by its last byte instead of wrapping to 0.
func (s *Sim) setFlags(start, end uint64, flags uint32) {
	if !s.quirk(QuirkTopPageWrap) && end > s.geom.ABIMask && start <= s.geom.ABIMask {
		s.pageSetFlagsLast(start, end-1, flags)
		return
	}
	s.pageSetFlags(start, end, flags)
}

// flagsBetween ors the flags of every guest page with a byte in [from, to)
// : the seed's loops "for (addr = from; addr < to; addr += T) prot |=
// page_get_flags(addr)" (or addr++), run by runs.
func (s *Sim) flagsBetween(from, to uint64) int { return int(s.flags.Union(from, to)) }

// PageFlags returns the page flags of the guest page holding addr.
func (s *Sim) PageFlags(addr uint64) uint32 { return s.pageGetFlags(s.geom.ABIWord(addr)) }

// FlagRuns lists the runs of non-zero page flags in address order.
func (s *Sim) FlagRuns() []FlagRun { return s.flags.Runs() }

// FlagRunsIn lists the runs of non-zero page flags overlapping [start, end).
func (s *Sim) FlagRunsIn(start, end uint64) []FlagRun { return s.flags.RunsIn(start, end) }

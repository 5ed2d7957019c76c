package base

import "github.com/mmapsim/mmapsim/internal/runs"

// Page flag bits (QEMU's PAGE_*).
const (
	PageRead     = 0x01
	PageWrite    = 0x02
	PageExec     = 0x04
	PageBits     = PageRead | PageWrite | PageExec
	PageValid    = 0x08
	PageWriteOrg = 0x10
	// PageAnon marks private anonymous guest memory (later QEMU's
	// PAGE_ANON), so an algorithm can tell it from file memory it
	// emulated with anonymous host pages.
	PageAnon = 0x80
	// PagePassthrough marks guest pages mapped straight onto host pages
	// with the guest's semantics (QEMU 7.2's PAGE_PASSTHROUGH), where
	// MADV_DONTNEED may go to the host.
	PagePassthrough = 0x800
)

// FlagRun is a run of guest pages with equal flags.
type FlagRun struct {
	Start, End uint64 // guest addresses, half-open; End may be 1<<32 for a 32-bit guest
	Flags      uint32
}

// PageFlags is the emulator's view of the guest space: one flags word per
// guest page, as QEMU's page_get_flags/page_set_flags keep them. It is
// stored sparsely, as maximal runs of equal non-zero flags (package runs),
// so a 4 GiB RESERVED_VA or a 47-bit guest costs only the runs that exist.
//
// The methods take guest addresses (or, where they say so, page numbers)
// and do no width arithmetic: the algorithm rounds and wraps as its C does.
// The zero value is an empty, unusable store: it reads as all zero and
// ignores writes; NewPageFlags makes a usable one.
type PageFlags struct {
	pages    runs.Map // page number -> flags; pages absent are 0
	pageSize uint64   // TARGET_PAGE_SIZE; 0 in the zero value
}

// NewPageFlags returns an empty store for guest pages of pageSize bytes.
func NewPageFlags(pageSize uint64) PageFlags {
	return PageFlags{pages: runs.New(), pageSize: pageSize}
}

// Clone returns an independent copy in O(1).
func (f *PageFlags) Clone() PageFlags {
	if f.pageSize == 0 {
		return PageFlags{}
	}
	return PageFlags{pages: f.pages.Clone(), pageSize: f.pageSize}
}

// Get is page_get_flags(): the flags of the guest page holding addr.
func (f *PageFlags) Get(addr uint64) uint32 {
	if f.pageSize == 0 {
		return 0
	}
	return f.pages.Get(addr / f.pageSize)
}

// SetPages gives the guest pages numbered [first, end) the flags, as
// page_set_flags does after its rounding: setting PageWrite also sets
// PageWriteOrg. Flags 0 clears them.
func (f *PageFlags) SetPages(first, end uint64, flags uint32) {
	if f.pageSize == 0 {
		return
	}
	if flags&PageWrite != 0 {
		flags |= PageWriteOrg
	}
	f.pages.Set(first, end, flags)
}

// Union ors the flags of every guest page with a byte in [from, to): the
// C's loops "for (addr = from; addr < to; addr += TARGET_PAGE_SIZE) prot |=
// page_get_flags(addr)", run by runs.
func (f *PageFlags) Union(from, to uint64) uint32 {
	var flags uint32
	if from >= to || f.pageSize == 0 {
		return 0
	}
	f.pages.EachIn(from/f.pageSize, (to+f.pageSize-1)/f.pageSize, func(r runs.Run) bool {
		flags |= r.Val
		return true
	})
	return flags
}

// Runs lists the runs of non-zero flags in address order.
func (f *PageFlags) Runs() []FlagRun { return f.AppendRuns(nil) }

// AppendRuns appends the runs of non-zero flags, in address order, to dst.
func (f *PageFlags) AppendRuns(dst []FlagRun) []FlagRun {
	if f.pageSize == 0 {
		return dst
	}
	f.pages.Each(func(r runs.Run) bool {
		dst = append(dst, f.run(r))
		return true
	})
	return dst
}

// RunsIn lists the runs of non-zero flags overlapping [start, end), clipped
// to the guest pages holding a byte of it.
func (f *PageFlags) RunsIn(start, end uint64) []FlagRun { return f.AppendRunsIn(nil, start, end) }

// AppendRunsIn appends RunsIn(start, end) to dst.
func (f *PageFlags) AppendRunsIn(dst []FlagRun, start, end uint64) []FlagRun {
	if f.pageSize == 0 {
		return dst
	}
	f.pages.EachIn(start/f.pageSize, (end+f.pageSize-1)/f.pageSize, func(r runs.Run) bool {
		dst = append(dst, f.run(r))
		return true
	})
	return dst
}

// RunAt returns the whole run holding addr, if its flags are non-zero.
func (f *PageFlags) RunAt(addr uint64) (FlagRun, bool) {
	if f.pageSize == 0 {
		return FlagRun{}, false
	}
	r, ok := f.pages.At(addr / f.pageSize)
	if !ok {
		return FlagRun{}, false
	}
	return f.run(r), true
}

// PrevSetPage returns the number of the highest page below page n whose
// flags are non-zero.
func (f *PageFlags) PrevSetPage(n uint64) (uint64, bool) {
	if f.pageSize == 0 {
		return 0, false
	}
	return f.pages.PrevSet(n)
}

// MovePages moves the flags of pages [first, first+n) to start at page to,
// clearing both what was at the destination and the source.
//
// Preconditions: the two ranges do not overlap.
func (f *PageFlags) MovePages(first, n, to uint64) {
	if f.pageSize == 0 {
		return
	}
	f.pages.Move(first, n, to)
}

// FirstHole returns the first address in [start, end) whose page is not
// valid (PageValid clear), or end when every page is.
func (f *PageFlags) FirstHole(start, end uint64) uint64 {
	if f.pageSize == 0 {
		return start
	}
	at := start
	hole := end
	f.pages.EachIn(start/f.pageSize, (end+f.pageSize-1)/f.pageSize, func(r runs.Run) bool {
		if r.First*f.pageSize > at || r.Val&PageValid == 0 {
			hole = max(at, start)
			return false
		}
		at = r.End * f.pageSize
		return true
	})
	if hole == end && at < end {
		hole = at
	}
	return hole
}

// AllValid reports whether every guest page in [start, end) is mapped
// (PageValid).
func (f *PageFlags) AllValid(start, end uint64) bool { return f.FirstHole(start, end) >= end }

// AllHave reports whether every guest page holding a byte of [start, end)
// has all the flags need: access_ok()'s page_check_range().
func (f *PageFlags) AllHave(start, end uint64, need uint32) bool {
	if f.pageSize == 0 {
		return false
	}
	ok := true
	at := start &^ (f.pageSize - 1)
	f.pages.EachIn(start/f.pageSize, (end+f.pageSize-1)/f.pageSize, func(r runs.Run) bool {
		if r.First*f.pageSize > at || r.Val&need != need {
			ok = false
			return false
		}
		at = r.End * f.pageSize
		return true
	})
	return ok && at >= end
}

// UnusedHostPage returns the first host page (of hostPage bytes) in the
// guest range [lo, hi) none of whose guest pages has flags.
func (f *PageFlags) UnusedHostPage(lo, hi, hostPage uint64) (uint64, bool) {
	lo &^= hostPage - 1
	hi = (hi + hostPage - 1) &^ (hostPage - 1) // whole host pages: a page is used if any guest page of it is
	if f.pageSize == 0 {
		return lo, lo < hi
	}
	at := lo // the first host page not yet known to be used
	found, page := false, uint64(0)
	f.pages.EachIn(lo/f.pageSize, (hi+f.pageSize-1)/f.pageSize, func(r runs.Run) bool {
		first := (r.First * f.pageSize) &^ (hostPage - 1)
		if first > at {
			found, page = true, at
			return false
		}
		at = max(at, (r.End*f.pageSize+hostPage-1)&^(hostPage-1))
		return true
	})
	if !found && at < hi {
		return at, true
	}
	return page, found
}

func (f *PageFlags) run(r runs.Run) FlagRun {
	return FlagRun{Start: r.First * f.pageSize, End: r.End * f.pageSize, Flags: r.Val}
}

// Later QEMU names ranges by their last byte (inclusive), so the top page
// of the space can be named: these take [start, last].

// RunsInLast lists the runs of non-zero flags overlapping the guest bytes
// [start, last], clipped to the guest pages holding a byte of it.
func (f *PageFlags) RunsInLast(start, last uint64) []FlagRun {
	var out []FlagRun
	if f.pageSize == 0 || start > last {
		return nil
	}
	f.pages.EachIn(start/f.pageSize, last/f.pageSize+1, func(r runs.Run) bool {
		out = append(out, f.run(r))
		return true
	})
	return out
}

// FirstRunIn returns the lowest run of non-zero flags overlapping the guest
// bytes [start, last], whole (not clipped): what an interval-tree search
// for [start, last] finds first.
func (f *PageFlags) FirstRunIn(start, last uint64) (FlagRun, bool) {
	var first runs.Run
	found := false
	if f.pageSize == 0 || start > last {
		return FlagRun{}, false
	}
	f.pages.EachIn(start/f.pageSize, last/f.pageSize+1, func(r runs.Run) bool {
		first, found = r, true
		return false
	})
	if !found {
		return FlagRun{}, false
	}
	whole, _ := f.pages.At(first.First)
	return f.run(whole), true
}

package props

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/internal/runs"
)

// Pages whose contents may legitimately differ. Two maps of guest pages
// record them (System.taint, System.snapshot); the content comparisons
// skip them, and the rules consult them. Both move with a mapping that
// mremap moves and are cleared where a new mapping is made.

// unknownPage reports whether the contents of the guest page holding p
// may differ: tainted by an earlier divergence, or a copy of file data
// (snapshot) while some file has changed since the run began.
func (s *System) unknownPage(p uint64) bool {
	return s.taint.Get(p/s.targetPage) != 0 || s.fileChanged && s.snapshot.Get(p/s.targetPage) != 0
}

// nextUnknown returns the first guest page number in [first, end) whose
// page is an unknownPage, or end if there is none: one look at each map
// for a run of pages, where unknownPage looks at each page.
func (s *System) nextUnknown(first, end uint64) uint64 {
	next := end
	firstSet := func(m runs.Map) {
		m.EachIn(first, next, func(r runs.Run) bool {
			next = max(r.First, first)
			return false
		})
	}
	firstSet(s.taint)
	if s.fileChanged {
		firstSet(s.snapshot)
	}
	return next
}

// snapshotIn reports whether [addr, addr+n) holds pages QEMU filled with a
// copy of file data.
func (s *System) snapshotIn(addr, n uint64) bool {
	return s.snapshot.Any(addr/s.targetPage, (addr+n+s.targetPage-1)/s.targetPage)
}

// taintSnapshots taints the snapshot pages in [start, end): the guest
// kernel dropped them back to their file (MADV_DONTNEED), QEMU kept its
// copy.
func (s *System) taintSnapshots(start, end uint64) {
	if end <= start {
		return
	}
	s.snapshot.EachIn(start/s.targetPage, (end+s.targetPage-1)/s.targetPage, func(r runs.Run) bool {
		s.taint.Set(r.First, r.End, 1)
		return true
	})
}

// mapped records a new mapping of length bytes at addr that both systems
// made: its pages are known again, those QEMU filled from the file are
// snapshots (fd is the guest kernel's descriptor of the file it maps, at
// offset off, or -1), and so are private file neighbours on the host pages
// it shares (QEMU writes the new fragments into those host pages, and the
// host copies them).
//
// Preconditions: both systems made the mapping.
func (s *System) mapped(addr, length uint64, fd int, off uint64) {
	t, h := s.targetPage, s.hostPage
	s.taint.Set(addr/t, (addr+length+t-1)/t, 0)
	s.snapshot.Set(addr/t, (addr+length+t-1)/t, 0)
	if fd >= 0 {
		s.markSnapshots(addr, length, off)
		s.markEOFStandIn(addr, length, fd, off)
	}
	end := addr + (length+t-1)&^(t-1)
	s.privateFileNeighbours(addr&^(h-1), addr)
	s.privateFileNeighbours(end, (end+h-1)&^(h-1))
}

// moved carries the marks of n bytes of pages that mremap moved from old
// to addr: of the parts the guest kernel had mapped there before the call
// (pieces), since a move of several pieces (MREMAP_FIXED with equal
// lengths) leaves the destination's gaps as they were.
//
// With MREMAP_DONTUNMAP (dontUnmap) the old range stays mapped and empty:
// a private file mapping reads its file there again on the guest kernel,
// where QEMU's copy of file data, anonymous memory on the host, reads
// zeros, so those pages of the old range are tainted.
//
// Preconditions: both systems moved the mapping.
func (s *System) moved(pieces []hostvm.Mapping, old, addr, n uint64, dontUnmap bool) {
	t := s.targetPage
	if addr == old || n == 0 {
		return
	}
	for _, m := range pieces {
		lo, hi := max(uint64(m.Start), old), min(uint64(m.End), old+n)
		pages := (hi - lo + t - 1) / t
		var dropped []runs.Run
		if dontUnmap {
			s.snapshot.EachIn(lo/t, lo/t+pages, func(r runs.Run) bool {
				dropped = append(dropped, r)
				return true
			})
		}
		s.snapshot.Move(lo/t, pages, (addr+lo-old)/t)
		s.taint.Move(lo/t, pages, (addr+lo-old)/t)
		for _, r := range dropped {
			s.taint.Set(r.First, r.End, 1)
		}
	}
}

// markSnapshots records which pages of a file mapping at addr QEMU filled
// by reading the file: pages on host pages shared with other guest pages,
// and every page when the offset is not congruent modulo the host page.
//
// Preconditions: the mapping [addr, addr+length) of the file at offset
// off was just made.
func (s *System) markSnapshots(addr, length, off uint64) {
	if s.ownLayout() {
		return // QEMU's pread emulation: an algorithm with its own catalogue names its copies
	}
	h, t := s.hostPage, s.targetPage
	end := addr + ((length + t - 1) &^ (t - 1))
	if addr%h != off%h {
		s.snapshot.Set(addr/t, end/t, 1)
		return
	}
	if addr%h != 0 {
		s.snapshot.Set(addr/t, min(end, (addr+h)&^(h-1))/t, 1)
	}
	if end%h != 0 {
		s.snapshot.Set(max(addr, end&^(h-1))/t, end/t, 1)
	}
}

// markEOFStandIn marks as a snapshot the target page holding end-of-file
// in a file mapping on a host whose pages are smaller than the target's:
// QEMU maps the file up to the host page holding end-of-file and lays
// anonymous memory over the rest of that target page (compare seed 426,
// sim.targetMmap), which the guest may read but which does not see the
// file grow later (ftruncate, pwrite), where the guest kernel's page does.
//
// Preconditions: the mapping [addr, addr+length) of the file open as fd
// in the guest kernel, at offset off, was just made.
func (s *System) markEOFStandIn(addr, length uint64, fd int, off uint64) {
	t, h := s.targetPage, s.sim.Host().PageSize()
	if h >= t || s.ownLayout() {
		return
	}
	st, err := s.ref.Fstat(fd)
	if err != nil || uint64(st.Size) <= off {
		return
	}
	rel := uint64(st.Size) - off
	if rel%t == 0 || rel >= length {
		return
	}
	page := (addr + rel) &^ (t - 1)
	s.snapshot.Set(page/t, page/t+1, 1)
}

// privatizeHostPages marks as snapshots the private file pages sharing a
// host page with the stored-to range [addr, addr+n): the host copies whole
// host pages on a write, so they stop seeing changes to their file.
func (s *System) privatizeHostPages(addr, n uint64) {
	h := s.hostPage
	s.privateFileNeighbours(addr&^(h-1), (addr+n+h-1)&^(h-1))
}

// privateFileNeighbours marks as snapshots the guest kernel's private file
// pages in [lo, hi).
func (s *System) privateFileNeighbours(lo, hi uint64) {
	if hi <= lo || s.ownLayout() {
		return
	}
	for _, m := range s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(lo), End: hostvm.Addr(hi)}) {
		if !m.Shared && !m.Anonymous {
			s.snapshot.Set(max(uint64(m.Start), lo)/s.targetPage, min(uint64(m.End), hi)/s.targetPage, 1)
		}
	}
}

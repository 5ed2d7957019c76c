package box64

import "github.com/mmapsim/mmapsim/hostvm"

// The edge emulation of my_mmap64 (wrappedlibc.c:3722-3804): a MAP_FIXED
// private anonymous mapping that covers its first or last host page only in
// part. The host pages it covers whole are mapped by the host; the edge
// host pages stay as they are (other guest pages live there), get the union
// of their old protection and the new one (the host cannot protect their 4K
// pages apart), and the new guest pages in them are zeroed in place.

// edgePages says which edge host pages my_mmap64 emulated and with which
// protection (emulated_first_edge, first_edge_page, first_edge_prot and
// their last_ twins).
type edgePages struct {
	first, last         bool
	firstPage, lastPage uint64
	firstProt, lastProt int
}

// edgesEmulated is the condition of 3726-3731: on a host with larger pages,
// a MAP_FIXED|MAP_ANONYMOUS|MAP_PRIVATE mapping at offset 0 on a 4K
// boundary that covers an edge host page only in part, each such edge host
// page known to box64 (memExist at both its ends).
func (b *Box64) edgesEmulated(r mmapRange, length uint64, flags hostvm.MapFlags, offset int64) bool {
	p := b.pageSize()
	return p > x86PageSize && r.start != 0 && length != 0 && r.end > r.start && r.mappedEnd >= r.end &&
		r.start&(x86PageSize-1) == 0 && flags&hostvm.MapFixed != 0 && flags&hostvm.MapAnonymous != 0 &&
		flags&hostvm.MapPrivate != 0 && flags&hostvm.MapShared == 0 && offset == 0 && r.hostEnd != 0 &&
		(r.start != r.hostStart || r.mappedEnd != r.hostEnd) &&
		(r.start == r.hostStart || b.prot.memExist(r.hostStart) && b.prot.memExist(r.hostStart+p-1)) &&
		(r.mappedEnd == r.hostEnd || b.prot.memExist(r.hostEnd-p) && b.prot.memExist(r.hostEnd-1))
}

// edgeHostProt is 3741-3742 (and 3754-3755, 3783-3784, 3791-3792): the
// host protection of an edge page, box64's bits off, PROT_WRITE implying
// PROT_READ.
func edgeHostProt(prot int) int {
	hp := prot &^ protCustom
	if hp&protWrite != 0 {
		hp |= protRead
	}
	return hp
}

// mmapWithEdges is 3732-3804. It returns the address (addr) or mapFailed,
// errno, and the edges it emulated.
//
// Preconditions: edgesEmulated(r, ...) holds.
func (b *Box64) mmapWithEdges(r mmapRange, prot int, flags hostvm.MapFlags, fd int, offset int64) (uint64, hostvm.Errno, edgePages) {
	p := b.pageSize()
	var ed edgePages
	fullStart := r.hostStart + p // 3732
	if r.start == r.hostStart {
		fullStart = r.start
	}
	fullEnd := r.mappedEnd &^ (p - 1) // 3733
	failed := false
	var saved hostvm.Errno

	if r.start != r.hostStart { // 3737-3748: open the first edge for writing
		ed.firstPage = r.hostStart
		ed.firstProt = prot | b.prot.getProtection(r.hostStart)
		if !b.libc.Mprotect(hostvm.Addr(r.hostStart), p, edgeHostProt(ed.firstProt)|protRead|protWrite) {
			failed, saved = true, b.libc.Errno
		} else {
			ed.first = true
		}
	}
	ed.lastPage = r.hostEnd - p // 3750
	lastEdge := r.mappedEnd != r.hostEnd && (!ed.first || ed.lastPage != ed.firstPage)
	if !failed && lastEdge { // 3751-3761: and the last
		ed.lastProt = prot | b.prot.getProtection(ed.lastPage)
		if !b.libc.Mprotect(hostvm.Addr(ed.lastPage), p, edgeHostProt(ed.lastProt)|protRead|protWrite) {
			failed, saved = true, b.libc.Errno
		} else {
			ed.last = true
		}
	}
	if !failed && fullStart < fullEnd && // 3763-3767: the whole host pages
		b.boxMmap(fullStart, fullEnd-fullStart, prot, flags, fd, offset) == mapFailed {
		failed, saved = true, b.libc.Errno
	}
	// 3769-3780: zero the new guest pages of the edges, but not Wine's
	// reservations (PROT_NONE|MAP_NORESERVE), which may still be
	// MAP_SHARED memory whose backing object a memset would change.
	if !failed && (!b.opts.Wine || prot != 0 || flags&hostvm.MapNoReserve == 0) {
		if ed.first {
			edgeEnd := min(r.mappedEnd, r.hostStart+p)
			b.memset("my_mmap64", r.start, edgeEnd-r.start)
		}
		if lastEdge {
			edgeStart := max(r.start, ed.lastPage)
			b.memset("my_mmap64", edgeStart, r.mappedEnd-edgeStart)
		}
	}
	if ed.last { // 3782-3789: the edges get their union
		if !b.libc.Mprotect(hostvm.Addr(ed.lastPage), p, edgeHostProt(ed.lastProt)) && !failed {
			failed, saved = true, b.libc.Errno
		}
	}
	if ed.first { // 3790-3797
		if !b.libc.Mprotect(hostvm.Addr(ed.firstPage), p, edgeHostProt(ed.firstProt)) && !failed {
			failed, saved = true, b.libc.Errno
		}
	}
	if failed { // 3799-3804
		b.libc.Errno = saved
		return mapFailed, saved, ed
	}
	return r.start, b.libc.Errno, ed
}

// memset is box64's memset(addr, 0, n) on host memory. box64 dies if the
// host page refuses the store.
//
// Preconditions: called inside run.
func (b *Box64) memset(fn string, addr, n uint64) {
	if n == 0 {
		return
	}
	if f := b.libc.Memset(hostvm.Addr(addr), n); f != nil {
		crash(fn, f)
	}
}

package sim

import "github.com/mmapsim/mmapsim/hostvm"

// mmapFindVMAReserved is mmap_find_vma_reserved(): a top-down search of the
// page flags of the reserved guest space, one host page at a time, from
// start+size down, wrapping once to the top. Compare QEMU
// linux-user/mmap.c:mmap_find_vma_reserved() (seed lines 211-254).
func (s *Sim) mmapFindVMAReserved(start, size uint64) uint64 {
	return s.findTopDown(start, size, s.cfg.ReservedVA)
}

// findTopDown is mmap_find_vma_reserved's search, with the top of the space
// searched (RESERVED_VA in the seed) as a parameter.
//
// Preconditions: the mmap lock is held; start is host-page aligned;
// reserved is a non-zero multiple of the host page.
func (s *Sim) findTopDown(start, size, reserved uint64) uint64 {
	g := &s.geom
	looped := false
	if size > reserved {
		return s.minusOne()
	}
	size = g.HostPageAlign(size)
	endAddr := s.rangeEnd(start + size)
	if endAddr > reserved {
		endAddr = s.rangeEnd(reserved)
	}
	addr := g.ABIWord(endAddr - g.HostPageSize)
	// The fix keeps the search at or above mmap_min_addr (and off page 0).
	low := uint64(0)
	if !s.quirk(QuirkFindVMAReservedZero) {
		low = max(g.HostPageAlign(s.cfg.MmapMinAddr), g.HostPageSize)
	}
	for {
		if addr > endAddr || addr < low {
			if looped {
				return s.minusOne()
			}
			endAddr = s.rangeEnd(reserved)
			addr = g.ABIWord(endAddr - g.HostPageSize)
			looped = true
			continue
		}
		if s.hostPageUsed(addr) {
			endAddr = addr
			if s.rangeEnd(size) != 0 {
				// On every used host page below, down to the stretch's
				// lowest, the loop only moves endAddr there: the stop
				// test (addr+size == endAddr == addr) needs a size of 0
				// modulo the ABI's width. Go there at once.
				addr = s.usedStretchStart(addr, low)
				endAddr = addr
			}
		}
		if s.rangeEnd(addr+size) == endAddr {
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
// number of host pages in use rather than the size of the space. From addr
// down, the loop's next event is the first of: the address where
// addr+size == endAddr (it stops), a host page in use (endAddr moves), or
// falling below low or through zero (it wraps); every step between only
// decrements addr.
//
// Preconditions: addr, endAddr, size and low are host-page aligned.
func (s *Sim) skipDown(addr, endAddr, size, low uint64) uint64 {
	g := &s.geom
	next := g.ABIWord(addr - g.HostPageSize)
	if next > addr || next < low {
		return next // the loop's wrap branch takes it from here
	}
	best := g.ABIWord(low - g.HostPageSize) // below low (or through zero): wrap
	if endAddr >= size {
		if stop := endAddr - size; stop < addr && stop >= low {
			best = stop
		}
	}
	if used, ok := s.usedHostPageBelow(addr); ok && used >= low && used >= best {
		best = used // the loop crosses the stretch in use from there (usedStretchStart)
	}
	return best
}

// hostPageUsed is mmap_find_vma_reserved's test of the host page at addr:
// with QuirkFindVMAFirstPage, its first guest page has flags (the seed
// tests only that page); otherwise any of its guest pages has.
func (s *Sim) hostPageUsed(addr uint64) bool {
	if s.quirk(QuirkFindVMAFirstPage) {
		return s.pageGetFlags(addr) != 0
	}
	return s.flagsBetween(addr, s.rangeEnd(addr+s.geom.HostPageSize)) != 0
}

// usedStretchStart returns the lowest host page at or above low from which
// every host page up to addr is in use (hostPageUsed): where the walk down
// from addr, one host page at a time, meets the first free one or low. A
// run of flagged guest pages is crossed in one step: every host page whose
// first guest page lies in it is in use under either test.
//
// Preconditions: the host page at addr is in use; addr >= low; both are
// host-page aligned.
func (s *Sim) usedStretchStart(addr, low uint64) uint64 {
	hp := s.geom.HostPageSize
	for addr-low >= hp {
		below := addr - hp
		if r, ok := s.flags.RunAt(below); ok {
			if a := max(s.geom.HostPageAlign(r.Start), low); a < below {
				addr = a
				continue
			}
		}
		if !s.hostPageUsed(below) {
			break
		}
		addr = below
	}
	return addr
}

// usedHostPageBelow returns the highest host page below addr that
// mmap_find_vma_reserved counts as in use: with QuirkFindVMAFirstPage, one
// whose first guest page has flags (the seed tests only that page);
// otherwise one with any guest page flagged.
func (s *Sim) usedHostPageBelow(addr uint64) (uint64, bool) {
	g := &s.geom
	n := addr / g.TargetPageSize
	for {
		p, ok := s.flags.PrevSetPage(n)
		if !ok {
			return 0, false
		}
		hp := (p * g.TargetPageSize) &^ (g.HostPageSize - 1)
		if !s.quirk(QuirkFindVMAFirstPage) || s.pageGetFlags(hp) != 0 {
			return hp, true
		}
		n = hp / g.TargetPageSize
	}
}

// mmapFindVMA is mmap_find_vma(): find (and, without RESERVED_VA, reserve
// with a PROT_NONE host mapping) size bytes of free guest space from start.
// Without RESERVED_VA it asks the host kernel, using start as a hint, and
// retries when the host's answer is outside the guest space. Compare QEMU
// linux-user/mmap.c:mmap_find_vma() (seed lines 263-367). It returns the
// guest address, or (abi_ulong)-1.
//
// Preconditions: the mmap lock is held (as the seed's comment at line 260
// requires); start and size are abi_ulong values.
func (s *Sim) mmapFindVMA(start, size uint64) uint64 {
	g := &s.geom
	var ptr, prev hostvm.Addr
	var addr uint64
	var wrapped, repeat int
	// If 'start' == 0, then a default start address is used.
	if start == 0 {
		start = s.mmapNextStart
	} else {
		start &= g.HostPageMask()
		if start < s.cfg.MmapMinAddr && !s.quirk(QuirkFindVMAHintMinAddr) {
			// The fix: Linux's round_hint_to_min(), in guest terms.
			start = g.HostPageAlign(s.cfg.MmapMinAddr)
		}
	}
	size = g.HostPageAlign(size)
	if size == 0 && !s.quirk(QuirkFindVMAZeroSize) {
		return s.minusOne() // nothing is found for nothing (QEMU 7.2's search finds no room of size 0)
	}
	if s.cfg.ReservedVA != 0 {
		return s.mmapFindVMAReserved(start, size)
	}
	// The host's answer must be aligned for the guest: the seed accepts a
	// target page (line 311), QEMU 7.2 a host page (mmap.c:330 "align =
	// MAX(align, qemu_host_page_size)", :373), as every later call on the
	// mapping works in host pages.
	align, alignMask := g.HostPageSize, g.HostPageMask()
	if s.quirk(QuirkFindVMATargetAlign) {
		align, alignMask = g.TargetPageSize, g.TargetPageMask()
	}
	addr = start
	for ; ; prev = ptr {
		// Reserve needed memory area to avoid a race (seed 290).
		var ok bool
		ptr, ok = s.libc.Mmap(g.G2H(addr), size, 0,
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
		if g.H2GValid((uint64(ptr) + size - 1) & g.HostMask) {
			addr = g.H2G(ptr)
			if addr&^alignMask == 0 {
				// Success.
				if start == s.mmapNextStart && addr >= s.cfg.TaskUnmappedBase {
					s.mmapNextStart = s.rangeEnd(addr + size)
				}
				return addr
			}
			// The address is not properly aligned for the target.
			switch repeat {
			case 0:
				addr = (addr + align - 1) & alignMask // ROUND_UP, as abi_ulong
			case 1:
				addr &= alignMask
			case 2:
				addr = 0
			default:
				addr = s.minusOne()
			}
		} else {
			// Since the result the kernel gave didn't fit, start again
			// at low memory. If any repetition, fail.
			if repeat != 0 {
				addr = s.minusOne()
			} else {
				addr = 0
			}
		}
		// Unmap and try again.
		s.libc.Munmap(ptr, size)
		// ENOMEM if we checked the whole of the target address space.
		switch {
		case addr == s.minusOne():
			return s.findVMAFallback(size)
		case addr == 0:
			if wrapped != 0 {
				return s.findVMAFallback(size)
			}
			wrapped = 1
			// Don't actually use 0 when wrapping, instead indicate that
			// we'd truly like an allocation in low memory.
			if s.cfg.MmapMinAddr > g.TargetPageSize {
				addr = g.TargetPageAlign(s.cfg.MmapMinAddr)
			} else {
				addr = g.TargetPageSize
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
// MAP_FIXED_NOREPLACE, moving on below anything the host has there, and
// gives up after 64 refusals (a host holding that many places the guest's
// page flags call free holds the emulator's own memory there).
func (s *Sim) findVMAFallback(size uint64) uint64 {
	if s.quirk(QuirkFindVMAProbe) {
		return s.minusOne()
	}
	g := &s.geom
	top := s.geom.GuestAddrMax()&g.HostPageMask() + g.HostPageSize
	if g.ABIMask == ^uint64(0) && top == 0 {
		top = g.HostPageMask()
	}
	start := top
	for tries := 0; tries < 64; tries++ {
		addr := s.findTopDown(start, size, top)
		if addr == s.minusOne() || addr > start && tries > 0 { // above start: it wrapped to the top
			return s.minusOne()
		}
		p, ok := s.libc.Mmap(g.G2H(addr), size, 0,
			hostvm.MapAnonymous|hostvm.MapPrivate|hostvm.MapNoReserve|hostvm.MapFixedNoReplace, -1, 0)
		if ok && p == g.G2H(addr) {
			return addr
		}
		// The host has something there: search below it (findTopDown
		// looks at [start, start+size) first).
		if addr < size {
			return s.minusOne()
		}
		start = addr - size
	}
	return s.minusOne()
}

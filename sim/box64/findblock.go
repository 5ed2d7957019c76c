package box64

import "github.com/mmapsim/mmapsim/hostvm"

// box64's own search for free address space (custommem.c:2952-3059), over
// mapallmem: what box64 believes is free, not what the host has. box_mmap
// uses it to move a mapping the host placed too high (above 47 bits), and
// for MAP_32BIT.

// The search's landmarks (custommem.c:2952-2955).
const (
	lowest     = 0x10000    // LOWEST
	wineLowest = 0x30000000 // WINE_LOWEST
	medium     = 0x40000000 // MEDIUM
	high       = 0x60000000 // HIGH
)

// findFreeRange is rb_find_free_range(mapallmem, start, end, size, mask,
// &cur): the first address at or above start, where a free range of size
// bytes begins that ends by end. Its body is not in the excerpts; this
// follows the loop it replaced in custommem.c's find31bitBlockNearHint of
// earlier box64 (candidate start itself, then each end of a known range
// rounded up to mask+1), and checks the range fits below end, as the
// function's bounds say. The C loop restarts from 0 when the rounding
// wraps; the port stops there.
func (p *protection) findFreeRange(start, end, size, mask uint64) (uint64, bool) {
	cur := start
	for cur < end {
		there, _, bend := p.getEnd(p.mapallmem, cur)
		if !there && bend-cur >= size && size <= end-cur {
			return cur, true
		}
		next := (bend + mask) &^ mask // "granularity 0x10000"
		if next <= cur {
			return 0, false
		}
		cur = next
	}
	return 0, false
}

// find31bitBlockNearHint is custommem.c:2969: a free range below 3 GiB (4
// GiB for a hint above that), from the hint up, then (without a hint)
// from LOWEST up to WINE_LOWEST. catchup_brk_protection (2972) is not
// modelled: box64 learns of the heap through its ELF loader's pointer to
// the guest's break, which mmapsim does not load.
func (p *protection) find31bitBlockNearHint(hint, size, mask uint64) uint64 {
	cur := hint
	if hint < lowest { // 2974
		cur = wineLowest
	}
	upper := uint64(0xc0000000)
	if cur > upper { // 2977
		upper = 0x100000000
	}
	if mask == 0 {
		mask = 0xffff
	}
	if a, ok := p.findFreeRange(cur, upper, size, mask); ok { // 2979
		return a
	}
	if hint != 0 { // 2981
		return 0
	}
	if a, ok := p.findFreeRange(lowest, cur, size, mask); ok { // 2984
		return a
	}
	return 0
}

// find47bitBlock is custommem.c:2997: from HIGH up to 47 bits, else below
// 3 GiB from MEDIUM, else from LOWEST.
func (p *protection) find47bitBlock(size uint64) uint64 {
	ret := p.find47bitBlockNearHint(high, size, 0)
	if ret == 0 {
		ret = p.find31bitBlockNearHint(medium, size, 0)
	}
	if ret == 0 {
		ret = p.find31bitBlockNearHint(lowest, size, 0)
	}
	return ret
}

// find47bitBlockNearHint is custommem.c:3006.
func (p *protection) find47bitBlockNearHint(hint, size, mask uint64) uint64 {
	if hint < lowest { // 3010
		hint = lowest
	}
	if mask == 0 {
		mask = 0xffff
	}
	if a, ok := p.findFreeRange(hint, 0x800000000000, size, mask); ok { // 3013
		return a
	}
	return 0
}

// isBlockFree is custommem.c:3049: whether box64 believes size bytes from
// hint are free.
func (p *protection) isBlockFree(hint, size uint64) bool {
	there, _, bend := p.getEnd(p.mapallmem, hint)
	return !there && bend-hint >= size
}

// loadProtectionFromMap is custommem.c:2800: once per process (box64_mapclean),
// every host mapping goes into mapallmem as MEM_EXTERNAL, and box64
// decides whether the space has 48 bits. Its clean-up of stale external
// ranges (2816-2824) never runs: prev is declared inside the loop (2814),
// so it only ever looks at address 0. The program break it notes from
// "[heap]" (2828) feeds catchup_brk_protection, which is not modelled.
func (b *Box64) loadProtectionFromMap() {
	if b.mapclean { // 2803
		return
	}
	for _, m := range b.libc.Host.MappingsIn(hostvm.Range{Start: 0, End: hostvm.Addr(^uint64(0))}) {
		b.prot.allocProtection(uint64(m.Start), uint64(m.End-m.Start)) // 2827
		if m.Start > 0x7fff00000000 {                                  // 2830
			b.have48bits = true
		}
	}
	if !b.have48bits { // 2834-2842: a probe at the top of 47 bits
		probe, ok := b.libc.Mmap(0x7fff00000000, b.pageSize(), 0,
			hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapNoReserve, -1, 0)
		if ok {
			if probe >= 0x7fff00000000 {
				b.have48bits = true
			}
			b.libc.Munmap(probe, b.pageSize())
		}
	}
	b.mapclean = true // 2857
}

//go:build linux

package qemudiff

import (
	"math/rand"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
)

// gen draws the calls of one sequence. It aims at the machine's handles (the
// addresses earlier calls returned on sim) and at a window of guest space
// below lay.Top, where the guest's own memory is not; a few calls aim at
// the top of the guest space, for the range checks.
//
// An x86-64 guest runs without RESERVED_VA: QEMU 7.2 asks the host kernel
// for every placement, with mmap_next_start (or the guest's hint) as the
// hint, and takes whatever the kernel answers. Where the hint's range is
// taken, the kernel's answer is its own top-down choice below QEMU's
// libraries, which address-space randomisation moves from run to run: no
// model can predict it. So the generator keeps those hints free (on sim,
// whose state is QEMU's while they agree): fixed mappings and in-place
// growth stay below mmap_next_start (area), and a hint is drawn only where
// its host pages are free (freeHint).
type gen struct {
	r *rand.Rand
	m *machine
}

const pg = 4096

// window is the part of the guest space the sequences use: the 16 MiB
// below the start-up mappings.
func (g *gen) window() (lo, hi uint64) { return g.m.lay.window() }

// area reports whether [a, a+n) lies where the sequences may map with
// MAP_FIXED: the window; for x86-64 also the part of the space above the
// start-up mappings that placements have used (below mmap_next_start).
func (g *gen) area(a, n uint64) bool {
	lo, hi := g.window()
	if a >= lo && a+n <= hi && a+n >= a {
		return true
	}
	if g.m.lay.Reserved != 0 {
		return false
	}
	next := g.m.sim.(*sim.Sim).MmapNextStart()
	return a >= g.m.lay.End && a+n <= next && a+n >= a
}

// freeHint reports whether the hint of the non-fixed mmap c is free on
// sim's host where mmap_find_vma probes it: host_len bytes, the length
// rounded to host pages with the offset's part of a host page added
// (target_mmap), from the hint's host page. See gen.
func (g *gen) freeHint(c *call) bool {
	h := g.m.lay.H
	n := (c.Len + pg - 1) &^ (pg - 1)
	if c.File >= 0 {
		n += c.Off & (h - 1)
	}
	lo := c.Addr &^ (h - 1)
	hi := (lo + n + h - 1) &^ (h - 1)
	return hi > lo && hi <= g.m.lay.SpaceEnd && len(g.m.k.MappingsIn(hostvm.Range{Start: hostvm.Addr(lo + g.m.sim.GuestBase()),
		End: hostvm.Addr(hi + g.m.sim.GuestBase())})) == 0
}

func (g *gen) pick(n int) int { return g.r.Intn(n) }

// length draws a length: a few pages mostly, sometimes 0 or tens of pages,
// sometimes with a byte remainder.
func (g *gen) length() uint64 {
	var n uint64
	switch r := g.pick(20); {
	case r < 13:
		n = uint64(g.pick(8)+1) * pg
	case r < 17:
		n = uint64(g.pick(40)+1) * pg
	case r < 18:
		n = 0
	default:
		n = uint64(g.pick(256)+1) * pg
	}
	if g.pick(12) == 0 {
		n += uint64(g.pick(pg))
	}
	return n
}

// where draws an address for a range of n bytes: near a handle mostly,
// else anywhere in the window; the range is kept inside the window.
func (g *gen) where(n uint64) uint64 {
	lo, hi := g.window()
	var a uint64
	switch r := g.pick(10); {
	case r < 7 && len(g.m.handles) > 0:
		h := g.m.handles[g.pick(len(g.m.handles))]
		a = h.addr + uint64(int64(g.pick(48)-16)*pg)
		if g.pick(3) == 0 && h.len > pg {
			a = h.addr + uint64(g.pick(int(h.len/pg)))*pg
		}
	case r < 9:
		a = hi - uint64(g.pick(256)+1)*pg
	default:
		a = lo + uint64(g.pick(int((hi-lo)/pg)))*pg
	}
	if g.pick(20) == 0 {
		a += uint64(g.pick(pg))
	}
	if !g.area(a, n) {
		a = hi - n
		a &^= pg - 1
		if n > hi-lo {
			a = lo
		}
	}
	return a
}

// top draws an address at the top of the guest space, in or just past
// its end (RESERVED_VA, or 1<<47).
func (g *gen) top() uint64 {
	end := g.m.lay.SpaceEnd
	if g.pick(3) == 0 {
		return end + uint64(g.pick(4))*pg
	}
	return end - uint64(g.pick(9))*pg
}

func (g *gen) prot() uint64 {
	p := uint64(g.pick(8))
	switch g.pick(40) {
	case 0:
		p |= 0x10 // no such bit
	case 1:
		p |= 0x8 // PROT_SEM
	}
	return p
}

// next draws the next call, its values in the guest's word.
func (g *gen) next() call {
	c := g.draw()
	for _, v := range []*uint64{&c.Addr, &c.Len, &c.NewLen, &c.NewAddr, &c.Off} {
		*v &= g.m.lay.Arch.wordMask()
	}
	return c
}

func (g *gen) draw() call {
	c := call{File: -1}
	k := g.pick(100)
	switch {
	case k < 28 || len(g.m.handles) == 0 && k < 60:
		g.mmap(&c)
	case k < 38:
		c.Op = "munmap"
		g.rangeCall(&c)
	case k < 48:
		c.Op = "mprotect"
		g.rangeCall(&c)
		c.Prot = g.prot()
	case k < 56:
		g.mremap(&c)
	case k < 59:
		c.Op = "msync"
		g.rangeCall(&c)
		c.Flags = uint64([]hostvm.MsyncFlags{hostvm.MsSync, hostvm.MsAsync, hostvm.MsInvalidate, hostvm.MsAsync | hostvm.MsSync}[g.pick(4)])
	case k < 64:
		c.Op = "madvise"
		g.rangeCall(&c)
		c.Flags = uint64([]hostvm.Advice{hostvm.MadvDontNeed, hostvm.MadvDontNeed, hostvm.MadvDontNeed,
			hostvm.MadvWillNeed, hostvm.MadvNormal, hostvm.MadvFree, hostvm.Advice(5)}[g.pick(7)])
	case k < 80:
		c.Op = "load"
		g.access(&c)
	case k < 94:
		c.Op = "store"
		g.access(&c)
		c.Byte = uint64(g.r.Intn(256))
	case k < 98:
		c.Op = "pwrite"
		c.File = g.pick(2)
		c.Off = uint64(g.pick(24))*pg + uint64(g.pick(pg))
		c.Byte = uint64(g.r.Intn(256))
		c.N = uint64(g.pick(256) + 1)
	default:
		c.Op = "ftruncate"
		c.File = g.pick(2)
		c.Off = uint64(g.pick(32)) * pg
		if g.pick(3) == 0 {
			c.Off += uint64(g.pick(pg))
		}
	}
	return c
}

// rangeCall fills the address and length of munmap, mprotect, msync and
// madvise: mostly in the window, sometimes at the top of the space.
func (g *gen) rangeCall(c *call) {
	c.Len = g.length()
	if g.pick(25) == 0 {
		c.Addr = g.top()
		c.Len = uint64(g.pick(16)+1) * pg
		if g.pick(4) == 0 {
			c.Len = g.m.lay.SpaceEnd&^0xfff + uint64(g.pick(2))*pg
		}
		return
	}
	if c.Len > 8<<20 {
		c.Len = 8 << 20
	}
	c.Addr = g.where(c.Len)
}

func (g *gen) mmap(c *call) {
	c.Op = "mmap"
	c.Len = g.length()
	c.Prot = g.prot()
	c.Flags = uint64(hostvm.MapPrivate)
	if g.pick(3) == 0 {
		c.Flags = uint64(hostvm.MapShared)
	}
	if g.pick(60) == 0 {
		c.Flags = uint64(g.pick(4)) // MAP_SHARED_VALIDATE, or no type at all
	}
	if g.pick(3) == 0 {
		c.File = g.pick(len(files))
		c.Off = uint64(g.pick(24)) * pg
		if size := files[c.File].size; g.pick(4) != 0 {
			// Mostly within the file (pwrite and ftruncate may have
			// changed its size since; that is fine).
			c.Off = uint64(g.pick(int((size+pg-1)/pg))) * pg
			if c.Len > size-min(c.Off, size) && g.pick(2) == 0 {
				c.Len = max((size-min(c.Off, size))&^(pg-1), pg)
			}
		}
	} else {
		c.Flags |= uint64(hostvm.MapAnonymous)
	}
	switch p := g.pick(20); {
	case p < 8: // the kernel's choice
	case p < 10: // a hint
		c.Addr = g.where(c.Len) &^ (pg - 1)
		if g.m.lay.Reserved == 0 && !g.freeHint(c) {
			c.Addr = 0
		}
	case p < 17:
		c.Flags |= uint64(hostvm.MapFixed)
		c.Addr = g.where(c.Len)
	case p < 18:
		c.Flags |= uint64(hostvm.MapFixedNoReplace)
		c.Addr = g.where(c.Len) &^ (pg - 1)
		if g.m.lay.Reserved == 0 && !g.freeHint(c) {
			c.Addr = 0 // QEMU 7.2 drops the flag: a hint (noreplace-ignored)
		}
	case p < 19:
		c.Flags |= uint64(hostvm.MapFixed)
		c.Addr = g.top()
		c.Len = uint64(g.pick(16)+1) * pg
	default:
		// Lengths that wrap, or cannot fit. For x86-64, nothing that
		// might fit: a mapping of gigabytes would meet the host's
		// overcommit limits, which differ from machine to machine.
		if g.m.lay.Arch.bits == 64 {
			c.Len = []uint64{1<<64 - pg + 1, 1<<64 - 1, 1 << 47, 1<<47 + pg}[g.pick(4)]
		} else {
			c.Len = []uint64{0xfffff001, 0xffffffff, 0xfffff000}[g.pick(3)]
		}
	}
}

func (g *gen) mremap(c *call) {
	c.Op = "mremap"
	c.Len = uint64(g.pick(8)+1) * pg
	if g.pick(12) == 0 {
		c.Len = 0
	}
	c.NewLen = uint64(g.pick(12)+1) * pg
	if g.pick(12) == 0 {
		c.NewLen = 0
	}
	fl := []hostvm.MremapFlags{0, 0, hostvm.MremapMayMove, hostvm.MremapMayMove,
		hostvm.MremapMayMove | hostvm.MremapFixed, hostvm.MremapMayMove | hostvm.MremapDontUnmap, hostvm.MremapFixed}[g.pick(7)]
	c.Flags = uint64(fl)
	if fl&hostvm.MremapDontUnmap != 0 && g.pick(4) != 0 {
		c.NewLen = c.Len
	}
	c.Addr = g.where(max(c.Len, c.NewLen))
	if fl&(hostvm.MremapFixed|hostvm.MremapDontUnmap) != 0 {
		c.NewAddr = g.where(c.NewLen)
	}
	if fl&hostvm.MremapMayMove == 0 && c.NewLen > c.Len && !g.area(c.Addr, c.NewLen) {
		c.NewLen = c.Len // x86-64: no growth past mmap_next_start (see gen)
	}
}

// access fills a load or store: mostly inside or at the edges of a handle.
func (g *gen) access(c *call) {
	c.N = uint64(g.pick(64) + 1)
	if g.pick(8) == 0 {
		c.N = uint64(g.pick(20000) + 1)
	}
	if len(g.m.handles) > 0 && g.pick(4) != 0 {
		h := g.m.handles[g.pick(len(g.m.handles))]
		span := max(h.len, pg) + 2*pg
		c.Addr = h.addr - pg + uint64(g.pick(int(span)))
		if g.area(c.Addr, c.N) {
			return
		}
	}
	c.Addr = g.where(c.N)
}

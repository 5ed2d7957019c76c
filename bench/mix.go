package main

import (
	"fmt"
	"time"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
)

// vm is a kernel the operation mix runs on: hostvm, the simulated QEMU
// over hostvm, or (on Linux) the real kernel. Addresses and lengths are in
// bytes; page is the unit the mix works in.
type vm interface {
	page() uint64
	mmap(addr, length uint64, prot hostvm.Prot, flags hostvm.MapFlags) (uint64, error)
	munmap(addr, length uint64) error
	mprotect(addr, length uint64, prot hostvm.Prot) error
	mremap(old, oldLen, newLen uint64, flags hostvm.MremapFlags, newAddr uint64) (uint64, error)
}

// kernelVM runs the mix on hostvm directly.
type kernelVM struct{ k *hostvm.Kernel }

func (v kernelVM) page() uint64 { return v.k.PageSize() }

func (v kernelVM) mmap(addr, length uint64, prot hostvm.Prot, flags hostvm.MapFlags) (uint64, error) {
	a, err := v.k.Mmap(hostvm.Addr(addr), length, prot, flags, -1, 0)
	return uint64(a), err
}

func (v kernelVM) munmap(addr, length uint64) error { return v.k.Munmap(hostvm.Addr(addr), length) }

func (v kernelVM) mprotect(addr, length uint64, prot hostvm.Prot) error {
	return v.k.Mprotect(hostvm.Addr(addr), length, prot)
}

func (v kernelVM) mremap(old, oldLen, newLen uint64, flags hostvm.MremapFlags, newAddr uint64) (uint64, error) {
	a, err := v.k.Mremap(hostvm.Addr(old), oldLen, newLen, flags, hostvm.Addr(newAddr))
	return uint64(a), err
}

// simVM runs the mix as guest calls through the simulated QEMU, in guest
// pages.
type simVM struct{ s sim.Guest }

func (v simVM) page() uint64 { return v.s.Config().TargetPageSize }

func (v simVM) mmap(addr, length uint64, prot hostvm.Prot, flags hostvm.MapFlags) (uint64, error) {
	return v.s.Mmap(addr, length, int(prot), flags, -1, 0)
}

func (v simVM) munmap(addr, length uint64) error { return v.s.Munmap(addr, length) }

func (v simVM) mprotect(addr, length uint64, prot hostvm.Prot) error {
	return v.s.Mprotect(addr, length, int(prot))
}

func (v simVM) mremap(old, oldLen, newLen uint64, flags hostvm.MremapFlags, newAddr uint64) (uint64, error) {
	return v.s.Mremap(old, oldLen, newLen, flags, newAddr)
}

const (
	anon    = hostvm.MapPrivate | hostvm.MapAnonymous
	protR   = hostvm.ProtRead
	protRW  = hostvm.ProtRead | hostvm.ProtWrite
	protRX  = hostvm.ProtRead | hostvm.ProtExec
	protNon = hostvm.ProtNone
)

// grid is the layout the operation mix works in: a PROT_NONE reservation
// of 4 pages per group, each group's pages made
//
//	page 0: ---   page 1: r--   page 2: ---   page 3: r-x
//
// so no two neighbours merge and the reservation holds 4 VMAs per group.
// Every operation of the mix leaves the grid as it found it.
type grid struct {
	v      vm
	pg     uint64
	base   uint64
	groups int
}

// newGrid reserves and shapes a grid of groups groups on v.
func newGrid(v vm, groups int) (*grid, error) {
	g := &grid{v: v, pg: v.page(), groups: groups}
	size := g.pg * 4 * uint64(groups)
	base, err := v.mmap(0, size, protNon, anon|hostvm.MapNoReserve)
	if err != nil {
		return nil, fmt.Errorf("reserving %d bytes: %v", size, err)
	}
	g.base = base
	err = each(groups, func(j int) error {
		if err := v.mprotect(g.at(j, 1), g.pg, protR); err != nil {
			return fmt.Errorf("mprotect r--: %v", err)
		}
		if err := v.mprotect(g.at(j, 3), g.pg, protRX); err != nil {
			return fmt.Errorf("mprotect r-x: %v", err)
		}
		return nil
	})
	return g, err
}

// vmas is how many VMAs the grid holds.
func (g *grid) vmas() int { return 4 * g.groups }

// size is the grid's length in bytes.
func (g *grid) size() uint64 { return g.pg * 4 * uint64(g.groups) }

// at is the address of page p of group j.
func (g *grid) at(j, p int) uint64 { return g.base + g.pg*(4*uint64(j)+uint64(p)) }

// spread returns n groups spread evenly over the grid.
func (g *grid) spread(n int) []int {
	n = min(n, g.groups)
	out := make([]int, n)
	for i := range out {
		out[i] = i * g.groups / n
	}
	return out
}

// mixOps names the operations of the mix, in the order mixBatch times them.
var mixOps = []string{
	"mmap+munmap pair (non-fixed, 1 page)",
	"mmap MAP_FIXED over 3 VMAs",
	"mprotect merging 3 VMAs into 1",
	"mprotect splitting 1 VMA into 3",
	"mremap grow in place (1 to 2 pages)",
}

// mixBatch returns a batch timing every operation of the mix at k groups
// spread over the grid:
//
//   - a non-fixed one-page rw mmap and its munmap (timed as a pair);
//   - MAP_FIXED rw over pages 1-3 of a group (three VMAs become one), then
//     untimed, the group restored;
//   - mprotect of page 1 to --- (its VMA merges with pages 0 and 2), then
//     back to r-- (the merged VMA splits in three);
//   - mremap of page 1 from one page to two, growing in place into page 2,
//     which was unmapped beforehand (untimed); then, untimed, shrunk back
//     and page 2 mapped again with MAP_FIXED_NOREPLACE.
func (g *grid) mixBatch(k int) batch {
	js := g.spread(k)
	v, pg := g.v, g.pg
	return func() ([]time.Duration, []int, error) {
		d := make([]time.Duration, len(mixOps))
		n := make([]int, len(mixOps))
		var err error
		fail := func(op string, e error) ([]time.Duration, []int, error) {
			return nil, nil, fmt.Errorf("%s: %v", op, e)
		}
		// mmap+munmap
		d[0], err = timed(len(js), func(int) error {
			a, err := v.mmap(0, pg, protRW, anon)
			if err != nil {
				return err
			}
			return v.munmap(a, pg)
		})
		if err != nil {
			return fail(mixOps[0], err)
		}
		// MAP_FIXED over 3 VMAs
		d[1], err = timed(len(js), func(i int) error {
			a := g.at(js[i], 1)
			got, err := v.mmap(a, 3*pg, protRW, anon|hostvm.MapFixed)
			if err == nil && got != a {
				err = fmt.Errorf("MAP_FIXED at %#x returned %#x", a, got)
			}
			return err
		})
		if err != nil {
			return fail(mixOps[1], err)
		}
		if err := each(len(js), func(i int) error { return g.restore(js[i]) }); err != nil {
			return fail("restoring after MAP_FIXED", err)
		}
		// mprotect merge, then split
		d[2], err = timed(len(js), func(i int) error { return v.mprotect(g.at(js[i], 1), pg, protNon) })
		if err != nil {
			return fail(mixOps[2], err)
		}
		d[3], err = timed(len(js), func(i int) error { return v.mprotect(g.at(js[i], 1), pg, protR) })
		if err != nil {
			return fail(mixOps[3], err)
		}
		// mremap grow in place
		if err := each(len(js), func(i int) error { return v.munmap(g.at(js[i], 2), pg) }); err != nil {
			return fail("punching holes for mremap", err)
		}
		d[4], err = timed(len(js), func(i int) error {
			a := g.at(js[i], 1)
			got, err := v.mremap(a, pg, 2*pg, 0, 0)
			if err == nil && got != a {
				err = fmt.Errorf("mremap in place at %#x returned %#x", a, got)
			}
			return err
		})
		if err != nil {
			return fail(mixOps[4], err)
		}
		err = each(len(js), func(i int) error {
			a := g.at(js[i], 1)
			if _, err := v.mremap(a, 2*pg, pg, 0, 0); err != nil {
				return err
			}
			return g.refill(g.at(js[i], 2))
		})
		if err != nil {
			return fail("restoring after mremap", err)
		}
		n[0], n[1], n[2], n[3], n[4] = len(js), len(js), len(js), len(js), len(js)
		return d, n, nil
	}
}

// restore makes pages 1-3 of group j r--, ---, r-x again.
func (g *grid) restore(j int) error {
	a := g.at(j, 1)
	got, err := g.v.mmap(a, 3*g.pg, protNon, anon|hostvm.MapFixed|hostvm.MapNoReserve)
	if err == nil && got != a {
		err = fmt.Errorf("MAP_FIXED at %#x returned %#x", a, got)
	}
	if err == nil {
		err = g.v.mprotect(a, g.pg, protR)
	}
	if err == nil {
		err = g.v.mprotect(g.at(j, 3), g.pg, protRX)
	}
	return err
}

// refill maps the unmapped page at a PROT_NONE again, refusing to replace
// anything (MAP_FIXED_NOREPLACE): on the real kernel, something else may
// have taken the hole.
func (g *grid) refill(a uint64) error {
	got, err := g.v.mmap(a, g.pg, protNon, anon|hostvm.MapFixedNoReplace|hostvm.MapNoReserve)
	if err == nil && got != a {
		err = fmt.Errorf("MAP_FIXED_NOREPLACE at %#x returned %#x", a, got)
	}
	return err
}

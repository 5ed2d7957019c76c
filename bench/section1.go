package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/mmapsim/mmapsim/hostvm"
)

// sectionLinux runs the operation mix on hostvm and on the real kernel, in
// grids of the same shape, and compares.
func sectionLinux(o *options) (*table, error) {
	t := &table{
		title:  "1. hostvm vs the real Linux kernel (same operations, same layout)",
		header: []string{"operation", "hostvm ns/op", "linux ns/op", "hostvm/linux"},
	}
	groups := o.linuxVMAs / 4
	real, room, skip := newRealVM()
	pg := uint64(4096)
	if real != nil {
		pg = real.page()
		// Leave room under vm.max_map_count for the runtime's own
		// mappings and the mix's transient ones.
		if limit := (room - 2000) / 4; groups > limit {
			groups = max(limit, 1)
		}
	}
	k, err := hostvm.New(hostvm.Config{PageSize: pg, AddrBits: 47})
	if err != nil {
		return nil, err
	}
	kg, err := newGrid(kernelVM{k}, groups)
	if err != nil {
		return nil, fmt.Errorf("hostvm grid: %v", err)
	}
	kvmas := k.MapCount()
	var kns, lns []float64
	var spread float64
	if real == nil {
		o.progress("1: hostvm, %d VMAs", kvmas)
		res, sp, err := compare(o.budget, o.reps, kg.mixBatch(o.batch))
		if err != nil {
			return nil, fmt.Errorf("hostvm: %v", err)
		}
		kns, spread = res[0], sp
		lns = make([]float64, len(mixOps))
		for i := range lns {
			lns[i] = -1
		}
		t.note("linux: %s", skip)
	} else {
		o.progress("1: hostvm and linux, %d VMAs each in the grid", 4*groups)
		var lvmas int
		kns, lns, lvmas, spread, err = compareReal(o, kg, real, groups)
		if err != nil {
			return nil, err
		}
		t.note("VMAs: hostvm %s (the grid alone); linux %s (the grid and the Go runtime's own, /proc/self/maps)", count(int64(kvmas)), count(int64(lvmas)))
	}
	for i, name := range mixOps {
		t.add(name, ns(kns[i]), ns(lns[i]), ratio(kns[i], lns[i]))
	}
	t.note("grid: %d groups of 4 pages (---, r--, ---, r-x), page %d; each operation at %d groups spread over it, restored untimed", groups, pg, min(o.batch, groups))
	t.note("timing: best of %d rounds of at least %v per operation and kernel, the kernels taking turns; GC off during the real kernel's turns", o.reps, (o.budget / time.Duration(o.reps)).Round(time.Millisecond))
	t.note("  the median round was up to %.0f%% slower than the best", 100*spread)
	return t, nil
}

// compareReal builds the grid with real system calls, times the mix on it
// and on hostvm's grid kg, taking turns, and unmaps the real grid. The GC
// is off during the real kernel's turns, so the runtime maps as little as
// it can while the mix has holes in the grid. On an error the real grid is
// left mapped: its holes may hold someone else's memory now.
func compareReal(o *options, kg *grid, real vm, groups int) (kns, lns []float64, vmas int, spread float64, err error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	g, err := newGrid(real, groups)
	if err != nil {
		if g != nil {
			real.munmap(g.base, g.size())
		}
		return nil, nil, 0, 0, fmt.Errorf("linux grid: %v", err)
	}
	vmas = realMapCount()
	rb := g.mixBatch(o.batch)
	res, spread, err := compare(o.budget, o.reps, kg.mixBatch(o.batch), func() ([]time.Duration, []int, error) {
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		return rb()
	})
	if err != nil {
		return nil, nil, 0, 0, err
	}
	if err := real.munmap(g.base, g.size()); err != nil {
		return nil, nil, 0, 0, fmt.Errorf("unmapping the linux grid: %v", err)
	}
	return res[0], res[1], vmas, spread, nil
}

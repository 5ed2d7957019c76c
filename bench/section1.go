package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/mmapsim/mmapsim/hostvm"
)

// linuxSizes are the grid sizes section 1 compares at, in VMAs: the last
// is o.linuxVMAs.
func linuxSizes(o *options) []int { return []int{100, o.linuxVMAs} }

// sectionLinux runs the operation mix on hostvm and on the real kernel, in
// grids of the same shape, at each of linuxSizes, and compares.
func sectionLinux(o *options) (*table, error) {
	t := &table{
		title:  "1. hostvm vs the real Linux kernel (same operations, same layout)",
		header: []string{"operation", "VMAs", "hostvm ns/op", "linux ns/op", "hostvm/linux", "median ratio"},
	}
	real, room, skip := newRealVM()
	pg := uint64(4096)
	if real != nil {
		pg = real.page()
	} else {
		t.note("linux: %s", skip)
	}
	spread := 0.0
	sizes := linuxSizes(o)
	for si, vmas := range sizes {
		groups := vmas / 4
		if real != nil {
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
		if real == nil {
			o.progress("1: hostvm, %d VMAs", kvmas)
			res, sp, err := compare(o.budget, o.reps, kg.mixBatch(o.batch))
			if err != nil {
				return nil, fmt.Errorf("hostvm: %v", err)
			}
			spread = max(spread, sp)
			for i, name := range mixOps {
				t.add(name, count(int64(kvmas)), ns(res[0][i]), "-", "-", "-")
			}
			continue
		}
		o.progress("1: hostvm and linux, %d VMAs each in the grid", 4*groups)
		r, lvmas, err := compareReal(o, kg, real, groups)
		if err != nil {
			return nil, err
		}
		spread = max(spread, r.spread())
		for i, name := range mixOps {
			kns, lns, med := r.best(0, i), r.best(1, i), r.ratio(0, 1, i)
			t.add(name, count(int64(kvmas)), ns(kns), ns(lns), ratio(kns, lns), fmt.Sprintf("%.2fx", med))
			o.linuxRatio(i, kvmas, med, si == len(sizes)-1)
		}
		t.note("VMAs: hostvm %s (the grid alone); linux %s (the grid and the Go runtime's own, /proc/self/maps)", count(int64(kvmas)), count(int64(lvmas)))
	}
	t.note("grid: groups of 4 pages (---, r--, ---, r-x), page %d; each operation at up to %d groups spread over it, restored untimed", pg, o.batch)
	t.note("timing: %d rounds of at least %v per operation and kernel, the kernels taking turns; GC off during the real kernel's turns;", o.reps, (o.budget / time.Duration(o.reps)).Round(time.Millisecond))
	t.note("  ns/op and hostvm/linux from each kernel's best round; median ratio: the median over rounds of the round's ratio")
	t.note("  the median round was up to %.0f%% slower than the best", 100*spread)
	return t, nil
}

// compareReal builds the grid with real system calls, times the mix on it
// and on hostvm's grid kg, taking turns, and unmaps the real grid. The GC
// is off during the real kernel's turns, so the runtime maps as little as
// it can while the mix has holes in the grid. On an error the real grid is
// left mapped: its holes may hold someone else's memory now.
func compareReal(o *options, kg *grid, real vm, groups int) (r rounds, vmas int, err error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	g, err := newGrid(real, groups)
	if err != nil {
		if g != nil {
			real.munmap(g.base, g.size())
		}
		return nil, 0, fmt.Errorf("linux grid: %v", err)
	}
	vmas = realMapCount()
	rb := g.mixBatch(o.batch)
	r, err = measureRounds(o.budget, o.reps, kg.mixBatch(o.batch), func() ([]time.Duration, []int, error) {
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		return rb()
	})
	if err != nil {
		return nil, 0, err
	}
	if err := real.munmap(g.base, g.size()); err != nil {
		return nil, 0, fmt.Errorf("unmapping the linux grid: %v", err)
	}
	return r, vmas, nil
}

package main

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/mmapsim/mmapsim/hostvm"
)

// scaleOps are the operations section 2 times, in the order scaleBatch
// returns them.
var scaleOps = []string{"mmap", "munmap", "mprotect", "munmap, one group", "mprotect, one group"}

// ladder is a hostvm kernel holding n VMAs below mmap_base, in groups of
// three pages:
//
//	page 0: r--   page 1: ---   page 2: unmapped
//
// two VMAs and a one-page hole per group, so nothing merges and every hole
// is a gap the placement search sees.
type ladder struct {
	k      *hostvm.Kernel
	pg     uint64
	base   uint64
	groups int
}

// newLadder builds a ladder of n VMAs (n even) with MAP_FIXED calls.
func newLadder(n int) (*ladder, error) {
	k, err := hostvm.New(hostvm.Config{PageSize: 4096, AddrBits: 47, MaxMapCount: 2*n + 1<<16})
	if err != nil {
		return nil, err
	}
	l := &ladder{k: k, pg: k.PageSize(), groups: n / 2}
	span := 3 * l.pg * uint64(l.groups)
	l.base = uint64(k.MmapBase()) - span
	err = each(l.groups, func(j int) error {
		if _, err := k.Mmap(hostvm.Addr(l.at(j, 0)), 2*l.pg, protR, anon|hostvm.MapFixed, -1, 0); err != nil {
			return err
		}
		return k.Mprotect(hostvm.Addr(l.at(j, 1)), l.pg, protNon)
	})
	if err != nil {
		return nil, err
	}
	if got := k.MapCount(); got != n {
		return nil, fmt.Errorf("ladder of %d VMAs has %d", n, got)
	}
	return l, nil
}

// at is the address of page p of group j.
func (l *ladder) at(j, p int) uint64 { return l.base + l.pg*(3*uint64(j)+uint64(p)) }

// spread returns n groups spread evenly over the ladder.
func (l *ladder) spread(n int) []int {
	n = min(n, l.groups)
	out := make([]int, n)
	for i := range out {
		out[i] = i * l.groups / n
	}
	return out
}

// scaleBatch times, with up to k calls each (one per group of spread(k)):
//
//   - mmap: non-fixed, two pages, rw- and r-x alternately (so they do not
//     merge with each other): no one-page hole fits, so top-down placement
//     must skip all of them and lands below the ladder. In rounds that add
//     at most a tenth of the VMAs, each unmapped afterwards, untimed.
//   - munmap: the r-- page of a group (its hole grows by a page); mapped
//     again afterwards with MAP_FIXED, untimed.
//   - mprotect: the r-- page of a group to --- (it merges with page 1),
//     then back to r-- (a split): both timed, the mean reported;
//   - munmap, one group, and mprotect, one group: the same at the middle
//     group every time, so successive calls walk the same path through the
//     trees, where the spread versions walk up to k different ones.
func (l *ladder) scaleBatch(k int) batch {
	js := l.spread(k)
	km := max(1, min(k, 2*l.groups/10))
	rounds := (len(js) + km - 1) / km
	addrs := make([]uint64, km)
	kv := kernelVM{l.k}
	pg := l.pg
	return func() ([]time.Duration, []int, error) {
		d := make([]time.Duration, len(scaleOps))
		var err error
		// Rounds of km mappings, so the mmaps are about as many as the
		// other calls.
		for r := 0; r < rounds; r++ {
			dr, err := timed(km, func(i int) error {
				prot := protRW
				if i%2 == 1 {
					prot = protRX
				}
				a, err := kv.mmap(0, 2*pg, prot, anon)
				addrs[i] = a
				return err
			})
			if err != nil {
				return nil, nil, fmt.Errorf("mmap: %v", err)
			}
			d[0] += dr
			if a := addrs[0]; a+2*pg > l.base {
				return nil, nil, fmt.Errorf("mmap placed %#x inside the ladder [%#x, %#x)", a, l.base, l.at(l.groups, 0))
			}
			if err := each(km, func(i int) error { return kv.munmap(addrs[i], 2*pg) }); err != nil {
				return nil, nil, fmt.Errorf("munmap: %v", err)
			}
		}
		d[1], err = timed(len(js), func(i int) error { return kv.munmap(l.at(js[i], 0), pg) })
		if err != nil {
			return nil, nil, fmt.Errorf("munmap: %v", err)
		}
		if err := each(len(js), func(i int) error {
			_, err := kv.mmap(l.at(js[i], 0), pg, protR, anon|hostvm.MapFixed)
			return err
		}); err != nil {
			return nil, nil, fmt.Errorf("mmap MAP_FIXED: %v", err)
		}
		d[2], err = timed(len(js), func(i int) error {
			a := l.at(js[i], 0)
			if err := kv.mprotect(a, pg, protNon); err != nil {
				return err
			}
			return kv.mprotect(a, pg, protR)
		})
		if err != nil {
			return nil, nil, fmt.Errorf("mprotect: %v", err)
		}
		hot := l.at(l.groups/2, 0)
		for range js {
			dr, err := timed(1, func(int) error { return kv.munmap(hot, pg) })
			if err != nil {
				return nil, nil, fmt.Errorf("munmap: %v", err)
			}
			d[3] += max(dr-clockCost(), 0)
			if _, err := kv.mmap(hot, pg, protR, anon|hostvm.MapFixed); err != nil {
				return nil, nil, fmt.Errorf("mmap MAP_FIXED: %v", err)
			}
		}
		d[4], err = timed(len(js), func(int) error {
			if err := kv.mprotect(hot, pg, protNon); err != nil {
				return err
			}
			return kv.mprotect(hot, pg, protR)
		})
		if err != nil {
			return nil, nil, fmt.Errorf("mprotect: %v", err)
		}
		return d, []int{km * rounds, len(js), 2 * len(js), len(js), 2 * len(js)}, nil
	}
}

// scalePoint is one size's measurement.
type scalePoint struct {
	vmas  int
	ns    []float64 // per scaleOps
	build time.Duration
}

// sectionScaling times mmap, munmap and mprotect in hostvm at each size,
// and plots the result.
func sectionScaling(o *options) (*table, []scalePoint, error) {
	t := &table{
		title:  "2. hostvm: cost per operation vs number of VMAs",
		header: []string{"VMAs", "mmap", "munmap", "mprotect", "munmap one group", "mprotect one group", "build"},
	}
	var pts []scalePoint
	spread := 0.0
	// The goal compares the spread munmap at 1e5 VMAs (else the most) with
	// the fewest. Measured apart, the two sizes see different loads of the
	// machine; so the smallest ladder is kept and timed again in rounds
	// taking turns with the goal's size, as section 1 compares with Linux.
	target := o.sizes[len(o.sizes)-1]
	if slices.Contains(o.sizes, 100000) {
		target = 100000
	}
	var smallest *ladder
	for _, n := range o.sizes {
		o.progress("2: building %s VMAs", count(int64(n)))
		start := time.Now()
		l, err := newLadder(n)
		if err != nil {
			return nil, nil, err
		}
		build := time.Since(start)
		o.progress("2: %s VMAs built in %v; timing", count(int64(n)), build.Round(time.Millisecond))
		res, sp, err := compare(o.budget, o.reps, l.scaleBatch(o.batch))
		if err != nil {
			return nil, nil, fmt.Errorf("%d VMAs: %v", n, err)
		}
		v := res[0]
		spread = max(spread, sp)
		if l.k.MapCount() != n {
			return nil, nil, fmt.Errorf("%d VMAs: %d after the run", n, l.k.MapCount())
		}
		pts = append(pts, scalePoint{n, v, build})
		if smallest == nil {
			smallest = l
		} else if n == target {
			o.progress("2: %s and %s VMAs, interleaved", count(int64(smallest.groups*2)), count(int64(n)))
			r, err := measureRounds(o.budget, o.reps, smallest.scaleBatch(o.batch), l.scaleBatch(o.batch))
			if err != nil {
				return nil, nil, fmt.Errorf("%d and %d VMAs interleaved: %v", smallest.groups*2, n, err)
			}
			o.goals[goalSpread].note = fmt.Sprintf("in interleaved rounds (median of per-round ratios, as section 1): %.2fx; "+
				"the fewest VMAs give %d places, not %d", r.ratio(1, 0, 1), len(smallest.spread(o.batch)), o.batch)
		}
		t.add(count(int64(n)), ns(v[0]), ns(v[1]), ns(v[2]), ns(v[3]), ns(v[4]), build.Round(time.Millisecond).String())
	}
	t.note("layout: groups of r--, ---, a one-page hole (2 VMAs and a gap per group), page 4096")
	t.note("ns/op; mmap: non-fixed, 2 pages, fits no hole (top-down search skips them all); munmap: one r-- page;")
	t.note("mprotect: mean of a merge and a split; munmap and mprotect at up to %d groups spread over the space,", o.batch)
	t.note("  or (one group) always at the middle group; munmap one group is timed call by call, less the clock's cost (%v)", clockCost())
	t.note("build: a MAP_FIXED mmap and an mprotect per group")
	t.note("timing: best of %d rounds of at least %v per operation; the median round was up to %.0f%% slower",
		o.reps, (o.budget / time.Duration(o.reps)).Round(time.Millisecond), 100*spread)
	if len(pts) >= 2 {
		// Issue 16 compares 1e5 VMAs with 1e2; a quick run has no 1e5.
		lo, hi := pts[0], pts[len(pts)-1]
		for _, p := range pts {
			if p.vmas == 100000 {
				hi = p
			}
		}
		o.set(goalSpread, fmt.Sprintf("%s / %s VMAs", count(int64(hi.vmas)), count(int64(lo.vmas))), hi.ns[1]/lo.ns[1])
		for i, name := range scaleOps {
			t.note("%s: %s", name, decades(pts, i))
		}
	}
	return t, pts, nil
}

// decades describes how op i's cost grows per tenfold increase of VMAs:
// a logarithmic cost grows by about the same number of nanoseconds each
// time.
func decades(pts []scalePoint, i int) string {
	s := "change per tenfold VMAs:"
	for j := 1; j < len(pts); j++ {
		dec := math.Log10(float64(pts[j].vmas) / float64(pts[j-1].vmas))
		s += fmt.Sprintf(" %+.0f", (pts[j].ns[i]-pts[j-1].ns[i])/dec)
	}
	return s + " ns"
}

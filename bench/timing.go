package main

import (
	"sort"
	"sync"
	"time"
)

// A batch runs some operations, timing only the ones it measures (setup
// and restoring calls between them are left out). It returns, per measured
// operation kind, the time spent and how many operations ran.
type batch func() ([]time.Duration, []int, error)

// measure runs b until every kind has been timed for at least budget, and
// returns nanoseconds per operation for each kind.
func measure(budget time.Duration, b batch) ([]float64, error) {
	var total []time.Duration
	var ops []int
	for {
		d, n, err := b()
		if err != nil {
			return nil, err
		}
		if total == nil {
			total, ops = make([]time.Duration, len(d)), make([]int, len(d))
		}
		done := true
		for i := range d {
			total[i] += d[i]
			ops[i] += n[i]
			if total[i] < budget {
				done = false
			}
		}
		if done {
			break
		}
	}
	out := make([]float64, len(total))
	for i := range total {
		out[i] = float64(total[i].Nanoseconds()) / float64(ops[i])
	}
	return out, nil
}

// timed runs f(i) for i in [0, n) and returns the time the loop took.
func timed(n int, f func(i int) error) (time.Duration, error) {
	start := time.Now()
	for i := 0; i < n; i++ {
		if err := f(i); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// each runs f(i) for i in [0, n), untimed, stopping at the first error.
func each(n int, f func(i int) error) error {
	for i := 0; i < n; i++ {
		if err := f(i); err != nil {
			return err
		}
	}
	return nil
}

// compare measures several batches in reps rounds, the batches taking
// turns within each round (so a change in the machine's load hits them
// alike), each for at least budget/reps per round. It returns, per batch
// and kind, the best (lowest) round's ns/op: other programs only ever add
// time, so the best round is the least disturbed. It also returns how far
// the median round was above the best, at most, as a fraction.
func compare(budget time.Duration, reps int, bs ...batch) ([][]float64, float64, error) {
	samples := make([][][]float64, len(bs)) // batch, round, kind
	for r := 0; r < reps; r++ {
		for i, b := range bs {
			v, err := measure(budget/time.Duration(reps), b)
			if err != nil {
				return nil, 0, err
			}
			samples[i] = append(samples[i], v)
		}
	}
	out := make([][]float64, len(bs))
	spread := 0.0
	for i := range bs {
		for k := range samples[i][0] {
			col := make([]float64, reps)
			for r := range col {
				col[r] = samples[i][r][k]
			}
			sort.Float64s(col)
			out[i] = append(out[i], col[0])
			spread = max(spread, (col[reps/2]-col[0])/col[0])
		}
	}
	return out, spread, nil
}

// clockCost is what timing one call with timed(1, f) adds to f's time: two
// clock reads (about 100 ns under kvm-clock). Measured once, the best of
// several tries.
var clockCost = sync.OnceValue(func() time.Duration {
	best := time.Duration(1 << 62)
	for try := 0; try < 5; try++ {
		const n = 20000
		var total time.Duration
		for i := 0; i < n; i++ {
			d, _ := timed(1, func(int) error { return nil })
			total += d
		}
		best = min(best, total/n)
	}
	return best
})

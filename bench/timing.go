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

// rounds are the samples of an interleaved measurement: ns/op by batch,
// round and kind.
type rounds [][][]float64

// best is the lowest (least disturbed) round's ns/op of batch i, kind k:
// other programs only ever add time.
func (r rounds) best(i, k int) float64 {
	v := r[i][0][k]
	for _, s := range r[i] {
		v = min(v, s[k])
	}
	return v
}

// ratio is the median over rounds of batch i's ns/op over batch j's, for
// kind k: each round's two batches ran back to back, under the same load.
func (r rounds) ratio(i, j, k int) float64 {
	v := make([]float64, len(r[i]))
	for n := range v {
		v[n] = r[i][n][k] / r[j][n][k]
	}
	return median(v)
}

// spread is how far the median round was above the best, at most over
// batches and kinds, as a fraction.
func (r rounds) spread() float64 {
	out := 0.0
	for i := range r {
		for k := range r[i][0] {
			col := make([]float64, len(r[i]))
			for n := range col {
				col[n] = r[i][n][k]
			}
			b := r.best(i, k)
			out = max(out, (median(col)-b)/b)
		}
	}
	return out
}

// median is the middle value of v (the mean of the middle two for an even
// count); v is reordered.
func median(v []float64) float64 {
	sort.Float64s(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// measureRounds measures several batches in reps rounds, the batches
// taking turns within each round (so a change in the machine's load hits
// them alike), each for at least budget/reps per round.
func measureRounds(budget time.Duration, reps int, bs ...batch) (rounds, error) {
	r := make(rounds, len(bs))
	for n := 0; n < reps; n++ {
		for i, b := range bs {
			v, err := measure(budget/time.Duration(reps), b)
			if err != nil {
				return nil, err
			}
			r[i] = append(r[i], v)
		}
	}
	return r, nil
}

// compare is measureRounds reduced to each batch's best round per kind,
// with the spread.
func compare(budget time.Duration, reps int, bs ...batch) ([][]float64, float64, error) {
	r, err := measureRounds(budget, reps, bs...)
	if err != nil {
		return nil, 0, err
	}
	out := make([][]float64, len(bs))
	for i := range bs {
		for k := range r[i][0] {
			out[i] = append(out[i], r.best(i, k))
		}
	}
	return out, r.spread(), nil
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

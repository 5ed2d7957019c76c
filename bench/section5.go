package main

import (
	"fmt"
	"math/rand"
	"time"

	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/props"
)

// propSetups are the property-suite setups section 5 runs: H = T, H = 16T
// with RESERVED_VA, and a 64-bit guest on a 64K host.
var propSetups = []string{"i386-4k-reserved", "i386-64k-reserved", "x86_64-64k"}

// propsResult is one setup's run.
type propsResult struct {
	seqs, ops, failed int
	elapsed           time.Duration
	slowest           time.Duration // the longest sequence
	slowestSeq        int           // its index, from 0
}

// runProps runs seqs sequences of steps generated operations on setup
// under policy pol, drawing from a math/rand source seeded with seed, as
// the property suite does (props.GenOp, then System.Exec). The number of
// handles grows after each mmap and mremap, as the suite's generator
// state does.
func runProps(setupName, pol string, seed int64, seqs, steps int) (propsResult, error) {
	setup, ok := props.SetupByName(setupName)
	if !ok {
		return propsResult{}, fmt.Errorf("no props setup %q", setupName)
	}
	fixed, err := policy.ParsePolicy(pol)
	if err != nil {
		return propsResult{}, err
	}
	src := randSource{rand.New(rand.NewSource(seed))}
	r := propsResult{seqs: seqs}
	start := time.Now()
	for i := 0; i < seqs; i++ {
		seqStart := time.Now()
		sys, err := props.NewSystem(setup, fixed)
		if err != nil {
			return r, err
		}
		handles := 0
		for j := 0; j < steps; j++ {
			op := props.GenOp(src, handles)
			r.ops++
			if !sys.Exec(op) {
				r.failed++
				break
			}
			if op.Kind == props.OpMmap || op.Kind == props.OpMremap {
				handles++
			}
		}
		if d := time.Since(seqStart); d > r.slowest {
			r.slowest, r.slowestSeq = d, i
		}
	}
	r.elapsed = time.Since(start)
	return r, nil
}

// randSource adapts a seeded *rand.Rand to props.Source.
type randSource struct{ r *rand.Rand }

func (s randSource) Uint64() uint64 { return s.r.Uint64() }

// sectionProps reports the property suite's throughput.
func sectionProps(o *options) (*table, error) {
	t := &table{
		title:  fmt.Sprintf("5. property-suite throughput (policy %s, %d ops per sequence, seed %d)", o.policy, o.propSteps, o.seed),
		header: []string{"setup", "sequences", "ops", "failed", "seconds", "sequences/s", "ops/s", "slowest sequence"},
	}
	for _, name := range propSetups {
		o.progress("5: %s: %d sequences", name, o.propSeqs)
		r, err := runProps(name, o.policy, o.seed, o.propSeqs, o.propSteps)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		sec := r.elapsed.Seconds()
		t.add(name, count(int64(r.seqs)), count(int64(r.ops)), count(int64(r.failed)), fmt.Sprintf("%.2f", sec),
			rate(float64(r.seqs)/sec), rate(float64(r.ops)/sec), fmt.Sprintf("#%d: %v", r.slowestSeq, r.slowest.Round(time.Millisecond)))
	}
	t.note("each sequence: props.NewSystem, then props.GenOp and System.Exec per op (sim and the reference kernel, compared, invariants checked)")
	t.note("a failed sequence stops at its failing op; the same seed gives the same sequences (#n: the n-th, from 0)")
	return t, nil
}

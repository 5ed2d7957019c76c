package main

import (
	"cmp"
	"fmt"
	"math/rand"
	"runtime"
	"slices"
	"time"

	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/props"
)

// propsResult is one setup's run.
type propsResult struct {
	seqs, ops, failed int
	elapsed           time.Duration
	cpu               time.Duration // CPU time, or elapsed where unknown
	cpuKnown          bool
	slowest           time.Duration // the longest sequence
	slowestSeq        int           // its index, from 0
}

// runProps runs seqs sequences of steps generated operations on setup
// under policy pol, drawing from a math/rand source seeded with seed, as
// the property suite does (props.GenOp, then System.Exec). The number of
// handles grows after each mmap and mremap, as the suite's generator
// state does; a sequence ends with System.Finish, as the suite's do.
func runProps(setup props.Setup, pol string, seed int64, seqs, steps int) (propsResult, error) {
	fixed, err := policy.ParsePolicy(pol)
	if err != nil {
		return propsResult{}, err
	}
	src := randSource{rand.New(rand.NewSource(seed))}
	r := propsResult{seqs: seqs}
	start := time.Now()
	cpuStart, cpuOK := cpuTime()
	for i := 0; i < seqs; i++ {
		seqStart := time.Now()
		sys, err := props.NewSystem(setup, fixed)
		if err != nil {
			return r, err
		}
		handles := 0
		ok := true
		for j := 0; j < steps && ok; j++ {
			op := props.GenOp(src, handles)
			r.ops++
			ok = sys.Exec(op)
			if op.Kind == props.OpMmap || op.Kind == props.OpMremap {
				handles++
			}
		}
		if !sys.Finish() {
			r.failed++ // at an operation, or at the end (as the suite's runs end)
		}
		if d := time.Since(seqStart); d > r.slowest {
			r.slowest, r.slowestSeq = d, i
		}
	}
	r.elapsed = time.Since(start)
	r.cpu = r.elapsed
	if cpuEnd, ok := cpuTime(); ok && cpuOK {
		r.cpu, r.cpuKnown = cpuEnd-cpuStart, true
	}
	return r, nil
}

// propsSetups are the setups the property suite runs policy pol on: every
// setup for the seed family, a catalogue's own setups for an algorithm
// that has one (QEMU 11.1 needs the host's own page, box64 a larger one).
func propsSetups(pol string) ([]props.Setup, error) {
	p, err := policy.ParsePolicy(pol)
	if err != nil {
		return nil, err
	}
	if c := props.CatalogueFor(p); c != nil {
		return c.Setups, nil
	}
	return props.Setups, nil
}

// medianRound is the round of median CPU time among rs (the lower middle
// one of an even number).
//
// Preconditions: len(rs) > 0.
func medianRound(rs []propsResult) propsResult {
	sorted := slices.Clone(rs)
	slices.SortStableFunc(sorted, func(a, b propsResult) int { return cmp.Compare(a.cpu, b.cpu) })
	return sorted[(len(sorted)-1)/2]
}

// randSource adapts a seeded *rand.Rand to props.Source.
type randSource struct{ r *rand.Rand }

func (s randSource) Uint64() uint64 { return s.r.Uint64() }

// sectionProps reports the property suite's throughput on every setup,
// on one CPU (GOMAXPROCS 1, as a CI job per core would run it).
func sectionProps(o *options) (*table, error) {
	t := &table{
		title:  fmt.Sprintf("5. property-suite throughput (policy %s, %d ops per sequence, seed %d, GOMAXPROCS 1)", o.policy, o.propSteps, o.seed),
		header: []string{"setup", "sequences", "ops", "failed", "CPU s", "sequences/CPU-s", "ops/CPU-s", "slowest sequence"},
	}
	setups, err := propsSetups(o.policy)
	if err != nil {
		return nil, err
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	// Each round runs every setup's sequences (the same ones each round),
	// the setups taking turns, so that a moment of noise on this shared
	// machine costs one setup one round, not its figure.
	rounds := make([][]propsResult, len(setups))
	for round := 0; round < max(1, o.propRounds); round++ {
		for i, setup := range setups {
			o.progress("5: round %d: %s: %d sequences", round+1, setup.Name, o.propSeqs)
			r, err := runProps(setup, o.policy, o.seed, o.propSeqs, o.propSteps)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", setup.Name, err)
			}
			rounds[i] = append(rounds[i], r)
		}
	}
	slowest, slowestName := -1.0, ""
	cpuKnown := true
	for i, setup := range setups {
		r := medianRound(rounds[i])
		cpuKnown = cpuKnown && r.cpuKnown
		sec := r.cpu.Seconds()
		perSec := float64(r.seqs) / sec
		if slowest < 0 || perSec < slowest {
			slowest, slowestName = perSec, setup.Name
		}
		t.add(setup.Name, count(int64(r.seqs)), count(int64(r.ops)), count(int64(r.failed)), fmt.Sprintf("%.2f", sec),
			rate(perSec), rate(float64(r.ops)/sec), fmt.Sprintf("#%d: %v", r.slowestSeq, r.slowest.Round(time.Millisecond)))
	}
	if o.policy == "fixed" { // the goal is the reference's
		o.set(goalProps, slowestName, slowest)
	}
	t.note(fmt.Sprintf("each setup: the round of median CPU time, of %d rounds in which the setups took turns", max(1, o.propRounds)))
	t.note("each sequence: props.NewSystem (a clone of the setup's prepared system), then props.GenOp and System.Exec per op, then System.Finish")
	t.note("  (sim and the reference kernel compared over what each op touched; the whole space and the invariants every few ops and at the end)")
	t.note("a failed sequence stops at its failing op; the same seed gives the same sequences (#n: the n-th, from 0)")
	if cpuKnown {
		t.note("CPU s: the process's user and system time (getrusage) over the setup's sequences, the GC's included")
	} else {
		t.note("CPU s: elapsed seconds (no CPU clock here)")
	}
	return t, nil
}

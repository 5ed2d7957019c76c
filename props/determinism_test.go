package props

import (
	"math/rand"
	"sort"
	"testing"

	"github.com/mmapsim/mmapsim/policy"
)

// runSeeded executes n generated operations from seed on setup and returns
// the run as scenario text.
func runSeeded(t testing.TB, setup Setup, pol policy.Policy, seed int64, n int) string {
	s, err := NewSystem(setup, pol)
	if err != nil {
		t.Fatal(err)
	}
	execSeeded(s, seed, n, nil)
	return s.Scenario()
}

// execSeeded executes up to n operations generated from seed on s, until
// one fails, calling after (when set) after each that did not.
func execSeeded(s *System, seed int64, n int, after func(op Op)) {
	src := rngSource{rand.New(rand.NewSource(seed))}
	handles := 0
	for i := 0; i < n; i++ {
		op := GenOp(src, handles)
		if !s.Exec(op) {
			break
		}
		if op.Kind == OpMmap || op.Kind == OpMremap {
			handles++
		}
		if after != nil {
			after(op)
		}
	}
}

// TestDeterministic checks that a seed gives the same run, text for text,
// twice in one process (and, through the golden counterexamples in
// testdata, on every platform CI runs).
func TestDeterministic(t *testing.T) {
	t.Logf("props.seed=%d", *flagSeed)
	for _, setup := range Setups {
		a := runSeeded(t, setup, policy.Fixed, *flagSeed, *flagSteps)
		b := runSeeded(t, setup, policy.Fixed, *flagSeed, *flagSteps)
		if a != b {
			t.Errorf("%s: two runs of seed %d differ:\n%s\n---\n%s", setup.Name, *flagSeed, a, b)
		}
		if c := runSeeded(t, setup, policy.Fixed, *flagSeed+1, *flagSteps); c == a {
			t.Errorf("%s: seeds %d and %d give the same run", setup.Name, *flagSeed, *flagSeed+1)
		}
	}
}

// BenchmarkSequences measures the property suite's throughput: one
// iteration is one sequence of props.steps operations on both systems.
func BenchmarkSequences(b *testing.B) {
	for _, name := range []string{"i386-4k-reserved", "i386-64k-reserved", "x86_64-16k"} {
		setup, _ := SetupByName(name)
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				runSeeded(b, setup, policy.Fixed, int64(i), *flagSteps)
			}
		})
	}
}

// TestDivergencesNamed runs sequences on every setup and checks that every
// divergence the comparison allows is a documented one (Divergences); it
// reports how often each was seen, so a test shows each happening.
func TestDivergencesNamed(t *testing.T) {
	seeds := int64(25)
	if testing.Short() {
		seeds = 3
	}
	t.Logf("props.seed=%d..%d on every setup, %d steps", *flagSeed, *flagSeed+seeds-1, *flagSteps)
	seen := map[string]int{}
	for _, setup := range Setups {
		for i := int64(0); i < seeds; i++ {
			s, err := NewSystem(setup, policy.Fixed)
			if err != nil {
				t.Fatal(err)
			}
			execSeeded(s, *flagSeed+i, *flagSteps, nil)
			for name, c := range s.Divergences {
				seen[name] += c
				if _, ok := Divergences[name]; !ok {
					t.Errorf("%s seed %d: divergence %q is not documented in Divergences", setup.Name, *flagSeed+i, name)
				}
			}
		}
	}
	names := make([]string, 0, len(Divergences))
	for name := range Divergences {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Logf("%-24s seen %d times", name, seen[name])
	}
}

package props

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// box64's own tests: the catalogue tests (behaviours_test.go) check its
// catalogue, run its setups and re-run its examples; the census here counts
// what a box64 developer would meet first.

var flagBox64Census = flag.Bool("props.box64-census", false,
	"count, over props.checks runs of props.steps operations per box64 setup, the runs that show each box64 behaviour")

// TestBox64Census counts how often each behaviour shows in random runs
// (the runs that show it, and the runs it ends). It runs with
// -props.box64-census; with -props.update it also writes, for a behaviour
// a run ended at that has no example yet, that run as its example.
func TestBox64Census(t *testing.T) {
	if !*flagBox64Census {
		t.Skip("the census runs with -props.box64-census")
	}
	c := box64Catalogue
	pol := c.Policies[0]
	for _, setup := range c.Setups {
		shown, ended := map[string]int{}, map[string]int{}
		steps := 0
		for i := 0; i < *flagChecks; i++ {
			s, err := NewSystem(setup, pol)
			if err != nil {
				t.Fatal(err)
			}
			src := rngSource{rand.New(rand.NewSource(*flagSeed*1000003 + int64(i)))}
			for n := 0; n < *flagSteps && s.comparing(); n++ {
				if !s.Exec(GenOp(src, len(s.handles))) {
					msg, _ := s.Failed()
					t.Fatalf("seed %d run %d: %s\n%s", *flagSeed, i, msg, s.Scenario())
				}
				steps++
			}
			for name := range s.Divergences {
				shown[name]++
			}
			if s.stopped != "" {
				ended[s.stopped]++
				if *flagUpdate {
					writeMissingExample(t, c, s, i)
				}
			}
		}
		var lines []string
		for _, b := range c.Behaviours {
			if shown[b.Name] > 0 {
				lines = append(lines, fmt.Sprintf("  %-42s shown in %4d runs, ended %4d", b.Name, shown[b.Name], ended[b.Name]))
			}
		}
		t.Logf("%s: props.seed=%d, %d runs, %.1f operations a run before the end:\n%s",
			setup.Name, *flagSeed, *flagChecks, float64(steps)/float64(*flagChecks), strings.Join(lines, "\n"))
	}
}

// writeMissingExample writes, for census run i that ended at a behaviour
// whose scenario does not exist yet, the run's operations again with that
// behaviour disallowed, as its example (not shrunk).
func writeMissingExample(t *testing.T, c *Catalogue, s *System, i int) {
	b, ok := c.Behaviour(s.stopped)
	if !ok {
		return // a divergence
	}
	if _, err := os.Stat(filepath.Join("..", filepath.FromSlash(b.Scenario))); err == nil {
		return
	}
	again, err := NewSystemWith(s.setup, s.policy, Options{Disallow: b.Name})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range s.Ops() {
		if !again.Exec(op) {
			break
		}
	}
	msg, _ := again.Failed()
	if !strings.HasPrefix(msg, "behaviour "+b.Name+":") {
		t.Fatalf("census run %d ended at %s but does not fail on it again: %s", i, b.Name, firstLine(msg))
	}
	msg = strings.TrimPrefix(msg, "behaviour "+b.Name+": ")
	text := again.Scenario()
	writeBehaviourScenario(t, c, b, again, *flagSeed, msg, text, replay(t, b.Name, text, "") == 0)
}

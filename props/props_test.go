package props

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/commands"
	"github.com/mmapsim/mmapsim/policy"
)

var (
	flagSeed   = flag.Int64("props.seed", 1, "seed of the property runs (printed by every test)")
	flagChecks = flag.Int("props.checks", 40, "sequences per setup and property")
	flagSteps  = flag.Int("props.steps", 50, "operations per sequence")
	flagLong   = flag.Bool("props.long", false, "run a deeper campaign (100x the sequences), showing progress")
)

// runProps checks the transparency properties on one setup and policy and
// returns the shortest failing run, if any.
func runProps(t *testing.T, setup Setup, pol policy.Policy, seed int64, checks int) (*Commands, bool) {
	return runPropsWith(t, setup, pol, Options{}, seed, checks)
}

// runPropsWith is runProps with each run built as opts say.
func runPropsWith(t *testing.T, setup Setup, pol policy.Policy, opts Options, seed int64, checks int) (*Commands, bool) {
	cmds := NewCommands(setup, pol)
	cmds.Opts = opts
	return runCommands(cmds, seed, checks)
}

// runCommands checks the transparency properties with cmds and returns it
// (its shortest failing run, if any) and whether they held.
func runCommands(cmds *Commands, seed int64, checks int) (*Commands, bool) {
	params := gopter.DefaultTestParametersWithSeed(seed)
	params.MinSuccessfulTests = checks
	params.MinSize = *flagSteps
	params.MaxSize = *flagSteps + 1
	params.Workers = 1
	params.MaxShrinkCount = 2000
	props := gopter.NewProperties(params)
	props.Property("transparency", commands.Prop(cmds))
	// A run that fails only at its end (System.Finish, after the last
	// operation's postcondition) fails the property too.
	ok := props.Run(quietReporter{}) && cmds.Shortest() == nil
	return cmds, ok
}

type quietReporter struct{}

func (quietReporter) ReportTestResult(string, *gopter.TestResult) {}

// transparencyChecks is how many sequences the transparency tests run per
// setup: -props.checks, 100 times that with -props.long, an eighth with
// -short (CI's extra builds: race, 386, wine).
func transparencyChecks() int {
	checks := *flagChecks
	if *flagLong {
		checks *= 100
	}
	if testing.Short() {
		checks = max(1, checks/4) // CI's extra builds (race, 386, wine)
	}
	return checks
}

// checkTransparency runs the properties on setup under pol and fails t
// with the shortest counterexample if they do not hold.
func checkTransparency(t *testing.T, label string, setup Setup, pol policy.Policy, checks int) {
	t.Helper()
	start := time.Now()
	cmds, ok := runProps(t, setup, pol, *flagSeed, checks)
	if *flagLong {
		fmt.Printf("props: %s: %d runs in %v\n", label, cmds.Runs(), time.Since(start).Round(time.Millisecond))
	}
	if !ok {
		s := cmds.Shortest()
		if s == nil {
			t.Fatalf("seed %d: the property failed but no failing run was kept", *flagSeed)
		}
		msg, line := s.Failed()
		t.Fatalf("seed %d: %s\nat line %d of the counterexample:\n%s", *flagSeed, msg, line, s.Scenario())
	}
}

// TestTransparencyFixed runs the properties on every setup with the fixed
// algorithm: every guest-visible outcome must match the guest kernel's,
// apart from the named divergences.
func TestTransparencyFixed(t *testing.T) {
	checks := transparencyChecks()
	t.Logf("props.seed=%d props.checks=%d props.steps=%d", *flagSeed, checks, *flagSteps)
	for _, setup := range Setups {
		t.Run(setup.Name, func(t *testing.T) { checkTransparency(t, setup.Name, setup, policy.Fixed, checks) })
	}
}

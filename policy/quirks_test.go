package policy_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
	"github.com/mmapsim/mmapsim/sim"
)

const quirkDir = "testdata/quirks"

// runQuirkScenario runs a quirk's regression scenario under the given
// policy, with the invariants checked after every statement, and returns
// its failures.
func runQuirkScenario(t *testing.T, file, pol string) []scenario.Failure {
	return runQuirkScenarioChecked(t, file, pol, true)
}

// runQuirkScenarioChecked is runQuirkScenario with the invariant checks
// on or off.
func runQuirkScenarioChecked(t *testing.T, file, pol string, check bool) []scenario.Failure {
	t.Helper()
	f, err := syntax.ReadFile(filepath.Join(quirkDir, file))
	if err != nil {
		t.Fatal(err)
	}
	set := scenario.NewSettings()
	if err := set.Set("policy", pol, "test"); err != nil {
		t.Fatal(err)
	}
	rep, err := scenario.Run(f, scenario.RunOptions{Settings: set, Check: check})
	if err != nil {
		t.Fatalf("%s under %s: %v", file, pol, err)
	}
	return rep.Failures
}

// TestQuirkScenarios checks each quirk's regression scenario both ways: the
// fixed algorithm passes it, and the fixed algorithm with only that quirk
// put back fails it. A quirk that needs others to show (QuirkInfo.Needs)
// is checked on top of them: fixed-except=<Needs> passes (invariants
// unchecked), and with the quirk added fails.
func TestQuirkScenarios(t *testing.T) {
	for _, qi := range policy.Quirks {
		t.Run(qi.Name(), func(t *testing.T) {
			if len(qi.Needs) > 0 {
				base := sim.QuirkSet{}
				for _, q := range qi.Needs {
					base = base.With(q)
				}
				if fails := runQuirkScenarioChecked(t, qi.Scenario, "fixed-except="+base.String(), false); len(fails) != 0 {
					t.Errorf("policy=fixed-except=%s: %d failures, first: %v", base, len(fails), fails[0])
				}
				with := base.With(qi.Quirk)
				if fails := runQuirkScenarioChecked(t, qi.Scenario, "fixed-except="+with.String(), false); len(fails) == 0 {
					t.Errorf("policy=fixed-except=%s: the scenario passes, so it does not show the quirk", with)
				}
				return
			}
			if fails := runQuirkScenario(t, qi.Scenario, "fixed"); len(fails) != 0 {
				t.Errorf("policy=fixed: %d failures, first: %v", len(fails), fails[0])
			}
			if fails := runQuirkScenario(t, qi.Scenario, "fixed-except="+qi.Name()); len(fails) == 0 {
				t.Errorf("policy=fixed-except=%s: the scenario passes, so it does not show the quirk", qi.Name())
			}
		})
	}
}

// TestQuirkCatalogue checks that every quirk sim knows is described, once,
// with a scenario file, and that every scenario file belongs to a quirk.
func TestQuirkCatalogue(t *testing.T) {
	seen := map[sim.Quirk]bool{}
	files := map[string]bool{}
	for _, qi := range policy.Quirks {
		if seen[qi.Quirk] {
			t.Errorf("quirk %v described twice", qi.Quirk)
		}
		seen[qi.Quirk] = true
		files[qi.Scenario] = true
		if qi.Scenario != qi.Name()+".scn" {
			t.Errorf("quirk %v: scenario %q, want %q", qi.Quirk, qi.Scenario, qi.Name()+".scn")
		}
		if qi.Description() == "" || qi.Symptom == "" || qi.SeedLines() == "" {
			t.Errorf("quirk %v: empty description, symptom or seed lines", qi.Quirk)
		}
	}
	for q := sim.Quirk(0); int(q) < sim.NumQuirks; q++ {
		if !seen[q] {
			t.Errorf("quirk %v has no catalogue entry", q)
		}
	}
	entries, err := os.ReadDir(quirkDir)
	if err != nil {
		t.Fatal(err)
	}
	var extra []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".scn") && !files[e.Name()] {
			extra = append(extra, e.Name())
		}
	}
	sort.Strings(extra)
	if len(extra) != 0 {
		t.Errorf("scenario files without a quirk: %v", extra)
	}
}

// TestParsePolicy checks the policy syntax and its round trip.
func TestParsePolicy(t *testing.T) {
	cases := []struct {
		in   string
		want sim.QuirkSet
	}{
		{"seed", sim.SeedQuirks},
		{"fixed", sim.QuirkSet{}},
		{"fixed-except=mmap-len-zero", sim.QuirkSet{}.With(sim.QuirkMmapLenZero)},
		{"quirks=frag-anon-stale,mmap-len-zero", sim.QuirkSet{}.With(sim.QuirkMmapLenZero).With(sim.QuirkFragAnonStale)},
		{"seed-except=mmap-len-zero", sim.SeedQuirks.Without(sim.QuirkMmapLenZero)},
	}
	for _, c := range cases {
		got, err := policy.ParsePolicy(c.in)
		if err != nil || got != (policy.Policy{Quirks: c.want}) {
			t.Errorf("ParsePolicy(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		back, err := policy.ParsePolicy(got.String())
		if err != nil || back != got {
			t.Errorf("ParsePolicy(PolicyString(%v)) = %v, %v", got, back, err)
		}
	}
	for _, bad := range []string{"", "sed", "fixed-except=nosuch", "except=mmap-len-zero"} {
		if _, err := policy.ParsePolicy(bad); err == nil {
			t.Errorf("ParsePolicy(%q) succeeded, want an error", bad)
		}
	}
}

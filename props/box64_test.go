package props

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/policy"
)

// box64Setups are the setups the properties run box64 on: an x86_64 guest
// on every host preset whose page is larger than 4K.
var box64Setups = []Setup{
	{Name: "x86_64-16k", Host: "arm64-16k", Target: "x86_64"},
	{Name: "x86_64-64k", Host: "arm64-64k", Target: "x86_64"},
	{Name: "x86_64-ppc64le", Host: "ppc64le", Target: "x86_64"},
}

// box64Policies are box64 with and without its Wine switch.
var box64Policies = []string{"box64", "box64-wine"}

// box64Budget is how many sequences the search for one behaviour may run on
// each setup and policy, for each seed the search tries (props.box64-seeds).
const box64Budget = 300

var flagBox64Seeds = flag.Int64("props.box64-seeds", 8, "how many seeds, from props.seed on, the box64 behaviour search tries")

var flagBox64Search = flag.Bool("props.box64-search", false,
	"search the properties for an example of every box64 behaviour (with -props.update, rewrite testdata/box64)")

// box64PropsCannotFind are the behaviours the random runs do not reach, and
// why; sim/box64/testdata shows each of them.
var box64PropsCannotFind = map[string]string{
	"madvise-dontneed-zeroes-file-data": "it needs a private file mapping at a host-aligned offset, then MADV_DONTNEED of part of a host page " +
		"whose first or last byte box64's file record misses (a mapping length not a multiple of 4K, or a second mapping of the file below the first): " +
		"over 130000 runs have not met it; sim/box64/testdata/madvise-dontneed-file-unrecorded.scn shows it",
}

func box64Policy(t *testing.T, name string) policy.Policy {
	t.Helper()
	pol, err := policy.ParsePolicy(name)
	if err != nil {
		t.Fatal(err)
	}
	return pol
}

// TestBox64Transparency runs the properties on box64 (with and without
// Wine) on every setup with a host page larger than 4K: every outcome must
// match the guest's own kernel's, or be one of box64's named behaviours.
func TestBox64Transparency(t *testing.T) {
	checks := 5 * *flagChecks // box64's runs end sooner than QEMU's: more of them

	if *flagLong {
		checks *= 100
	}
	if testing.Short() {
		checks = max(1, checks/8)
	}
	t.Logf("props.seed=%d props.checks=%d props.steps=%d", *flagSeed, checks, *flagSteps)
	for _, name := range box64Policies {
		pol := box64Policy(t, name)
		for _, setup := range box64Setups {
			t.Run(name+"/"+setup.Name, func(t *testing.T) {
				cmds, ok := runProps(t, setup, pol, *flagSeed, checks)
				if !ok {
					s := cmds.Shortest()
					if s == nil {
						t.Fatalf("seed %d: the property failed but no failing run was kept", *flagSeed)
					}
					msg, line := s.Failed()
					t.Fatalf("seed %d: a difference box64's catalogue does not name: %s\nat line %d of the counterexample:\n%s",
						*flagSeed, msg, line, s.Scenario())
				}
			})
		}
	}
}

// TestBox64FindEveryBehaviour searches, for each named behaviour, a run
// where it shows: the properties with that behaviour disallowed must fail
// on it. With -props.update it writes the shrunk run to the behaviour's
// scenario in testdata/box64, with its operations.
func TestBox64FindEveryBehaviour(t *testing.T) {
	if !*flagBox64Search && !*flagUpdate {
		t.Skip("the search runs with -props.box64-search or -props.update; TestBox64Regressions re-runs the examples it found")
	}
	t.Logf("props.seed=%d..%d budget=%d sequences per setup and policy", *flagSeed, *flagSeed+*flagBox64Seeds-1, box64Budget)
	for _, b := range Box64Behaviours {
		t.Run(b.Name, func(t *testing.T) {
			if why, ok := box64PropsCannotFind[b.Name]; ok {
				t.Skip("the properties do not reach this behaviour: " + why)
			}
			found, seed, runs := searchBehaviour(t, b.Name)
			if found == nil {
				t.Fatalf("seed %d: the properties did not show %s in %d runs on %d setups", *flagSeed, b.Name, runs, len(box64Setups))
			}
			msg, _ := found.Failed()
			t.Logf("found in %d runs: %s\n%s", runs, firstLine(msg), found.Scenario())
			if *flagUpdate {
				writeBehaviourScenario(t, b, found, fmt.Sprintf("TestBox64FindEveryBehaviour (props.seed=%d), shrunk", seed))
			}
		})
	}
}

// searchBehaviour runs the properties with behaviour name disallowed, under
// each box64 policy and on each setup, until a run fails on it; it returns
// the shortest such run and the runs it made.
func searchBehaviour(t *testing.T, name string) (found *System, seed int64, runs int) {
	for seed = *flagSeed; seed < *flagSeed+*flagBox64Seeds; seed++ {
		for _, polName := range box64Policies {
			pol := box64Policy(t, polName)
			for _, setup := range box64Setups {
				cmds, ok := runPropsWith(t, setup, pol, Options{Disallow: name}, seed, box64Budget)
				runs += cmds.Runs()
				if ok || cmds.Shortest() == nil {
					continue
				}
				s := cmds.Shortest()
				if msg, _ := s.Failed(); !strings.HasPrefix(msg, "behaviour "+name+":") {
					t.Fatalf("seed %d: a difference box64's catalogue does not name: %s\n%s", seed, msg, s.Scenario())
				}
				return s, seed, runs
			}
		}
	}
	return nil, 0, runs
}

// Lines of a behaviour's scenario that keep the run's setup and operations,
// so TestBox64Regressions can run them again through the properties (the
// views, which the scenario language cannot show, included).
const (
	setupLinePrefix = "#@setup "
	opLinePrefix    = "#@op "
)

// replayFailsNote is the header line of an example whose expectations fail
// when replayed under box64 (where the difference shows in a call's result,
// a load or a store, or box64's own invariants).
const replayFailsNote = "# Replayed under box64 (mmapsim run --check), its expectations fail."

// writeBehaviourScenario writes the example of behaviour b to its scenario
// file, with a header saying what it shows and its operations.
func writeBehaviourScenario(t *testing.T, b Behaviour, found *System, origin string) {
	text := found.Scenario()
	msg, _ := found.Failed()
	// The properties' messages call the emulator QEMU.
	msg = strings.ReplaceAll(strings.TrimPrefix(msg, "behaviour "+b.Name+": "), "QEMU", "box64")
	var h strings.Builder
	fmt.Fprintf(&h, "# box64 behaviour %s (%s; box64 %s),\n", b.Name, b.Verdict, b.SourceLine)
	fmt.Fprintf(&h, "# found by %s, setup %s, policy=%v.\n", origin, found.setup.Name, found.policy)
	fmt.Fprintf(&h, "# The expectations are the guest's own kernel's; under box64 the run differs at its end:\n")
	for _, l := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		if strings.HasPrefix(l, "the guest kernel's mappings:") {
			break
		}
		h.WriteString("#   " + l + "\n")
	}
	switch {
	case replay(t, b.Name, text, "") != 0:
		h.WriteString(replayFailsNote + "\n")
	case strings.HasPrefix(msg, "box64 aborted"):
		h.WriteString("# Replayed, box64 dies at the last call, whose expectation (\"?\") a crash meets too.\n")
	default:
		h.WriteString("# Replayed, it passes: the difference is in the views (box64's page flags against the kernel's\n" +
			"# mappings), which the scenario language cannot show; the #@ lines re-run it through the properties.\n")
	}
	if replay(t, b.Name, text, "fixed") == 0 {
		h.WriteString("# Under policy=fixed (QEMU's fixed algorithm) it passes.\n")
	}
	var ops strings.Builder
	fmt.Fprintf(&ops, "%s%s policy=%v\n", setupLinePrefix, found.setup.Name, found.policy)
	for _, op := range found.Ops() {
		j, err := json.Marshal(op)
		if err != nil {
			t.Fatal(err)
		}
		ops.WriteString(opLinePrefix + string(j) + "\n")
	}
	path := filepath.Join("testdata", "box64", b.Name+".scn")
	if err := os.WriteFile(path, []byte(h.String()+text+ops.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBox64Regressions replays every example kept in testdata/box64: its
// operations, run again through the properties with its behaviour
// disallowed, fail on that behaviour; its scenario fails under box64 where
// its header says so, and passes under policy=fixed where it says so.
func TestBox64Regressions(t *testing.T) {
	files, _ := filepath.Glob("testdata/box64/*.scn")
	if len(files) == 0 {
		t.Fatal("no box64 examples in testdata/box64 (run TestBox64FindEveryBehaviour with -props.update)")
	}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		name := strings.TrimSuffix(filepath.Base(path), ".scn")
		t.Run(name, func(t *testing.T) {
			s := rerunExample(t, name, text)
			if msg, _ := s.Failed(); !strings.HasPrefix(msg, "behaviour "+name+":") {
				t.Errorf("%s: its operations no longer show %s (%q)\n%s", path, name, firstLine(msg), s.Scenario())
			}
			if strings.Contains(text, replayFailsNote) && replay(t, name, text, "") == 0 {
				t.Errorf("%s: passes under box64", path)
			}
			if strings.Contains(text, "# Under policy=fixed (QEMU's fixed algorithm) it passes.") && replay(t, name, text, "fixed") != 0 {
				t.Errorf("%s: fails under policy=fixed", path)
			}
		})
	}
}

// rerunExample runs the operations kept in an example's #@ lines through
// the properties, with behaviour name disallowed.
func rerunExample(t *testing.T, name, text string) *System {
	t.Helper()
	var s *System
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, setupLinePrefix):
			fields := strings.Fields(strings.TrimPrefix(line, setupLinePrefix))
			if len(fields) != 2 || !strings.HasPrefix(fields[1], "policy=") {
				t.Fatalf("%s: bad setup line %q", name, line)
			}
			setup, ok := box64SetupByName(fields[0])
			if !ok {
				t.Fatalf("%s: unknown setup %q", name, fields[0])
			}
			var err error
			s, err = NewSystemWith(setup, box64Policy(t, strings.TrimPrefix(fields[1], "policy=")), Options{Disallow: name})
			if err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(line, opLinePrefix):
			var op Op
			if s == nil {
				t.Fatalf("%s: an operation before the setup line", name)
			}
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, opLinePrefix)), &op); err != nil {
				t.Fatalf("%s: bad operation line %q: %v", name, line, err)
			}
			s.Exec(op)
		}
	}
	if s == nil {
		t.Fatalf("%s: no setup line", name)
	}
	return s
}

// box64SetupByName returns the box64 setup called name.
func box64SetupByName(name string) (Setup, bool) {
	for _, s := range box64Setups {
		if s.Name == name {
			return s, true
		}
	}
	return Setup{}, false
}

// TestBox64Catalogue checks the catalogue: every behaviour has a unique
// name, where it comes from, a verdict with its reason, a way to be named
// and what its effect needs; every behaviour the properties find has its
// example in testdata/box64, and every example there is a behaviour's.
func TestBox64Catalogue(t *testing.T) {
	names := map[string]bool{}
	for _, b := range Box64Behaviours {
		if names[b.Name] {
			t.Errorf("behaviour %q listed twice", b.Name)
		}
		names[b.Name] = true
		if b.SourceLine == "" || b.Why == "" || b.Doc == "" || (b.Verdict != Defect && b.Verdict != TradeOff) {
			t.Errorf("behaviour %q: no source line, reason, description or verdict", b.Name)
		}
		if b.Match == nil && b.Delta == nil {
			t.Errorf("behaviour %q: no condition", b.Name)
		}
		if (b.Then == taintPages) != (b.Unknown != nil) {
			t.Errorf("behaviour %q: a taintPages behaviour, and only one, says which pages it leaves unknown", b.Name)
		}
		if b.Scenario != "testdata/box64/"+b.Name+".scn" {
			t.Errorf("behaviour %q: scenario %q, want testdata/box64/%s.scn", b.Name, b.Scenario, b.Name)
		}
		if _, skip := box64PropsCannotFind[b.Name]; !skip {
			if _, err := os.Stat(b.Scenario); err != nil {
				t.Errorf("behaviour %q: no example: %v", b.Name, err)
			}
		}
	}
	files, _ := filepath.Glob("testdata/box64/*.scn")
	sort.Strings(files)
	for _, f := range files {
		if n := strings.TrimSuffix(filepath.Base(f), ".scn"); !names[n] {
			t.Errorf("%s: no behaviour %q in Box64Behaviours", f, n)
		}
	}
}

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

var flagBox64Census = flag.Bool("props.box64-census", false,
	"count, over props.checks runs of props.steps operations per box64 setup, the runs that show each box64 behaviour")

// TestBox64Census counts how often each behaviour shows in random runs
// (the runs that show it, and the runs it ends): what a box64 developer
// would meet first. It runs with -props.box64-census.
func TestBox64Census(t *testing.T) {
	if !*flagBox64Census {
		t.Skip("the census runs with -props.box64-census")
	}
	pol := box64Policy(t, "box64")
	for _, setup := range box64Setups {
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
					writeMissingExample(t, s, fmt.Sprintf("TestBox64Census (props.seed=%d, run %d), not shrunk", *flagSeed, i))
				}
			}
		}
		var lines []string
		for _, b := range Box64Behaviours {
			if shown[b.Name] > 0 {
				lines = append(lines, fmt.Sprintf("  %-42s shown in %4d runs, ended %4d", b.Name, shown[b.Name], ended[b.Name]))
			}
		}
		t.Logf("%s: props.seed=%d, %d runs, %.1f operations a run before the end:\n%s",
			setup.Name, *flagSeed, *flagChecks, float64(steps)/float64(*flagChecks), strings.Join(lines, "\n"))
	}
}

// writeMissingExample writes, for a census run that ended at a behaviour
// with no example in testdata/box64 yet, the run's operations again with
// that behaviour disallowed, as its example (not shrunk).
func writeMissingExample(t *testing.T, s *System, origin string) {
	name := s.stopped
	path := filepath.Join("testdata", "box64", name+".scn")
	if _, err := os.Stat(path); err == nil {
		return
	}
	again, err := NewSystemWith(s.setup, s.policy, Options{Disallow: name})
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range s.Ops() {
		if !again.Exec(op) {
			break
		}
	}
	if msg, _ := again.Failed(); !strings.HasPrefix(msg, "behaviour "+name+":") {
		t.Fatalf("the census run that ended at %s does not fail on it again: %s", name, firstLine(msg))
	}
	for _, b := range Box64Behaviours {
		if b.Name == name {
			writeBehaviourScenario(t, b, again, origin)
		}
	}
}

package props

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/leanovate/gopter/commands"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// The catalogues of the algorithms other than the reference (catalogue.go):
// their names are checked, the properties run on every setup of each with
// every difference named, each behaviour is shown happening, and each
// behaviour's scenario replays.

var flagSearchSeeds = flag.Int64("props.search-seeds", 1,
	"how many seeds, from a behaviour's own on, the search for it tries (box64's examples were found with 8)")

// catalogueRuleInfo describes rule r of c for checkRuleShape: a rule's Doc
// may leave the condition to its behaviour's.
func catalogueRuleInfo(c *Catalogue, r Rule) ruleInfo {
	doc := r.Doc
	if b, ok := c.Behaviour(r.Name); ok && doc == "" {
		doc = b.Doc
	}
	return ruleInfo{point: "catalogue", name: r.Name, doc: doc, then: r.Then,
		hasWhen: (r.Match != nil) != (r.Delta != nil), hasUnknown: r.Unknown != nil,
		canUndo: true} // a keepQEMU rule met where there is nothing to undo stops the run (allowNamed)
}

// TestCataloguesNamed checks each catalogue: every rule names one of its
// behaviours (or a divergence), says when it applies and has what its
// effect needs; every behaviour is described, has a verdict with its
// reason, a source and a scenario that exists, and has a rule unless it
// says why the properties cannot show it; a QEMU release's quirk status
// covers every quirk, consistently with its behaviours.
func TestCataloguesNamed(t *testing.T) {
	for _, c := range Catalogues {
		t.Run(c.Name(), func(t *testing.T) {
			for _, p := range c.Policies {
				if CatalogueFor(p) != c {
					t.Errorf("CatalogueFor(%v) does not find it", p)
				}
			}
			if len(c.Setups) == 0 || c.Title == "" {
				t.Errorf("no setups or no title")
			}
			setupNames := map[string]bool{}
			for _, s := range c.Setups {
				if setupNames[s.Name] {
					t.Errorf("setup %q twice", s.Name)
				}
				setupNames[s.Name] = true
			}
			ruled := map[string]int{}
			for _, r := range c.Rules {
				ruled[r.Name]++
				_, own := c.Behaviour(r.Name)
				if _, div := Divergences[r.Name]; !own && (!div || c.OwnLayout) {
					t.Errorf("rule %q: neither a behaviour of %s nor a divergence it keeps", r.Name, c.Name())
				}
				checkRuleShape(t, catalogueRuleInfo(c, r))
				if (r.Then == adoptQEMU) != (r.Adopt != nil) {
					t.Errorf("rule %q: an adoptQEMU rule, and only one, says how to adopt the emulator's outcome", r.Name)
				}
			}
			seen := map[string]bool{}
			for _, b := range c.Behaviours {
				if seen[b.Name] {
					t.Errorf("behaviour %q twice", b.Name)
				}
				seen[b.Name] = true
				if _, div := Divergences[b.Name]; div && !c.OwnLayout {
					t.Errorf("behaviour %q has a divergence's name", b.Name)
				}
				if b.Verdict != Defect && b.Verdict != TradeOff {
					t.Errorf("%s: no verdict", b.Name)
				}
				if b.SourceLine == "" || b.Why == "" || b.Doc == "" || b.Scenario == "" {
					t.Errorf("%s: no source line, reason, doc or scenario", b.Name)
				}
				if _, err := os.Stat(filepath.Join("..", filepath.FromSlash(b.Scenario))); err != nil {
					t.Errorf("%s: its scenario: %v", b.Name, err)
				}
				if ruled[b.Name] == 0 && b.NotByProps == "" {
					t.Errorf("%s: no rule names it, and it does not say why the properties cannot show it (NotByProps)", b.Name)
				}
				if b.Quirk != "" {
					q, ok := sim.QuirkByName(b.Quirk)
					if !ok {
						t.Errorf("%s: quirk %q unknown", b.Name, b.Quirk)
					} else if st := c.QuirkStatus[q]; !st.Has || st.Behaviour != b.Name {
						t.Errorf("%s: says it is quirk %s, whose status (%+v) does not name it", b.Name, b.Quirk, st)
					}
				}
				for _, name := range b.Setups {
					if !setupNames[name] {
						t.Errorf("%s: setup %q is not one of the catalogue's", b.Name, name)
					}
				}
			}
			if c.QuirkStatus == nil {
				return // not QEMU's code: the seed's quirks do not apply
			}
			for _, qi := range policy.Quirks {
				st, ok := c.QuirkStatus[qi.Quirk]
				switch {
				case !ok:
					t.Errorf("quirk %s: no status", qi.Name())
				case st.Why == "":
					t.Errorf("quirk %s: the status does not say why", qi.Name())
				case st.Behaviour != "":
					if b, ok := c.Behaviour(st.Behaviour); !ok || !st.Has {
						t.Errorf("quirk %s: status names behaviour %q, which is not one it has", qi.Name(), st.Behaviour)
					} else if b.Quirk != "" && b.Quirk != qi.Name() {
						t.Errorf("quirk %s: behaviour %s says it is quirk %s", qi.Name(), b.Name, b.Quirk)
					}
				}
			}
		})
	}
}

// TestTransparencyCatalogues runs the properties on every setup of every
// catalogue under each of its policies: every guest-visible outcome must
// match the guest kernel's, apart from the algorithm's named behaviours
// and (for a QEMU release) the divergences. A difference neither names
// fails.
func TestTransparencyCatalogues(t *testing.T) {
	t.Logf("props.seed=%d props.steps=%d", *flagSeed, *flagSteps)
	for _, c := range Catalogues {
		checks := transparencyChecks() * max(1, c.Checks)
		for _, pol := range c.Policies {
			for _, setup := range c.Setups {
				label := pol.String() + "/" + setup.Name
				t.Run(label, func(t *testing.T) {
					t.Logf("props.checks=%d", checks)
					checkTransparency(t, label, setup, pol, checks)
				})
			}
		}
	}
}

// behaviourBudget is how many sequences the search for one behaviour may
// run on each of its setups, under each of its policies, for each seed.
const behaviourBudget = 300

// TestCatalogueBehavioursFound runs, for each behaviour the properties can
// show and whose scenario keeps no operations (those TestCatalogueScenarios
// re-runs), the properties with that behaviour disallowed, and asserts
// that they fail on it: a shrunk run whose scenario fails under the
// algorithm's policy. With -props.update it searches for every behaviour
// and writes the scenario, with its operations, to the behaviour's
// Scenario path.
func TestCatalogueBehavioursFound(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the behaviour search runs in the full test run")
	}
	t.Logf("props.seed=%d props.search-seeds=%d budget=%d sequences per setup and policy", *flagSeed, *flagSearchSeeds, behaviourBudget)
	for _, c := range Catalogues {
		for _, b := range c.Behaviours {
			t.Run(c.Name()+"/"+b.Name, func(t *testing.T) {
				if b.NotByProps != "" {
					t.Skip("the properties cannot show it: " + b.NotByProps)
				}
				data, _ := os.ReadFile(filepath.Join("..", filepath.FromSlash(b.Scenario)))
				if strings.Contains(string(data), opLinePrefix) && !*flagUpdate {
					t.Skip("its scenario keeps the operations that show it: TestCatalogueScenarios re-runs them (-props.update searches again)")
				}
				if strings.Contains(string(data), handFromRuns) {
					// Its rules shadow others' in the runs that show it:
					// disallowed, those runs fail elsewhere first, so the
					// run is shown naming it instead.
					if runs, ok := namedInRuns(c, b); !ok {
						t.Fatalf("seed %d: the properties did not name behaviour %s in %d runs", behaviourSeed(b), b.Name, runs)
					} else {
						t.Logf("named in run %d", runs)
					}
					return
				}
				found, seed, runs := searchBehaviour(t, c, b)
				if found == nil {
					t.Fatalf("seed %d: the properties did not show behaviour %s in %d runs", behaviourSeed(b), b.Name, runs)
				}
				text := found.Scenario()
				msg, _ := found.Failed()
				msg = strings.TrimPrefix(msg, "behaviour "+b.Name+": ")
				t.Logf("found in %d runs on %s (seed %d): %s\n%s", runs, found.setup.Name, seed, msg, text)
				flagsOnly := false
				if replay(t, b.Name, text, "") == 0 {
					// A difference in the emulator's page flags alone
					// (what the guest sees in /proc/self/maps and
					// access_ok) is seen by no expectation.
					switch {
					case strings.HasPrefix(msg, viewsFailure):
						flagsOnly = true
					case strings.HasPrefix(msg, accessOKCall+"("):
						// A system call's buffer check, which a scenario's
						// peek and poke do not make: the operations the
						// scenario keeps show it.
					default:
						t.Errorf("the counterexample passes when replayed under %v:\n%s", found.policy, text)
					}
				}
				if *flagUpdate {
					writeBehaviourScenario(t, c, b, found, seed, msg, text, flagsOnly)
				}
			})
		}
	}
}

// searchBehaviour runs the properties with b disallowed on b's setups (or
// all of c's), under each of c's policies, for each seed the search tries,
// until one fails; it returns the shortest failing run, or nil, its seed
// and the number of runs made. For an algorithm with its own layout, a run
// that fails on a difference no rule names fails the test (for a QEMU
// release, b's rules are switched off: any failure is b's).
func searchBehaviour(t *testing.T, c *Catalogue, b Behaviour) (*System, int64, int) {
	runs := 0
	for seed := behaviourSeed(b); seed < behaviourSeed(b)+*flagSearchSeeds; seed++ {
		for _, pol := range c.Policies {
			for _, setup := range c.behaviourSetups(b) {
				cmds, ok := runPropsWith(t, setup, pol, Options{Disallow: b.Name}, seed, behaviourBudget)
				runs += cmds.Runs()
				s := cmds.Shortest()
				if ok || s == nil {
					continue
				}
				if msg, _ := s.Failed(); c.OwnLayout && !strings.HasPrefix(msg, "behaviour "+b.Name+":") {
					t.Fatalf("seed %d: a difference %s's catalogue does not name: %s\n%s", seed, c.Name(), msg, s.Scenario())
				}
				return s, seed, runs
			}
		}
	}
	return nil, 0, runs
}

// handFromRuns marks a behaviour scenario written by hand from property
// runs that name the behaviour.
const handFromRuns = "# Written by hand from the property runs that name it"

// namedInRuns runs the properties with every rule on, on b's setups, and
// reports whether a run named b, and how many runs were made.
func namedInRuns(c *Catalogue, b Behaviour) (int, bool) {
	runs := 0
	for _, pol := range c.Policies {
		for _, setup := range c.behaviourSetups(b) {
			cmds := NewCommands(setup, pol)
			named := false
			destroy := cmds.DestroySystemUnderTestFunc
			cmds.DestroySystemUnderTestFunc = func(sut commands.SystemUnderTest) {
				named = named || sut.(*System).Divergences[b.Name] > 0
				destroy(sut)
			}
			runCommands(cmds, behaviourSeed(b), behaviourBudget)
			runs += cmds.Runs()
			if named {
				return runs, true
			}
		}
	}
	return runs, false
}

// Lines of a behaviour's scenario that keep the run's setup, policy and
// operations, so TestCatalogueScenarios can run them again through the
// properties (the views, which the scenario language cannot show,
// included).
const (
	setupLinePrefix = "#@setup "
	opLinePrefix    = "#@op "
)

// recordedOps reads the setup line and operations an example keeps; ok is
// false when it keeps none.
func recordedOps(c *Catalogue, text string) (setup Setup, pol policy.Policy, ops []Op, ok bool, err error) {
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(line, setupLinePrefix):
			fields := strings.Fields(strings.TrimPrefix(line, setupLinePrefix))
			if len(fields) != 2 || !strings.HasPrefix(fields[1], "policy=") {
				return setup, pol, nil, false, fmt.Errorf("bad setup line %q", line)
			}
			found := false
			for _, s := range c.Setups {
				if s.Name == fields[0] {
					setup, found = s, true
				}
			}
			if !found {
				return setup, pol, nil, false, fmt.Errorf("setup %q is not one of %s's", fields[0], c.Name())
			}
			if pol, err = policy.ParsePolicy(strings.TrimPrefix(fields[1], "policy=")); err != nil {
				return setup, pol, nil, false, err
			}
			ok = true
		case strings.HasPrefix(line, opLinePrefix):
			if !ok {
				return setup, pol, nil, false, fmt.Errorf("an operation before the setup line")
			}
			var op Op
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, opLinePrefix)), &op); err != nil {
				return setup, pol, nil, false, fmt.Errorf("bad operation line %q: %v", line, err)
			}
			ops = append(ops, op)
		}
	}
	return setup, pol, ops, ok, nil
}

// rerunDisallowed runs ops on setup under pol through the properties with
// behaviour name disallowed, and returns the run's failure ("" if none) and
// the behaviour or divergence it stopped at ("" if none).
func rerunDisallowed(setup Setup, pol policy.Policy, name string, ops []Op) (msg, stopped string, err error) {
	s, err := NewSystemWith(setup, pol, Options{Disallow: name})
	if err != nil {
		return "", "", err
	}
	for _, op := range ops {
		if !s.Exec(op) {
			break
		}
	}
	msg, _ = s.Failed()
	return msg, s.stopped, nil
}

// writeBehaviourScenario writes the counterexample of behaviour b, with a
// header saying what it shows, where it was found and how it fares under
// policy=fixed, and its operations.
func writeBehaviourScenario(t *testing.T, c *Catalogue, b Behaviour, found *System, seed int64, msg, text string, flagsOnly bool) {
	t.Helper()
	if c.QuirkStatus == nil {
		msg = strings.ReplaceAll(msg, "QEMU", c.Title) // the properties' messages call the emulator QEMU
	}
	var h strings.Builder
	fmt.Fprintf(&h, "# %s behaviour %s (%s): %s\n", c.Name(), b.Name, b.Verdict, b.Doc)
	fmt.Fprintf(&h, "# Source: %s\n", b.SourceLine)
	how := "with its rules switched off"
	if c.OwnLayout {
		how = "with it disallowed"
	}
	fmt.Fprintf(&h, "# Found and shrunk by TestCatalogueBehavioursFound %s (props.seed=%d, setup %s, policy=%v):\n",
		how, seed, found.setup.Name, found.policy)
	for _, l := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		h.WriteString("#   " + l + "\n")
	}
	if flagsOnly {
		h.WriteString(flagsOnlyNote + "\n")
	}
	var others []string
	for _, col := range defectColumns {
		if col.catalogue != c {
			others = append(others, col.policy+" "+opsVerdict(found.setup, col.policy, found.Ops()))
		}
	}
	h.WriteString(sameOpsPrefix + strings.Join(others, ", ") + ".\n")
	if replay(t, b.Name, text, "fixed") == 0 {
		h.WriteString("# Under policy=fixed it passes.\n")
	} else {
		h.WriteString("# Under policy=fixed it fails too (at a named divergence, or where the setup's placement differs).\n")
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
	path := filepath.Join("..", filepath.FromSlash(b.Scenario))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(h.String()+text+ops.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCatalogueScenarios replays each behaviour's scenario: it fails under
// the algorithm's policy (or shows the behaviour in the page flags alone,
// or in the operations it keeps, which, run again through the properties
// with the behaviour disallowed, fail on it), and, where its header says
// so, passes under policy=fixed. Every scenario file under a catalogue's
// testdata directory belongs to one of its behaviours.
func TestCatalogueScenarios(t *testing.T) {
	for _, c := range Catalogues {
		owned := map[string]bool{}
		dirs := map[string]bool{}
		for _, b := range c.Behaviours {
			path := filepath.Join("..", filepath.FromSlash(b.Scenario))
			owned[filepath.Clean(path)] = true
			if b.NotByProps == "" { // another's testdata may show one the properties do not
				dirs[filepath.Dir(path)] = true
			}
			t.Run(c.Name()+"/"+b.Name, func(t *testing.T) {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("the behaviour's scenario: %v", err)
				}
				text := string(data)
				setup, pol, ops, kept, err := recordedOps(c, text)
				if err != nil {
					t.Fatalf("%s: %v", b.Scenario, err)
				}
				if kept {
					msg, stopped, err := rerunDisallowed(setup, pol, b.Name, ops)
					if err != nil {
						t.Fatal(err)
					}
					if c.OwnLayout && !strings.HasPrefix(msg, "behaviour "+b.Name+":") || msg == "" {
						t.Errorf("%s: its operations no longer show %s (%q, stopped at %q)", b.Scenario, b.Name, firstLine(msg), stopped)
					}
				}
				if fails := replay(t, b.Name, text, ""); fails == 0 && !kept && b.NotByProps == "" {
					if !strings.Contains(text, flagsOnlyNote) {
						t.Errorf("%s passes under %s: it does not show the behaviour", b.Scenario, c.Name())
					} else if finalFlags(t, b.Name, text, c.Name()) == finalFlags(t, b.Name, text, "fixed") {
						t.Errorf("%s says it shows in the page flags, but they end as policy=fixed's do", b.Scenario)
					}
				}
				switch {
				case strings.Contains(text, "# Under policy=fixed it passes."):
					if fails := replay(t, b.Name, text, "fixed"); fails != 0 {
						t.Errorf("%s: %d failures under policy=fixed, whose header says it passes", b.Scenario, fails)
					}
				case b.NotByProps != "" || b.Verdict != Defect:
				case !strings.Contains(text, "# Under policy=fixed it fails too"):
					t.Errorf("%s: its header should say how it fares under policy=fixed", b.Scenario)
				}
			})
		}
		var stray []string
		for dir := range dirs {
			files, _ := filepath.Glob(filepath.Join(dir, "*.scn"))
			for _, f := range files {
				if !owned[filepath.Clean(f)] {
					stray = append(stray, f)
				}
			}
		}
		sort.Strings(stray)
		for _, f := range stray {
			t.Errorf("%s: no behaviour of %s owns it", f, c.Name())
		}
	}
}

func firstLine(s string) string { return strings.SplitN(s, "\n", 2)[0] }

// behaviourSetups are the setups where b shows: its Setups, or all of the
// catalogue's.
func (c *Catalogue) behaviourSetups(b Behaviour) []Setup {
	if len(b.Setups) == 0 {
		return c.Setups
	}
	var out []Setup
	for _, name := range b.Setups {
		for _, s := range c.Setups {
			if s.Name == name {
				out = append(out, s)
			}
		}
	}
	return out
}

// viewsFailure begins the failure of a run whose views differ.
const viewsFailure = "the guest's mappings differ"

// flagsOnlyNote marks a behaviour's scenario that shows it in QEMU's page
// flags alone: no expectation fails, but the flags at the end differ from
// policy=fixed's (the guest kernel's view).
const flagsOnlyNote = "# It shows in QEMU's page flags only (what the guest sees in /proc/self/maps and access_ok), which no expectation checks: they end other than policy=fixed's."

// finalFlags replays scenario text under pol and returns the page flags'
// protections at the end, as text.
func finalFlags(t *testing.T, name, text, pol string) string {
	t.Helper()
	rep, err := runText(name+".scn", text, pol, false)
	if err != nil {
		t.Fatal(err)
	}
	var segs []viewSeg
	for _, r := range rep.Machine.Sim.FlagRuns() {
		segs = append(segs, viewSeg{r.Start, r.End, r.Flags & sim.PageBits})
	}
	return fmt.Sprint(normalize(segs))
}

// behaviourSeed is the property seed the search for b uses.
func behaviourSeed(b Behaviour) int64 {
	if b.Seed != 0 {
		return b.Seed
	}
	return *flagSeed
}

// sameOpsPrefix begins the header line of a found behaviour's scenario
// that says how the same operations fare under the properties with the
// other policies of the defect table (the divergences allowed).
const sameOpsPrefix = "# The same operations under the properties: "

// opsVerdict runs ops on setup under pol with the properties and says
// "passes", "fails" or "n/a" (the policy cannot run the setup).
func opsVerdict(setup Setup, pol string, ops []Op) string {
	p, err := policy.ParsePolicy(pol)
	if err != nil {
		return "n/a"
	}
	sys, err := NewSystem(setup, p)
	if err != nil {
		return "n/a"
	}
	for _, op := range ops {
		if !sys.Exec(op) {
			return "fails"
		}
	}
	return "passes"
}

package props

import (
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

// The catalogues of the algorithms other than the reference (behaviours.go):
// their names are checked, the properties run on every setup of each with
// every difference named, each behaviour is shown happening, and each
// behaviour's scenario replays.

// catalogueRuleInfos lists every rule of c, whatever its point.
func catalogueRuleInfos(c *Catalogue) []ruleInfo {
	r := c.rules
	var all []ruleInfo
	all = append(all, ruleInfos("mmap", r.mmap, &mmapOutcome{})...)
	all = append(all, ruleInfos("mremap", r.mremap, &mremapOutcome{})...)
	all = append(all, ruleInfos("call", r.call, &callOutcome{})...)
	all = append(all, ruleInfos("access", r.access, &accessOutcome{})...)
	all = append(all, ruleInfos("byte", r.bytes, &byteOutcome{})...)
	all = append(all, ruleInfos("page", r.page, &pageOutcome{})...)
	all = append(all, ruleInfos("store", r.store, &storeOutcome{})...)
	all = append(all, ruleInfos("views", r.views, &viewsOutcome{})...)
	all = append(all, ruleInfos("agreement", r.agreement, &agreementOutcome{})...)
	all = append(all, ruleInfos("abort", r.abort, &abortOutcome{})...)
	all = append(all, ruleInfos("placement", r.placement, &placementOutcome{})...)
	return all
}

// TestCataloguesNamed checks each catalogue: every rule names one of its
// behaviours (or a divergence), says when it applies and has what its
// effect needs; every behaviour is described, has a verdict, a source and
// a scenario, and has a rule unless it says why the properties cannot show
// it; its quirk status covers every quirk, consistently with its
// behaviours.
func TestCataloguesNamed(t *testing.T) {
	for _, c := range Catalogues {
		t.Run(c.Name(), func(t *testing.T) {
			if CatalogueFor(c.Policy) != c {
				t.Errorf("CatalogueFor(%v) does not find it", c.Policy)
			}
			if len(c.Setups) == 0 {
				t.Errorf("no setups")
			}
			setupNames := map[string]bool{}
			for _, s := range c.Setups {
				if setupNames[s.Name] {
					t.Errorf("setup %q twice", s.Name)
				}
				setupNames[s.Name] = true
			}
			ruled := map[string]int{}
			for _, r := range catalogueRuleInfos(c) {
				ruled[r.name]++
				_, own := c.Behaviour(r.name)
				if _, div := Divergences[r.name]; !own && !div {
					t.Errorf("%s rule %q: neither a behaviour of %s nor a divergence", r.point, r.name, c.Name())
				}
				checkRuleShape(t, r)
			}
			seen := map[string]bool{}
			for _, b := range c.Behaviours {
				if seen[b.Name] {
					t.Errorf("behaviour %q twice", b.Name)
				}
				seen[b.Name] = true
				if _, div := Divergences[b.Name]; div {
					t.Errorf("behaviour %q has a divergence's name", b.Name)
				}
				if b.Verdict != Defect && b.Verdict != Intended {
					t.Errorf("%s: no verdict", b.Name)
				}
				if b.Source == "" || b.Doc == "" || b.Scenario == "" {
					t.Errorf("%s: no source, doc or scenario", b.Name)
				}
				if (ruled[b.Name] == 0) == (b.NotByProps == "") {
					t.Errorf("%s: a behaviour has rules unless it says why the properties cannot show it (NotByProps), and not both", b.Name)
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
// catalogue under its algorithm: every guest-visible outcome must match
// the guest kernel's, apart from the algorithm's named behaviours and the
// divergences. A difference neither names fails.
func TestTransparencyCatalogues(t *testing.T) {
	checks := transparencyChecks()
	t.Logf("props.seed=%d props.checks=%d props.steps=%d", *flagSeed, checks, *flagSteps)
	for _, c := range Catalogues {
		for _, setup := range c.Setups {
			label := c.Name() + "/" + setup.Name
			t.Run(label, func(t *testing.T) { checkTransparency(t, label, setup, c.Policy, checks) })
		}
	}
}

// behaviourBudget is how many sequences the search for one behaviour may
// run on each of its setups.
const behaviourBudget = 300

// TestCatalogueBehavioursFound runs, for each behaviour the properties can
// show, the properties with the rules that name it switched off, and
// asserts that they fail: a shrunk run whose scenario fails under the
// algorithm's policy. With -props.update it writes the scenario to the
// behaviour's Scenario path.
func TestCatalogueBehavioursFound(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the behaviour search runs in the full test run")
	}
	t.Logf("props.seed=%d budget=%d sequences per setup", *flagSeed, behaviourBudget)
	for _, c := range Catalogues {
		for _, b := range c.Behaviours {
			t.Run(c.Name()+"/"+b.Name, func(t *testing.T) {
				if b.NotByProps != "" {
					t.Skip("the properties cannot show it: " + b.NotByProps)
				}
				if data, _ := os.ReadFile(filepath.Join("..", filepath.FromSlash(b.Scenario))); strings.Contains(string(data), handFromRuns) {
					// Its rules shadow others' in the runs that show it:
					// with them off those runs go on, so the run is
					// shown naming it instead.
					if runs, ok := namedInRuns(c, b); !ok {
						t.Fatalf("seed %d: the properties did not name behaviour %s in %d runs", behaviourSeed(b), b.Name, runs)
					} else {
						t.Logf("named in run %d", runs)
					}
					return
				}
				found, runs := searchBehaviour(c, b)
				if found == nil {
					t.Fatalf("seed %d: the properties did not show behaviour %s in %d runs", behaviourSeed(b), b.Name, runs)
				}
				text := found.Scenario()
				msg, _ := found.Failed()
				t.Logf("found in %d runs on %s: %s\n%s", runs, found.setup.Name, msg, text)
				flagsOnly := false
				if replay(t, b.Name, text, "") == 0 {
					// A difference in QEMU's page flags alone (what the
					// guest sees in /proc/self/maps and access_ok) is
					// seen by no expectation.
					if !strings.HasPrefix(msg, viewsFailure) {
						t.Errorf("the counterexample passes when replayed under %s:\n%s", c.Name(), text)
					}
					flagsOnly = true
				}
				if *flagUpdate {
					writeBehaviourScenario(t, c, b, found, msg, text, flagsOnly)
				}
			})
		}
	}
}

// searchBehaviour runs the properties without b's rules on b's setups (or
// all of c's), in order, until one fails; it returns the shortest failing
// run, or nil, and the number of runs made.
func searchBehaviour(c *Catalogue, b Behaviour) (*System, int) {
	rules := c.without(b.Name).then(divergenceRules())
	runs := 0
	for _, setup := range c.behaviourSetups(b) {
		cmds := NewCommands(setup, c.Policy)
		cmds.opts = Options{rules: &rules}
		_, ok := runCommands(cmds, behaviourSeed(b), behaviourBudget)
		runs += cmds.Runs()
		if !ok && cmds.Shortest() != nil {
			return cmds.Shortest(), runs
		}
	}
	return nil, runs
}

// handFromRuns marks a behaviour scenario written by hand from property
// runs that name the behaviour.
const handFromRuns = "# Written by hand from the property runs that name it"

// namedInRuns runs the properties with every rule on, on b's setups, and
// reports whether a run named b, and how many runs were made.
func namedInRuns(c *Catalogue, b Behaviour) (int, bool) {
	runs := 0
	for _, setup := range c.behaviourSetups(b) {
		cmds := NewCommands(setup, c.Policy)
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
	return runs, false
}

// writeBehaviourScenario writes the counterexample of behaviour b, with a
// header saying what it shows, where it was found and how it fares under
// policy=fixed.
func writeBehaviourScenario(t *testing.T, c *Catalogue, b Behaviour, found *System, msg, text string, flagsOnly bool) {
	t.Helper()
	var h strings.Builder
	fmt.Fprintf(&h, "# %s behaviour %s (%s): %s\n", c.Name(), b.Name, b.Verdict, b.Doc)
	fmt.Fprintf(&h, "# Source: %s\n", b.Source)
	fmt.Fprintf(&h, "# Found and shrunk by TestCatalogueBehavioursFound with its rules switched off (props.seed=%d, setup %s):\n",
		behaviourSeed(b), found.setup.Name)
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
	path := filepath.Join("..", filepath.FromSlash(b.Scenario))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(h.String()+text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCatalogueScenarios replays each behaviour's scenario: it fails under
// the algorithm's policy, and, where its header says so, passes under
// policy=fixed. Every scenario file under a catalogue's testdata directory
// belongs to one of its behaviours.
func TestCatalogueScenarios(t *testing.T) {
	for _, c := range Catalogues {
		owned := map[string]bool{}
		dirs := map[string]bool{}
		for _, b := range c.Behaviours {
			path := filepath.Join("..", filepath.FromSlash(b.Scenario))
			owned[filepath.Clean(path)] = true
			dirs[filepath.Dir(path)] = true
			t.Run(c.Name()+"/"+b.Name, func(t *testing.T) {
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("the behaviour's scenario: %v", err)
				}
				if fails := replay(t, b.Name, string(data), c.Name()); fails == 0 {
					if !strings.Contains(string(data), flagsOnlyNote) {
						t.Errorf("%s passes under %s: it does not show the behaviour", b.Scenario, c.Name())
					} else if finalFlags(t, b.Name, string(data), c.Name()) == finalFlags(t, b.Name, string(data), "fixed") {
						t.Errorf("%s says it shows in QEMU's page flags, but they end as policy=fixed's do", b.Scenario)
					}
				}
				if strings.Contains(string(data), "# Under policy=fixed it passes.") {
					if fails := replay(t, b.Name, string(data), "fixed"); fails != 0 {
						t.Errorf("%s: %d failures under policy=fixed, whose header says it passes", b.Scenario, fails)
					}
				} else if !strings.Contains(string(data), "# Under policy=fixed it fails too") && b.Verdict == Defect {
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

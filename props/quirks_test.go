package props

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
	"github.com/mmapsim/mmapsim/sim"
)

var flagUpdate = flag.Bool("props.update", false, "rewrite testdata/props/*.scn with the counterexamples found")

// quirkSetups says where each quirk shows: the setups the search runs on,
// in order, until one finds it.
var quirkSetups = map[sim.Quirk][]string{
	sim.QuirkMmapLenZero:             {"i386-4k-reserved"},
	sim.QuirkFragTailRealEnd:         {"i386-64k-reserved", "i386-64k"},
	sim.QuirkFragAnonStale:           {"i386-64k-reserved", "i386-16k-reserved"},
	sim.QuirkMremapShrinkReserve:     {"i386-4k-reserved"},
	sim.QuirkMremapMayMoveReserve:    {"i386-4k-reserved"},
	sim.QuirkFindVMAReservedZero:     {"i386-tiny-reserved"},
	sim.QuirkTopPageWrap:             {"arm-top-64k"},
	sim.QuirkMprotectWrapEINVAL:      {"i386-4k-reserved", "arm-top-64k"},
	sim.QuirkMprotectBadProt:         {"i386-4k-reserved"},
	sim.QuirkUncheckedRange:          {"i386-4k-reserved"},
	sim.QuirkMprotectUnmapped:        {"i386-4k-reserved"},
	sim.QuirkFragSharedErrno:         {"i386-64k-reserved"},
	sim.QuirkFindVMAFirstPage:        {"i386-tiny-64k"},
	sim.QuirkNonFixedFileShort:       {"i386-p64k-reserved"},
	sim.QuirkNonFixedFailUnmap:       {"i386-4k-reserved"},
	sim.QuirkFixedFitEINVAL:          {"arm-top-64k"},
	sim.QuirkMsyncUnmapped:           {"i386-4k-reserved"},
	sim.QuirkMremapMayMoveLeak:       {"x86_64-4k", "x86_64-16k", "x86_64-64k"},
	sim.QuirkMremapShrinkReserveAddr: {"i386-4k-reserved"},
	sim.QuirkMremapFitHostAddr:       {"i386-4k-reserved"},
	sim.QuirkMremapZeroOldSize:       {"x86_64-16k", "i386-4k-reserved"},
	sim.QuirkNoReplaceIgnored:        {"i386-4k-reserved"},
	sim.QuirkMadviseIgnored:          {"i386-4k-reserved"},
	sim.QuirkEOFTruncatedFlags:       {"sparc64-4k"},
	sim.QuirkMremapUnchecked:         {"i386-4k-reserved"},
	sim.QuirkMremapHostPages:         {"i386-64k", "x86_64-64k"},
	sim.QuirkMremapGrowReserved:      {"i386-4k-reserved", "i386-16k-reserved", "i386-64k-reserved"},
	sim.QuirkFindVMAProbe:            {"sparc64-4k"},
	sim.QuirkFragSharedLeak:          {"i386-64k", "i386-64k-reserved"},
	sim.QuirkMsyncChecks:             {"i386-4k-reserved"},
	sim.QuirkMmapProtUnmasked:        {"i386-64k", "i386-64k-reserved"},
	sim.QuirkMremapMayMoveMoves:      {"i386-4k-reserved", "x86_64-16k"},
	sim.QuirkMremapProtFirstPage:     {"i386-4k-reserved"},
	sim.QuirkFragSharedHostPage:      {"i386-64k", "x86_64-64k"},
	sim.QuirkMremapDontUnmapReserve:  {"i386-4k-reserved"},
	sim.QuirkFragFileHostPage:        {"x86_64-16k", "i386-64k"},
	sim.QuirkNoPageAnon:              {"i386-64k", "i386-64k-reserved", "x86_64-64k"},
	sim.QuirkMmapHostLenWrap:         {"i386-64k-reserved", "i386-64k"},
	sim.QuirkMmapOffsetOverflow:      {"x86_64-64k", "x86_64-16k"},
	sim.QuirkNonFixedFailLeak:        {"x86_64-4k", "sparc64-4k"},
	sim.QuirkMmapAnonOffset:          {"i386-64k-reserved", "x86_64-64k"},
	sim.QuirkMremapFailFlags:         {"x86_64-4k", "i386-64k"},
	sim.QuirkMmapFlagsUnchecked:      {"i386-4k-reserved", "x86_64-4k"},
	sim.QuirkBrkHostPages:            {"i386-64k-reserved", "x86_64-64k"},
	sim.QuirkFileModeUnchecked:       {"i386-64k", "x86_64-64k", "i386-16k-reserved"},
	sim.QuirkFindVMAHintMinAddr:      {"i386-guest-base"},
	sim.QuirkFixedAlignFirst:         {"i386-4k-reserved", "arm-top-64k"},
	sim.QuirkFindVMATargetAlign:      {"x86_64-p64k"},
	sim.QuirkMadvisePassthrough:      {"i386-4k-reserved"},
	sim.QuirkMmapProtEINVAL:          {"i386-4k-reserved"},
	sim.QuirkMprotectProtFirst:       {"i386-4k-reserved"},
	sim.QuirkZeroLenRange:            {"i386-4k-reserved"},
	sim.QuirkFragClearWritable:       {"i386-p64k-reserved", "i386-64k-reserved"},
	sim.QuirkGuestSpaceWord:          {"x86_64-4k", "x86_64-16k"},
}

// quirksPropsCannotFind are the quirks the properties cannot show, and why;
// the search skips them (their scenarios in policy/testdata/quirks still
// show each one).
var quirksPropsCannotFind = map[sim.Quirk]string{
	sim.QuirkFindVMAZeroSize: "it needs a non-fixed mapping whose length, rounded to host pages, wraps the 32-bit word " +
		"(0xfffff000 under a 16K qemu_host_page_size); the runs draw lengths of a few pages",
	sim.QuirkNextStartUnmappedBase: "where a non-fixed mapping lands is the emulator's choice: the properties check that it " +
		"lands on free guest space, not where",
	sim.QuirkMsyncHostPage: "it shows only on a host page with a hole before the guest's range, which only " +
		"mremap-host-pages makes (its scenario runs with that quirk: QuirkInfo.Needs)",
	sim.QuirkEOFTruncateHostPage: "it widens the truncation eof-truncated-flags makes and does nothing without it " +
		"(QuirkInfo.Needs)",
	sim.QuirkHostProtNoExec: "it changes only how host mappings merge, which the fixed algorithm's own checks of " +
		"mremap never hand to the host; it shows with mremap-unchecked and mremap-host-pages (QuirkInfo.Needs)",
	sim.QuirkWriteFaultSpin: "it needs a host page less writable than the guest's page flags, which the fixed " +
		"algorithm never leaves; it shows with find-vma-first-page (QuirkInfo.Needs)",
	sim.QuirkAccessOKWriteRead: "the properties see it at their access_ok check of a store's range (checkAccessOK), " +
		"which a scenario cannot state: its peek and poke are the guest CPU's accesses, which access_ok does not check " +
		"(its scenario in policy/testdata/quirks shows it with pread64)",
	sim.QuirkMinAddrUnchecked: "with fixed-fail-leak off, the fragments mapped before the host's late EPERM are undone, and what " +
		"remains (the range left unmapped where Linux refuses before changing anything) shows in the views, but seldom in a " +
		"scenario: props.seed=1's shrunk counterexample loses PROT_NONE pages, which a load cannot tell from unmapped ones; " +
		"props.seed=2 with a budget of 6000 finds one that replays (testdata/min-addr-unchecked.scn)",
	sim.QuirkFixedFailLeak: "it needs a host that refuses a call part way through a MAP_FIXED mmap (out of memory, or past " +
		"vm.max_map_count), and the properties' hosts refuse nothing; TestHostFailures, whose host does, fails without the fix",
	sim.QuirkMprotectFailPartial: "it needs a host that refuses one of target_mprotect's host mprotects after another " +
		"succeeded, which the setups' hosts (max_map_count 65530) never do; TestHostFailures' faultHost does, and its " +
		"scenario in policy/testdata/quirks shows it with max-map-count",
	sim.QuirkPreadMprotectAssert: "it needs a host mprotect that fails inside the pread emulation, which only a host " +
		"page the fixed algorithm never shares makes; it shows with frag-shared-host-page (QuirkInfo.Needs)",
}

// quirkBudget is how many sequences the search for one quirk may run on
// each of its setups.
const quirkBudget = 1000

// quirkBudgets raise the budget for the quirks that need a rare shape: two
// mappings of different objects side by side, moved as one.
var quirkBudgets = map[sim.Quirk]int{
	sim.QuirkMremapMayMoveLeak: 6000,
}

// TestPropsFindEveryQuirk runs the properties with the fixed algorithm plus
// one quirk, for every quirk, and asserts that they find it: a failing run,
// shrunk, which replayed as a scenario fails with the quirk and passes
// without it.
func TestPropsFindEveryQuirk(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the quirk search runs in the full test run")
	}
	t.Logf("props.seed=%d budget=%d sequences per setup", *flagSeed, quirkBudget)
	for _, qi := range policy.Quirks {
		qi := qi
		t.Run(qi.Name(), func(t *testing.T) {
			if why, ok := quirksPropsCannotFind[qi.Quirk]; ok {
				t.Skip("the properties cannot find this quirk: " + why)
			}
			setups := quirkSetups[qi.Quirk]
			if len(setups) == 0 {
				t.Fatalf("no setup listed for quirk %s", qi.Name())
			}
			quirks := policy.Policy{Quirks: sim.QuirkSet{}.With(qi.Quirk)}
			var found *System
			var runs int
			for _, name := range setups {
				setup, ok := SetupByName(name)
				if !ok {
					t.Fatalf("unknown setup %q", name)
				}
				budget := quirkBudget
				if b, ok := quirkBudgets[qi.Quirk]; ok {
					budget = b
				}
				cmds, ok := runProps(t, setup, quirks, *flagSeed, budget)
				runs += cmds.Runs()
				if !ok {
					found = cmds.Shortest()
					break
				}
			}
			if found == nil {
				t.Fatalf("seed %d: the properties did not find quirk %s in %d runs on %v", *flagSeed, qi.Name(), runs, setups)
			}
			text := found.Scenario()
			msg, _ := found.Failed()
			t.Logf("found in %d runs: %s\n%s", runs, msg, text)
			// The counterexample is a scenario: it fails with the quirk
			// and passes with the fixed algorithm.
			if fails := replay(t, qi.Name(), text, quirks.String()); fails == 0 {
				t.Errorf("the counterexample passes when replayed with the quirk:\n%s", text)
			}
			// The same operations pass under the fixed algorithm, with
			// the named divergences allowed: the failure is the quirk's.
			fixed, err := NewSystem(found.setup, policy.Fixed)
			if err != nil {
				t.Fatal(err)
			}
			for _, op := range found.Ops() {
				if !fixed.Exec(op) {
					m, _ := fixed.Failed()
					t.Fatalf("the counterexample's operations fail under policy=fixed too, so it is not the quirk's: %s\n%s", m, fixed.Scenario())
				}
			}
			fixedNote := "# Under policy=fixed it passes.\n"
			if replay(t, qi.Name(), text, "fixed") != 0 {
				fixedNote = "# Under policy=fixed its expectations fail at a named divergence, which the property run allowed.\n"
			}
			path := filepath.Join("testdata", qi.Name()+".scn")
			if *flagUpdate {
				header := fmt.Sprintf("# Counterexample for quirk %s, found and shrunk by TestPropsFindEveryQuirk\n# (props.seed=%d, setup %s):\n", qi.Name(), *flagSeed, found.setup.Name)
				for _, l := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
					header += "#   " + l + "\n"
				}
				header += fixedNote
				if err := os.WriteFile(path, []byte(header+text), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// replay runs scenario text under a policy, with the invariants checked,
// and returns the number of failures.
func replay(t *testing.T, name, text, pol string) int {
	t.Helper()
	rep, err := runText(name+".scn", text, pol, true)
	if err != nil {
		t.Fatalf("replaying the counterexample: %v\n%s", err, text)
	}
	return len(rep.Failures)
}

// runText runs scenario text (called name in messages) under policy pol
// ("": the policy it names), with the invariants checked after every
// statement when check is set.
func runText(name, text, pol string, check bool) (*scenario.Report, error) {
	f, err := syntax.Parse(name, []byte(text))
	if err != nil {
		return nil, err
	}
	set := scenario.NewSettings()
	if pol != "" {
		if err := set.Set("policy", pol, "test"); err != nil {
			return nil, err
		}
	}
	return scenario.Run(f, scenario.RunOptions{Settings: set, Check: check})
}

// TestPropsRegressions replays every counterexample kept in testdata: each
// must pass under the fixed algorithm and fail under the seed.
func TestPropsRegressions(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.scn")
	if len(files) == 0 {
		t.Skip("no counterexamples kept yet (run with -props.update)")
	}
	for _, path := range files {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(path), ".scn")
		// It fails under the policy its header names (the fixed
		// algorithm with its quirk on), and under policy=fixed it passes
		// unless its header says a named divergence stops it.
		if fails := replay(t, name, string(b), ""); fails == 0 {
			t.Errorf("%s: passes under the quirk it was found for", path)
		}
		if strings.Contains(string(b), "# Under policy=fixed it passes.") {
			if fails := replay(t, name, string(b), "fixed"); fails != 0 {
				t.Errorf("%s: %d failures under policy=fixed", path, fails)
			}
		}
	}
}

package props

import (
	"testing"

	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// qemu111QuirkScenarioExceptions are the seed's quirks whose regression
// scenario (policy/testdata/quirks) fares under policy=qemu-11.1 otherwise
// than the quirk's status says, and why.
var qemu111QuirkScenarioExceptions = map[sim.Quirk]string{
	sim.QuirkFindVMAReservedZero: "11.1 has it in another form (mmap-hint-below-min): the scenario gives no hint",
	sim.QuirkMadviseIgnored:      "11.1 has it in part: MADV_DONTNEED passes through where every page is PAGE_PASSTHROUGH, as in the scenario (host page = target page)",
	sim.QuirkMmapProtUnmasked:    "11.1 does the opposite, refusing the unknown bit Linux ignores (mmap-prot-einval)",
	sim.QuirkNoPageAnon:          "11.1 fixed it, but its MADV_FREE of the file mapping succeeds where Linux says EINVAL (madvise-unchecked)",
	sim.QuirkEOFTruncatedFlags:   "11.1 fixed it, but reads zeros in the target page wholly past end-of-file where Linux raises SIGBUS (eof-anonymous)",
	sim.QuirkMprotectFailPartial: "11.1 has it, but keeps two host mappings more than the seed's layout there, so the scenario's max-map-count refuses its first host mprotect; its own scenario (mprotect-fail-partial) allows two more",
}

// TestQemu111QuirkScenarios replays each quirk's regression scenario
// under policy=qemu-11.1: it fails where 11.1 still has the quirk
// (qemu111QuirkStatus) and passes where 11.1 fixed it, but for the
// exceptions, and for the scenarios 11.1 cannot run (-p).
func TestQemu111QuirkScenarios(t *testing.T) {
	for _, qi := range policy.Quirks {
		t.Run(qi.Name(), func(t *testing.T) {
			fails, err := replayFails("policy/testdata/quirks/"+qi.Scenario, "qemu-11.1")
			if err != nil {
				t.Skipf("QEMU 11.1 cannot run it: %v", err)
			}
			has := qemu111QuirkStatus[qi.Quirk].Has
			why, exception := qemu111QuirkScenarioExceptions[qi.Quirk]
			switch {
			case exception && fails == has:
				t.Errorf("listed as an exception (%s), but the scenario agrees with the status now", why)
			case exception:
				t.Logf("exception: %s", why)
			case fails != has:
				t.Errorf("the scenario fails=%v under qemu-11.1, the status says has=%v (%s)", fails, has, qemu111QuirkStatus[qi.Quirk].Why)
			}
		})
	}
}

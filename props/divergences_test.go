package props

import (
	"sort"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
)

// ruleInfo is one rule, whatever its comparison point, for the checks.
type ruleInfo struct {
	point, name, doc string
	then             effect
	hasWhen          bool
	hasUnknown       bool
	canUndo          bool // its point's outcome has a call keepQEMU can undo
}

func ruleInfos[O outcome](point string, rules []rule[O], sample O) []ruleInfo {
	var out []ruleInfo
	for _, r := range rules {
		out = append(out, ruleInfo{point: point, name: r.name, doc: r.doc, then: r.then,
			hasWhen: r.when != nil, hasUnknown: r.unknown != nil, canUndo: sample.undo() != nil})
	}
	return out
}

// allRules lists every rule of every comparison point.
func allRules() []ruleInfo {
	var all []ruleInfo
	all = append(all, ruleInfos("mmap", mmapRules, &mmapOutcome{})...)
	all = append(all, ruleInfos("mremap", mremapRules, &mremapOutcome{})...)
	all = append(all, ruleInfos("call", callRules, &callOutcome{})...)
	all = append(all, ruleInfos("access", accessRules, &accessOutcome{})...)
	all = append(all, ruleInfos("byte", byteRules, &byteOutcome{})...)
	all = append(all, ruleInfos("page", pageRules, &pageOutcome{})...)
	all = append(all, ruleInfos("store", storeRules, &storeOutcome{})...)
	all = append(all, ruleInfos("brk", brkRules, &brkOutcome{})...)
	return all
}

// checkRuleShape checks that rule r says when it applies and has what its
// effect needs.
func checkRuleShape(t *testing.T, r ruleInfo) {
	t.Helper()
	if r.doc == "" || !r.hasWhen {
		t.Errorf("%s rule %q: no doc or no condition", r.point, r.name)
	}
	if (r.then == taintPages) != r.hasUnknown {
		t.Errorf("%s rule %q: a taintPages rule, and only one, says which pages it leaves unknown", r.point, r.name)
	}
	if r.then == keepQEMU && !r.canUndo {
		t.Errorf("%s rule %q keeps QEMU's outcome where there is no call to undo", r.point, r.name)
	}
}

// TestRulesNamed checks the rule lists against the catalogue: every rule
// names a documented divergence, says when it applies and has what its
// effect needs; every documented divergence has a rule.
func TestRulesNamed(t *testing.T) {
	ruled := map[string]int{}
	for _, r := range allRules() {
		ruled[r.name]++
		if _, ok := Divergences[r.name]; !ok {
			t.Errorf("%s rule %q: not a divergence documented in Divergences", r.point, r.name)
		}
		checkRuleShape(t, r)
	}
	names := make([]string, 0, len(Divergences))
	for name := range Divergences {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if ruled[name] == 0 {
			t.Errorf("divergence %q has no rule that allows it", name)
		}
	}
}

// TestEOFStandInSeesNoGrowth: on a host of smaller pages than the target's
// (sparc64's 8K on 4K), QEMU maps a shared file up to the host page holding
// end-of-file and lays anonymous memory over the rest of that target page;
// when the file then grows into it (ftruncate, pwrite), the guest kernel's
// page shows the new bytes and QEMU's does not. The properties know that
// page as a stand-in, not the file (found by bench's section 5, seed 1,
// sequence 237). With the stand-in unmarked, the load fails the run.
func TestEOFStandInSeesNoGrowth(t *testing.T) {
	setup, ok := SetupByName("sparc64-4k")
	if !ok {
		t.Fatal("no setup sparc64-4k")
	}
	ops := []Op{
		// a.bin is 0x4800 bytes: map 0x10000 of it, shared, from 0x4000.
		{Kind: OpMmap, Place: PlaceAny, Pages: 8, Prot: 3, Shared: true, File: 0, FilePage: 2},
		{Kind: OpFtruncate, At: Where{Base: 0, Page: 2}},                                 // a.bin: 0x4000 bytes
		{Kind: OpFileWrite, At: Where{Base: 0, Page: 2, Byte: 0x1090}, N: 2, Byte: 0xc9}, // 3 bytes at 0x5090
		{Kind: OpLoad, At: Where{Base: 0, Byte: 0x1090}, N: 16, File: -1},
	}
	sys, err := NewSystem(setup, policy.Fixed)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range ops {
		if !sys.Exec(op) {
			break
		}
	}
	if !sys.Finish() {
		failure, _ := sys.Failed()
		t.Fatalf("the stand-in page is compared: %s\n%s", failure, sys.Scenario())
	}
	// The case is reached: the page reads differently on the two.
	if len(sys.handles) == 0 {
		t.Fatalf("no mapping made\n%s", sys.Scenario())
	}
	at := sys.handles[0] + 0x1090
	qemu, kernel := make([]byte, 3), make([]byte, 3)
	sys.sim.Load(at, qemu)
	sys.ref.Read(hostvm.Addr(at), kernel)
	if string(kernel) != "\xc9\xc9\xc9" || string(qemu) == string(kernel) {
		t.Errorf("at %#x QEMU reads %q, the guest kernel %q: not the stand-in case\n%s", at, qemu, kernel, sys.Scenario())
	}
}

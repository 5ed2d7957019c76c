package props

import (
	"sort"
	"testing"
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

package props

import (
	"fmt"

	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// Other algorithms. The divergences (divergences.go) are what any QEMU
// that keeps the guest in the host's pages cannot avoid; the reference
// algorithm, policy=fixed, differs from the guest kernel only there. An
// algorithm that is not fixed (a port of a QEMU release as it ships, or
// another emulator) differs in more places: each such difference is one of
// its named behaviours, a defect it has or a difference it intends, and the
// property suite runs it with those named.
//
// A Catalogue is one algorithm as the properties run it: its policy, its
// named behaviours (each with the source lines that cause it, a one-line
// verdict and the shrunk scenario that shows it), the rules that allow
// them, and the setups it runs on. NewSystem finds the catalogue of its
// policy (CatalogueFor) and tries its rules at each comparison point before
// the divergences' (so a rule can name a specific cause that a broader
// divergence would otherwise absorb). A difference neither allows is a
// failure, as for policy=fixed.
//
// To add an algorithm: write its catalogue in a file of its own (see
// qemu111.go), with a rule list per comparison point where it differs,
// and add it to Catalogues. TestCataloguesNamed checks it; the transparency
// test runs it on its setups; TestCatalogueBehavioursFound shows each
// behaviour happening (or says why the properties cannot); its scenarios
// are replayed by TestCatalogueScenarios.

// Verdict says what a named behaviour is.
type Verdict uint8

const (
	// Defect: the algorithm gets it wrong, and the guest can tell.
	Defect Verdict = iota + 1
	// Intended: the algorithm knowingly differs (it cannot do better on
	// these host pages, or chose not to).
	Intended
)

func (v Verdict) String() string {
	switch v {
	case Defect:
		return "defect"
	case Intended:
		return "intended"
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// Behaviour is one named behaviour of an algorithm: where it differs from
// the guest kernel.
type Behaviour struct {
	Name    string
	Verdict Verdict
	// Source cites the lines that cause it ("mmap.c:1206-1208").
	Source string
	// Doc says, in one line, what the guest sees and why.
	Doc string
	// Quirk is the seed's quirk this is, still there, when it is one (its
	// name, as sim.QuirkByName reads it); "" for a behaviour of this
	// algorithm's own.
	Quirk string
	// Scenario is the scenario that shows it, relative to the
	// repository's root: it fails under the algorithm's policy (or, where
	// its header says so, shows it in the page flags alone), and its
	// header says how it fares under policy=fixed.
	Scenario string
	// NotByProps, when set, says why the properties cannot show it
	// (its scenario is written by hand from the source); such a
	// behaviour has no rule.
	NotByProps string
	// Setups are the catalogue's setups where the properties show it,
	// in the order the search for it tries them (empty: all of them),
	// and Seed the property seed the search uses there (0: -props.seed).
	Setups []string
	Seed   int64
}

// A Catalogue is one algorithm as the properties run it.
type Catalogue struct {
	// Policy is the algorithm's policy; Name spells it.
	Policy policy.Policy
	// Behaviours are its named behaviours, by name.
	Behaviours []Behaviour
	// Setups are the setups it runs on (those of Setups that it can run,
	// and its own).
	Setups []Setup
	// QuirkStatus says, for each quirk of the seed, whether the
	// algorithm still has it: a behaviour's name (it does), or why not.
	QuirkStatus map[sim.Quirk]QuirkStatus
	// rules allow the behaviours, by comparison point.
	rules ruleSet
}

// QuirkStatus is whether an algorithm has one of the seed's quirks.
type QuirkStatus struct {
	// Has: it does (Behaviour names its behaviour, if the catalogue has
	// one; a quirk the algorithm has that the properties do not see in
	// its setups has none).
	Has       bool
	Behaviour string
	// Why cites the source that decides it: the lines that keep the
	// defect, or that fixed it, or why it cannot arise.
	Why string
}

// Name is the catalogue's policy, as ParsePolicy reads it.
func (c *Catalogue) Name() string { return c.Policy.String() }

// Behaviour returns the behaviour called name.
func (c *Catalogue) Behaviour(name string) (Behaviour, bool) {
	for _, b := range c.Behaviours {
		if b.Name == name {
			return b, true
		}
	}
	return Behaviour{}, false
}

// Catalogues are the algorithms other than the reference that the
// properties run.
var Catalogues = []*Catalogue{qemu111Catalogue}

// CatalogueFor returns the catalogue of policy pol, or nil (policy=fixed
// and the seed family's other policies have none: their differences are
// the divergences and the quirks).
func CatalogueFor(pol policy.Policy) *Catalogue {
	for _, c := range Catalogues {
		if c.Policy == pol {
			return c
		}
	}
	return nil
}

// ruleSet is a list of rules for each comparison point. The first seven
// are the divergences' points; the others are where only an algorithm's
// behaviours show: the views after a call, the agreement of page flags and
// host, QEMU's abort, and the placement of a non-fixed mapping. Each rule
// names a behaviour of its catalogue (or, in divergenceRules, a
// divergence).
type ruleSet struct {
	mmap   []rule[*mmapOutcome]
	mremap []rule[*mremapOutcome]
	call   []rule[*callOutcome]
	access []rule[*accessOutcome]
	bytes  []rule[*byteOutcome]
	page   []rule[*pageOutcome]
	store  []rule[*storeOutcome]

	views     []rule[*viewsOutcome]
	agreement []rule[*agreementOutcome]
	abort     []rule[*abortOutcome]
	placement []rule[*placementOutcome]
}

// divergenceRules are the divergences' rules (divergences.go), as a set.
func divergenceRules() ruleSet {
	return ruleSet{mmap: mmapRules, mremap: mremapRules, call: callRules, access: accessRules,
		bytes: byteRules, page: pageRules, store: storeRules}
}

// then returns the rules of r followed by those of o, point by point.
func (r ruleSet) then(o ruleSet) ruleSet {
	return ruleSet{
		mmap: join(r.mmap, o.mmap), mremap: join(r.mremap, o.mremap), call: join(r.call, o.call),
		access: join(r.access, o.access), bytes: join(r.bytes, o.bytes), page: join(r.page, o.page),
		store: join(r.store, o.store), views: join(r.views, o.views), agreement: join(r.agreement, o.agreement),
		abort: join(r.abort, o.abort), placement: join(r.placement, o.placement),
	}
}

func join[T any](a, b []T) []T { return append(append([]T(nil), a...), b...) }

// rulesFor is the rule set a run under pol uses: its catalogue's rules,
// then the divergences'.
func rulesFor(pol policy.Policy) ruleSet {
	if c := CatalogueFor(pol); c != nil {
		return c.rules.then(divergenceRules())
	}
	return divergenceRules()
}

// The outcomes of the points only behaviours use. Each carries the
// operation being run (the last of System.run).

// viewsOutcome is a difference between QEMU's page flags and the guest
// kernel's mappings after op.
type viewsOutcome struct {
	op        Op
	qemu, ref []viewSeg
}

func (*viewsOutcome) undo() *undo { return nil }

// agreementOutcome is a disagreement between QEMU's page flags and the
// host's mappings after op.
type agreementOutcome struct {
	op  Op
	err error
}

func (*agreementOutcome) undo() *undo { return nil }

// abortOutcome is QEMU's abort in op.
type abortOutcome struct {
	op    Op
	abort *sim.Abort
}

func (*abortOutcome) undo() *undo { return nil }

// placementOutcome is a non-fixed mmap QEMU placed where the guest kernel
// cannot map it: at an address it refuses (kernelErr) or below
// mmap_min_addr (belowMin).
type placementOutcome struct {
	op           Op
	addr, length uint64 // where QEMU placed it
	kernelErr    error  // the guest kernel's answer to a MAP_FIXED_NOREPLACE there
	belowMin     bool
}

func (*placementOutcome) undo() *undo { return nil }

// current is the operation being run.
func (s *System) current() Op { return s.run[len(s.run)-1] }

// without returns the catalogue's rules without those naming behaviour
// name: what the run would see if the algorithm did not have it.
func (c *Catalogue) without(name string) ruleSet {
	r := c.rules
	return ruleSet{
		mmap: drop(r.mmap, name), mremap: drop(r.mremap, name), call: drop(r.call, name),
		access: drop(r.access, name), bytes: drop(r.bytes, name), page: drop(r.page, name),
		store: drop(r.store, name), views: drop(r.views, name), agreement: drop(r.agreement, name),
		abort: drop(r.abort, name), placement: drop(r.placement, name),
	}
}

func drop[O outcome](rules []rule[O], name string) []rule[O] {
	var out []rule[O]
	for _, r := range rules {
		if r.name != name {
			out = append(out, r)
		}
	}
	return out
}

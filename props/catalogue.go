package props

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// Named behaviours. The divergences (divergences.go) are what any QEMU that
// keeps the guest in the host's pages cannot avoid; the reference
// algorithm, policy=fixed, differs from the guest kernel only there. Any
// other algorithm (a QEMU release as it ships, another emulator) differs in
// more places: each such difference is one of its named behaviours, a defect
// or a trade-off, listed in its Catalogue with the source lines that cause
// it, a one-line verdict and the shrunk scenario that shows it.
//
// A Catalogue's Rules say how a run recognises each behaviour: at each
// comparison point the first rule whose condition holds for the difference
// names it, and the run does what its effect says. For an algorithm that
// keeps QEMU's layout (QEMU 11.1) the divergences' rules are tried after the
// catalogue's; for one with its own (box64, OwnLayout) they do not apply.
// A difference no rule names is a failure, as for policy=fixed.
//
// To add an algorithm: write its catalogue in files of its own (see
// qemu111*.go, box64*.go) and add it to Catalogues. TestCataloguesNamed
// checks it, TestTransparencyCatalogues runs it on its setups,
// TestCatalogueSearch finds and shrinks an example of each behaviour
// (Options.Disallow makes the behaviour a failure), TestCatalogueExamples
// re-runs the examples, and TestDefectTable gives it a column of the
// README's table.

// Verdict says what a behaviour is for the people who run the emulator.
type Verdict uint8

const (
	// Defect: a program can hit it and get another result than on its
	// own kernel; Why says which programs' patterns reach it.
	Defect Verdict = iota + 1
	// TradeOff: an intended difference, chosen knowingly because the
	// host's pages cannot do better at a price the emulator would pay; Why
	// names the change or comment that chose it.
	TradeOff
)

func (v Verdict) String() string {
	switch v {
	case Defect:
		return "defect"
	case TradeOff:
		return "trade-off"
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// Behaviour is one named way an algorithm differs from the guest's own
// kernel.
type Behaviour struct {
	Name       string  // short, kebab-case
	SourceLine string  // where the emulator's source decides it: "mmap.c:1203-1208", "wrappedlibc.c:3991-3999"
	Verdict    Verdict // defect or trade-off
	Why        string  // the verdict's reason, in one line
	Doc        string  // what a program sees, for a reader who does not know mmapsim
	// Scenario is the example that shows it, relative to the repository's
	// root: it fails under the algorithm's policy (or, where its header
	// says so, shows it in the page flags alone), and its header says how
	// it fares under policy=fixed.
	Scenario string
	// Quirk is the seed's quirk this is, still there, when it is one (its
	// name, as sim.QuirkByName reads it); "" for a behaviour of the
	// algorithm's own.
	Quirk string
	// NotByProps, when set, says why the random runs do not show it; its
	// scenario is written by hand (or by the algorithm's own tests).
	NotByProps string
	// Setups are the catalogue's setups where the properties show it, in
	// the order the search for it tries them (empty: all of them), and
	// Seed the first property seed the search tries (0: -props.seed).
	Setups []string
	Seed   int64
}

// Rule recognises a behaviour at a comparison point.
type Rule struct {
	// Name is the behaviour it names; for a catalogue that keeps QEMU's
	// layout, it may be a divergence the algorithm meets in more ways than
	// the reference.
	Name string
	Doc  string // the condition, in words, where the behaviour's Doc does not say it
	// Match says whether a difference is this behaviour; Delta, for a
	// behaviour that shows in the two views, whether one run of pages
	// where they differ is. A rule has one of them.
	Match func(s *System, d *Difference) bool
	Delta func(s *System, x viewDelta) bool
	// Then is what the run does once the behaviour is named: stopRun (the
	// two systems differ for good), or, where the comparison point allows
	// it, countOnly (both are in equivalent states), keepQEMU (the guest
	// kernel is put back and the run goes on from the emulator's outcome),
	// taintPages (the pages Unknown lists may differ from now on) or
	// adoptQEMU (Adopt gives the guest kernel what the emulator did).
	Then    effect
	Unknown func(s *System, d *Difference) []span
	Adopt   func(s *System, d *Difference) error
}

// Difference is what a run found at a comparison point, before a rule
// names it.
type Difference struct {
	Msg string // the failure message, when the run is about to fail; "" at the point itself
	// Outcome is what the point compared: *mmapOutcome, *mremapOutcome,
	// *callOutcome, *accessOutcome, *byteOutcome, *pageOutcome,
	// *storeOutcome, *viewsOutcome, *agreementOutcome, *abortOutcome or
	// *placementOutcome; nil for a kernel's own invariant.
	Outcome any
}

// on adapts a condition on one comparison point's outcome to a Rule's
// Match: it holds only at that point.
func on[O outcome](when func(s *System, o O) bool) func(s *System, d *Difference) bool {
	return func(s *System, d *Difference) bool {
		o, ok := d.Outcome.(O)
		return ok && when(s, o)
	}
}

// unknownOn adapts a taintPages rule's ranges at one point to a Rule's
// Unknown.
func unknownOn[O outcome](f func(s *System, o O) []span) func(s *System, d *Difference) []span {
	return func(s *System, d *Difference) []span { return f(s, d.Outcome.(O)) }
}

// adoptOn adapts an adoptQEMU rule's adoption at one point to a Rule's
// Adopt.
func adoptOn[O outcome](f func(s *System, o O) error) func(s *System, d *Difference) error {
	return func(s *System, d *Difference) error { return f(s, d.Outcome.(O)) }
}

// A Catalogue is one algorithm other than the reference as the properties
// run it.
type Catalogue struct {
	// Title names the algorithm in the README's table ("QEMU 11.1").
	Title string
	// Policies are the policies that run it (the first names the
	// catalogue): an algorithm's switches (box64's Wine) share one.
	Policies []policy.Policy
	// Behaviours are its named behaviours; Rules recognise them, tried in
	// order.
	Behaviours []Behaviour
	Rules      []Rule
	// Setups are the setups it runs on.
	Setups []Setup
	// Checks scales -props.checks for its transparency runs (0: 1): an
	// algorithm whose runs end soon at a behaviour needs more of them.
	Checks int
	// OwnLayout says the algorithm keeps no QEMU layout (box64): the
	// divergences do not apply, its stopRun rules are tried on the
	// differences the comparison finds rather than before it, the guest kernel runs unprivileged (no
	// mmap_min_addr exemption for MAP_FIXED), file mappings are no pread
	// copies, and the host must hold every page the guest kernel maps.
	OwnLayout bool
	// QuirkStatus says, for a QEMU release, whether it still has each of
	// the seed's quirks: a behaviour's name (it does), or why not. nil for
	// an algorithm that is not QEMU's code.
	QuirkStatus map[sim.Quirk]QuirkStatus
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

// Name is the catalogue's first policy, as ParsePolicy reads it.
func (c *Catalogue) Name() string { return c.Policies[0].String() }

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
var Catalogues = []*Catalogue{qemu111Catalogue, box64Catalogue}

// CatalogueFor returns the catalogue of policy pol, or nil (policy=fixed
// and the seed family's other policies have none: their differences are
// the divergences and the quirks).
func CatalogueFor(pol policy.Policy) *Catalogue {
	for _, c := range Catalogues {
		for _, p := range c.Policies {
			if p == pol {
				return c
			}
		}
	}
	return nil
}

// catalogueSpace narrows op to the argument space the catalogues (QEMU
// 11.1's, box64's) were written for: props' space before issue 12 widened
// it (no boundary lengths or offsets, map types, extra flags, fds or
// protection bits beyond the common ones; no brk; the first three files;
// the first advice, mremap and msync choices). QEMU's divergence rules
// cover the whole space; naming what another algorithm does with the rest
// of it is its catalogue's next step.
func catalogueSpace(op Op) Op {
	op.Len, op.NewLen, op.Off = Size{}, Size{}, Size{}
	op.MapType, op.MapExtra, op.Fd, op.ProtBits = 0, 0, 0, 0
	if op.Kind == OpBrk {
		op.Kind = OpLoad
	}
	for _, w := range []*Where{&op.At, &op.To} {
		switch {
		case w.Base > baseMid:
			*w = Where{Base: baseLow}
		case w.Base == baseTop && w.Page >= 0:
			w.Page = -1
		}
	}
	op.File %= 3
	op.Remap %= 6
	op.Advice %= 7
	if op.Kind == OpMsync {
		op.Advice %= 4
	}
	return op
}

// privilegedReference says whether the guest's ideal kernel runs
// privileged (no mmap_min_addr for MAP_FIXED) under pol: it does for
// QEMU, which applies no mmap_min_addr check to MAP_FIXED; not for an
// algorithm whose calls reach the host kernel as an unprivileged
// program's reach its own (box64).
func privilegedReference(pol policy.Policy) bool {
	c := CatalogueFor(pol)
	return c == nil || !c.OwnLayout
}

// ownLayout says whether the run's algorithm keeps no QEMU layout.
func (s *System) ownLayout() bool { return s.catalogue != nil && s.catalogue.OwnLayout }

// ruleFor is the first rule of the run's catalogue whose condition holds
// for d, or nil.
func (s *System) ruleFor(d *Difference) *Rule {
	if s.catalogue == nil {
		return nil
	}
	for i := range s.catalogue.Rules {
		r := &s.catalogue.Rules[i]
		if s.switchedOff(r) {
			continue
		}
		if r.Match != nil && r.Match(s, d) {
			return r
		}
	}
	return nil
}

// switchedOff says whether rule r is left out of the run: for a catalogue
// that keeps QEMU's layout, the rules of the behaviour Options.Disallow
// names are switched off (the run goes on, and fails where the difference
// shows, as no rule names it); for one with its own layout they stay, and
// the behaviour they name is a failure.
func (s *System) switchedOff(r *Rule) bool {
	return r.Name == s.disallow && !s.ownLayout()
}

// allowNamed applies, at a comparison point, the first rule of the run's
// catalogue that names outcome o. It reports whether one did (allowed),
// and whether the point must not look further (final: the rule names the
// behaviour the run disallows, or the algorithm has its own layout and
// the divergences do not apply).
//
// Preconditions: as allow's.
func (s *System) allowNamed(o outcome) (allowed, final bool) {
	switch o := o.(type) {
	case *mmapOutcome, *mremapOutcome, *callOutcome:
		s.call = o
	case *viewsOutcome:
		if s.hasDeltas() {
			if s.allowViews(o) {
				return true, true
			}
		}
	case *byteOutcome:
		if s.ownLayout() && s.unknownPage(o.at) {
			return true, true // a consequence of a behaviour already named
		}
	}
	d := &Difference{Outcome: o}
	r := s.ruleFor(d)
	switch {
	case r == nil:
		return false, s.ownLayout()
	case r.Name == s.disallow:
		return false, true
	case r.Then == stopRun && s.ownLayout():
		// An algorithm with its own layout names with its stopRun rules
		// the differences the comparison finds (fail, nameDifference),
		// not the outcomes before they are compared.
		return false, true
	}
	then := r.Then
	switch o.(type) {
	case *viewsOutcome, *agreementOutcome, *abortOutcome, *placementOutcome:
		then = stopRun // after the call: nothing to take back or go on from
	}
	if then == keepQEMU && o.undo() == nil {
		then = stopRun // a rule of the call, met again at a later point
	}
	var adopt func() error
	if r.Adopt != nil {
		adopt = func() error { return r.Adopt(s, d) }
	}
	s.apply(r.Name, then, o, func() []span { return r.Unknown(s, d) }, adopt)
	return true, true
}

// nameDifference names d, a difference the run is about to fail on, by the
// run's catalogue: the first rule whose condition holds, unless it names
// the behaviour the run disallows. The run stops there, whatever the
// rule's effect: where it goes on, allowNamed has applied it before.
func (s *System) nameDifference(d *Difference) (string, bool) {
	if s.catalogue == nil {
		return "", false
	}
	if o, ok := d.Outcome.(*viewsOutcome); ok {
		// allowViews named every run of pages but a disallowed one, or
		// left some unnamed: say which was disallowed.
		for _, x := range o.deltas() {
			if r := s.deltaRule(x); r != nil && r.Name == s.disallow {
				return r.Name, false
			}
		}
	}
	r := s.ruleFor(d)
	if r == nil {
		return "", false
	}
	return r.Name, r.Name != s.disallow
}

// hasDeltas says whether the run's catalogue names runs of pages where
// the views differ.
func (s *System) hasDeltas() bool {
	if s.catalogue == nil {
		return false
	}
	for _, r := range s.catalogue.Rules {
		if r.Delta != nil {
			return true
		}
	}
	return false
}

// allowViews names every run of pages where the views differ by the first
// rule whose Delta holds for it. Where all are named and none is
// disallowed, it counts each behaviour once and allows the views, or stops
// the run at the first behaviour whose effect is stopRun. Where some run
// is not named, it leaves the difference to the rules that Match.
func (s *System) allowViews(o *viewsOutcome) bool {
	var names []string
	stop := ""
	for _, x := range o.deltas() {
		r := s.deltaRule(x)
		if r == nil || r.Name == s.disallow {
			return false
		}
		if r.Then == stopRun && stop == "" {
			stop = r.Name
		}
		names = append(names, r.Name)
	}
	if stop != "" {
		s.stop(stop)
		return true
	}
	seen := map[string]bool{}
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			s.Divergences[n]++
		}
	}
	return true
}

// deltaRule is the first rule whose Delta holds for x, or nil.
func (s *System) deltaRule(x viewDelta) *Rule {
	for i := range s.catalogue.Rules {
		if r := &s.catalogue.Rules[i]; r.Delta != nil && !s.switchedOff(r) && r.Delta(s, x) {
			return r
		}
	}
	return nil
}

// hostHoldsGuestPages checks, for an algorithm that keeps no QEMU layout
// (its own CheckAgreement compares its record with the host, not the guest
// kernel), that every page the guest's kernel maps is mapped on the host:
// host pages lost under live guest pages show at the call that lost them,
// not when a later mapping lands there.
func (s *System) hostHoldsGuestPages() error {
	for _, m := range s.ref.Maps() {
		at := s.sim.G2H(uint64(m.Start))
		end := at + (m.End - m.Start)
		for _, h := range s.host.MappingsIn(hostvm.Range{Start: at, End: end}) {
			if h.Start > at {
				break
			}
			at = h.End
		}
		if at < end {
			return fmt.Errorf("the guest's kernel maps %#x-%#x but the host has nothing at %v", uint64(m.Start), uint64(m.End), at)
		}
	}
	return nil
}

// The outcomes of the points only catalogues use.

// viewsOutcome is the two views of the guest space after op, where they
// differ: the guest kernel's mappings (want) and the algorithm's page
// flags (got).
type viewsOutcome struct {
	op        Op
	want, got []viewSeg
}

func (*viewsOutcome) undo() *undo { return nil }

// agreementOutcome is the algorithm's page flags and the host's mappings
// disagreeing after op (its own CheckAgreement, or, for an algorithm with
// its own layout, hostHoldsGuestPages).
type agreementOutcome struct {
	op  Op
	err error
}

func (*agreementOutcome) undo() *undo { return nil }

// abortOutcome is the emulator's abort in op.
type abortOutcome struct {
	op    Op
	abort *sim.Abort
}

func (*abortOutcome) undo() *undo { return nil }

// placementOutcome is a non-fixed mmap the algorithm placed where the
// guest kernel cannot map it: at an address it refuses (kernelErr) or below
// mmap_min_addr (belowMin).
type placementOutcome struct {
	op           Op
	mmap         *mmapOutcome // the call, as far as it was compared
	addr, length uint64       // where the algorithm placed it
	kernelErr    error        // the guest kernel's answer to a MAP_FIXED_NOREPLACE there
	belowMin     bool
}

func (*placementOutcome) undo() *undo { return nil }

// current is the operation being run.
func (s *System) current() Op { return s.run[len(s.run)-1] }

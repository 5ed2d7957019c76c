package props

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
)

// Named behaviours: an algorithm that is not QEMU's (box64) brings its own
// catalogue of the ways it differs from the guest's ideal kernel. Each
// difference a run finds must be one of them (the first whose condition
// holds names it, and the run stops there: the two systems differ for
// good); any other is a failure. QEMU's divergence rules do not apply to
// such an algorithm.

// Verdict says what a behaviour is for the people who run the emulator.
type Verdict uint8

const (
	// Defect: a program can hit it and get another result than on its
	// own kernel; Why says which programs' patterns reach it.
	Defect Verdict = iota + 1
	// TradeOff: chosen knowingly, because the host's pages cannot do
	// better at a price the emulator would pay; Why names the change that
	// chose it.
	TradeOff
)

func (v Verdict) String() string {
	switch v {
	case Defect:
		return "defect"
	case TradeOff:
		return "trade-off"
	}
	return "unknown verdict"
}

// Behaviour is one named way an algorithm differs from the guest's ideal
// kernel.
type Behaviour struct {
	Name       string  // short, kebab-case
	SourceLine string  // where the emulator's source decides it: "wrappedlibc.c:3991-3999"
	Verdict    Verdict // defect or trade-off
	Why        string  // the verdict's reason
	Doc        string  // what a program sees, for a reader who does not know mmapsim
	// Scenario is the shrunk example the properties found, a scenario
	// file relative to the props directory: it fails under the policy it
	// names where the behaviour shows.
	Scenario string
	// Match says whether a difference is this behaviour (nil: it shows
	// only in the views, as Delta says).
	Match func(s *System, d *Difference) bool
	// Then is what the run does once the behaviour is named: stopRun
	// (the two systems differ for good), or, where the comparison point
	// allows it, countOnly (both are in equivalent states), keepQEMU
	// (the guest's kernel is put back and the run goes on from the
	// emulator's outcome) or taintPages (the pages Unknown lists may
	// differ from now on).
	Then    effect
	Unknown func(s *System, d *Difference) []span
	// Delta, for a behaviour that shows in the two views, says whether
	// one run of pages where they differ is this behaviour. Where every
	// such run is a behaviour's, the views are allowed (each behaviour
	// counted), or the run stops at the first whose effect is stopRun.
	Delta func(s *System, x viewDelta) bool
}

// Difference is what a run found different at a comparison point, before
// a behaviour names it.
type Difference struct {
	Msg string // the failure message the run would report
	// Outcome is what the point compared: *mmapOutcome, *mremapOutcome,
	// *callOutcome, *accessOutcome, *byteOutcome, *pageOutcome,
	// *storeOutcome, *viewsOutcome or *agreementOutcome; nil for an
	// emulator abort or a kernel's own invariant.
	Outcome any
}

// viewsOutcome is the two views of the guest space after a call, where
// they differ.
type viewsOutcome struct{ want, got []viewSeg }

func (*viewsOutcome) undo() *undo { return nil }

// agreementOutcome is the algorithm's own CheckAgreement failing.
type agreementOutcome struct{ err error }

func (*agreementOutcome) undo() *undo { return nil }

// BehavioursOf returns the catalogue of named behaviours of pol's
// algorithm, or nil when QEMU's divergence rules apply to it.
func BehavioursOf(pol policy.Policy) []Behaviour {
	if pol.Algorithm == policy.AlgoBox64 {
		return Box64Behaviours
	}
	return nil
}

// catalogueSpace narrows op to the argument space an algorithm's own
// catalogue (box64's) was written for: props' space before issue 12
// widened it (no boundary lengths or offsets, map types, extra flags, fds
// or protection bits beyond the common ones; no brk; the first three
// files; the first advice, mremap and msync choices). QEMU's divergence
// rules cover the whole space; a catalogue that names what box64 does
// with the rest of it is box64's to write.
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
// QEMU, which applies no mmap_min_addr check to MAP_FIXED; not for box64,
// whose calls reach the host kernel as an unprivileged program's reach its
// own.
func privilegedReference(pol policy.Policy) bool { return pol.Algorithm != policy.AlgoBox64 }

// behaviourFor is the first behaviour of the run's catalogue whose
// condition holds for d.
func (s *System) behaviourFor(d *Difference) (*Behaviour, bool) {
	for i := range s.behaviours {
		if m := s.behaviours[i].Match; m != nil && m(s, d) {
			return &s.behaviours[i], true
		}
	}
	return nil, false
}

// nameDifference names d, a difference the run found, by the run's
// catalogue: the first behaviour whose condition holds, unless it is the
// one the run disallows. The run stops there, whatever the behaviour's
// effect: where it goes on, allowBehaviour has applied it before.
func (s *System) nameDifference(d *Difference) (string, bool) {
	if o, ok := d.Outcome.(*viewsOutcome); ok {
		// allowViews named every run of pages but a disallowed one, or
		// left some unnamed: say which was disallowed.
		for _, x := range o.deltas() {
			if b := s.deltaBehaviour(x); b != nil && b.Name == s.disallow {
				return b.Name, false
			}
		}
	}
	b, ok := s.behaviourFor(d)
	if !ok {
		return "", false
	}
	return b.Name, b.Name != s.disallow
}

// allowBehaviour applies, at a comparison point that allows going on, the
// behaviour naming its outcome o, when that behaviour's effect goes on.
func (s *System) allowBehaviour(o outcome) bool {
	switch o := o.(type) {
	case *mmapOutcome, *mremapOutcome, *callOutcome:
		s.call = o
	case *viewsOutcome:
		return s.allowViews(o)
	case *byteOutcome:
		if s.unknownPage(o.at) {
			return true // a consequence of a behaviour already named
		}
	}
	d := &Difference{Outcome: o}
	b, ok := s.behaviourFor(d)
	if !ok || b.Then == stopRun || b.Name == s.disallow {
		return false
	}
	s.apply(b.Name, b.Then, o, func() []span { return b.Unknown(s, d) })
	return true
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

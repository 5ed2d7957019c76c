package props

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// Under the reference (fixed) algorithm an operation can change only the
// guest pages it names: its range, the destination of a move, where a
// placement put the mapping, the host pages these share with neighbours,
// and the mappings of a file it wrote. After each operation the views,
// QEMU's agreement with the host and the pages' contents are compared
// over those spans alone (touched); every wholeEvery operations they are
// compared over the whole guest space as well, and a difference found
// there that the spans missed fails the run: it is the proof that nothing
// outside the spans changed, and a test that catches the day it does.
// The kernels' own invariants (whole-kernel walks) are checked on those
// operations too. Built with -tags invariants, every operation is
// followed by the whole comparison and the invariants (and every call of
// every kernel by its invariants). Other algorithms (quirks left in, box64) break that
// premise by design (a failed mmap's leaked host mapping lies where no
// argument names it), so they are compared whole after every operation.

// wholeEvery is how often, in operations, the whole space is compared
// under the reference algorithm.
const wholeEvery = 16

// agreementIn is QEMU's agreement check restricted to a range, which the
// seed family provides (sim.Sim.CheckAgreementIn).
type agreementIn interface {
	CheckAgreementIn(start, end uint64) error
}

// spansOnly reports whether the comparison after the current operation
// looks at the touched spans alone: a reference run, on an operation
// that is not every wholeEvery-th (nor Finish's).
func (s *System) spansOnly() bool {
	return !wholeAlways && s.referenceRun() && len(s.run)%wholeEvery != 0 && !s.finishing && s.stopped == ""
}

// Finish ends a run: where the last operation's comparison looked at its
// touched spans alone, it compares the whole space (and checks the
// kernels' invariants) once more, so that every operation of a run is
// followed by a whole comparison. It returns false once the run has
// failed. The property tests call it when a sequence ends.
func (s *System) Finish() bool {
	if s.comparing() && s.spansOnly() {
		s.finishing = true
		s.checkInvariants()
		if s.comparing() {
			s.compareViews()
		}
		if s.comparing() {
			s.sweepWhole()
		}
		s.finishing = false
	}
	return s.failure == ""
}

// widenSpan adds [addr, addr+length) to spans, widened to whole host pages
// (neighbours sharing a host page can change with it) and clipped to the
// guest space.
func (s *System) widenSpan(spans []span, addr, length uint64) []span {
	start := addr &^ (s.hostPage - 1)
	end := addr + length
	if end < addr || end > s.spaceEnd {
		end = s.spaceEnd
	}
	end = min((end+s.hostPage-1)&^(s.hostPage-1), s.spaceEnd)
	if start < end {
		spans = append(spans, span{start, end})
	}
	return spans
}

// opSpans are the spans op names, with the handles as they are before it
// runs: its range, and for mmap and mremap the destination.
func (s *System) opSpans(spans []span, op Op) []span {
	switch op.Kind {
	case OpLoad, OpFileWrite, OpFtruncate:
		// A load changes nothing; a file write changes contents only
		// (sweepAfter compares its file's mappings).
	case OpStore:
		addr, _ := s.resolve(op.At)
		spans = s.widenSpan(spans, addr, uint64(op.N))
	case OpBrk:
		// The heap between the break and where it moves (a brk below
		// the heap's start fails).
		addr, _ := s.resolve(op.At)
		if lo, hi := max(min(s.brk, addr), s.sim.BrkStart()), max(s.brk, addr); hi > lo {
			spans = s.widenSpan(spans, lo, hi-lo)
		}
	default:
		addr, _ := s.resolve(op.At)
		spans = s.widenSpan(spans, addr, max(s.length(op.Pages, op.Extra), s.length(op.NewPages, 0)))
		if op.Kind == OpMremap || op.Kind == OpMmap {
			to, _ := s.resolve(op.To)
			spans = s.widenSpan(spans, to, s.length(op.NewPages, 0))
		}
	}
	return spans
}

// beginTouched records the spans op names before it runs.
func (s *System) beginTouched(op Op) {
	s.touched = s.opSpans(s.touched[:0], op)
	s.handlesBefore = len(s.handles)
}

// touchedSpans are the spans the last operation could have changed: those
// it named, and the mapping it made (a placement QEMU chose), merged
// where they overlap or meet.
func (s *System) touchedSpans() []span {
	for i := s.handlesBefore; i < len(s.handles); i++ {
		s.touched = s.widenSpan(s.touched, s.handles[i], s.handleLens[i])
	}
	s.handlesBefore = len(s.handles)
	slices.SortFunc(s.touched, func(a, b span) int { return cmp.Compare(a.start, b.start) })
	out := s.touched[:0]
	for _, r := range s.touched {
		if n := len(out); n > 0 && r.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, r.end)
			continue
		}
		out = append(out, r)
	}
	s.touched = out
	return out
}

// checkAgreement is QEMU's agreement with the host after an operation:
// over the touched spans, or the whole space.
func (s *System) checkAgreement() error {
	if !s.spansOnly() {
		return s.wholeAgreement()
	}
	ag := s.sim.(agreementIn)
	for _, r := range s.touchedSpans() {
		if err := ag.CheckAgreementIn(r.start, r.end); err != nil {
			return err
		}
	}
	return nil
}

// wholeAgreement checks the whole space; where the reference algorithm's
// touched spans agreed and the whole space does not, it says so.
func (s *System) wholeAgreement() error {
	err := s.sim.CheckAgreement()
	if err == nil || !s.referenceRun() || s.stopped != "" {
		// (Once QEMU runs alone, no span was recorded to have missed it.)
		return err
	}
	ag := s.sim.(agreementIn)
	for _, r := range s.touchedSpans() {
		if ag.CheckAgreementIn(r.start, r.end) != nil {
			return err
		}
	}
	return fmt.Errorf("the whole-space check found what the touched spans %v missed: %v", s.touched, err)
}

// referenceRun reports whether the run compares touched spans: the
// reference algorithm (the seed family with no quirk), which can check
// its agreement over a range.
func (s *System) referenceRun() bool {
	_, ok := s.sim.(agreementIn)
	return ok && s.policy.Algorithm == policy.AlgoSeed && s.policy.Quirks.Empty() && s.catalogue == nil
}

// viewsIn are the guest kernel's mappings and QEMU's page flags over the
// spans, clipped to them, appended to want and got.
func (s *System) viewsIn(spans []span, want, got []viewSeg) ([]viewSeg, []viewSeg) {
	for _, r := range spans {
		// The mappings go in the run's buffer, taken while in use.
		ms := s.ref.AppendMappingsIn(s.viewMaps[:0], hostvm.Range{Start: hostvm.Addr(r.start), End: hostvm.Addr(r.end)})
		s.viewMaps = nil
		for _, m := range ms {
			want = append(want, viewSeg{max(uint64(m.Start), r.start), min(uint64(m.End), r.end), uint32(m.Prot)})
		}
		s.viewMaps = ms[:0]
		for _, f := range s.sim.FlagRunsIn(r.start, r.end) {
			got = append(got, viewSeg{max(f.Start, r.start), min(f.End, r.end), f.Flags & sim.PageBits})
		}
	}
	return normalize(want), normalize(got)
}

// viewsMissed reports, for a difference of the whole views, whether the
// touched spans' views agreed (the spans missed it), under a reference
// run.
func (s *System) viewsMissed() bool {
	if !s.referenceRun() {
		return false
	}
	want, got := s.viewsIn(s.touchedSpans(), nil, nil)
	return slices.Equal(want, got)
}

// sweepWhole compares the contents of every page the guest kernel maps
// readable (sampled at both ends of long mappings, as sweep does), on the
// operations that compare the whole space under a reference run. A
// difference it finds, after sweepAfter compared the touched spans, is
// one they missed: the run fails saying so.
func (s *System) sweepWhole() {
	if !s.referenceRun() || s.spansOnly() {
		return
	}
	for _, m := range s.ref.Maps() {
		if !s.sweep(uint64(m.Start), uint64(m.End)) {
			if s.failure != "" {
				s.failure = "the whole-space sweep found what the touched spans missed: " + s.failure
			}
			return
		}
	}
}

// checkKernels checks both kernels' invariants: after every operation, or
// under a reference run on the whole-space operations. Once the comparison
// has stopped, the operations run on QEMU alone (simOnly) and the guest
// kernel no longer changes: its invariants, checked once after the stop,
// are not walked again to give the same answer.
func (s *System) checkKernels() error {
	if s.spansOnly() {
		return nil
	}
	if err := s.host.CheckInvariants(); err != nil {
		return fmt.Errorf("host kernel invariants: %v", err)
	}
	if s.stopped != "" && s.refCheckedStopped {
		return nil
	}
	if err := s.ref.CheckInvariants(); err != nil {
		return fmt.Errorf("reference kernel invariants: %v", err)
	}
	s.refCheckedStopped = s.stopped != ""
	return nil
}

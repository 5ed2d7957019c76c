package props

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/internal/runs"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// System runs operations on the system under test (QEMU's algorithms over
// a host kernel) and on the reference model (the guest's ideal kernel) and
// compares every guest-visible outcome.
//
// A run goes through three states: comparing; stopped (a divergence after
// which the two states differ for good: later operations are recorded but
// not run); failed (an outcome differed with no rule to allow it: Exec
// refuses further operations).
type System struct {
	setup  Setup
	policy policy.Policy
	sim    sim.Guest      // QEMU's algorithm, over host (possibly through Options.WrapHost)
	host   *hostvm.Kernel // the host kernel under sim; the comparison inspects it directly
	ref    *hostvm.Kernel // the reference: the guest's own kernel
	cfg    sim.Config     // sim's configuration, defaults filled and guest_base chosen

	targetPage uint64 // TARGET_PAGE_SIZE, the guest kernel's page
	hostPage   uint64 // qemu_host_page_size: a multiple of targetPage, at least the real host page
	spaceEnd   uint64 // end of the guest space (exclusive)
	wordMask   uint64 // the guest word: 1<<32-1 for a 32-bit guest, else all ones

	// handles are the addresses of the mappings mmap and mremap made, in
	// order (operations name them by number); handleLens[i] is the length
	// of mapping i when made. len(handles) == len(handleLens).
	handles    []uint64
	handleLens []uint64
	// taint marks guest pages (by page number, value 1) whose contents
	// are allowed to differ after a named divergence, so its
	// consequences are not reported again.
	taint runs.Map
	// snapshot marks guest pages (by page number, value 1) QEMU filled
	// with a copy of file data (pread), which later writes to the file do
	// not reach.
	snapshot runs.Map

	fileChanged bool // a file was written or truncated since the run began
	// sweepMaps is sweep's buffer of the guest kernel's mappings; a
	// run's own, nil while a sweep uses it.
	sweepMaps []hostvm.Mapping
	// sweepSpans are sweepAfter's ranges; viewMaps, viewWant and viewGot
	// the buffers of the views compareViews compares over the touched
	// spans (viewsIn). A run's own.
	sweepSpans        []span
	viewMaps          []hostvm.Mapping
	accessMaps        []hostvm.Mapping // refAllows' buffer, a run's own
	viewWant, viewGot []viewSeg
	// touched are the spans the current operation may change, and
	// handlesBefore the handles before it (touched.go).
	touched       []span
	handlesBefore int
	finishing     bool // Finish is comparing the whole space
	// refCheckedStopped is set once the guest kernel's invariants held
	// after the comparison stopped (checkKernels): it changes no more.
	refCheckedStopped bool
	// brk is the program break both systems agree on (QEMU's alone, once
	// the comparison stopped).
	brk uint64
	// simResult is what QEMU answered to the last operation run on it
	// alone (simOnly), shown by simResultText.
	simResult simAnswer

	// lines is the run so far as scenario text: lines[0] is the settings,
	// then the files, then a line (or a few) per operation.
	lines       []textLine
	Divergences map[string]int // named divergences (and the catalogue's behaviours) seen, by name
	failure     string         // the first failure, if any; once set, never changes
	failLine    int            // the line of lines the failure is at (1-based); meaningful when failure != ""
	stopped     string         // the divergence that ended the comparison, if any
	// keepGoing: once QEMU runs alone (stopped), a broken invariant is
	// recorded in violations and the run goes on, instead of failing it;
	// the seed family with its defects on breaks them in a few calls, and
	// its later paths are still worth running (TestPinnedOutcomes).
	keepGoing  bool
	violations []string
	run        []Op // the operations executed, in order

	// catalogue is the algorithm's catalogue of named behaviours, when it
	// is not the reference's (catalogue.go): its rules are tried first at
	// every comparison point, and name a difference the run would fail
	// on; nil for the seed family.
	catalogue *Catalogue
	// disallow is a behaviour that counts as a failure (Options.Disallow).
	disallow string
	// qemuErr is the algorithm's result of the current call, for the
	// rules of the points after it.
	qemuErr error
	// outcome is what the current comparison point compared (set by allow
	// and the checks), for the behaviours' conditions; call is the
	// outcome of the operation's call itself (an mmap, mremap or other
	// call), which later points look back to. Both nil between operations.
	outcome, call any
}

// Options are how NewSystemWith builds a run, beyond its setup and policy.
// The zero value builds what NewSystem does.
type Options struct {
	// WrapHost, when set, wraps the host QEMU's algorithm runs over, as a
	// user would to trace its calls or inject faults: sim gets
	// WrapHost(host) instead of host. The comparison still inspects the
	// host kernel itself.
	WrapHost func(sim.Host) sim.Host
	// Disallow names a behaviour of the algorithm's catalogue that is not
	// allowed in this run: the search for its shortest example. For an
	// algorithm with its own layout (box64) a difference it names fails
	// the run ("behaviour NAME: ..."); for a QEMU release its rules are
	// switched off, and the run fails where the difference shows.
	Disallow string
}

// NewSystem starts a run on setup under policy pol.
func NewSystem(setup Setup, pol policy.Policy) (*System, error) {
	return NewSystemWith(setup, pol, Options{})
}

// NewSystemWith starts a run on setup under policy pol, built as opts say:
// from a clone of the prepared system of setup and pol (prepared.go),
// unless it wraps the host.
func NewSystemWith(setup Setup, pol policy.Policy, opts Options) (*System, error) {
	if opts.WrapHost == nil {
		if s, ok, err := newPreparedSystem(setup, pol, opts); ok || err != nil {
			return s, err
		}
	}
	return buildSystem(setup, pol, opts)
}

// buildSystem builds a run on setup under policy pol from nothing.
func buildSystem(setup Setup, pol policy.Policy, opts Options) (*System, error) {
	guest, host, ref, err := setup.build(pol, opts)
	if err != nil {
		return nil, err
	}
	s := &System{setup: setup, policy: pol, sim: guest, host: host, ref: ref, cfg: guest.Config(),
		taint: runs.New(), snapshot: runs.New(), Divergences: map[string]int{},
		catalogue: CatalogueFor(pol), disallow: opts.Disallow}
	s.targetPage, s.hostPage = s.cfg.TargetPageSize, s.cfg.HostPageSize
	s.wordMask = ^uint64(0)
	if s.cfg.ABIBits == 32 {
		s.wordMask = 1<<32 - 1
	}
	s.spaceEnd = uint64(ref.TaskSize())
	s.brk = guest.BrkStart()
	s.sim.SetRecording(false)
	s.emit("#! " + setup.Settings(pol))
	for _, line := range fileLines(s.targetPage) {
		s.emit(line)
	}
	return s, nil
}

// word truncates v to the guest's word, as the guest's arithmetic wraps.
func (s *System) word(v uint64) uint64 { return v & s.wordMask }

// Failed returns the first failure ("" when none) and its line number in
// Scenario().
func (s *System) Failed() (string, int) { return s.failure, s.failLine }

// Ops returns the operations the run executed, in order.
func (s *System) Ops() []Op { return append([]Op(nil), s.run...) }

// Scenario returns the run as a scenario file: the expectations are the
// reference model's results, so `mmapsim run` of it fails where the run
// failed.
func (s *System) Scenario() string {
	if len(s.lines) == 0 {
		return "\n" // as strings.Join of no lines, then the newline
	}
	var b strings.Builder
	for _, line := range s.lines {
		b.WriteString(line.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// Exec runs op on both systems, compares, then checks the invariants. It
// returns false once the run has failed. Once the comparison has stopped
// at a named divergence, the operations run on QEMU alone, and only its
// invariants are checked.
func (s *System) Exec(op Op) bool {
	if s.failure != "" {
		return false
	}
	if s.stopped != "" && s.catalogue != nil {
		// An algorithm with its own catalogue (QEMU 11.1, box64): the
		// named behaviour that stopped the comparison ends the run's
		// checks.
		return true
	}
	s.run = append(s.run, op)
	s.outcome, s.call, s.qemuErr = nil, nil, nil
	if s.stopped != "" {
		s.simOnly(op)
		if s.failure == "" {
			s.checkInvariants()
		}
		return s.failure == ""
	}
	s.beginTouched(op)
	s.dispatch(op)
	if s.failure == "" && (s.catalogue == nil || s.comparing()) {
		// Even where the call stopped the comparison: QEMU's own
		// invariants hold whatever the guest kernel did.
		s.checkInvariants()
	}
	if s.comparing() {
		s.compareViews()
	}
	if s.comparing() {
		s.sweepAfter(op)
	}
	if s.comparing() {
		s.sweepWhole()
	}
	return s.failure == ""
}

// comparing reports whether the run has neither failed nor stopped.
func (s *System) comparing() bool { return s.failure == "" && s.stopped == "" }

// fail records the first failure, with both guest views at that moment,
// at the last line written so far.
func (s *System) fail(format string, args ...any) {
	if s.keepGoing && s.stopped != "" {
		s.violations = append(s.violations, fmt.Sprintf(format, args...))
		return
	}
	if s.failure == "" {
		msg := fmt.Sprintf(format, args...)
		name, ok := s.nameDifference(&Difference{Msg: msg, Outcome: s.outcome})
		if ok {
			s.stop(name)
			return
		}
		if name != "" {
			msg = "behaviour " + name + ": " + msg // the one Options.Disallow names
		}
		s.failure = msg + "\n" + s.stateText()
		s.failLine = len(s.lines)
	}
}

// stop records a named divergence after which the two systems' states
// differ for good: the rest of the run is not compared.
func (s *System) stop(name string) {
	s.Divergences[name]++
	s.stopped = name
	s.emit("# stopped comparing: divergence " + name)
}

// diverge records an allowed, named divergence and taints the pages
// [start, end) it leaves unknown.
func (s *System) diverge(name string, start, end uint64) {
	s.Divergences[name]++
	if end > start {
		s.taint.Set(start/s.targetPage, (end+s.targetPage-1)/s.targetPage, 1)
	}
}

// stateText shows both guest views at the moment of a failure: the guest
// kernel's mappings and QEMU's page flags.
func (s *System) stateText() string {
	var b strings.Builder
	b.WriteString("the guest kernel's mappings:\n")
	b.WriteString(s.ref.Debug())
	b.WriteString("QEMU's page flags:\n")
	for _, r := range s.sim.FlagRuns() {
		fmt.Fprintf(&b, "%08x-%08x %s\n", r.Start, r.End, flagText(r.Flags))
	}
	return b.String()
}

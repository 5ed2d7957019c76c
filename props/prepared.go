package props

import (
	"sync"

	"github.com/mmapsim/mmapsim/internal/runs"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// Runs start from a prepared system. Building one (two kernels, QEMU's
// start-up, the files and their contents in both, the guest kernel's
// initial mappings) costs as much as a run's fifty operations, and is the
// same for every run of a setup and policy; so it is built once and every
// run starts from a clone of it. Clones are copy-on-write all the way
// down (hostvm's trees, pages and chunks; sim's page flags; the file
// systems' tables are copied), and what a run grows (its text, its
// handles, its marks) it gets afresh: TestPreparedClonesIndependent runs
// operations on clones and checks the prepared system, and a fresh build,
// are where they were.

// preparedKey names a prepared system.
type preparedKey struct {
	setup Setup
	pol   policy.Policy
}

// preparedSystems are the prepared systems, built on first use. Cloning
// writes the generations of the system it copies, so clones are taken
// under the lock.
var preparedSystems struct {
	sync.Mutex
	m map[preparedKey]*System
}

// newPreparedSystem starts a run on setup under pol from a clone of the
// prepared system, built first if need be. It reports false where a run
// cannot start from a clone: a host that is not a plain kernel (a wrapper
// would be lost) or an algorithm whose clone does not bring its host.
//
// Preconditions: opts.WrapHost == nil.
func newPreparedSystem(setup Setup, pol policy.Policy, opts Options) (*System, bool, error) {
	preparedSystems.Lock()
	defer preparedSystems.Unlock()
	key := preparedKey{setup, pol}
	p := preparedSystems.m[key]
	if p == nil {
		var err error
		if p, err = buildSystem(setup, pol, Options{}); err != nil {
			return nil, false, err
		}
		if preparedSystems.m == nil {
			preparedSystems.m = map[preparedKey]*System{}
		}
		preparedSystems.m[key] = p
	}
	s, ok := p.clone()
	if !ok {
		return nil, false, nil
	}
	s.disallow = opts.Disallow
	return s, true, nil
}

// opsAhead is how many operations a clone makes room for: a sequence's
// usual fifty, and its text's lines.
const opsAhead = 64

// clone returns a system in the state p is in, sharing nothing a run
// changes, or false if p's guest does not clone with a plain kernel as its
// host.
//
// Preconditions: p has run no operation.
func (p *System) clone() (*System, bool) {
	guest := p.sim.CloneGuest()
	host, ok := guest.Host().(sim.KernelHost)
	if !ok || host.Kernel == nil || host.Kernel == p.host {
		return nil, false
	}
	s := *p
	s.sim, s.host, s.ref = guest, host.Kernel, p.ref.Clone()
	s.taint, s.snapshot = runs.New(), runs.New()
	s.Divergences = map[string]int{}
	// The slices a run appends to: fresh backing arrays, so that no two
	// runs append into one, made for a sequence's usual length at once
	// (opsAhead) rather than grown by doubling.
	s.lines = append(make([]textLine, 0, len(p.lines)+opsAhead), p.lines...)
	s.handles, s.handleLens, s.run = nil, nil, make([]Op, 0, opsAhead)
	s.outcome, s.call = nil, nil
	s.touched, s.sweepMaps, s.sweepSpans, s.viewMaps, s.viewWant, s.viewGot, s.accessMaps = nil, nil, nil, nil, nil, nil, nil
	return &s, true
}

package props

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// TestCloneIndependent: a clone of QEMU's process (CloneGuest: its page
// flags, its host, its log of host calls) starts with an empty log and
// goes on as the original does, and neither sees what the other does:
// before each operation of seeded sequences (under the fixed algorithm
// and the seed), the process is cloned, the operation runs on both, and
// their answers, page flags and host mappings must be alike; then the
// clone runs one more operation, which the original must not see.
func TestCloneIndependent(t *testing.T) {
	const seqs, steps = 2, 40
	t.Logf("props.seed=%d, %d sequences of %d calls per setup", *flagSeed, seqs, steps)
	for _, setup := range Setups {
		for _, pol := range []policy.Policy{policy.Fixed, policy.Seed} {
			for i := int64(0); i < seqs; i++ {
				if msg := cloneRun(t, setup, pol, *flagSeed+i, steps); msg != "" {
					t.Fatalf("%s %s seed %d: %s", setup.Name, pol, *flagSeed+i, msg)
				}
			}
		}
	}
}

// cloneRun runs one sequence of the clone property and returns what
// broke it, or "".
func cloneRun(t *testing.T, setup Setup, pol policy.Policy, seed int64, steps int) string {
	s, err := NewSystem(setup, pol)
	if err != nil {
		t.Fatal(err)
	}
	s.stopped = "clone" // QEMU alone
	s.sim.SetRecording(true)
	src := rngSource{rand.New(rand.NewSource(seed))}
	handles := 0
	for n := 0; n < steps; n++ {
		op := GenOp(src, handles)
		c := s.cloneQEMUAlone()
		if calls := c.sim.LastHostCalls(); len(calls) != 0 {
			return fmt.Sprintf("a fresh clone's log holds %d calls", len(calls))
		}
		okS, okC := s.Exec(op), c.Exec(op)
		a, b := s.state(), c.state()
		if op.Kind != OpLoad && op.Kind != OpStore && op.Kind != OpFileWrite && op.Kind != OpFtruncate {
			// A system call: each logs the host calls it made.
			a += fmt.Sprint(s.sim.LastHostCalls())
			b += fmt.Sprint(c.sim.LastHostCalls())
		}
		if okS != okC || a != b {
			return fmt.Sprintf("after %v the original and its clone differ:\n%s\n---\n%s", op, a, b)
		}
		if !okS {
			return ""
		}
		before := s.state()
		c.Exec(GenOp(src, handles+1))
		if after := s.state(); after != before {
			return fmt.Sprintf("an operation on the clone changed the original:\n%s\n---\n%s", before, after)
		}
		if op.Kind == OpMmap || op.Kind == OpMremap {
			handles++
		}
	}
	return ""
}

// cloneQEMUAlone copies a run that goes on with QEMU alone, with QEMU's
// process cloned (CloneGuest) and the host kernel that clone runs over
// (System.clone, by contrast, copies a prepared system before its first
// operation, guest kernel included).
func (s *System) cloneQEMUAlone() *System {
	c := *s
	c.sim = s.sim.CloneGuest()
	c.host = c.sim.Host().(sim.KernelHost).Kernel
	c.handles = append([]uint64(nil), s.handles...)
	c.handleLens = append([]uint64(nil), s.handleLens...)
	c.lines = append([]textLine(nil), s.lines...)
	c.run = append([]Op(nil), s.run...)
	return &c
}

// state renders what QEMU's process shows: the last answer, the page
// flags, the host's mappings.
func (s *System) state() string {
	return fmt.Sprintf("%s\n%v\n%v\n", s.simResultText(), s.sim.FlagRuns(), s.host.Maps())
}

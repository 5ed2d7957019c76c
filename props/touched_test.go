package props

import (
	"bytes"
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// wholeDifference compares the whole guest space as a whole-space
// operation would, without recording anything: QEMU's agreement with the
// host, both views, and the contents of every page the guest kernel maps
// readable whose contents are known (at most 32 pages at each end of a
// mapping, as sweep samples). It returns the first difference, or
// "".
func wholeDifference(s *System) string {
	if err := s.sim.CheckAgreement(); err != nil {
		return err.Error()
	}
	var want, got []viewSeg
	for _, m := range s.ref.Maps() {
		want = append(want, viewSeg{uint64(m.Start), uint64(m.End), uint32(m.Prot)})
	}
	for _, r := range s.sim.FlagRuns() {
		got = append(got, viewSeg{r.Start, r.End, r.Flags & sim.PageBits})
	}
	if want, got = normalize(want), normalize(got); !slices.Equal(want, got) {
		return fmt.Sprintf("views: QEMU [%s], the guest kernel [%s]", describeView(got), describeView(want))
	}
	q, k := make([]byte, s.targetPage), make([]byte, s.targetPage)
	for _, m := range s.ref.Maps() {
		if m.Prot&hostvm.ProtRead == 0 {
			continue
		}
		lo, hi, t := uint64(m.Start), uint64(m.End), s.targetPage
		for p := lo; p < hi; p += t {
			if hi-lo > 64*t && p >= lo+32*t && p < hi-32*t {
				p = hi - 32*t // at most 32 pages at each end, as sweep
			}
			if s.unknownPage(p) {
				continue
			}
			if _, f := s.ref.Read(hostvm.Addr(p), k); f != nil {
				continue
			}
			if _, f := s.sim.Load(p, q); f != nil || !bytes.Equal(q, k) {
				return fmt.Sprintf("page %#x differs (%v)", p, f)
			}
		}
	}
	return ""
}

// TestTouchedSpansSuffice: under the reference algorithm, what an
// operation did not touch does not change. After every operation of many
// sequences on every setup, where the run (which compared the touched
// spans, and the whole space every wholeEvery operations) goes on
// comparing, the whole space (agreement, views, every known page's bytes)
// agrees too: a difference here is one the touched spans missed.
func TestTouchedSpansSuffice(t *testing.T) {
	seqs := 60
	if testing.Short() {
		seqs = 10
	}
	t.Logf("props.seed=%d, %d sequences per setup", *flagSeed, seqs)
	for _, setup := range Setups {
		for i := 0; i < seqs; i++ {
			seed := *flagSeed*1000 + int64(i)
			s, err := NewSystem(setup, policy.Fixed)
			if err != nil {
				t.Fatal(err)
			}
			src := rngSource{rand.New(rand.NewSource(seed))}
			handles := 0
			for j := 0; j < *flagSteps; j++ {
				op := GenOp(src, handles)
				if !s.Exec(op) || !s.comparing() {
					break
				}
				if d := wholeDifference(s); d != "" {
					t.Fatalf("%s, seed %d, operation %d: the touched spans %v missed a difference: %s\n%s", setup.Name, seed, j, s.touched, d, s.Scenario())
				}
				if op.Kind == OpMmap || op.Kind == OpMremap {
					handles++
				}
			}
		}
	}
}

// saboteur is a host that, once armed, unmaps the first host page of the
// next mapping QEMU makes with some access (a guest page QEMU holds valid
// left without host memory), as a bug in QEMU's algorithm would.
type saboteur struct {
	sim.Host
	armed, struck bool
}

func (h *saboteur) Mmap(addr hostvm.Addr, length uint64, prot hostvm.Prot, flags hostvm.MapFlags, fd int, off uint64) (hostvm.Addr, error) {
	got, err := h.Host.Mmap(addr, length, prot, flags, fd, off)
	if err == nil && h.armed && prot != hostvm.ProtNone {
		h.armed, h.struck = false, true
		_ = h.Host.Munmap(got, h.Host.PageSize())
	}
	return got, err
}

// TestTouchedSpansCatchSabotage: a host page taken from under a mapping QEMU
// just made (at the address the operation named, or where QEMU placed
// it) is found by the operation that made it, though only its touched
// spans are compared: after every sabotaged operation the run either
// fails or the whole space agrees (the sabotage was mended by QEMU's own
// later calls).
func TestTouchedSpansCatchSabotage(t *testing.T) {
	seqs := 40
	if testing.Short() {
		seqs = 8
	}
	t.Logf("props.seed=%d, %d sequences per setup", *flagSeed, seqs)
	caught := 0
	for _, setup := range Setups {
		for i := 0; i < seqs; i++ {
			seed := *flagSeed*1000 + int64(i)
			rng := rand.New(rand.NewSource(seed))
			sab := &saboteur{}
			s, err := NewSystemWith(setup, policy.Fixed, Options{WrapHost: func(h sim.Host) sim.Host {
				sab.Host = h
				return sab
			}})
			if err != nil {
				t.Fatal(err)
			}
			armAt := 1 + rng.Intn(*flagSteps-1)
			src := rngSource{rng}
			handles := 0
			for j := 0; j < *flagSteps; j++ {
				sab.armed = sab.armed || j == armAt
				op := GenOp(src, handles)
				ok := s.Exec(op)
				if sab.struck {
					whole := len(s.run)%wholeEvery == 0
					if ok && s.comparing() {
						if d := wholeDifference(s); d != "" && !whole {
							t.Fatalf("%s, seed %d, operation %d: sabotage inside the operation's mapping went unseen: %s\n%s", setup.Name, seed, j, d, s.Scenario())
						}
					} else if !whole {
						caught++
					}
					break
				}
				if !ok || !s.comparing() {
					break
				}
				if op.Kind == OpMmap || op.Kind == OpMremap {
					handles++
				}
			}
		}
	}
	if caught < 20 {
		t.Errorf("only %d sabotages caught by the touched spans: the test tests little", caught)
	}
	t.Logf("%d sabotages caught by the touched spans", caught)
}

// TestStoppedRunLeavesGuestKernel checks checkKernels' premise: once a
// run's comparison has stopped, its operations run on QEMU alone and the
// guest kernel does not change (its invariants are not walked again), and
// the host's still are after every operation.
func TestStoppedRunLeavesGuestKernel(t *testing.T) {
	seeds := int64(8)
	t.Logf("props.seed=%d..%d on every setup", *flagSeed, *flagSeed+seeds-1)
	stopped := 0
	for _, setup := range Setups {
		for seed := *flagSeed; seed < *flagSeed+seeds; seed++ {
			s, err := NewSystem(setup, policy.Fixed)
			if err != nil {
				t.Fatal(err)
			}
			after, ref := 0, ""
			execSeeded(s, seed, *flagSteps, func(Op) {
				switch {
				case s.stopped != "" && ref == "":
					ref = s.ref.Debug()
				case ref != "":
					after++
					if got := s.ref.Debug(); got != ref {
						t.Fatalf("%s seed %d: the guest kernel changed after the comparison stopped (%s):\n%s\nwas\n%s", setup.Name, seed, s.stopped, got, ref)
					}
				}
			})
			if after > 0 {
				stopped++
			}
		}
	}
	if stopped == 0 {
		t.Fatalf("no run stopped comparing and went on: nothing checked")
	}
	t.Logf("%d runs went on after a stop", stopped)
}

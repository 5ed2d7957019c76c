package props

import (
	"bytes"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// passThroughHost wraps a host the way sim's doc invites a user to, to
// trace its calls or inject faults: it embeds sim.Host and forwards
// everything. It adds no method: what the algorithm needs of the host must
// be in sim.Host itself, or wrapping the host changes results.
type passThroughHost struct{ sim.Host }

// guestEvent is one call on the guest, as observedGuest saw it.
type guestEvent struct {
	call   string // the call, its arguments and its result (value, errno, bytes accessed, fault)
	data   []byte // what a load read
	host   string // the host calls a system call made
	flags  string // QEMU's page flags after it
	detail string // a longer rendering, for the failure message
}

// observedGuest records every call on a guest that can change or reveal
// guest-visible state: its result, the bytes and fault of an access, the
// host calls it made and the page flags it left.
type observedGuest struct {
	sim.Guest
	events []guestEvent
}

// note records a call, with the host calls it made when it is a system
// call (syscall), and the page flags after it.
func (g *observedGuest) note(call string, data []byte, syscall bool) {
	host := ""
	if syscall {
		host = fmt.Sprint(g.LastHostCalls())
	}
	flags := fmt.Sprintf("%#x", g.FlagRuns())
	g.events = append(g.events, guestEvent{call: call, data: append([]byte(nil), data...), host: host, flags: flags,
		detail: call + "\n    host calls: " + host + "\n    page flags: " + flags})
}

func faultValue(f *hostvm.Fault) string {
	if f == nil {
		return "no fault"
	}
	return fmt.Sprintf("%+v", *f)
}

func (g *observedGuest) Mmap(addr, length uint64, prot int, flags hostvm.MapFlags, fd int, off uint64) (uint64, error) {
	got, err := g.Guest.Mmap(addr, length, prot, flags, fd, off)
	g.note(fmt.Sprintf("mmap(%#x, %#x, %d, %v, %d, %#x) = %#x, %v", addr, length, prot, flags, fd, off, got, err), nil, true)
	return got, err
}

func (g *observedGuest) Munmap(addr, length uint64) error {
	err := g.Guest.Munmap(addr, length)
	g.note(fmt.Sprintf("munmap(%#x, %#x) = %v", addr, length, err), nil, true)
	return err
}

func (g *observedGuest) Mprotect(addr, length uint64, prot int) error {
	err := g.Guest.Mprotect(addr, length, prot)
	g.note(fmt.Sprintf("mprotect(%#x, %#x, %d) = %v", addr, length, prot, err), nil, true)
	return err
}

func (g *observedGuest) Mremap(old, oldLen, newLen uint64, flags hostvm.MremapFlags, to uint64) (uint64, error) {
	got, err := g.Guest.Mremap(old, oldLen, newLen, flags, to)
	g.note(fmt.Sprintf("mremap(%#x, %#x, %#x, %v, %#x) = %#x, %v", old, oldLen, newLen, flags, to, got, err), nil, true)
	return got, err
}

func (g *observedGuest) Msync(addr, length uint64, flags int) error {
	err := g.Guest.Msync(addr, length, flags)
	g.note(fmt.Sprintf("msync(%#x, %#x, %d) = %v", addr, length, flags, err), nil, true)
	return err
}

func (g *observedGuest) Madvise(addr, length uint64, advice hostvm.Advice) error {
	err := g.Guest.Madvise(addr, length, advice)
	g.note(fmt.Sprintf("madvise(%#x, %#x, %v) = %v", addr, length, advice, err), nil, true)
	return err
}

func (g *observedGuest) Load(addr uint64, buf []byte) (int, *sim.Fault) {
	n, f := g.Guest.Load(addr, buf)
	g.note(fmt.Sprintf("load(%#x, %d) = %d, %s", addr, len(buf), n, faultValue(f)), buf, false)
	return n, f
}

func (g *observedGuest) Store(addr uint64, data []byte) (int, *sim.Fault) {
	n, f := g.Guest.Store(addr, data)
	g.note(fmt.Sprintf("store(%#x, %d) = %d, %s", addr, len(data), n, faultValue(f)), nil, false)
	return n, f
}

func (g *observedGuest) CheckAgreement() error {
	err := g.Guest.CheckAgreement()
	g.note(fmt.Sprintf("CheckAgreement() = %v", err), nil, false)
	return err
}

// observe puts an observedGuest between s and its guest, with the host
// calls recorded.
func observe(s *System) *observedGuest {
	s.sim.SetRecording(true)
	g := &observedGuest{Guest: s.sim}
	s.sim = g
	return g
}

// runDifference describes the first difference between a run over the
// plain host and one over the wrapper, or returns "".
func runDifference(plain, wrapped *System, plainGuest, wrappedGuest *observedGuest) string {
	for i := range min(len(plainGuest.events), len(wrappedGuest.events)) {
		p, w := plainGuest.events[i], wrappedGuest.events[i]
		if p.call != w.call || !bytes.Equal(p.data, w.data) || p.host != w.host || p.flags != w.flags {
			return fmt.Sprintf("guest call %d differs:\n  over KernelHost: %s\n  over the wrapper: %s", i, p.detail, w.detail)
		}
	}
	if len(plainGuest.events) != len(wrappedGuest.events) {
		return fmt.Sprintf("%d guest calls over KernelHost, %d over the wrapper", len(plainGuest.events), len(wrappedGuest.events))
	}
	if a, b := plain.Scenario(), wrapped.Scenario(); a != b {
		return "the scenario text differs; over the wrapper:\n" + b
	}
	if a, b := fmt.Sprint(plain.Failed()), fmt.Sprint(wrapped.Failed()); a != b {
		return fmt.Sprintf("the failure differs:\n  over KernelHost: %s\n  over the wrapper: %s", a, b)
	}
	if plain.stopped != wrapped.stopped || !reflect.DeepEqual(plain.Divergences, wrapped.Divergences) {
		return fmt.Sprintf("the divergences differ: %v (stopped %q) over KernelHost, %v (stopped %q) over the wrapper",
			plain.Divergences, plain.stopped, wrapped.Divergences, wrapped.stopped)
	}
	if !reflect.DeepEqual(plain.handles, wrapped.handles) {
		return fmt.Sprintf("the mappings made differ: %#x over KernelHost, %#x over the wrapper", plain.handles, wrapped.handles)
	}
	return ""
}

// TestPassThroughHost runs the property suite's sequences (GenOp, seeded)
// twice in step, QEMU over the plain KernelHost and over passThroughHost,
// and requires the same guest-visible run: every guest call's result,
// bytes and fault, its host calls, the page flags after it, and the same
// scenario text, failures and divergences. Wrapping the host must not
// change what the algorithm does (issue 11: sim type-asserted optional
// host interfaces, so a wrapper that lacked them changed results).
func TestPassThroughHost(t *testing.T) {
	seeds := int64(10)
	if testing.Short() {
		seeds = 2
	}
	names := []string{"i386-4k-reserved", "i386-64k-reserved", "i386-64k", "i386-p64k-reserved",
		"x86_64-64k", "x86_64-16k", "arm-top-64k", "i386-tiny-64k"}
	t.Logf("props.seed=%d..%d, %d steps, policies fixed and seed, setups %s",
		*flagSeed, *flagSeed+seeds-1, *flagSteps, strings.Join(names, " "))
	for _, name := range names {
		setup, ok := SetupByName(name)
		if !ok {
			t.Fatalf("unknown setup %q", name)
		}
		for _, pol := range []policy.Policy{policy.Fixed, policy.Seed} {
			for seed := *flagSeed; seed < *flagSeed+seeds; seed++ {
				if diff := passThroughDifference(t, setup, pol, seed); diff != "" {
					t.Errorf("%s policy=%s seed %d: %s", setup.Name, pol, seed, diff)
				}
			}
		}
	}
}

// passThroughDifference runs seed's sequence on setup under pol over both
// hosts and returns the first difference, or "".
func passThroughDifference(t *testing.T, setup Setup, pol policy.Policy, seed int64) string {
	plain, err := NewSystem(setup, pol)
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := NewSystemWith(setup, pol, Options{WrapHost: func(h sim.Host) sim.Host { return passThroughHost{h} }})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := fmt.Sprint(plain.sim.FlagRuns()), fmt.Sprint(wrapped.sim.FlagRuns()); a != b {
		return fmt.Sprintf("the initial page flags differ: %s over KernelHost, %s over the wrapper", a, b)
	}
	plainGuest, wrappedGuest := observe(plain), observe(wrapped)
	src := rngSource{rand.New(rand.NewSource(seed))}
	handles := 0
	for step := 0; step < *flagSteps; step++ {
		op := GenOp(src, handles)
		plainOK := plain.Exec(op)
		wrapped.Exec(op)
		if diff := runDifference(plain, wrapped, plainGuest, wrappedGuest); diff != "" {
			return fmt.Sprintf("at step %d (%v): %s", step, op, diff)
		}
		if !plainOK {
			break
		}
		plainGuest.events, wrappedGuest.events = plainGuest.events[:0], wrappedGuest.events[:0]
		if op.Kind == OpMmap || op.Kind == OpMremap {
			handles++
		}
	}
	return ""
}

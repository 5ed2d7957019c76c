package props

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/internal/runs"
	"github.com/mmapsim/mmapsim/policy"
)

// stateOf renders everything of a system a run could change and a clone
// could share by mistake: both kernels' VMAs with their hidden flags, the
// files' contents on both, QEMU's page flags and errno-visible state, the
// bytes of every mapped guest page (through QEMU and on the guest
// kernel), and the run's text.
func stateOf(s *System) string {
	var b strings.Builder
	b.WriteString("host:\n" + s.host.Debug() + "reference:\n" + s.ref.Debug())
	fmt.Fprintf(&b, "flags %v\nbrk %#x guest_base %#x aborted %v\n", s.sim.FlagRuns(), s.sim.BrkStart(), s.sim.GuestBase(), s.sim.Aborted())
	for fd := 3; fd < 3+len(files); fd++ {
		for _, k := range []*hostvm.Kernel{s.host, s.ref} {
			buf := make([]byte, 64<<10)
			n, err := k.FilePread(fd, buf, 0)
			fmt.Fprintf(&b, "fd %d: %d bytes %v %x\n", fd, n, err, buf[:n])
		}
	}
	page := make([]byte, s.targetPage)
	for _, m := range s.ref.Maps() {
		for p, i := uint64(m.Start), 0; p < uint64(m.End) && i < 64; p, i = p+s.targetPage, i+1 {
			kn, kf := s.ref.Read(hostvm.Addr(p), page)
			fmt.Fprintf(&b, "%#x ref %d %v %x\n", p, kn, kf, page[:kn])
			qn, qf := s.sim.Load(p, page)
			fmt.Fprintf(&b, "%#x sim %d %v %x\n", p, qn, qf, page[:qn])
		}
	}
	for _, m := range []runs.Map{s.taint, s.snapshot} {
		m.Each(func(r runs.Run) bool {
			fmt.Fprintf(&b, "mark %+v\n", r)
			return true
		})
	}
	fmt.Fprintf(&b, "handles %v %v failure %q stopped %q divergences %v file changed %v\n",
		s.handles, s.handleLens, s.failure, s.stopped, s.Divergences, s.fileChanged)
	return b.String() + s.Scenario()
}

// runOps runs n generated operations from seed on s.
func runOps(s *System, seed int64, n int) {
	src := rngSource{rand.New(rand.NewSource(seed))}
	narrow := s.catalogue != nil // as the catalogue's own runs (gen.go)
	handles := 0
	for i := 0; i < n; i++ {
		op := GenOp(src, handles)
		if narrow {
			op = catalogueSpace(op)
		}
		if !s.Exec(op) {
			return
		}
		if op.Kind == OpMmap || op.Kind == OpMremap {
			handles++
		}
	}
}

// TestPreparedClonesIndependent: a run started from the prepared system (a
// clone) is a system built from nothing, and shares nothing a run
// changes. For every setup and the fixed, seed and QEMU 7.2 algorithms
// (box64 on its catalogue's setups, in its catalogue's argument space): a
// clone starts in the state a fresh build is in; after a clone has run a
// sequence, the prepared system and a second clone are still in it; the
// second clone then runs another sequence exactly as a fresh build runs
// it (same text, same failure); and the first clone's state stays as its
// own run left it.
func TestPreparedClonesIndependent(t *testing.T) {
	seed := *flagSeed
	t.Logf("props.seed=%d", seed)
	steps := *flagSteps
	if testing.Short() {
		steps = 20
	}
	for _, name := range []string{"fixed", "seed", "qemu-7.2", "box64"} {
		pol, err := policy.ParsePolicy(name)
		if err != nil {
			t.Fatal(err)
		}
		setups := Setups
		if c := CatalogueFor(pol); c != nil {
			setups = c.Setups // box64 runs x86_64 guests, with the host's brk
		}
		for _, setup := range setups {
			fresh, err := buildSystem(setup, pol, Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := stateOf(fresh)
			first, err := NewSystem(setup, pol)
			if err != nil {
				t.Fatal(err)
			}
			if got := stateOf(first); got != want {
				t.Fatalf("%s, %s: a clone of the prepared system differs from a fresh build:\n%s\n---\n%s", setup.Name, name, got, want)
			}
			if p := preparedSystems.m[preparedKey{setup, pol}]; p == nil || &first.lines[0] == &p.lines[0] {
				t.Fatalf("%s, %s: no prepared system, or the clone appends its text into the prepared system's", setup.Name, name)
			}
			runOps(first, seed, steps)
			firstState := stateOf(first)
			if firstState == want {
				t.Fatalf("%s, %s: %d operations changed nothing", setup.Name, name, steps)
			}
			p := preparedSystems.m[preparedKey{setup, pol}]
			if p == nil {
				t.Fatalf("%s, %s: no prepared system", setup.Name, name)
			}
			if got := stateOf(p); got != want {
				t.Fatalf("%s, %s: running a clone changed the prepared system:\n%s\n---\n%s", setup.Name, name, got, want)
			}
			second, err := NewSystem(setup, pol)
			if err != nil {
				t.Fatal(err)
			}
			if got := stateOf(second); got != want {
				t.Fatalf("%s, %s: running a clone changed the next clone:\n%s\n---\n%s", setup.Name, name, got, want)
			}
			runOps(second, seed+1, steps)
			runOps(fresh, seed+1, steps)
			if got, want := stateOf(second), stateOf(fresh); got != want {
				t.Fatalf("%s, %s: a clone runs otherwise than a fresh build:\n%s\n---\n%s", setup.Name, name, got, want)
			}
			if got := stateOf(first); got != firstState {
				t.Fatalf("%s, %s: running the second clone changed the first:\n%s\n---\n%s", setup.Name, name, got, firstState)
			}
		}
	}
}

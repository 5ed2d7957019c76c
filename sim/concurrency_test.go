package sim

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// TestClonesRunInParallel checks the package doc's claim: clones taken in
// the goroutine that owns a Sim are independent processes (each over its
// own copy-on-write snapshot of the host) that may run in parallel with
// each other and with fresh Sims. Run with -race: a write to anything the
// clones share is a data race. Each clone's transcript must equal the one
// a sequential run of the same calls gives, and the original must not move.
// Under the seed and under the fix, whose mremaps on the 64K host are
// emulated with a copy that lends protection (withAccess): the original
// has made one before it is cloned, so its buffers are in use.
func TestClonesRunInParallel(t *testing.T) {
	for _, c := range []struct {
		name   string
		quirks QuirkSet
	}{{"seed", SeedQuirks}, {"fixed", QuirkSet{}}} {
		t.Run(c.name, func(t *testing.T) { clonesRunInParallel(t, c.quirks) })
	}
}

func clonesRunInParallel(t *testing.T, quirks QuirkSet) {
	base, k := newTestSim(t, 65536, 0, 0x10000000, quirks)
	w := mustMmap(t, base, 0, 0x2000, rw, anon)
	if _, f := base.Store(w, []byte("warm")); f != nil {
		t.Fatal(f)
	}
	if _, err := base.Mremap(w, 0x2000, 0x2000, hostvm.MremapMayMove|hostvm.MremapFixed, 0x0b000000); err != nil {
		t.Fatal(err)
	}
	a := mustMmap(t, base, 0, 0x3000, rw, anon)
	if _, f := base.Store(a, []byte("base")); f != nil {
		t.Fatal(f)
	}
	before := transcriptOf(base, k)
	const n = 4
	work := func(s *Sim, i int) string {
		var b strings.Builder
		step := func(what string, v uint64, err error) { fmt.Fprintf(&b, "%s = %#x %v\n", what, v, err) }
		p, err := s.Mmap(0, uint64(i+1)*0x1000, rw, anon, -1, 0)
		step("mmap", p, err)
		_, f := s.Store(p, []byte{byte('0' + i)})
		fmt.Fprintf(&b, "store %v\n", f)
		step("mprotect", 0, s.Mprotect(a+0x1000, 0x1000, protRead))
		q, err := s.Mremap(a, 0x3000, 0x5000+uint64(i)*0x1000, hostvm.MremapMayMove, 0)
		step("mremap", q, err)
		q, err = s.Mremap(q, 0x3000, 0x3000, hostvm.MremapMayMove|hostvm.MremapFixed, 0x0c000000+uint64(i)*0x100000)
		step("mremap to", q, err)
		step("munmap", 0, s.Munmap(p, 0x1000))
		buf := make([]byte, 4)
		_, f = s.Load(q, buf)
		fmt.Fprintf(&b, "load %q %v\n", buf, f)
		b.WriteString(transcriptOf(s, s.Host().(KernelHost).Kernel))
		return b.String()
	}
	// A Sim of its own, on a kernel of its own, beside the clones.
	fresh := func(i int) string {
		kf, err := hostvm.New(hostvm.Config{PageSize: 16384, AddrBits: 47})
		if err != nil {
			return err.Error()
		}
		s, err := New(KernelHost{kf}, Config{ReservedVA: 0x10000000, ProbeGuestBase: true})
		if err != nil {
			return err.Error()
		}
		return work(s, i)
	}
	// The sequential answers, on clones of their own.
	want, wantFresh := make([]string, n), make([]string, n)
	for i := range want {
		want[i], wantFresh[i] = work(base.Clone(), i), fresh(i)
	}
	clones := make([]*Sim, n)
	for i := range clones {
		clones[i] = base.Clone()
	}
	got, gotFresh := make([]string, n), make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			got[i], gotFresh[i] = work(clones[i], i), fresh(i)
		}(i)
	}
	wg.Wait()
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("clone %d in parallel:\n%s\nsequentially:\n%s", i, got[i], want[i])
		}
		if gotFresh[i] != wantFresh[i] {
			t.Errorf("fresh Sim %d in parallel:\n%s\nsequentially:\n%s", i, gotFresh[i], wantFresh[i])
		}
	}
	if after := transcriptOf(base, k); after != before {
		t.Errorf("the original moved:\n%s\nwant\n%s", after, before)
	}
}

// transcriptOf renders a process's state: its page flags and its host's
// maps.
func transcriptOf(s *Sim, k *hostvm.Kernel) string {
	return fmt.Sprintf("flags %v\nhost\n%s", s.FlagRuns(), k.MapsString())
}

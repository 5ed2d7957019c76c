package policy_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// TestPoliciesInParallel checks the package doc's claim: the package's
// values are read-only, and Policy.New may run in many goroutines at once,
// each guest then its own. Every named policy starts a guest (over a
// kernel of its own) in each of several goroutines and runs the same
// calls; run with -race, the transcripts must equal a sequential run's.
func TestPoliciesInParallel(t *testing.T) {
	host, err := policy.Host("arm64-16k")
	if err != nil {
		t.Fatal(err)
	}
	target, err := policy.Target("x86_64")
	if err != nil {
		t.Fatal(err)
	}
	run := func(v policy.Variant) string {
		k, err := hostvm.New(host.Config)
		if err != nil {
			return err.Error()
		}
		g, err := v.Policy.New(sim.KernelHost{Kernel: k}, policy.SimConfig(host, target))
		if err != nil {
			return err.Error()
		}
		var b strings.Builder
		rw := int(hostvm.ProtRead | hostvm.ProtWrite)
		a, err := g.Mmap(0, 0x5000, rw, hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0)
		fmt.Fprintf(&b, "mmap %#x %v\n", a, err)
		fmt.Fprintf(&b, "mprotect %v\n", g.Mprotect(a+0x1000, 0x1000, int(hostvm.ProtRead)))
		_, f := g.Store(a+0x2000, []byte(v.Name))
		fmt.Fprintf(&b, "store %v\n", f)
		n, err := g.Mremap(a, 0x5000, 0x9000, hostvm.MremapMayMove, 0)
		fmt.Fprintf(&b, "mremap %#x %v\nmunmap %v\n", n, err, g.Munmap(n, 0x1000))
		fmt.Fprintf(&b, "flags %v\nhost\n%s", g.FlagRuns(), k.MapsString())
		return b.String()
	}
	const copies = 3
	want := map[string]string{}
	for _, v := range policy.Variants {
		want[v.Name] = run(v)
	}
	got := make([][]string, len(policy.Variants))
	var wg sync.WaitGroup
	for i, v := range policy.Variants {
		got[i] = make([]string, copies)
		for c := 0; c < copies; c++ {
			wg.Add(1)
			go func(i, c int, v policy.Variant) {
				defer wg.Done()
				got[i][c] = run(v)
			}(i, c, v)
		}
	}
	wg.Wait()
	for i, v := range policy.Variants {
		for c, g := range got[i] {
			if g != want[v.Name] {
				t.Errorf("%s, copy %d in parallel:\n%s\nsequentially:\n%s", v.Name, c, g, want[v.Name])
			}
		}
		if !strings.Contains(want[v.Name], "mmap 0x") {
			t.Errorf("%s: %s", v.Name, want[v.Name])
		}
	}
}

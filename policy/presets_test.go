package policy

import (
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
)

// TestPresetsBuild checks that every host preset makes a kernel and every
// target preset runs on every 64-bit host preset (and 32-bit targets on the
// 32-bit host), with and without the seed's quirks.
func TestPresetsBuild(t *testing.T) {
	for _, hn := range HostNames() {
		h := Hosts[hn]
		for _, tn := range TargetNames() {
			tp := Targets[tn]
			if tp.ABIBits > h.HostBits {
				continue
			}
			for _, q := range []sim.QuirkSet{0, sim.SeedQuirks, sim.AllQuirks} {
				k, err := hostvm.New(h.Config)
				if err != nil {
					t.Fatalf("host %s: %v", hn, err)
				}
				cfg := SimConfig(h, tp)
				cfg.ProbeGuestBase = true
				s, err := Policy{Quirks: q}.New(sim.KernelHost{Kernel: k}, cfg)
				if err != nil {
					t.Fatalf("host %s target %s: %v", hn, tn, err)
				}
				a, err := s.Mmap(0, tp.PageSize, 3, hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0)
				if err != nil {
					t.Errorf("host %s target %s quirks %v: mmap: %v", hn, tn, q, err)
					continue
				}
				if got := s.PageFlags(a); got&sim.PageValid == 0 {
					t.Errorf("host %s target %s: page at %#x not valid after mmap (flags %#x)", hn, tn, a, got)
				}
			}
		}
	}
}

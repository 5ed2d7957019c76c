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
			for _, q := range []sim.QuirkSet{sim.QuirkSet{}, sim.SeedQuirks, sim.AllQuirks} {
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

// TestBox64Policies: the box64 variants parse, spell themselves back, start
// an x86_64 guest on every 64-bit host preset, and refuse a 32-bit guest
// with a reason.
func TestBox64Policies(t *testing.T) {
	for _, name := range []string{"box64", "box64-wine"} {
		p, err := ParsePolicy(name)
		if err != nil || p.Algorithm != AlgoBox64 || p.Wine != (name == "box64-wine") || p.String() != name {
			t.Fatalf("ParsePolicy(%q) = %+v, %v (spelled %q)", name, p, err, p.String())
		}
		for _, hn := range HostNames() {
			h := Hosts[hn]
			if h.HostBits != 64 {
				continue
			}
			k, err := hostvm.New(h.Config)
			if err != nil {
				t.Fatal(err)
			}
			cfg := SimConfig(h, Targets["x86_64"])
			cfg.ProbeGuestBase = true
			g, err := p.New(sim.KernelHost{Kernel: k}, cfg)
			if err != nil {
				t.Fatalf("%s on %s: %v", name, hn, err)
			}
			a, err := g.Mmap(0, 0x1000, 3, hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0)
			if err != nil || g.PageFlags(a)&sim.PageValid == 0 {
				t.Errorf("%s on %s: mmap = %#x, %v; flags %#x", name, hn, a, err, g.PageFlags(a))
			}
		}
		k, _ := hostvm.New(Hosts["arm64-16k"].Config)
		if _, err := p.New(sim.KernelHost{Kernel: k}, SimConfig(Hosts["arm64-16k"], Targets["i386"])); err == nil {
			t.Errorf("%s started an i386 guest", name)
		}
	}
}

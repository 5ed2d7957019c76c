package main

import (
	"fmt"
	"time"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// simHosts are the hosts of section 3, with ratios 1, 4 and 16 to a 4 KiB
// target page.
var simHosts = []string{"x86_64", "arm64-16k", "arm64-64k"}

// simTarget is section 3's guest: 4 KiB pages, 64-bit, so no RESERVED_VA.
const simTarget = "x86_64"

// newSim starts a guest of target tname on a fresh host hname, as
// cmd/mmapsim does (policy presets, guest_base probed), with quirks; a
// non-zero reservedVA reserves the guest space.
func newSim(hname, tname string, pol policy.Policy, reservedVA uint64) (sim.Guest, *hostvm.Kernel, error) {
	hp, err := policy.Host(hname)
	if err != nil {
		return nil, nil, err
	}
	tp, err := policy.Target(tname)
	if err != nil {
		return nil, nil, err
	}
	hc := hp.Config
	hc.MaxMapCount = 1 << 20
	k, err := hostvm.New(hc)
	if err != nil {
		return nil, nil, err
	}
	cfg := policy.SimConfig(hp, tp)
	cfg.ReservedVA = reservedVA
	cfg.ProbeGuestBase = true
	s, err := pol.New(sim.KernelHost{Kernel: k}, cfg)
	if err != nil {
		return nil, nil, err
	}
	s.SetRecording(false)
	return s, k, nil
}

// newHost is a fresh host hname, for direct calls.
func newHost(hname string) (*hostvm.Kernel, error) {
	hp, err := policy.Host(hname)
	if err != nil {
		return nil, err
	}
	hc := hp.Config
	hc.MaxMapCount = 1 << 20
	return hostvm.New(hc)
}

// sectionSim runs the mix of section 1 as guest calls through the
// simulated QEMU (in guest pages) and as direct calls to the same host (in
// host pages), for each page ratio.
func sectionSim(o *options) (*table, error) {
	t := &table{
		title:  "3. sim overhead over hostvm: the mix of section 1, " + simTarget + " guest (4K pages), policy " + o.policy,
		header: []string{"host (H/T)", "operation", "sim ns/op", "hostvm ns/op", "sim/hostvm"},
	}
	fixed, err := policy.ParsePolicy(o.policy)
	if err != nil {
		return nil, err
	}
	groups := o.simVMAs / 4
	spread := 0.0
	for _, h := range simHosts {
		s, _, err := newSim(h, simTarget, fixed, 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", h, err)
		}
		ratioHT := s.Config().HostPageSize / s.Config().TargetPageSize
		label := fmt.Sprintf("%s (%d)", h, ratioHT)
		o.progress("3: %s: sim and hostvm, %d VMAs each", label, 4*groups)
		sg, err := newGrid(simVM{s}, groups)
		if err != nil {
			return nil, fmt.Errorf("%s: sim grid: %v", h, err)
		}
		k, err := newHost(h)
		if err != nil {
			return nil, err
		}
		kg, err := newGrid(kernelVM{k}, groups)
		if err != nil {
			return nil, fmt.Errorf("%s: hostvm grid: %v", h, err)
		}
		res, sp, err := compare(o.budget, o.reps, sg.mixBatch(o.batch), kg.mixBatch(o.batch))
		if err != nil {
			return nil, fmt.Errorf("%s: %v", h, err)
		}
		sns, kns := res[0], res[1]
		spread = max(spread, sp)
		for i, name := range mixOps {
			t.add(label, name, ns(sns[i]), ns(kns[i]), ratio(sns[i], kns[i]))
		}
	}
	t.note("grid of %d groups (%d VMAs): sim in guest pages (4K), hostvm directly in host pages; host-call recording off", groups, 4*groups)
	t.note("timing: best of %d rounds of at least %v per operation, sim and hostvm taking turns; the median round was up to %.0f%% slower",
		o.reps, (o.budget / time.Duration(o.reps)).Round(time.Millisecond), 100*spread)
	return t, nil
}

package scenario

import (
	"fmt"
	"strconv"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/scenario/syntax"
	"github.com/mmapsim/mmapsim/sim"
)

// Build turns settings into a Machine: a host kernel configured from the
// host preset and the host-* keys, and, when a target is set, the
// algorithm the policy chooses (policy.Policy.New) over it, configured
// from the target preset and the guest keys.

// Build makes the machine the settings describe: a host kernel, and a
// simulated QEMU over it when a target is set.
func (s *Settings) Build() (*Machine, error) {
	hostName := "x86_64"
	if v, ok := s.vals["host"]; ok {
		hostName = v
	}
	hp, err := policy.Host(hostName)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", s.pos["host"], err)
	}
	hc := hp.Config
	num := func(key string, set func(uint64) error) error {
		v, ok, err := s.number(key)
		if err != nil || !ok {
			return err
		}
		if err := set(v); err != nil {
			return fmt.Errorf("%s: %s=%s: %v", s.pos[key], key, s.vals[key], err)
		}
		return nil
	}
	steps := []error{
		num("host-page", func(v uint64) error {
			hc.PageSize = v
			// A preset's task size (x86-64's 1<<47 less a page) is
			// rounded down to the new page, as that kernel would have it.
			if v != 0 && v&(v-1) == 0 {
				hc.TaskSize = hostvm.Addr(hostvm.AlignDown(uint64(hc.TaskSize), v))
			}
			return nil
		}),
		num("host-bits", func(v uint64) error {
			hc.AddrBits, hc.TaskSize = int(v), 0
			return nil
		}),
		num("aslr-seed", func(v uint64) error { hc.ASLR, hc.Seed = true, v; return nil }),
		num("mmap-min-addr", func(v uint64) error { hc.MmapMinAddr = hostvm.Addr(v); return nil }),
		num("max-map-count", func(v uint64) error {
			if v > 1<<30 {
				return fmt.Errorf("too large")
			}
			hc.MaxMapCount = int(v)
			return nil
		}),
		num("stack", func(v uint64) error { hc.StackSize = v; return nil }),
	}
	for _, err := range steps {
		if err != nil {
			return nil, err
		}
	}
	if v, ok := s.vals["layout"]; ok {
		switch v {
		case "top-down":
			hc.Layout = hostvm.TopDown
		case "bottom-up":
			hc.Layout = hostvm.BottomUp
		default:
			return nil, fmt.Errorf("%s: layout=%s: want top-down or bottom-up", s.pos["layout"], v)
		}
	}
	k, err := hostvm.New(hc)
	if err != nil {
		return nil, fmt.Errorf("host %s: %v", hostName, err)
	}
	m := &Machine{Kernel: k, Settings: s}
	tname, ok := s.vals["target"]
	if !ok {
		for _, key := range TargetKeys[1:] {
			if _, set := s.vals[key]; set {
				return nil, fmt.Errorf("%s: %s needs a target (set target=PRESET)", s.pos[key], key)
			}
		}
		return m, nil
	}
	tp, err := policy.Target(tname)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", s.pos["target"], err)
	}
	pol := policy.Fixed
	if v, ok := s.vals["policy"]; ok {
		if pol, err = policy.ParsePolicy(v); err != nil {
			return nil, fmt.Errorf("%s: %v", s.pos["policy"], err)
		}
	}
	cfg := policy.SimConfig(hp, tp)
	if hp.HostBits == 64 && tp.ABIBits == 32 {
		cfg.ReservedVA = tp.DefaultReservedVA
	}
	cfg.ProbeGuestBase = true
	steps = []error{
		num("target-page", func(v uint64) error { cfg.TargetPageSize = v; return nil }),
		num("target-bits", func(v uint64) error {
			cfg.ABIBits = int(v)
			if cfg.VirtBits > cfg.ABIBits {
				cfg.VirtBits = cfg.ABIBits
			}
			return nil
		}),
		num("virt-bits", func(v uint64) error { cfg.VirtBits = int(v); return nil }),
		num("qemu-host-page", func(v uint64) error {
			// QEMU's -p takes a size below the real host page, and then
			// maps, protects and unmaps pieces the host widens to its
			// own pages, over the guest's neighbouring pages: not a
			// machine worth simulating.
			if v < k.PageSize() {
				return fmt.Errorf("below the host page size (%s): want at least that", sizeString(k.PageSize()))
			}
			cfg.HostPageSize = v
			return nil
		}),
		num("reserved-va", func(v uint64) error { cfg.ReservedVA = v; return nil }),
		num("brk", func(v uint64) error { cfg.BrkStart = v; return nil }),
	}
	for _, err := range steps {
		if err != nil {
			return nil, err
		}
	}
	if v, ok := s.vals["guest-base"]; ok && v != "probe" {
		n, err := syntax.ParseNum(v)
		if err != nil {
			return nil, fmt.Errorf("%s: guest-base=%s: %v (or probe)", s.pos["guest-base"], v, err)
		}
		cfg.GuestBase, cfg.ProbeGuestBase = n.Value, false
	}
	sm, err := pol.New(sim.KernelHost{Kernel: k}, cfg)
	if err != nil {
		return nil, fmt.Errorf("target %s: %v", tname, err)
	}
	m.Sim, m.Policy = sm, pol
	return m, nil
}

// sizeString renders a size as settings write it.
func sizeString(v uint64) string {
	switch {
	case v != 0 && v%(1<<30) == 0:
		return strconv.FormatUint(v>>30, 10) + "G"
	case v != 0 && v%(1<<20) == 0:
		return strconv.FormatUint(v>>20, 10) + "M"
	case v != 0 && v%(1<<10) == 0:
		return strconv.FormatUint(v>>10, 10) + "K"
	}
	return "0x" + strconv.FormatUint(v, 16)
}

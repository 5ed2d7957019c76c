package scenario

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// A scenario's configuration is a list of key=value settings: "#!" lines at
// the top of the file, and the same keys as command-line flags, the flags
// winning. Settings describes each key; Build turns settings into a Machine.

// SettingInfo documents one key.
type SettingInfo struct {
	Key, Value, Help string
}

// SettingKeys are the keys Build understands, in the order help lists them.
var SettingKeys = []SettingInfo{
	{"host", "PRESET", "host preset (mmapsim presets lists them); default x86_64"},
	{"host-page", "SIZE", "host page size, overriding the preset's (4K, 16K, 64K, ...)"},
	{"host-bits", "BITS", "host address width, overriding the preset's (32, 39, 47, 48, 52, 57)"},
	{"layout", "top-down|bottom-up", "host placement direction; default top-down"},
	{"aslr-seed", "N", "turn host ASLR on, driven by seed N; default off"},
	{"mmap-min-addr", "ADDR", "host vm.mmap_min_addr; default 65536"},
	{"max-map-count", "N", "host vm.max_map_count; default 65530"},
	{"stack", "SIZE", "map a [stack] of this size at the top of the host space"},
	{"target", "PRESET", "run under the simulated QEMU with this guest; without it, on the host alone"},
	{"target-page", "SIZE", "guest page size (TARGET_PAGE_SIZE), overriding the preset's"},
	{"target-bits", "32|64", "guest ABI width, overriding the preset's"},
	{"virt-bits", "BITS", "guest virtual address width (TARGET_VIRT_ADDR_SPACE_BITS)"},
	{"qemu-host-page", "SIZE", "qemu_host_page_size, as QEMU's -p; default the host page size"},
	{"reserved-va", "SIZE", "RESERVED_VA, as QEMU's -R; 0 for none; default the target's (0xf7000000 for 32-bit guests on 64-bit hosts)"},
	{"guest-base", "ADDR|probe", "guest_base; default probe (where the reservation lands, or 0)"},
	{"brk", "ADDR", "where the guest's heap starts"},
	{"policy", "NAME", "seed, fixed, fixed-except=Q,..., seed-except=Q,..., quirks=Q,...; default fixed"},
}

// Settings is an ordered set of key=value pairs.
type Settings struct {
	vals map[string]string
	pos  map[string]string // where each was set, for messages
}

// NewSettings returns an empty set.
func NewSettings() *Settings {
	return &Settings{vals: map[string]string{}, pos: map[string]string{}}
}

// Set records key=value, set at where (a file position or "flag --key").
// Unknown keys are an error.
func (s *Settings) Set(key, value, where string) error {
	if !knownKey(key) {
		return fmt.Errorf("%s: unknown setting %q (want one of %s)", where, key, strings.Join(keyNames(), ", "))
	}
	s.vals[key] = value
	s.pos[key] = where
	return nil
}

// Get returns the value of key and whether it is set.
func (s *Settings) Get(key string) (string, bool) {
	v, ok := s.vals[key]
	return v, ok
}

// Merge sets every pair of o over s.
func (s *Settings) Merge(o *Settings) {
	for k, v := range o.vals {
		s.vals[k] = v
		s.pos[k] = o.pos[k]
	}
}

// String renders the settings as a "#!" line's pairs, sorted by key.
func (s *Settings) String() string {
	keys := make([]string, 0, len(s.vals))
	for k := range s.vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+s.vals[k])
	}
	return strings.Join(parts, " ")
}

func knownKey(k string) bool {
	for _, i := range SettingKeys {
		if i.Key == k {
			return true
		}
	}
	return false
}

func keyNames() []string {
	var out []string
	for _, i := range SettingKeys {
		out = append(out, i.Key)
	}
	return out
}

// number parses a setting value: decimal, 0x hex or 0-octal, with K/M/G.
func (s *Settings) number(key string) (uint64, bool, error) {
	v, ok := s.vals[key]
	if !ok {
		return 0, false, nil
	}
	n, err := parseNum(v)
	if err != nil {
		return 0, true, fmt.Errorf("%s: %s=%s: %v", s.pos[key], key, v, err)
	}
	return n.Value, true, nil
}

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
		for _, key := range []string{"target-page", "target-bits", "virt-bits", "qemu-host-page", "reserved-va", "guest-base", "brk", "policy"} {
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
		num("qemu-host-page", func(v uint64) error { cfg.HostPageSize = v; return nil }),
		num("reserved-va", func(v uint64) error { cfg.ReservedVA = v; return nil }),
		num("brk", func(v uint64) error { cfg.BrkStart = v; return nil }),
	}
	for _, err := range steps {
		if err != nil {
			return nil, err
		}
	}
	if v, ok := s.vals["guest-base"]; ok && v != "probe" {
		n, err := parseNum(v)
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

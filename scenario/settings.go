package scenario

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// A scenario's configuration is a list of key=value settings: "#!" lines at
// the top of the file, each key at most once, and the same keys as
// command-line flags, the flags winning. Settings describes each key; Build turns settings into a Machine.

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
	{"qemu-host-page", "SIZE", "qemu_host_page_size, as QEMU's -p, at least the host page size; default the host page size"},
	{"reserved-va", "SIZE", "RESERVED_VA, as QEMU's -R; 0 for none; default the target's (0xf7000000 for 32-bit guests on 64-bit hosts)"},
	{"guest-base", "ADDR|probe", "guest_base; default probe (where the reservation lands, or 0)"},
	{"brk", "ADDR", "where the guest's heap starts"},
	{"policy", "NAME", "seed, fixed, fixed-except=Q,..., seed-except=Q,..., quirks=Q,...; default fixed"},
}

// TargetKeys are "target" and the keys that describe the simulated QEMU,
// which need a target: without "target", none of them may be set.
var TargetKeys = []string{"target", "target-page", "target-bits", "virt-bits", "qemu-host-page", "reserved-va", "guest-base", "brk", "policy"}

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
// A value the library would misread is an error naming the setting and
// where it was set: 0 where hostvm.Config or sim.Config take 0 for "the
// default" (noZero), and a width too large for an int.
func (s *Settings) number(key string) (uint64, bool, error) {
	v, ok := s.vals[key]
	if !ok {
		return 0, false, nil
	}
	n, err := syntax.ParseNum(v)
	if err != nil {
		return 0, true, fmt.Errorf("%s: %s=%s: %v", s.pos[key], key, v, err)
	}
	if want, ok := noZero[key]; ok && n.Value == 0 {
		return 0, true, fmt.Errorf("%s: %s=%s: want %s (leave the setting out for the default)", s.pos[key], key, v, want)
	}
	if _, ok := widthKeys[key]; ok && n.Value > 64 {
		return 0, true, fmt.Errorf("%s: %s=%s: want %s", s.pos[key], key, v, widthKeys[key])
	}
	return n.Value, true, nil
}

// noZero are the keys a 0 would not mean what it says for: the library
// reads 0 as "the default" (a 0 page size, address width or map count is no
// machine; hostvm cannot model a vm.mmap_min_addr of 0, nor sim a heap at
// 0). Each is a usage error, with what the key wants.
var noZero = map[string]string{
	"host-page":      "a power of two from 4K to 1M",
	"host-bits":      "32, 39, 47, 48, 52 or 57",
	"max-map-count":  "at least 1",
	"mmap-min-addr":  "at least 1 (hostvm takes 0 for its default, 65536)",
	"target-page":    "a power of two from 1K to 1M",
	"target-bits":    "32 or 64",
	"virt-bits":      "24 to the guest's ABI width",
	"qemu-host-page": "a power of two, at least the host page size",
	"brk":            "a non-zero address",
}

// widthKeys are the keys whose value becomes a Go int: a value past 64 is
// refused before the conversion, which would truncate it on a 32-bit
// GOARCH (2^32+32 would read as 32).
var widthKeys = map[string]string{
	"host-bits":   noZero["host-bits"],
	"target-bits": noZero["target-bits"],
	"virt-bits":   noZero["virt-bits"],
}

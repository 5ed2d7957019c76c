package policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
)

// HostPreset is a kind of host machine: its page size, address width and
// layout, as a hostvm.Config.
type HostPreset struct {
	Name        string
	Description string
	Config      hostvm.Config
	HostBits    int // HOST_LONG_BITS: 64, or 32
}

// TargetPreset is a guest architecture as QEMU linux-user emulates it.
type TargetPreset struct {
	Name        string
	Description string
	PageSize    uint64 // TARGET_PAGE_SIZE
	ABIBits     int    // TARGET_ABI_BITS
	VirtBits    int    // TARGET_VIRT_ADDR_SPACE_BITS
	// TaskUnmappedBase overrides the seed's TASK_UNMAPPED_BASE (which
	// depends only on the host and ABI widths) when non-zero.
	TaskUnmappedBase uint64
	// DefaultReservedVA is what QEMU of the seed's era reserved for this
	// guest on a 64-bit host (0: none).
	DefaultReservedVA uint64
}

// Hosts are the host presets, by name.
var Hosts = map[string]HostPreset{
	"x86_64": {Name: "x86_64", Description: "x86-64 Linux: 4 KiB pages, 47-bit user space ending one page short of 128 TiB",
		Config: hostvm.Config{PageSize: 4 << 10, AddrBits: 47, TaskSize: 1<<47 - 4096}, HostBits: 64},
	"arm64-4k": {Name: "arm64-4k", Description: "arm64 Linux with 4 KiB pages and 48-bit addresses",
		Config: hostvm.Config{PageSize: 4 << 10, AddrBits: 48}, HostBits: 64},
	"arm64-16k": {Name: "arm64-16k", Description: "Apple-silicon-like arm64 Linux: 16 KiB pages, 47-bit addresses",
		Config: hostvm.Config{PageSize: 16 << 10, AddrBits: 47}, HostBits: 64},
	"arm64-64k": {Name: "arm64-64k", Description: "arm64 server Linux with 64 KiB pages and 48-bit addresses",
		Config: hostvm.Config{PageSize: 64 << 10, AddrBits: 48}, HostBits: 64},
	"ppc64le": {Name: "ppc64le", Description: "ppc64le Linux: 64 KiB pages, 47-bit user space",
		Config: hostvm.Config{PageSize: 64 << 10, AddrBits: 47}, HostBits: 64},
	"i686": {Name: "i686", Description: "32-bit x86 Linux: 4 KiB pages, 3 GiB user space",
		Config: hostvm.Config{PageSize: 4 << 10, AddrBits: 32, TaskSize: 0xC0000000}, HostBits: 32},
}

// Targets are the target presets, by name.
var Targets = map[string]TargetPreset{
	"i386": {Name: "i386", Description: "32-bit x86 guest, 4 KiB pages",
		PageSize: 4 << 10, ABIBits: 32, VirtBits: 32, DefaultReservedVA: 0xf7000000},
	"arm": {Name: "arm", Description: "32-bit Arm guest, 4 KiB pages",
		PageSize: 4 << 10, ABIBits: 32, VirtBits: 32, DefaultReservedVA: 0xf7000000},
	"x86_64": {Name: "x86_64", Description: "x86-64 guest, 4 KiB pages, 47-bit addresses",
		PageSize: 4 << 10, ABIBits: 64, VirtBits: 47},
	"aarch64": {Name: "aarch64", Description: "arm64 guest, 4 KiB pages, 48-bit addresses",
		PageSize: 4 << 10, ABIBits: 64, VirtBits: 48},
	"alpha": {Name: "alpha", Description: "Alpha guest, 8 KiB pages, 43-bit addresses",
		PageSize: 8 << 10, ABIBits: 64, VirtBits: 43},
	"sparc64": {Name: "sparc64", Description: "64-bit SPARC guest, 8 KiB pages, 44-bit addresses",
		PageSize: 8 << 10, ABIBits: 64, VirtBits: 44},
}

// HostNames and TargetNames list the presets' names, sorted.
func HostNames() []string   { return sortedKeys(Hosts) }
func TargetNames() []string { return sortedKeys(Targets) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Host returns the host preset called name.
func Host(name string) (HostPreset, error) {
	if p, ok := Hosts[name]; ok {
		return p, nil
	}
	return HostPreset{}, fmt.Errorf("unknown host preset %q (want one of %s)", name, strings.Join(HostNames(), ", "))
}

// Target returns the target preset called name.
func Target(name string) (TargetPreset, error) {
	if p, ok := Targets[name]; ok {
		return p, nil
	}
	return TargetPreset{}, fmt.Errorf("unknown target preset %q (want one of %s)", name, strings.Join(TargetNames(), ", "))
}

// SimConfig is the sim.Config for running target t on host h: page sizes
// and widths from the presets, mmap_min_addr from the host. H
// (qemu_host_page_size) defaults to the host's page size; callers set
// HostPageSize for QEMU's -p. The algorithm and its switches come from a
// Policy (Policy.New).
func SimConfig(h HostPreset, t TargetPreset) sim.Config {
	hc := h.Config
	_ = hc.EnsureDefaults()
	return sim.Config{
		TargetPageSize:   t.PageSize,
		ABIBits:          t.ABIBits,
		VirtBits:         t.VirtBits,
		HostBits:         h.HostBits,
		MmapMinAddr:      uint64(hc.MmapMinAddr),
		TaskUnmappedBase: t.TaskUnmappedBase,
	}
}

package props

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// Setup is one configuration the properties run on: a host, a guest, and
// how QEMU runs it.
type Setup struct {
	Name       string
	Host       string // host preset
	HostPage   uint64 // 0: the preset's
	HostBits   int    // the host's address width; 0: the preset's
	Target     string // target preset
	QemuPage   uint64 // qemu_host_page_size (H); 0: the host page size
	ReservedVA uint64 // 0: none
	Brk        uint64 // where the guest's heap starts; 0: the target's default, or the middle of RESERVED_VA
	GuestBase  uint64 // guest_base as -B sets it; 0: probed (where the reservation lands, or 0)
}

// brkStart is where the setup's heap starts (0: the target's default): in
// the middle of a RESERVED_VA space that the default start is not inside.
func (s Setup) brkStart() uint64 {
	if s.Brk == 0 && s.ReservedVA != 0 && s.ReservedVA <= 0x10000000 {
		return s.ReservedVA / 2
	}
	return s.Brk
}

// Setups are the configurations that matter: H = T, H = 4T, H = 16T, a
// target page larger than the real host page, 32- and 64-bit guests, with
// and without RESERVED_VA.
var Setups = []Setup{
	{Name: "i386-4k-reserved", Host: "x86_64", Target: "i386", ReservedVA: 0x10000000},
	{Name: "i386-16k-reserved", Host: "arm64-16k", Target: "i386", ReservedVA: 0x10000000},
	{Name: "i386-64k-reserved", Host: "arm64-64k", Target: "i386", ReservedVA: 0x10000000},
	{Name: "i386-64k", Host: "arm64-64k", Target: "i386"},
	{Name: "i386-p64k-reserved", Host: "x86_64", Target: "i386", QemuPage: 64 << 10, ReservedVA: 0x10000000},
	{Name: "i386-p64k", Host: "x86_64", Target: "i386", QemuPage: 64 << 10},
	{Name: "x86_64-64k", Host: "arm64-64k", Target: "x86_64"},
	{Name: "x86_64-16k", Host: "arm64-16k", Target: "x86_64"},
	{Name: "x86_64-4k", Host: "x86_64", Target: "x86_64"},
	{Name: "sparc64-4k", Host: "x86_64", Target: "sparc64"},
	{Name: "alpha-16k", Host: "arm64-16k", Target: "alpha"},
	{Name: "arm-top-64k", Host: "arm64-64k", Target: "arm"},
	// Small spaces that fill up, for the searches' wraparound.
	{Name: "i386-tiny-reserved", Host: "x86_64", Target: "i386", ReservedVA: 0x100000},
	{Name: "i386-tiny-64k", Host: "arm64-64k", Target: "i386", ReservedVA: 0x200000},
	// Hosts of other address widths: a 32-bit host whose 4 GiB space is
	// the guest's (its top page included), one of 3 GiB, a 39-bit arm64
	// host under a 47-bit guest, and a 57-bit (five-level) x86-64 host.
	{Name: "i386-32bit-host", Host: "i686", HostBits: 32, Target: "i386"},
	{Name: "i386-i686", Host: "i686", Target: "i386"},
	{Name: "x86_64-39bit-host", Host: "arm64-4k", HostBits: 39, Target: "x86_64", Brk: 0x5555556000},
	{Name: "x86_64-57bit-host", Host: "x86_64", HostBits: 57, Target: "x86_64"},
	// guest_base chosen by the user (-B), with and without RESERVED_VA:
	// guest addresses are not host addresses, and the search must keep
	// to the guest space.
	{Name: "i386-guest-base", Host: "x86_64", Target: "i386", GuestBase: 0x100000000},
	{Name: "i386-guest-base-reserved", Host: "arm64-64k", Target: "i386", ReservedVA: 0x10000000, GuestBase: 0x7f0000000000},
}

// SearchSetups are configurations only the quirk search
// (TestPropsFindEveryQuirk) runs on. x86_64-p64k has -p above the real host
// page without RESERVED_VA, on an x86-64 host, whose kernel places
// mmap_find_vma's reservations on its own 4K pages below an mmap_base that
// is not 64K aligned. The fixed algorithm does not pass the properties
// there yet: a MAP_FIXED mapping in the last 64K of the space, which the
// host cannot give whole host pages (its space ends a page short of
// 1<<47), fails with ENOMEM and leaves its first host page mapped.
var SearchSetups = []Setup{
	{Name: "x86_64-p64k", Host: "x86_64", Target: "x86_64", QemuPage: 64 << 10},
}

// SetupByName returns the setup called name, in Setups or SearchSetups.
func SetupByName(name string) (Setup, bool) {
	for _, s := range append(Setups[:len(Setups):len(Setups)], SearchSetups...) {
		if s.Name == name {
			return s, true
		}
	}
	return Setup{}, false
}

// Settings renders the setup as scenario "#!" settings.
func (s Setup) Settings(pol policy.Policy) string {
	out := fmt.Sprintf("host=%s target=%s reserved-va=%#x", s.Host, s.Target, s.ReservedVA)
	if s.HostPage != 0 {
		out += fmt.Sprintf(" host-page=%#x", s.HostPage)
	}
	if s.HostBits != 0 {
		out += fmt.Sprintf(" host-bits=%d", s.HostBits)
	}
	if b := s.brkStart(); b != 0 {
		out += fmt.Sprintf(" brk=%#x", b)
	}
	if s.GuestBase != 0 {
		out += fmt.Sprintf(" guest-base=%#x", s.GuestBase)
	}
	if s.QemuPage != 0 {
		out += fmt.Sprintf(" qemu-host-page=%#x", s.QemuPage)
	}
	return out + " policy=" + pol.String()
}

// build makes the system under test (QEMU over the host, through
// opts.WrapHost when set) and the reference model (an ideal guest kernel:
// hostvm with the guest's page size and address space), with the same
// files in both. It returns the guest, the host kernel and the reference.
func (s Setup) build(pol policy.Policy, opts Options) (sim.Guest, *hostvm.Kernel, *hostvm.Kernel, error) {
	hostPreset, err := policy.Host(s.Host)
	if err != nil {
		return nil, nil, nil, err
	}
	targetPreset, err := policy.Target(s.Target)
	if err != nil {
		return nil, nil, nil, err
	}
	hostCfg := hostPreset.Config
	if s.HostPage != 0 {
		hostCfg.PageSize = s.HostPage
	}
	if s.HostBits != 0 {
		hostCfg.AddrBits, hostCfg.TaskSize = s.HostBits, 0
	}
	hostCfg.MaxMapCount = 1 << 20
	hostKernel, err := hostvm.New(hostCfg)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg := policy.SimConfig(hostPreset, targetPreset)
	cfg.HostPageSize = s.QemuPage
	cfg.ReservedVA = s.ReservedVA
	cfg.BrkStart = s.brkStart()
	cfg.ProbeGuestBase = s.GuestBase == 0
	cfg.GuestBase = s.GuestBase
	var host sim.Host = sim.KernelHost{Kernel: hostKernel}
	if opts.WrapHost != nil {
		host = opts.WrapHost(host)
	}
	guest, err := pol.New(host, cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg = guest.Config()
	// The reference: the guest's own kernel. Its space ends where QEMU's
	// guest space ends (RESERVED_VA, or the guest's address width); it
	// runs privileged, because QEMU applies no mmap_min_addr check to
	// MAP_FIXED, and its minimum address is QEMU's.
	refCfg := hostvm.Config{
		PageSize:       cfg.TargetPageSize,
		MmapMinAddr:    hostvm.Addr(cfg.MmapMinAddr),
		LSMMmapMinAddr: hostvm.Addr(cfg.MmapMinAddr),
		MaxMapCount:    1 << 20,
		Privileged:     privilegedReference(pol),
	}
	switch {
	case cfg.ABIBits == 32:
		// A 32-bit guest as a 64-bit Linux runs one (compat): 32-bit
		// arguments, 64-bit arithmetic, as QEMU's later fixes compute
		// range ends.
		refCfg.AddrBits = 32
		refCfg.Compat = true
	case cfg.VirtBits <= 47:
		refCfg.AddrBits = 47
	default:
		refCfg.AddrBits = 48
	}
	refCfg.TaskSize = hostvm.Addr(uint64(1) << cfg.VirtBits)
	if cfg.ReservedVA != 0 {
		refCfg.TaskSize = hostvm.Addr(cfg.ReservedVA)
	}
	// The guest kernel's heap starts where QEMU's does (the ELF loader
	// puts both after the program's data).
	// (box64's heap is the host's, maybe past the guest space: there
	// the guest kernel keeps its default.)
	if cfg.BrkStart < uint64(refCfg.TaskSize) {
		refCfg.BrkStart = hostvm.Addr(cfg.BrkStart)
	}
	ref, err := hostvm.New(refCfg)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reference kernel: %v", err)
	}
	// What the guest has mapped before its first call (the image's last
	// host page, through to the start of the heap) the guest kernel has
	// too.
	for _, r := range guest.FlagRuns() {
		if _, err := ref.Mmap(hostvm.Addr(r.Start), r.End-r.Start, hostvm.Prot(r.Flags&sim.PageBits),
			hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapFixed, -1, 0); err != nil {
			return nil, nil, nil, fmt.Errorf("reference kernel: the initial mapping at %#x: %v", r.Start, err)
		}
	}
	for _, kernel := range []*hostvm.Kernel{hostKernel, ref} {
		if err := makeFiles(kernel, cfg.TargetPageSize); err != nil {
			return nil, nil, nil, err
		}
	}
	return guest, hostKernel, ref, nil
}

// The files every run starts with, opened as fds 3, 4 and 5.
var files = []struct {
	name  string
	pages float64 // size in target pages
	flags hostvm.OpenFlags
}{
	{"a.bin", 2.25, hostvm.ORdWr}, // EOF inside a page
	{"b.bin", 20, hostvm.ORdWr},   // larger than a 64K host page
	{"ro.bin", 3, hostvm.ORdOnly}, // read-only: no writable shared mapping
	{"wo.bin", 5, hostvm.OWrOnly}, // write-only: no mapping at all (EACCES)
}

// makeFiles creates the files in k, sized for target pages of
// targetPage bytes, and opens them as fds 3, 4, 5 and 6.
func makeFiles(k *hostvm.Kernel, targetPage uint64) error {
	for _, f := range files {
		fd, err := k.Open(f.name, hostvm.ORdWr|hostvm.OCreat|hostvm.OTrunc, 0o644)
		if err != nil {
			return err
		}
		buf := make([]byte, fileSizeOf(f.pages, targetPage))
		for j := range buf {
			// fill=seq: consecutive 32-bit little-endian integers, as the
			// scenario language's file directive makes them.
			buf[j] = byte((j / 4) >> (8 * (j % 4)))
		}
		if _, err := k.FilePwrite(fd, buf, 0); err != nil {
			return err
		}
		k.Close(fd)
	}
	for _, f := range files {
		if _, err := k.Open(f.name, f.flags, 0); err != nil {
			return err
		}
	}
	return nil
}

func fileSizeOf(pages float64, targetPage uint64) uint64 { return uint64(pages * float64(targetPage)) }

// fileLines are the scenario lines that make and open the files.
func fileLines(targetPage uint64) []string {
	var out []string
	for _, f := range files {
		out = append(out, fmt.Sprintf("#! file %s size=%#x fill=seq", f.name, fileSizeOf(f.pages, targetPage)))
	}
	for i, f := range files {
		out = append(out, fmt.Sprintf("openat(AT_FDCWD, %q, %v) = %d", f.name, f.flags, 3+i))
	}
	return out
}

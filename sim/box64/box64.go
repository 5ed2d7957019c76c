package box64

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// x86PageSize is box64's X86_PAGE_SIZE: the guest's page, 4 KiB.
const x86PageSize = 4096

// Options are box64's switches that change its mapping code.
type Options struct {
	// Wine is box64_wine: box64 runs Wine (wine64-preloader), which turns
	// on the PE-section copy of my_mmap64 (wrappedlibc.c:3805-3822), skips
	// the edge zeroing of Wine's PROT_NONE|MAP_NORESERVE reservations
	// (3769-3771), and moves Wine's mappings to 64K boundaries on 4K hosts
	// (custommem.c:3382-3385, 3442-3443).
	Wine bool
}

// Box64 is one x86_64 process as box64 runs it on a host whose pages may
// be larger than 4 KiB: the state box64's mapping code keeps (the
// host-granular map of mappings and protections, the 4K guest-protection
// tree, the file-mapping record, the last anonymous mmaps) over a Host.
// Guest addresses are host addresses: box64 runs guest code translated
// to native code that reaches host memory directly (no guest_base).
//
// It is not safe for concurrent use. The zero value is a process that
// never started: its system calls fail with an *Abort and its memory
// faults.
type Box64 struct {
	// cfg is the configuration in use: defaults filled, HostPageSize the
	// host's page (box64_pagesize), no guest_base, no RESERVED_VA.
	cfg sim.Config
	// geom is cfg as base's helpers see it: TargetPageSize is
	// X86_PAGE_SIZE, HostPageSize box64_pagesize, GuestBase 0.
	geom base.Geom
	// libc is the host through the C library: each call recorded, a
	// failure leaving errno in libc.Errno. Invariant: libc.Host is non-nil
	// once New has returned.
	libc base.Libc
	// guard runs each guest call; once box64 crashes (a memset into a
	// host page it believed writable), every later call returns the same
	// Abort.
	guard base.Guard
	opts  Options

	// prot is custommem.c's bookkeeping: mapallmem, memprot and
	// memprot_guest.
	prot protection
	// env is the file-mapping record of tools/env.c (envmap).
	env envMappings
	// last are my_mmap64's last_mmap_addr/last_mmap_len pair and
	// last_mmap_idx (wrappedlibc.c:3870-3882).
	last lastMmaps
	// have48bits is custommem.c's have48bits (loadProtectionFromMap).
	have48bits bool
	// mapclean is box64_mapclean: loadProtectionFromMap has run and will
	// not run again.
	mapclean bool
}

// lastMmaps are the two most recent anonymous private mmaps, which let
// Wine's image mappings (a reservation, then file sections inside it) be
// recorded as one file mapping.
type lastMmaps struct {
	addr, length [2]uint64
	idx          int // last_mmap_idx: 0 or 1
}

// errNotStarted is what the system calls of a Box64 New did not make
// return.
var errNotStarted = &sim.Abort{Func: "box64", Reason: "the process was not started with box64.New", Emulator: "box64"}

// New starts an x86_64 process under box64 on host. It checks that cfg
// describes what box64 runs (a 64-bit guest with 4 KiB pages, no
// RESERVED_VA, no guest_base, no qemu_host_page_size other than the host's
// page, the host's own program break) and loads box64's map of the host
// (loadProtectionFromMap, as box64's start-up does).
func New(host sim.Host, cfg sim.Config, opts Options) (*Box64, error) {
	page, err := hostPageSize(host)
	if err != nil {
		return nil, err
	}
	if cfg.HostPageSize != 0 && cfg.HostPageSize != page {
		return nil, fmt.Errorf("box64: qemu_host_page_size %#x: box64 always works with the host's page (%#x)", cfg.HostPageSize, page)
	}
	if cfg.ReservedVA != 0 {
		return nil, fmt.Errorf("box64: reserved_va %#x: box64 has no RESERVED_VA (guest addresses are host addresses)", cfg.ReservedVA)
	}
	if !cfg.ProbeGuestBase && cfg.GuestBase != 0 {
		return nil, fmt.Errorf("box64: guest_base %#x: box64 has no guest_base (guest addresses are host addresses)", cfg.GuestBase)
	}
	hostBrk := uint64(host.Brk(0))
	if cfg.BrkStart != 0 && cfg.BrkStart != hostBrk {
		return nil, fmt.Errorf("box64: brk %#x: box64 passes brk to the host, whose heap starts at %#x", cfg.BrkStart, hostBrk)
	}
	cfg.BrkStart = hostBrk
	if err := cfg.EnsureDefaults(page); err != nil {
		return nil, err
	}
	if cfg.TargetPageSize != x86PageSize || cfg.ABIBits != 64 || cfg.HostBits != 64 {
		return nil, fmt.Errorf("box64: a %d-bit guest with %#x-byte pages on a %d-bit host: box64 runs x86_64 guests (4 KiB pages) on 64-bit hosts; box32 is not modelled",
			cfg.ABIBits, cfg.TargetPageSize, cfg.HostBits)
	}
	if !cfg.Quirks.Empty() {
		return nil, fmt.Errorf("box64: quirks %v: the seed's quirks belong to the QEMU port", cfg.Quirks)
	}
	cfg.GuestBase, cfg.ProbeGuestBase = 0, false
	b := &Box64{
		cfg: cfg,
		geom: base.Geom{
			TargetPageSize: x86PageSize, HostPageSize: page, RealHostPageSize: page,
			ABIMask: base.WordMask(64), HostMask: base.WordMask(64),
			VirtBits: cfg.VirtBits, HostBits: 64,
		},
		libc: base.Libc{Host: host, Recording: true},
		opts: opts,
		prot: newProtection(page),
		env:  newEnvMappings(),
	}
	b.loadProtectionFromMap()
	b.libc.Calls = nil
	return b, nil
}

// hostPageSize asks host for its page size, refusing a host that has none.
func hostPageSize(host sim.Host) (size uint64, err error) {
	if host == nil {
		return 0, fmt.Errorf("box64: no host")
	}
	defer func() {
		// A wrapper around a nil Host panics on its first call: a host
		// New cannot use, not a crash.
		if r := recover(); r != nil {
			size, err = 0, fmt.Errorf("box64: host %T cannot say its page size: %v", host, r)
		}
	}()
	size = host.PageSize()
	if size < x86PageSize || size&(size-1) != 0 {
		return 0, fmt.Errorf("box64: host %T has page size %#x: box64 needs a power of two of at least 4 KiB", host, size)
	}
	return size, nil
}

// pageSize is box64_pagesize: the host's page.
func (b *Box64) pageSize() uint64 { return b.geom.HostPageSize }

// Wine reports whether box64_wine is set.
func (b *Box64) Wine() bool { return b.opts.Wine }

// Config is the configuration in use.
func (b *Box64) Config() sim.Config { return b.cfg }

// Host is the host the guest runs on (nil for a Box64 New did not make).
func (b *Box64) Host() sim.Host { return b.libc.Host }

// GuestBase is 0: guest addresses are host addresses.
func (b *Box64) GuestBase() uint64 { return 0 }

// G2H is the host address of guest address x: x itself.
func (b *Box64) G2H(x uint64) hostvm.Addr { return hostvm.Addr(x) }

// BrkStart is where the host's heap, which the guest's brk moves, starts.
func (b *Box64) BrkStart() uint64 { return b.cfg.BrkStart }

// Aborted returns the crash that ended the process, or nil.
func (b *Box64) Aborted() *sim.Abort { return b.guard.Aborted }

// LastHostCalls returns the host calls (and memset events) the last guest
// call made, in order. The slice is valid until the next guest call.
func (b *Box64) LastHostCalls() []sim.HostCall { return b.libc.Calls }

// SetRecording turns the recording of host calls on (the default) or off.
func (b *Box64) SetRecording(on bool) { b.libc.Recording = on }

// Clone returns an independent copy of the process and its host.
func (b *Box64) Clone() *Box64 {
	c := *b
	if b.libc.Host != nil {
		c.libc = b.libc.Clone()
	}
	c.prot = b.prot.clone()
	c.env = b.env.clone()
	return &c
}

// CloneGuest is Clone behind the sim.Guest interface.
func (b *Box64) CloneGuest() sim.Guest { return b.Clone() }

// run runs one guest call: it resets the call log and turns a crash into
// an *Abort error. Once crashed, nothing runs.
func (b *Box64) run(fn func() error) error {
	if b.libc.Host == nil {
		return errNotStarted
	}
	return b.guard.Run(func() error {
		b.libc.StartCall()
		return fn()
	})
}

// crash is box64 dying of a fault in its own code (a memset into a host
// page that refuses the store): the guest process is gone.
//
// Preconditions: called inside run.
func crash(fn string, f *hostvm.Fault) {
	base.RaiseAbort(&sim.Abort{Func: fn, Emulator: "box64",
		Reason: fmt.Sprintf("box64's own store faulted (%v at %v): the process dies", f.Signal, f.Addr)})
}

var _ sim.Guest = (*Box64)(nil)

package qemu11

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// Guest is one emulated guest process as QEMU 11.1's linux-user runs it:
// its page flags, mmap_next_start, the program break and the mmap lock,
// over a sim.Host. It is not safe for concurrent use. The zero value is a
// process that never started: its system calls fail with an *sim.Abort and
// its memory faults.
type Guest struct {
	// cfg is the configuration in use: defaults filled, guest_base chosen,
	// reserved_va and task_unmapped_base as main.c settles them.
	cfg sim.Config
	// geom is cfg as the C's macros see it. HostPageSize is
	// qemu_real_host_page_size(): 11.1 has no -p. ReservedVA is the size of
	// the reservation (reserved_va + 1).
	geom base.Geom
	// libc is the host, called through the C library. Invariant:
	// libc.Host is non-nil once New has returned.
	libc base.Libc
	// abortGuard runs each guest call; once QEMU aborts, every later call
	// returns abortGuard.Aborted.
	abortGuard base.Guard

	// flags are the page flags of the guest space: accel/tcg/user-exec.c's
	// interval tree, one flags word per target page.
	flags base.PageFlags
	// reservedVA is reserved_va: the last valid guest byte, 0 for none.
	reservedVA uint64
	// guestAddrMax is guest_addr_max: the last valid guest address.
	guestAddrMax uint64
	// mmapMinAddr is mmap_min_addr.
	mmapMinAddr uint64
	// taskUnmappedBase and mmapNextStart are task_unmapped_base and
	// mmap_next_start. Invariant: abi_ulong values.
	taskUnmappedBase, mmapNextStart uint64
	brk                             brkState
	// lockCount is mmap_lock_count: 0 between guest calls.
	lockCount int
}

var _ sim.Guest = (*Guest)(nil)

// errNotStarted is what the system calls of a Guest that New did not make
// return.
var errNotStarted = &sim.Abort{Func: "qemu11", Reason: "the process was not started with qemu11.New"}

// New starts an emulated process on host as QEMU 11.1's main.c and loader
// do: it applies cfg's defaults, refuses a qemu_host_page_size other than
// the host's page (11.1 has no -p), reserves the whole space of a 32-bit
// guest on a 64-bit host (reserved_va cannot be turned off there), picks
// task_unmapped_base and, with reserved_va, reserves the guest space on the
// host. cfg.Quirks must be empty: this algorithm has no switches.
//
// A zero cfg.TaskUnmappedBase is TASK_UNMAPPED_BASE as most targets'
// target_mman.h define it: 0x40000000 for a 32-bit guest, TASK_SIZE / 3
// (page aligned) for a 64-bit one.
func New(host sim.Host, cfg sim.Config) (*Guest, error) {
	hostPage, err := base.HostPageSizeOf(host)
	if err != nil {
		return nil, fmt.Errorf("qemu11: %v", err)
	}
	if cfg.HostPageSize != 0 && cfg.HostPageSize != hostPage {
		return nil, fmt.Errorf("qemu11: QEMU 11.1 has no -p: its host page is the host's real page (%#x), not %#x (leave qemu-host-page unset, or use host-page to change the host)",
			hostPage, cfg.HostPageSize)
	}
	if !cfg.Quirks.Empty() {
		return nil, fmt.Errorf("qemu11: QEMU 11.1 has no quirk switches (got %v)", cfg.Quirks)
	}
	tub := cfg.TaskUnmappedBase
	if err := cfg.EnsureDefaults(hostPage); err != nil {
		return nil, err
	}
	s := &Guest{cfg: cfg, libc: base.Libc{Host: host, Recording: true}, flags: base.NewPageFlags(cfg.TargetPageSize),
		mmapMinAddr: cfg.MmapMinAddr}
	if err := s.setSpace(hostPage, tub); err != nil {
		return nil, err
	}
	if cfg := &s.cfg; cfg.ReservedVA != 0 {
		// probe_guest_base: the whole guest space, PROT_NONE.
		hint, flags := hostvm.Addr(0), hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapNoReserve
		if !cfg.ProbeGuestBase {
			hint, flags = hostvm.Addr(cfg.GuestBase), flags|hostvm.MapFixedNoReplace
		}
		p, err := host.Mmap(hint, cfg.ReservedVA, hostvm.ProtNone, flags, -1, 0)
		if err != nil {
			return nil, fmt.Errorf("qemu11: unable to reserve %#x bytes of virtual address space at %v for use as guest address space: %v",
				cfg.ReservedVA, hint, err)
		}
		s.geom.GuestBase = uint64(p)
	} else if cfg.ProbeGuestBase {
		s.geom.GuestBase = 0
	}
	s.cfg.GuestBase = s.geom.GuestBase
	s.startBrk()
	s.libc.Calls = nil
	if s.abortGuard.Aborted != nil {
		return nil, fmt.Errorf("qemu11: starting the process: %v", s.abortGuard.Aborted)
	}
	return s, nil
}

// setSpace settles the geometry as main.c does: reserved_va (its default
// for a 32-bit guest on a 64-bit host, and its limit), guest_addr_max,
// task_unmapped_base and mmap_next_start. tub is the configured
// TASK_UNMAPPED_BASE (0: the default).
func (s *Guest) setSpace(hostPage, tub uint64) error {
	cfg := &s.cfg
	virtSpace := uint64(1) << min(cfg.VirtBits, 63)
	if cfg.ReservedVA == 0 && cfg.HostBits == 64 && cfg.VirtBits <= 32 {
		cfg.ReservedVA = virtSpace // MAX_RESERVED_VA + 1
	}
	if cfg.HostBits > cfg.VirtBits && cfg.ReservedVA > virtSpace {
		return fmt.Errorf("qemu11: reserved_va %#x: Reserved virtual address too big (the %d-bit guest space is %#x)",
			cfg.ReservedVA, cfg.VirtBits, virtSpace)
	}
	s.geom = base.Geom{
		TargetPageSize: cfg.TargetPageSize, HostPageSize: hostPage, RealHostPageSize: hostPage,
		ABIMask: base.WordMask(cfg.ABIBits), HostMask: base.WordMask(cfg.HostBits),
		VirtBits: cfg.VirtBits, HostBits: cfg.HostBits, ReservedVA: cfg.ReservedVA, GuestBase: cfg.GuestBase,
		ExecAsRead: true, // target_to_host_prot (mmap.c:163)
	}
	switch {
	case cfg.ReservedVA != 0:
		s.reservedVA = cfg.ReservedVA - 1
		s.guestAddrMax = s.reservedVA
	case min(cfg.VirtBits, cfg.ABIBits) <= 32:
		s.guestAddrMax = 0xffffffff
	default:
		s.guestAddrMax = s.geom.HostMask // ~0ul: the target's address width is not enforced
	}
	if tub == 0 {
		tub = 0x40000000
		if cfg.ABIBits == 64 {
			tub = s.geom.TargetPageAlign(virtSpace / 3)
		}
	}
	switch {
	case s.reservedVA == 0:
		s.taskUnmappedBase = tub
	case tub < s.reservedVA:
		s.taskUnmappedBase = tub
	default:
		// The most common default formula is TASK_SIZE / 3.
		s.taskUnmappedBase = s.geom.TargetPageAlign(s.reservedVA / 3)
	}
	s.mmapNextStart = s.taskUnmappedBase
	cfg.TaskUnmappedBase = s.taskUnmappedBase
	return nil
}

// Config is the configuration in use: defaults filled, guest_base chosen,
// ReservedVA the size of the reservation (reserved_va + 1).
func (s *Guest) Config() sim.Config { return s.cfg }

// Host is the host the guest runs on (nil for a Guest New did not make).
func (s *Guest) Host() sim.Host { return s.libc.Host }

// GuestBase is the host address of guest address 0.
func (s *Guest) GuestBase() uint64 { return s.geom.GuestBase }

// G2H is the host address of guest address x.
func (s *Guest) G2H(x uint64) hostvm.Addr { return s.geom.G2H(x) }

// MmapNextStart is mmap_next_start.
func (s *Guest) MmapNextStart() uint64 { return s.mmapNextStart }

// Aborted returns the abort that ended the process, or nil.
func (s *Guest) Aborted() *sim.Abort { return s.abortGuard.Aborted }

// LastHostCalls returns the host calls (and tb_invalidate events) the last
// guest call made, in order. The slice is valid until the next guest call.
func (s *Guest) LastHostCalls() []sim.HostCall { return s.libc.Calls }

// SetRecording turns the recording of host calls on (the default) or off.
func (s *Guest) SetRecording(on bool) { s.libc.Recording = on }

// Clone returns an independent copy of the process and its host.
func (s *Guest) Clone() *Guest {
	c := *s
	if s.libc.Host != nil {
		c.libc = s.libc.Clone()
	}
	c.flags = s.flags.Clone()
	return &c
}

// CloneGuest is Clone behind the sim.Guest interface.
func (s *Guest) CloneGuest() sim.Guest { return s.Clone() }

// guard runs one guest call: it resets the call log and turns an abort into
// an *sim.Abort error. Once aborted, nothing runs.
func (s *Guest) guard(fn func() error) error {
	if s.libc.Host == nil {
		return errNotStarted
	}
	return s.abortGuard.Run(func() error {
		s.libc.StartCall()
		return fn()
	})
}

// mmapLock is mmap_lock() (mmap.c:40): a recursive lock; a single-threaded
// simulator keeps only the count.
func (s *Guest) mmapLock() { s.lockCount++ }

// mmapUnlock is mmap_unlock() (mmap.c:47).
func (s *Guest) mmapUnlock() {
	if s.lockCount <= 0 {
		base.Raise("mmap_unlock", "assertion failed: mmap_lock_count > 0")
	}
	s.lockCount--
}

// CheckAgreement verifies that the guest's page flags and the host's
// mappings tell one story, as base.CheckAgreement does for the seed, with
// 11.1's host protections: a guest PROT_EXEC page is host PROT_READ
// (target_to_host_prot). It returns nil, or an error naming each violation.
func (s *Guest) CheckAgreement() error {
	if s.libc.Host == nil {
		return errNotStarted
	}
	return base.CheckAgreement(&s.flags, s.libc.Host, &s.geom)
}

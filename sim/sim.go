package sim

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// Sim is one emulated guest process: QEMU linux-user's mapping state (page
// flags, mmap_next_start, the mmap lock) over a Host. It is not safe for
// concurrent use. The zero value is a process that never started: its
// system calls fail with an *Abort and its memory faults.
type Sim struct {
	// cfg is the configuration in use: defaults filled, guest_base chosen.
	cfg Config
	// geom is cfg as the C's macros see it. Invariant: agrees with cfg.
	geom base.Geom
	// libc is the host, called through the C library: each call recorded,
	// a failure leaving errno in libc.Errno. Invariant: libc.Host is
	// non-nil once New has returned.
	libc base.Libc
	// abortGuard runs each guest call; once QEMU aborts, the process is
	// gone and abortGuard.Aborted is returned by every later call.
	abortGuard base.Guard

	// flags are the page flags of the guest space (page_get_flags).
	flags base.PageFlags
	brk   brkState
	// mmapNextStart is abi_ulong mmap_next_start: where the next default
	// placement starts. Invariant: an abi_ulong.
	mmapNextStart uint64
	// lockCount is mmap_lock_count: 0 between guest calls, except
	// between ForkStart and ForkEnd.
	lockCount int
	// noReplace says the current mmap is MAP_FIXED_NOREPLACE (set only
	// while Mmap runs).
	noReplace bool
	// guestFlags are the current mmap's flags as the guest gave them, for
	// the fix's checks; guestCall says they are there (set by Mmap, taken
	// by the target_mmap it calls, not by those QEMU makes for itself).
	guestFlags hostvm.MapFlags
	guestCall  bool
	// accessMaps is withAccess's buffer of host mappings: the process's
	// own (not shared with clones), nil while a withAccess uses it.
	accessMaps []hostvm.Mapping
	// protectMaps is target_mprotect's buffer of the host mappings it
	// may have to restore (undoMprotect): the process's own.
	protectMaps []hostvm.Mapping
}

// errNotStarted is what the system calls of a Sim that New did not make
// return: a process that never ran.
var errNotStarted = &Abort{Func: "sim", Reason: "the process was not started with sim.New"}

// New starts an emulated process on host: it applies cfg's defaults, picks
// guest_base and, with RESERVED_VA, reserves the guest space on the host as
// QEMU's start-up does (main.c and init_guest_space()). It returns an error,
// and no process, for a nil host, a host that cannot say its page size (a
// KernelHost without a kernel), or a configuration the defaults cannot
// complete.
func New(host Host, cfg Config) (*Sim, error) {
	realHostPage, err := hostPageSize(host)
	if err != nil {
		return nil, err
	}
	if err := cfg.EnsureDefaults(realHostPage); err != nil {
		return nil, err
	}
	s := &Sim{
		cfg: cfg,
		geom: base.Geom{
			TargetPageSize: cfg.TargetPageSize, HostPageSize: cfg.HostPageSize, RealHostPageSize: realHostPage,
			ABIMask: base.WordMask(cfg.ABIBits), HostMask: base.WordMask(cfg.HostBits),
			VirtBits: cfg.VirtBits, HostBits: cfg.HostBits, ReservedVA: cfg.ReservedVA,
			GuestBase: cfg.GuestBase, ExecAsRead: cfg.Quirks.Has(QuirkHostProtNoExec),
			WordSpace: cfg.Quirks.Has(QuirkGuestSpaceWord),
		},
		libc:          base.Libc{Host: host, Recording: true},
		flags:         base.NewPageFlags(cfg.TargetPageSize),
		mmapNextStart: cfg.TaskUnmappedBase,
	}
	if cfg.ReservedVA != 0 {
		hint, flags := hostvm.Addr(0), hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapNoReserve
		if !cfg.ProbeGuestBase {
			hint, flags = hostvm.Addr(cfg.GuestBase), flags|hostvm.MapFixedNoReplace
		}
		p, err := host.Mmap(hint, cfg.ReservedVA, hostvm.ProtNone, flags, -1, 0)
		if err != nil {
			return nil, fmt.Errorf("sim: unable to reserve %#x bytes of virtual address space at %v for use as guest address space: %v",
				cfg.ReservedVA, hint, err)
		}
		s.geom.GuestBase = uint64(p)
		if !s.quirk(QuirkNextStartUnmappedBase) {
			s.mmapNextStart = s.geom.ABIWord(cfg.ReservedVA)
		}
	} else if cfg.ProbeGuestBase {
		s.geom.GuestBase = 0
	}
	s.cfg.GuestBase = s.geom.GuestBase
	s.brk = brkState{original: cfg.BrkStart, cur: cfg.BrkStart, page: s.geom.HostPageAlign(cfg.BrkStart)}
	// The loader maps the image's last host page through to brk_page
	// (zero_bss): the heap's first bytes live there, and do_brk clears
	// them. Without it, do_brk's memset faults on hosts with larger pages.
	// The fixed do_brk (QuirkBrkHostPages off) needs no such page.
	if lo := cfg.BrkStart &^ (s.geom.TargetPageSize - 1); s.quirk(QuirkBrkHostPages) && s.brk.page > lo && s.geom.GuestRangeValid(lo, s.brk.page-lo) {
		s.targetMmap(lo, s.brk.page-lo, protRead|protWrite, hostvm.MapFixed|hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0)
	}
	s.libc.Calls = nil
	return s, nil
}

// hostPageSize asks host for its page size, refusing a host that has none:
// nil, a KernelHost without a kernel, or a wrapper around either.
func hostPageSize(host Host) (size uint64, err error) {
	if host == nil {
		return 0, fmt.Errorf("sim: no host")
	}
	defer func() {
		// A wrapper around a nil Host (or a nil kernel) panics on its
		// first call: that is a host New cannot use, not a crash.
		if r := recover(); r != nil {
			size, err = 0, fmt.Errorf("sim: host %T cannot say its page size: %v", host, r)
		}
	}()
	size = host.PageSize()
	if size == 0 || size&(size-1) != 0 {
		return 0, fmt.Errorf("sim: host %T has page size %#x (a KernelHost without a kernel?)", host, size)
	}
	return size, nil
}

// Config is the configuration in use, defaults filled and guest_base chosen.
func (s *Sim) Config() Config { return s.cfg }

// Host is the host the guest runs on (nil for a Sim New did not make).
func (s *Sim) Host() Host { return s.libc.Host }

// GuestBase is the host address of guest address 0.
func (s *Sim) GuestBase() uint64 { return s.geom.GuestBase }

// G2H is the host address of guest address x.
func (s *Sim) G2H(x uint64) hostvm.Addr { return s.geom.G2H(x) }

// MmapNextStart is where the next default placement starts.
func (s *Sim) MmapNextStart() uint64 { return s.mmapNextStart }

// SetMmapNextStart sets mmap_next_start to addr (an abi_ulong): for a
// caller that reproduces a real process's start-up, whose loader placed
// the stack and QEMU's own guest pages with mmap_find_vma, and then copies
// that layout with MAP_FIXED, which leaves mmap_next_start alone.
func (s *Sim) SetMmapNextStart(addr uint64) { s.mmapNextStart = s.geom.ABIWord(addr) }

// SetErrno sets the C library's errno as the guest's other system calls
// (pwrite, ftruncate, ...) leave it in QEMU's thread, or as QEMU's start-up
// left it: for a caller that makes those calls on the host itself, so that
// a quirk that returns a stale errno (QuirkFragSharedErrno) returns QEMU's.
func (s *Sim) SetErrno(e hostvm.Errno) { s.libc.Errno = e }

// Aborted returns the abort that ended the process, or nil.
func (s *Sim) Aborted() *Abort { return s.abortGuard.Aborted }

// LastHostCalls returns the host calls (and tb_invalidate events) the last
// guest call made, in order. The slice is valid until the next guest call.
func (s *Sim) LastHostCalls() []HostCall { return s.libc.Calls }

// SetRecording turns the recording of host calls on (the default) or off.
func (s *Sim) SetRecording(on bool) { s.libc.Recording = on }

// Clone returns an independent copy of the process and its host.
func (s *Sim) Clone() *Sim {
	c := *s
	if s.libc.Host != nil {
		c.libc = s.libc.Clone()
	}
	c.flags = s.flags.Clone()
	c.accessMaps = nil
	c.protectMaps = nil
	return &c
}

// guard runs one guest call: it resets the call log and turns an abort into
// an *Abort error. Once aborted, nothing runs.
func (s *Sim) guard(fn func() error) error {
	if s.libc.Host == nil {
		return errNotStarted
	}
	return s.abortGuard.Run(func() error {
		s.libc.StartCall()
		return fn()
	})
}

// mmapLock is mmap_lock(): a recursive lock. A single-threaded simulator
// keeps only the counter. Compare QEMU linux-user/mmap.c:mmap_lock().
func (s *Sim) mmapLock() { s.lockCount++ }

// mmapUnlock is mmap_unlock().
func (s *Sim) mmapUnlock() { s.lockCount-- }

// LockCount is mmap_lock_count: 0 between guest calls.
func (s *Sim) LockCount() int { return s.lockCount }

// ForkStart is mmap_fork_start(): QEMU aborts if the lock is held.
func (s *Sim) ForkStart() error {
	if s.abortGuard.Aborted != nil {
		return s.abortGuard.Aborted
	}
	if s.lockCount != 0 {
		s.abortGuard.Aborted = &Abort{Func: "mmap_fork_start", Reason: "mmap lock held across fork"}
		return s.abortGuard.Aborted
	}
	s.lockCount++ // pthread_mutex_lock: the lock is held until mmap_fork_end
	return nil
}

// ForkEnd is mmap_fork_end(): the parent unlocks, the child re-initialises
// the mutex. Both leave the lock free.
func (s *Sim) ForkEnd(child bool) {
	if s.lockCount > 0 {
		s.lockCount--
	}
}

// CheckAgreement verifies that the guest's page flags and the host's
// mappings tell one story (see base.CheckAgreement for the rules): every
// valid guest page mapped on the host with at least its protection, no host
// page mapped that no valid guest page uses (but RESERVED_VA's PROT_NONE
// placeholders), and the reservation whole. It returns nil, or an error
// naming each violation with both views.
func (s *Sim) CheckAgreement() error {
	if s.libc.Host == nil {
		return errNotStarted
	}
	return base.CheckAgreement(&s.flags, s.libc.Host, &s.geom)
}

// CheckAgreementIn is CheckAgreement over the guest range [start, end)
// alone (base.CheckAgreementIn): for a caller that knows a call could have
// changed nothing else, and checks the whole space now and then.
//
// Preconditions: start < end, both target-page aligned.
func (s *Sim) CheckAgreementIn(start, end uint64) error {
	if s.libc.Host == nil {
		return errNotStarted
	}
	return base.CheckAgreementIn(&s.flags, s.libc.Host, &s.geom, start, end)
}

package sim

import (
	"fmt"
	"github.com/mmapsim/mmapsim/internal/runs"

	"github.com/mmapsim/mmapsim/hostvm"
)

// Sim is one emulated guest process: QEMU linux-user's mapping state (page
// flags, mmap_next_start, the mmap lock) over a Host. It is not safe for
// concurrent use.
type Sim struct {
	cfg  Config
	g    geom
	host Host

	flags         runs.Map
	brk           brkState
	mmapNextStart uint64 // abi_ulong mmap_next_start
	lockCount     int    // mmap_lock_count
	noReplace     bool   // the current mmap is MAP_FIXED_NOREPLACE

	errno     hostvm.Errno // the C library's errno, as the last host call left it
	recording bool
	calls     []HostCall // host calls of the current guest call
	aborted   *Abort     // set once QEMU has aborted; the process is gone
}

// Abort is the outcome where QEMU itself would have called abort(): a failed
// assertion (in page_set_flags, say) or mmap_fork_start with the lock held.
// The guest process is dead; every later call returns the same Abort.
type Abort struct {
	Func   string // the QEMU function that aborted
	Reason string
}

func (a *Abort) Error() string { return "qemu: " + a.Func + ": " + a.Reason + " (emulator abort)" }

// abortPanic carries an Abort from deep in the port to the API boundary,
// where guard recovers it: C's abort() unwinds everything, so the port's
// control flow stays the seed's.
type abortPanic struct{ a *Abort }

func (s *Sim) abort(fn, format string, args ...any) {
	panic(abortPanic{&Abort{Func: fn, Reason: fmt.Sprintf(format, args...)}})
}

// New starts an emulated process on host: it applies cfg's defaults, picks
// guest_base and, with RESERVED_VA, reserves the guest space on the host as
// QEMU's start-up does (main.c and init_guest_space()).
func New(host Host, cfg Config) (*Sim, error) {
	if err := cfg.EnsureDefaults(host.PageSize()); err != nil {
		return nil, err
	}
	s := &Sim{
		cfg:  cfg,
		host: host,
		g: geom{
			t: cfg.TargetPageSize, h: cfg.HostPageSize, realHost: host.PageSize(),
			abiMask: 1<<cfg.ABIBits - 1, hostMask: 1<<cfg.HostBits - 1,
			virtBits: cfg.VirtBits, hostBits: cfg.HostBits, reservedVA: cfg.ReservedVA,
		},
		flags:         runs.New(),
		mmapNextStart: cfg.TaskUnmappedBase,
		recording:     true,
	}
	if cfg.ABIBits == 64 {
		s.g.abiMask = ^uint64(0)
	}
	if cfg.HostBits == 64 {
		s.g.hostMask = ^uint64(0)
	}
	s.g.guestBase = cfg.GuestBase
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
		s.g.guestBase = uint64(p)
		s.mmapNextStart = s.g.w(cfg.ReservedVA)
	} else if cfg.ProbeGuestBase {
		s.g.guestBase = 0
	}
	s.cfg.GuestBase = s.g.guestBase
	s.brk = brkState{original: cfg.BrkStart, cur: cfg.BrkStart, page: s.g.hAlign(cfg.BrkStart)}
	// The loader maps the image's last host page through to brk_page
	// (zero_bss): the heap's first bytes live there, and do_brk clears
	// them. Without it, do_brk's memset faults on hosts with larger pages.
	if lo := cfg.BrkStart &^ (s.g.t - 1); s.brk.page > lo && s.guestRangeValid(lo, s.brk.page-lo) {
		s.targetMmap(lo, s.brk.page-lo, protRead|protWrite, hostvm.MapFixed|hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0)
	}
	s.calls = nil
	return s, nil
}

// Config is the configuration in use, defaults filled and guest_base chosen.
func (s *Sim) Config() Config { return s.cfg }

// Host is the host the guest runs on.
func (s *Sim) Host() Host { return s.host }

// GuestBase is the host address of guest address 0.
func (s *Sim) GuestBase() uint64 { return s.g.guestBase }

// G2H is the host address of guest address x.
func (s *Sim) G2H(x uint64) hostvm.Addr { return s.g.g2h(x) }

// MmapNextStart is where the next default placement starts.
func (s *Sim) MmapNextStart() uint64 { return s.mmapNextStart }

// Aborted returns the abort that ended the process, or nil.
func (s *Sim) Aborted() *Abort { return s.aborted }

// LastHostCalls returns the host calls (and tb_invalidate events) the last
// guest call made, in order. The slice is valid until the next guest call.
func (s *Sim) LastHostCalls() []HostCall { return s.calls }

// SetRecording turns the recording of host calls on (the default) or off.
func (s *Sim) SetRecording(on bool) { s.recording = on }

// Clone returns an independent copy of the process and its host.
func (s *Sim) Clone() *Sim {
	c := *s
	c.host = s.host.CloneHost()
	c.flags = s.flags.Clone()
	c.calls = nil
	return &c
}

// guard runs one guest call: it resets the call log and turns an abort into
// an *Abort error. Once aborted, nothing runs.
func (s *Sim) guard(fn func() error) (err error) {
	if s.aborted != nil {
		return s.aborted
	}
	s.calls = s.calls[:0]
	defer func() {
		if r := recover(); r != nil {
			ap, ok := r.(abortPanic)
			if !ok {
				panic(r)
			}
			s.aborted = ap.a
			err = ap.a
		}
	}()
	return fn()
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
	if s.aborted != nil {
		return s.aborted
	}
	if s.lockCount != 0 {
		s.aborted = &Abort{Func: "mmap_fork_start", Reason: "mmap lock held across fork"}
		return s.aborted
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

// pageGetFlags is page_get_flags(): the flags of the guest page holding addr.
func (s *Sim) pageGetFlags(addr uint64) uint32 {
	return s.flags.Get(addr / s.g.t)
}

// pageSetFlags is page_set_flags(start, end, flags): QEMU asserts
// start < end and that end-1 lies in the guest space, then rounds both to
// target pages. Setting PAGE_WRITE sets PAGE_WRITE_ORG.
func (s *Sim) pageSetFlags(start, end uint64, flags uint32) {
	if !(start < end) {
		s.abort("page_set_flags", "assertion failed: start < end (start=%#x end=%#x)", start, end)
	}
	if s.g.virtBits < 64 && end-1 >= 1<<s.g.virtBits {
		s.abort("page_set_flags", "assertion failed: end-1 (%#x) outside the %d-bit guest space", end-1, s.g.virtBits)
	}
	s.setFlagsRange(start&s.g.tMask(), s.g.tAlign(end), end, flags)
}

// pageSetFlagsLast is the fixed page_set_flags(start, last, flags) of later
// QEMU, with an inclusive last address, so the top page of the space can be
// named.
func (s *Sim) pageSetFlagsLast(start, last uint64, flags uint32) {
	if start > last {
		s.abort("page_set_flags", "assertion failed: start <= last (start=%#x last=%#x)", start, last)
	}
	first := start / s.g.t
	s.setPages(first, last/s.g.t+1, flags)
}

func (s *Sim) setFlagsRange(alignedStart, alignedEnd, end uint64, flags uint32) {
	first := alignedStart / s.g.t
	var lim uint64
	if alignedEnd == 0 && end != 0 {
		lim = (s.g.abiMask)/s.g.t + 1 // the end wrapped to the top of the space
	} else {
		lim = alignedEnd / s.g.t
	}
	if first < lim {
		s.setPages(first, lim, flags)
	}
}

func (s *Sim) setPages(first, end uint64, flags uint32) {
	if flags&PageWrite != 0 {
		flags |= PageWriteOrg
	}
	s.flags.Set(first, end, flags)
}

// PageFlags returns the page flags of the guest page holding addr.
func (s *Sim) PageFlags(addr uint64) uint32 { return s.pageGetFlags(s.g.w(addr)) }

// FlagRun is a run of guest pages with equal flags.
type FlagRun struct {
	Start, End uint64 // guest addresses, half-open; End may be 1<<32 for a 32-bit guest
	Flags      uint32
}

// FlagRuns lists the runs of non-zero page flags in address order.
func (s *Sim) FlagRuns() []FlagRun {
	var out []FlagRun
	s.flags.Each(func(r runs.Run) bool {
		out = append(out, FlagRun{r.First * s.g.t, r.End * s.g.t, r.Val})
		return true
	})
	return out
}

// FlagRunsIn lists the runs of non-zero page flags overlapping [start, end).
func (s *Sim) FlagRunsIn(start, end uint64) []FlagRun {
	var out []FlagRun
	s.flags.EachIn(start/s.g.t, (end+s.g.t-1)/s.g.t, func(r runs.Run) bool {
		out = append(out, FlagRun{r.First * s.g.t, r.End * s.g.t, r.Val})
		return true
	})
	return out
}

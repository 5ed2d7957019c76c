package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// passThrough is a host wrapper as sim's doc invites one (to trace calls or
// inject faults): it embeds a Host and overrides nothing.
type passThrough struct{ Host }

// step is one guest call of a transcript, rendered with its result.
type step func(s *Sim) string

// transcript runs steps on a fresh 4 KiB guest over a 64 KiB host (wrapped
// by wrap) and renders every call's result, host calls and page flags.
func transcript(t *testing.T, quirks QuirkSet, reserved uint64, wrap func(Host) Host, steps []step) string {
	t.Helper()
	k, err := hostvm.New(hostvm.Config{PageSize: 0x10000, AddrBits: 47})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(wrap(KernelHost{k}), Config{ReservedVA: reserved, ProbeGuestBase: true, Quirks: quirks})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, st := range steps {
		fmt.Fprintf(&b, "%s\n", st(s))
		for _, c := range s.LastHostCalls() {
			fmt.Fprintf(&b, "  %v\n", c)
		}
		fmt.Fprintf(&b, "  flags %v agreement %v\n", s.FlagRuns(), s.CheckAgreement())
	}
	return b.String()
}

// sharedPageThenPrivateFragment maps a shared anonymous host page, then a
// private anonymous fragment into it with MAP_FIXED (the case),
// then changes, moves, discards and unmaps part of it.
func sharedPageThenPrivateFragment() []step {
	var at uint64 // where the shared mapping landed
	return []step{
		func(s *Sim) string {
			a, err := s.Mmap(0, 0x10000, rw, hostvm.MapShared|hostvm.MapAnonymous, -1, 0)
			at = a
			return fmt.Sprintf("mmap shared = %#x, %v", a, errName(err))
		},
		func(s *Sim) string {
			a, err := s.Mmap(at+0x3000, 0x1000, rw, hostvm.MapFixed|anon, -1, 0)
			return fmt.Sprintf("mmap fixed private fragment = %#x, %v", a, errName(err))
		},
		func(s *Sim) string {
			return fmt.Sprintf("mprotect = %v", errName(s.Mprotect(at, 0x8000, protRead)))
		},
		func(s *Sim) string {
			a, err := s.Mremap(at, 0x8000, 0x2000, 0, 0)
			return fmt.Sprintf("mremap = %#x, %v", a, errName(err))
		},
		func(s *Sim) string {
			return fmt.Sprintf("madvise = %v", errName(s.Madvise(at, 0x2000, hostvm.MadvDontNeed)))
		},
		func(s *Sim) string {
			return fmt.Sprintf("munmap = %v", errName(s.Munmap(at, 0x10000)))
		},
	}
}

// errName is an error as its Linux name ("EINVAL"), or "ok".
func errName(err error) string {
	if e, ok := err.(hostvm.Errno); ok {
		return e.Name()
	}
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// TestWrappedHostSameResults: a wrapper embedding sim.Host gives the same
// results, host calls and page flags as the host it wraps. Under
// policy=fixed a MAP_FIXED private anonymous fragment into a shared host
// page is refused with EINVAL over both (sim once looked the host's
// mappings up through an optional interface the wrapper hid, and let the
// fragment through).
func TestWrappedHostSameResults(t *testing.T) {
	direct := func(h Host) Host { return h }
	wrapped := func(h Host) Host { return passThrough{h} }
	for _, c := range []struct {
		name     string
		quirks   QuirkSet
		reserved uint64
	}{{"fixed", QuirkSet{}, 0}, {"fixed-reserved", QuirkSet{}, 0x10000000}, {"seed", SeedQuirks, 0x10000000}} {
		t.Run(c.name, func(t *testing.T) {
			want := transcript(t, c.quirks, c.reserved, direct, sharedPageThenPrivateFragment())
			got := transcript(t, c.quirks, c.reserved, wrapped, sharedPageThenPrivateFragment())
			if got != want {
				t.Errorf("over the wrapper:\n%s\nover the kernel:\n%s", got, want)
			}
			if c.quirks.Empty() && !strings.Contains(want, "mmap fixed private fragment = 0x0, EINVAL") {
				t.Errorf("policy=fixed: the private fragment into the shared host page is not refused with EINVAL:\n%s", want)
			}
		})
	}
}

// reserveAsMmap is a host wrapper whose MmapReserve makes the Mmap it
// stands for, as a wrapper that intercepts Mmap (to inject faults) must.
type reserveAsMmap struct{ Host }

func (h reserveAsMmap) MmapReserve(addr hostvm.Addr, length uint64) (hostvm.Addr, error) {
	return h.Host.Mmap(addr, length, hostvm.ProtNone, base.ReserveFlags, -1, 0)
}

// reservationSteps map, unmap, shrink and move guest memory inside a
// RESERVED_VA guest space, so that sim puts placeholders back (munmap's
// mmap_reserve, mremap's shrink) through Host.MmapReserve, also over
// parts of host pages and whole ones.
func reservationSteps() []step {
	var at uint64
	call := func(name string, f func(s *Sim) (uint64, error)) step {
		return func(s *Sim) string {
			a, err := f(s)
			return fmt.Sprintf("%s = %#x, %v", name, a, errName(err))
		}
	}
	return []step{
		call("mmap", func(s *Sim) (uint64, error) {
			a, err := s.Mmap(0, 0x30000, rw, anon, -1, 0)
			at = a
			return a, err
		}),
		call("munmap part of a host page", func(s *Sim) (uint64, error) { return 0, s.Munmap(at+0x3000, 0x2000) }),
		call("munmap whole host page", func(s *Sim) (uint64, error) { return 0, s.Munmap(at+0x10000, 0x10000) }),
		call("mremap shrink", func(s *Sim) (uint64, error) { return s.Mremap(at+0x20000, 0x10000, 0x4000, 0, 0) }),
		call("mremap move", func(s *Sim) (uint64, error) {
			return s.Mremap(at+0x20000, 0x4000, 0x40000, hostvm.MremapMayMove, 0)
		}),
		call("munmap all", func(s *Sim) (uint64, error) { return 0, s.Munmap(at, 0x100000) }),
	}
}

// TestMmapReserveIsTheMmap: sim's placeholders through Host.MmapReserve
// give the same results, host calls (MmapReserve is recorded as the mmap
// it stands for) and page flags as the same calls made with Host.Mmap, for
// the fixed and the seed algorithm, and the transcript shows placeholder
// mmaps.
func TestMmapReserveIsTheMmap(t *testing.T) {
	asMmap := func(h Host) Host { return reserveAsMmap{h} }
	direct := func(h Host) Host { return h }
	for _, c := range []struct {
		name   string
		quirks QuirkSet
	}{{"fixed", QuirkSet{}}, {"seed", SeedQuirks}} {
		t.Run(c.name, func(t *testing.T) {
			want := transcript(t, c.quirks, 0x10000000, asMmap, reservationSteps())
			got := transcript(t, c.quirks, 0x10000000, direct, reservationSteps())
			if got != want {
				t.Errorf("through MmapReserve:\n%s\nthrough Mmap:\n%s", got, want)
			}
			if !strings.Contains(got, "PROT_NONE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_NORESERVE") {
				t.Errorf("no placeholder mmap in the transcript:\n%s", got)
			}
		})
	}
}

// TestNewRefusesUnusableHosts: New returns an error, not a panic, for a
// host it cannot use.
func TestNewRefusesUnusableHosts(t *testing.T) {
	for _, c := range []struct {
		name string
		host Host
	}{
		{"nil", nil},
		{"KernelHost without a kernel", KernelHost{}},
		{"KernelHost over a zero Kernel", KernelHost{&hostvm.Kernel{}}},
		{"pointer to KernelHost without a kernel", &KernelHost{}},
		{"wrapper around nil", passThrough{}},
		{"wrapper around KernelHost without a kernel", passThrough{KernelHost{}}},
	} {
		s, err := New(c.host, Config{})
		if err == nil || s != nil {
			t.Errorf("%s: New = %v, %v; want an error and no process", c.name, s, err)
		}
	}
}

// TestZeroSimDoesNotPanic: a Sim that New did not make (the zero value)
// fails its system calls with an *Abort and faults its memory accesses.
func TestZeroSimDoesNotPanic(t *testing.T) {
	var s Sim
	var g Guest = &s
	if _, err := g.Mmap(0, 0x1000, rw, anon, -1, 0); err == nil {
		t.Errorf("mmap on a zero Sim succeeded")
	}
	for name, err := range map[string]error{
		"munmap":   g.Munmap(0, 0x1000),
		"mprotect": g.Mprotect(0, 0x1000, rw),
		"msync":    g.Msync(0, 0x1000, 0),
		"madvise":  g.Madvise(0, 0x1000, hostvm.MadvDontNeed),
		"check":    g.CheckAgreement(),
		"fork":     s.ForkStart(),
	} {
		if err == nil && name != "fork" {
			t.Errorf("%s on a zero Sim: no error", name)
		}
	}
	if _, err := g.Mremap(0, 0x1000, 0x2000, hostvm.MremapMayMove, 0); err == nil {
		t.Errorf("mremap on a zero Sim succeeded")
	}
	if _, err := g.Brk(0x10000000); err == nil {
		t.Errorf("brk on a zero Sim succeeded")
	}
	buf := make([]byte, 4)
	if _, f := g.Load(0x1000, buf); f == nil {
		t.Errorf("load on a zero Sim did not fault")
	}
	if _, f := g.Store(0x1000, buf); f == nil {
		t.Errorf("store on a zero Sim did not fault")
	}
	if g.AccessOK(0x1000, 4, false) || g.PageFlags(0x1000) != 0 || g.FlagRuns() != nil || g.FlagRunsIn(0, 1<<32) != nil {
		t.Errorf("a zero Sim shows mapped memory")
	}
	_ = g.CloneGuest()
	_, _, _, _, _ = g.Config(), g.Host(), g.GuestBase(), g.G2H(0), g.BrkStart()
	_, _ = g.Aborted(), g.LastHostCalls()
	g.SetRecording(false)
}

package props

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// mremapRate: a host mremap is refused one time in mremapRate.
const mremapRate = 2

// faultHost is a host that refuses calls, as a user's fault-injecting
// wrapper (Options.WrapHost) would: a seeded one in rate of its mmaps and
// mprotects, and one in mremapRate of its mremaps, fails with an errno
// Linux gives for a lack of resources (ENOMEM or EAGAIN; mprotect's is
// ENOMEM, a split past max_map_count), having done nothing, except where
// Linux has already acted when it fails: an mremap with MREMAP_FIXED
// unmaps its destination (and, shrinking, the old range's tail) before it
// can still fail (mm/mremap.c:mremap_to(); the RESERVED_VA placeholders
// are not refused: QEMU cannot do without them).
//
// It also checks that QEMU asks the host what a portable program may ask:
// an anonymous mmap passes fd -1 and offset 0 (mmap(2): "some
// implementations require fd to be -1"), or the guest's own, and every address and length it
// passes is a multiple of the host's page where the call requires one.
type faultHost struct {
	sim.Host
	rng    *rand.Rand
	armed  bool // refusing calls: not while QEMU starts
	first  int  // the call that fails first, counting from 1
	rate   int  // after it, one call in rate fails
	calls  int  // the fallible calls so far
	faults int  // the failures injected so far
	// guestFD and guestOff are the fd and offset of the guest's mmap
	// being run (-1 and 0 for other calls): QEMU passes them through to
	// a MAP_FIXED host mmap, as the guest's kernel would ignore them.
	guestFD  int
	guestOff uint64
	// misuse lists the calls that broke the host's contract.
	misuse []string
}

// fault reports whether the current call fails, and with which errno.
// A call is refused one time in rate, or in mremapRate for mremap, which
// the fixed algorithm seldom passes to the host.
func (h *faultHost) fault(rate int, errs ...hostvm.Errno) (hostvm.Errno, bool) {
	if !h.armed {
		return 0, false
	}
	h.calls++
	if h.rng.Intn(rate) != 0 {
		return 0, false
	}
	h.faults++
	return errs[h.rng.Intn(len(errs))], true
}

// aligned checks that addr and length are multiples of the host's page.
func (h *faultHost) aligned(call string, addr hostvm.Addr, length uint64) {
	if page := h.PageSize(); uint64(addr)%page != 0 || length%page != 0 {
		h.misuse = append(h.misuse, fmt.Sprintf("%s(%#x, %#x): not on the host's %#x pages", call, uint64(addr), length, page))
	}
}

func (h *faultHost) Mmap(addr hostvm.Addr, length uint64, prot hostvm.Prot, flags hostvm.MapFlags, fd int, off uint64) (hostvm.Addr, error) {
	if flags&hostvm.MapAnonymous != 0 && (fd != -1 && fd != h.guestFD || off != 0 && off != h.guestOff) {
		h.misuse = append(h.misuse, fmt.Sprintf("mmap(%#x, %#x, %v, %v, %d, %#x): an anonymous mapping with fd %d and offset %#x",
			uint64(addr), length, prot, flags, fd, off, fd, off))
	}
	if flags&(hostvm.MapFixed|hostvm.MapFixedNoReplace) != 0 {
		h.aligned("mmap", addr, 0)
	}
	if e, ok := h.fault(h.rate, hostvm.ENOMEM, hostvm.ENOMEM, hostvm.EAGAIN); ok {
		return 0, e
	}
	return h.Host.Mmap(addr, length, prot, flags, fd, off)
}

func (h *faultHost) Munmap(addr hostvm.Addr, length uint64) error {
	// Not refused: Linux refuses munmap only where it would split a
	// mapping past max_map_count, and QEMU's clean-ups after a failure
	// (giving back a reservation) unmap whole mappings.
	h.aligned("munmap", addr, 0)
	return h.Host.Munmap(addr, length)
}

func (h *faultHost) Mprotect(addr hostvm.Addr, length uint64, prot hostvm.Prot) error {
	// Refused with ENOMEM, as Linux refuses an mprotect whose split would
	// pass max_map_count (mm/mprotect.c mprotect_fixup()), before the
	// mapping is changed.
	h.aligned("mprotect", addr, 0)
	if e, ok := h.fault(h.rate, hostvm.ENOMEM); ok {
		return e
	}
	return h.Host.Mprotect(addr, length, prot)
}

func (h *faultHost) Mremap(old hostvm.Addr, oldLen, newLen uint64, flags hostvm.MremapFlags, newAddr hostvm.Addr) (hostvm.Addr, error) {
	h.aligned("mremap", old, 0)
	e, ok := h.fault(mremapRate, hostvm.ENOMEM, hostvm.ENOMEM, hostvm.EAGAIN)
	if !ok {
		return h.Host.Mremap(old, oldLen, newLen, flags, newAddr)
	}
	if flags&hostvm.MremapFixed != 0 {
		// Where the call would have passed Linux's checks, it has
		// unmapped the destination, and a shrink the old range's tail,
		// by the time it runs out of memory.
		if _, err := h.Host.CloneHost().Mremap(old, oldLen, newLen, flags, newAddr); err == nil {
			h.Host.Munmap(newAddr, newLen)
			if oldLen > newLen {
				h.Host.Munmap(old+hostvm.Addr(newLen), oldLen-newLen)
			}
		}
	}
	return 0, e
}

// CloneHost snapshots the host with the wrapper's state: a clone of the
// guest goes on refusing calls as the original does.
func (h *faultHost) CloneHost() sim.Host {
	c := *h
	c.Host = h.Host.CloneHost()
	c.rng = rand.New(rand.NewSource(h.rng.Int63()))
	c.misuse = slices.Clone(h.misuse)
	return &c
}

// TestHostFailures runs seeded call sequences under the fixed algorithm on
// every setup, over a host that refuses calls part way through QEMU's
// algorithms (faultHost), and checks what must hold whatever the host
// refuses: no Go panic; every failed guest call fails with a Linux errno
// (or QEMU's abort, which ends the sequence); QEMU's invariants after
// every call (the page flags agree with the host's mappings, the
// RESERVED_VA reservation is whole, the mmap lock is free, the host
// kernel's own invariants); a failed mmap without MAP_FIXED, a failed
// munmap, and a failed mremap that does not name a destination leave the
// guest's page flags as they were, and a failed mprotect changes at most a
// prefix of its range (mprotectPrefixOnly); and QEMU's host calls keep the
// host's contract (faultHost). The guest kernel is not compared: it has
// memory to spare.
func TestHostFailures(t *testing.T) {
	// 60: seeds 52 and 59 are the first whose emulated mremap the host
	// refuses part way (props.seed=1, the fixed algorithm of this writing).
	seeds := int64(60)
	if testing.Short() {
		seeds = 8
	}
	const steps, rate = 60, 12
	t.Logf("props.seed=%d..%d per setup, %d steps, a host mmap or mprotect in %d and a host mremap in %d refused", *flagSeed, *flagSeed+seeds-1, steps, rate, mremapRate)
	faults := 0
	for _, setup := range Setups {
		for seed := *flagSeed; seed < *flagSeed+seeds; seed++ {
			n, msg := hostFailureRun(t, setup, seed, steps, rate)
			faults += n
			if msg != "" {
				t.Errorf("%s seed %d: %s", setup.Name, seed, msg)
			}
		}
	}
	if faults == 0 {
		t.Fatal("no host call was refused")
	}
	t.Logf("%d host calls refused", faults)
}

// hostFailureRun runs one sequence of TestHostFailures and returns the
// failures injected and what broke, or "".
func hostFailureRun(t *testing.T, setup Setup, seed int64, steps, rate int) (faults int, msg string) {
	rng := rand.New(rand.NewSource(seed))
	var fh *faultHost
	s, err := NewSystemWith(setup, policy.Fixed, Options{WrapHost: func(h sim.Host) sim.Host {
		fh = &faultHost{Host: h, rng: rand.New(rand.NewSource(rng.Int63())), rate: rate}
		return fh
	}})
	if err != nil {
		t.Fatal(err)
	}
	fh.armed = true
	s.stopped = "host failures" // QEMU alone: the guest kernel does not run out of memory
	src := rngSource{rng}
	handles := 0
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprintf("panic: %v\n%s", r, s.Scenario())
		}
	}()
	for n := 0; n < steps; n++ {
		op := GenOp(src, handles)
		if rng.Intn(3) == 0 {
			// More moves and resizes than GenOp's mix: the fixed
			// algorithm passes few of them to the host, whose
			// refusals are what this test is about.
			op.Kind = OpMremap
			if handles > 0 && rng.Intn(2) == 0 {
				// realloc's: a whole mapping grown or shrunk, in place
				// (flags 0) or where QEMU moves it (MREMAP_MAYMOVE).
				op.At = Where{Base: uint8(rng.Intn(min(handles, int(baseLow))))}
				op.Len = Size{From: sizeHandle}
				op.NewLen = Size{From: sizeHandle, Pages: int32(rng.Intn(9)) - 2}
				op.Remap = uint8(rng.Intn(2)) // remapFlags: 0, MREMAP_MAYMOVE
			}
		}
		before, faultsBefore := s.sim.FlagRuns(), fh.faults
		fh.guestFD, fh.guestOff = -1, 0
		if op.Kind == OpMmap {
			a := s.mmapArgs(op)
			fh.guestFD, fh.guestOff = a.fd, a.offset
		}
		ok := s.Exec(op)
		if !ok {
			m, _ := s.Failed()
			return fh.faults, fmt.Sprintf("after %d refused host calls: %s\n%s", fh.faults, m, s.Scenario())
		}
		if len(fh.misuse) > 0 {
			return fh.faults, fmt.Sprintf("QEMU's host calls break the host's contract: %v\n%s", fh.misuse, s.Scenario())
		}
		res := s.simResult
		if res.err == nil || fh.faults == faultsBefore {
			if op.Kind == OpMmap || op.Kind == OpMremap {
				handles++
			}
			continue
		}
		if _, aborted := res.err.(*sim.Abort); aborted {
			return fh.faults, ""
		}
		if _, linux := res.err.(hostvm.Errno); !linux {
			return fh.faults, fmt.Sprintf("a failed call returned %T %v, not a Linux errno\n%s", res.err, res.err, s.Scenario())
		}
		if keepsView(s, op) {
			if after := s.sim.FlagRuns(); !slices.Equal(before, after) {
				return fh.faults, fmt.Sprintf("a call that failed (%v) changed the guest's page flags:\nbefore %#x\nafter  %#x\n%s",
					res.err, before, after, s.Scenario())
			}
		}
		if op.Kind == OpMprotect {
			if bad := mprotectPrefixOnly(s, op, before, s.sim.FlagRuns()); bad != "" {
				return fh.faults, fmt.Sprintf("an mprotect that failed (%v) %s:\nbefore %#x\nafter  %#x\n%s",
					res.err, bad, before, s.sim.FlagRuns(), s.Scenario())
			}
		}
		if op.Kind == OpMmap || op.Kind == OpMremap {
			handles++
		}
	}
	return fh.faults, ""
}

// keepsView reports whether op, when it fails, leaves the guest's view as
// it was under Linux: an mmap without MAP_FIXED, munmap, and an mremap
// that names no destination and does not shrink. A failed mprotect may
// change a prefix of its range (mprotectPrefixOnly).
func keepsView(s *System, op Op) bool {
	switch op.Kind {
	case OpMmap:
		return s.mmapArgs(op).flags&hostvm.MapFixed == 0
	case OpMremap:
		_, _, oldLen, newLen, flags, _, _ := s.remapArgs(op)
		return flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) == 0 && newLen >= oldLen
	case OpMunmap:
		return true
	}
	return false
}

// mprotectPrefixOnly checks what a failed mprotect op left of the page
// flags, before and after it: as Linux's mprotect that fails part way
// (mm/mprotect.c do_mprotect_pkey(): the VMAs before the one it fails at
// keep their new protection, that one and the rest are unchanged), the
// pages of a prefix [start, x) of its range have the new protection and
// every other page its old flags. It returns what broke that, or "".
func mprotectPrefixOnly(s *System, op Op, before, after []sim.FlagRun) string {
	start, _ := s.resolve(op.At)
	end := start + (s.opLen(op)+s.targetPage-1)&^(s.targetPage-1)
	if end < start {
		end = ^uint64(0)
	}
	want := uint32(opProt(op)&(hostvm.ProtRead|hostvm.ProtWrite|hostvm.ProtExec)) | sim.PageValid
	// The addresses where either view's flags may change.
	cuts := []uint64{start, end}
	for _, r := range append(slices.Clone(before), after...) {
		cuts = append(cuts, r.Start, r.End)
	}
	slices.Sort(cuts)
	cuts = slices.Compact(cuts)
	prefix := true
	for i, lo := range cuts {
		was, is := flagsAt(before, lo), flagsAt(after, lo)
		in := lo >= start && lo < end
		if in && prefix && was&sim.PageValid != 0 && is&(sim.PageBits|sim.PageValid) == want {
			continue
		}
		if in {
			prefix = false
		}
		if was != is {
			hi := end
			if i+1 < len(cuts) {
				hi = cuts[i+1]
			}
			return fmt.Sprintf("changed the flags of %#x-%#x (%#x to %#x) outside a prefix of [%#x, %#x) given %v", lo, hi, was, is, start, end, opProt(op))
		}
	}
	return ""
}

// flagsAt returns the flags runs give address a (0 outside them).
//
// Preconditions: runs are sorted and apart.
func flagsAt(runs []sim.FlagRun, a uint64) uint32 {
	i, _ := slices.BinarySearchFunc(runs, a, func(r sim.FlagRun, a uint64) int {
		if r.End <= a {
			return -1
		}
		if r.Start > a {
			return 1
		}
		return 0
	})
	if i < len(runs) && runs[i].Start <= a && a < runs[i].End {
		return runs[i].Flags
	}
	return 0
}

// panicHost panics at its n-th mmap once armed, as a host wrapper with a
// bug would.
type panicHost struct {
	sim.Host
	armed bool
	n     int
}

// hostPanic is what panicHost panics with.
type hostPanic struct{}

func (h *panicHost) Mmap(addr hostvm.Addr, length uint64, prot hostvm.Prot, flags hostvm.MapFlags, fd int, off uint64) (hostvm.Addr, error) {
	if h.armed {
		if h.n--; h.n == 0 {
			panic(hostPanic{})
		}
	}
	return h.Host.Mmap(addr, length, prot, flags, fd, off)
}

// TestHostPanicPassesThrough: a panic inside the host (a wrapper's bug)
// is not QEMU's abort: it leaves the guest call it happened in as the same
// panic, whatever the algorithm was doing, and is not turned into an
// error or swallowed.
func TestHostPanicPassesThrough(t *testing.T) {
	t.Logf("props.seed=%d", *flagSeed)
	panicked := 0
	for _, setup := range Setups {
		for _, pol := range []policy.Policy{policy.Fixed, policy.Seed} {
			ph := &panicHost{}
			s, err := NewSystemWith(setup, pol, Options{WrapHost: func(h sim.Host) sim.Host { ph.Host = h; return ph }})
			if err != nil {
				t.Fatal(err)
			}
			ph.armed, ph.n = true, 2+int(*flagSeed%5)
			s.stopped, s.keepGoing = "host panic", true
			got := func() (r any) {
				defer func() { r = recover() }()
				execSeeded(s, *flagSeed, 200, nil)
				return nil
			}()
			_, ok := got.(hostPanic)
			if ok {
				panicked++
			}
			switch {
			case ph.n <= 0 && !ok:
				t.Errorf("%s %s: the host panicked in a guest call, which ended with %v, not the host's panic\n%s", setup.Name, pol, got, s.Scenario())
			case ph.n > 0 && got != nil:
				t.Errorf("%s %s: a panic the host did not make: %v\n%s", setup.Name, pol, got, s.Scenario())
			}
		}
	}
	if panicked < len(Setups) {
		t.Errorf("the host panicked in %d of %d runs: the test tests little", panicked, 2*len(Setups))
	}
}

package props

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/internal/runs"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// System runs operations on the system under test (QEMU's algorithms over
// a host kernel) and on the reference model (the guest's ideal kernel) and
// compares every guest-visible outcome.
type System struct {
	setup  Setup
	policy policy.Policy
	sim    sim.Guest
	host   *hostvm.Kernel
	ref    *hostvm.Kernel
	cfg    sim.Config

	t, h     uint64
	spaceEnd uint64 // end of the guest space (exclusive)
	mask     uint64 // the guest word

	handles    []uint64
	handleLens []uint64 // the length each handle's mapping had when made
	// taint marks guest pages whose contents are allowed to differ after a
	// named divergence (1), so its consequences are not reported again.
	taint runs.Map
	// snapshot marks guest pages QEMU filled with a copy of file data
	// (pread), which later writes to the file do not reach.
	snapshot runs.Map

	fileChanged bool // a file was written or truncated since the run began

	lines       []string       // the run so far, as scenario text
	Divergences map[string]int // named divergences seen, by name
	failure     string         // the first failure, if any
	stopped     string         // a divergence that ends the comparison, if any
	failLine    int
	ops         int
	run         []Op // the operations executed, in order
}

// NewSystem starts a run on setup with the given quirks.
func NewSystem(setup Setup, pol policy.Policy) (*System, error) {
	sm, k, ref, err := setup.build(pol)
	if err != nil {
		return nil, err
	}
	s := &System{setup: setup, policy: pol, sim: sm, host: k, ref: ref, cfg: sm.Config(),
		taint: runs.New(), snapshot: runs.New(), Divergences: map[string]int{}}
	s.t, s.h = s.cfg.TargetPageSize, s.cfg.HostPageSize
	s.mask = ^uint64(0)
	if s.cfg.ABIBits == 32 {
		s.mask = 1<<32 - 1
	}
	s.spaceEnd = uint64(ref.TaskSize())
	s.sim.SetRecording(false)
	s.lines = append(s.lines, "#! "+setup.Settings(pol))
	s.lines = append(s.lines, fileLines(s.t)...)
	return s, nil
}

func (s *System) word(v uint64) uint64 { return v & s.mask }

// Failed returns the first failure ("" when none) and its line number in
// Scenario().
func (s *System) Failed() (string, int) { return s.failure, s.failLine }

// Ops returns the operations the run executed, in order.
func (s *System) Ops() []Op { return append([]Op(nil), s.run...) }

// Scenario returns the run as a scenario file: the expectations are the
// reference model's results, so `mmapsim run` of it fails where the run
// failed.
func (s *System) Scenario() string { return strings.Join(s.lines, "\n") + "\n" }

func (s *System) emit(line string) { s.lines = append(s.lines, line) }

// concrete replaces a "= ?" expectation on the last line with the guest
// kernel's actual result, so the counterexample fails when replayed where
// it failed here.
func (s *System) concrete(v uint64, err error) {
	n := len(s.lines) - 1
	if strings.HasSuffix(s.lines[n], " = "+anySuccess) {
		s.lines[n] = strings.TrimSuffix(s.lines[n], anySuccess) + expectText(v, err)
	}
}

// reexpect replaces the expectation old on the last line with new, where
// the run keeps QEMU's outcome after a named divergence.
func (s *System) reexpect(old, new string) {
	n := len(s.lines) - 1
	s.lines[n] = strings.Replace(s.lines[n], " = "+old, " = "+new, 1)
}

// anySuccess is the expectation of a call whose result may legitimately
// differ (a placement): any success, but not an error or an abort.
const anySuccess = "? (success)"

func (s *System) fail(format string, args ...any) {
	if s.failure == "" {
		s.failure = fmt.Sprintf(format, args...) + "\n" + s.stateText()
		s.failLine = len(s.lines)
	}
}

// stateText shows both guest views at the moment of a failure: the guest
// kernel's mappings and QEMU's page flags.
func (s *System) stateText() string {
	var b strings.Builder
	b.WriteString("the guest kernel's mappings:\n")
	b.WriteString(s.ref.Debug())
	b.WriteString("QEMU's page flags:\n")
	for _, r := range s.sim.FlagRuns() {
		fmt.Fprintf(&b, "%08x-%08x %s\n", r.Start, r.End, flagText(r.Flags))
	}
	return b.String()
}

// flagText renders page flags as rwx plus V (valid) and A (anonymous).
func flagText(f uint32) string {
	out := []byte("---")
	for i, c := range []struct {
		bit uint32
		ch  byte
	}{{sim.PageRead, 'r'}, {sim.PageWrite, 'w'}, {sim.PageExec, 'x'}} {
		if f&c.bit != 0 {
			out[i] = c.ch
		}
	}
	s := string(out)
	if f&sim.PageAnon != 0 {
		s += " anon"
	}
	return s
}

// diverge records an allowed, named divergence and taints the pages
// [start, end) it leaves unknown.
func (s *System) diverge(name string, start, end uint64) {
	s.Divergences[name]++
	if end > start {
		s.taint.Set(start/s.t, (end+s.t-1)/s.t, 1)
	}
}

// Exec runs op on both systems, compares, then checks the invariants. It
// returns false once the run has failed.
func (s *System) Exec(op Op) bool {
	if s.failure != "" {
		return false
	}
	if s.stopped != "" {
		return true
	}
	s.ops++
	s.run = append(s.run, op)
	switch op.Kind {
	case OpMmap:
		s.mmap(op)
	case OpMunmap:
		s.simple(op, "munmap", func(a, l uint64) (error, error) {
			return s.sim.Munmap(a, l), s.ref.Munmap(hostvm.Addr(a), l)
		}, "")
	case OpMprotect:
		prot := uint64(op.Prot)
		s.simple(op, "mprotect", func(a, l uint64) (error, error) {
			return s.sim.Mprotect(a, l, int(prot)), s.ref.Mprotect(hostvm.Addr(a), l, hostvm.Prot(prot))
		}, ", "+protText(op.Prot))
	case OpMsync:
		f := msyncFlags[int(op.Advice)%len(msyncFlags)]
		s.simple(op, "msync", func(a, l uint64) (error, error) {
			return s.sim.Msync(a, l, int(f)), s.ref.Msync(hostvm.Addr(a), l, f)
		}, ", "+f.String())
	case OpMadvise:
		adv := advices[int(op.Advice)%len(advices)]
		s.simple(op, "madvise", func(a, l uint64) (error, error) {
			return s.sim.Madvise(a, l, adv), s.ref.Madvise(hostvm.Addr(a), l, adv)
		}, ", "+adv.String())
	case OpMremap:
		s.mremap(op)
	case OpLoad:
		s.load(op)
	case OpStore:
		s.store(op)
	case OpFileWrite:
		s.fileWrite(op)
	case OpFtruncate:
		s.ftruncate(op)
	}
	if s.failure == "" && s.stopped == "" {
		s.check()
	}
	if s.failure == "" && s.stopped == "" {
		s.sweepAfter(op)
	}
	return s.failure == ""
}

// stop records a named divergence after which the two systems' states
// differ for good: the rest of the run is not compared.
func (s *System) stop(name string) {
	s.Divergences[name]++
	s.stopped = name
	s.emit("# stopped comparing: divergence " + name)
}

// sweepAfter compares the contents of the guest pages op could have
// changed: its range (and the destination of a move), widened to whole host
// pages so neighbours sharing a host page are included; every mapping of a
// file it wrote. Large ranges are sampled at both ends.
func (s *System) sweepAfter(op Op) {
	var ranges [][2]uint64
	widen := func(a, l uint64) {
		start := a &^ (s.h - 1)
		end := a + l
		if end < a || end > s.spaceEnd {
			end = s.spaceEnd
		}
		end = min((end+s.h-1)&^(s.h-1), s.spaceEnd)
		if start < end {
			ranges = append(ranges, [2]uint64{start, end})
		}
	}
	switch op.Kind {
	case OpLoad:
		return
	case OpFileWrite, OpFtruncate:
		for _, m := range s.ref.Maps() {
			if m.Inode != 0 {
				ranges = append(ranges, [2]uint64{uint64(m.Start), uint64(m.End)})
			}
		}
	case OpStore:
		a, _ := s.resolve(op.At)
		widen(a, uint64(op.N))
	default:
		a, _ := s.resolve(op.At)
		widen(a, max(s.length(op.Pages, op.Extra), s.length(op.NewPages, 0)))
		if op.Kind == OpMremap || op.Kind == OpMmap {
			if n := len(s.handles); n > 0 {
				widen(s.handles[n-1], max(s.length(op.Pages, op.Extra), s.length(op.NewPages, 0)))
			}
			to, _ := s.resolve(op.To)
			widen(to, s.length(op.NewPages, 0))
		}
	}
	for _, r := range ranges {
		if !s.sweep(r[0], r[1]) {
			return
		}
	}
}

// sweep compares readable guest pages in [start, end) that the guest kernel
// has mapped; at most 32 pages at each end of a long range.
func (s *System) sweep(start, end uint64) bool {
	buf1 := make([]byte, s.t)
	buf2 := make([]byte, s.t)
	for _, m := range s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(start), End: hostvm.Addr(end)}) {
		if m.Prot&hostvm.ProtRWX == 0 {
			continue
		}
		lo, hi := max(uint64(m.Start), start), min(uint64(m.End), end)
		for p := lo; p < hi; p += s.t {
			if hi-lo > 64*s.t && p >= lo+32*s.t && p < hi-32*s.t {
				p = hi - 32*s.t
			}
			if !s.comparePage(p, buf1, buf2) {
				return false
			}
		}
	}
	return true
}

func (s *System) comparePage(p uint64, buf1, buf2 []byte) bool {
	if s.taint.Get(p/s.t) != 0 || s.snapshot.Get(p/s.t) != 0 && s.fileChanged {
		return true
	}
	rn, rf := s.ref.Read(hostvm.Addr(p), buf2)
	if rf != nil {
		return true // past end-of-file: loads compare it
	}
	sn, sf := s.sim.Load(p, buf1)
	if sf == nil && sn == rn && bytes.Equal(buf1, buf2) {
		return true
	}
	if sf != nil && s.mixedHostPage(p) && !s.anonBus(p, sf) {
		s.diverge("mixed-host-page", p, p+s.t)
		return true
	}
	if sf != nil && sf.Signal == hostvm.SIGBUS && s.t > s.host.PageSize() {
		// A target page past end-of-file on a host with smaller pages
		// (the file grew since it was mapped).
		s.diverge("eof-host-page", p, p+s.t)
		return true
	}
	i := 0
	for sf == nil && i < len(buf1) && buf1[i] == buf2[i] {
		i++
	}
	i &^= 15
	n := min(16, len(buf2)-i)
	s.emit(fmt.Sprintf("peek(%s, %d) = %s", hexText(p+uint64(i)), n, quote(buf2[i:i+n])))
	if sf != nil {
		s.fail("page %#x faults under QEMU (%v) but reads on the guest kernel", p, sf)
	} else {
		for buf1[i] == buf2[i] {
			i++
		}
		s.fail("byte at %#x is %#x under QEMU, %#x on the guest kernel", p+uint64(i), buf1[i], buf2[i])
	}
	return false
}

// abortCheck fails the run if QEMU aborted.
func (s *System) abortCheck(err error) bool {
	if a, ok := err.(*sim.Abort); ok {
		s.fail("QEMU aborted: %v", a)
		return true
	}
	return false
}

func errString(err error) string {
	if err == nil {
		return "success"
	}
	if e, ok := err.(hostvm.Errno); ok {
		return e.Name()
	}
	return err.Error()
}

// simple runs a call whose result is 0 or an errno on both sides.
func (s *System) simple(op Op, name string, do func(a, l uint64) (error, error), rest string) {
	a, at := s.resolve(op.At)
	l := s.length(op.Pages, op.Extra)
	serr, rerr := do(a, l)
	s.emit(fmt.Sprintf("%s(%s, %s%s) = %s", name, at, hexText(l), rest, expectText(0, rerr)))
	if s.abortCheck(serr) {
		return
	}
	if (name == "mprotect" && rerr == hostvm.EACCES || name == "madvise" && rerr == hostvm.EINVAL && serr != rerr) &&
		s.snapshot.Any(a/s.t, (a+l+s.t-1)/s.t) {
		// QEMU emulated a file mapping with a copy and no longer knows
		// the file was opened read-only: it changes the copy, even where
		// it then fails too.
		s.stop("emulated-file-mode")
		return
	}
	if serr != rerr {
		if s.pastHostEnd(a, l) {
			s.stop("host-space-end")
			return
		}
		s.fail("%s: QEMU says %s, the guest kernel %s", name, errString(serr), errString(rerr))
		return
	}
	if name == "madvise" && (serr == nil || serr == hostvm.ENOMEM) {
		// DONTNEED of private file pages restores file data; QEMU keeps
		// a copy where it emulated them.
		s.taintIfSnapshot(a, a+l)
	}
}

func (s *System) taintIfSnapshot(start, end uint64) {
	if end <= start {
		return
	}
	s.snapshot.EachIn(start/s.t, (end+s.t-1)/s.t, func(r runs.Run) bool {
		s.taint.Set(r.First, r.End, 1)
		return true
	})
}

func (s *System) mmap(op Op) {
	addr, at := s.resolve(op.At)
	l := s.length(op.Pages, op.Extra)
	flags := hostvm.MapPrivate
	if op.Shared {
		flags = hostvm.MapShared
	}
	fd := -1
	var off uint64
	if op.File < 0 {
		flags |= hostvm.MapAnonymous
	} else {
		fd = 3 + int(op.File)
		off = uint64(op.FilePage) * s.t
	}
	switch op.Place {
	case PlaceAny:
		addr, at = 0, "NULL"
	case PlaceFixed:
		flags |= hostvm.MapFixed
	case PlaceNoReplace:
		flags |= hostvm.MapFixedNoReplace
	}
	prot := hostvm.Prot(op.Prot)
	before := s.ref.Clone()
	got, serr := s.sim.Mmap(addr, l, int(prot), flags, fd, off)
	if s.abortCheck(serr) {
		s.emit(fmt.Sprintf("mmap(%s, %s, %s, %v, %s, %s) = ?", at, hexText(l), protText(op.Prot), flags, fdText(op.File), hexText(off)))
		return
	}
	var want hostvm.Addr
	var rerr error
	nonFixed := flags&(hostvm.MapFixed|hostvm.MapFixedNoReplace) == 0
	if serr == nil && nonFixed {
		// Placement may legitimately differ: the guest kernel maps where
		// QEMU did, which must have been free.
		want, rerr = s.ref.Mmap(hostvm.Addr(got), l, prot, flags|hostvm.MapFixedNoReplace, fd, off)
		if rerr != nil {
			what := "a range that is not free"
			if rerr != hostvm.EEXIST {
				what = "an address the guest kernel refuses (" + errString(rerr) + ")"
			}
			s.emitMmap(at, l, op, flags, fd, off, 0, rerr, true)
			s.fail("non-fixed mmap: QEMU placed it at %#x, %s", got, what)
			return
		}
		if uint64(got) < s.cfg.MmapMinAddr || got == 0 {
			s.emitMmap(at, l, op, flags, fd, off, uint64(want), nil, true)
			n := len(s.lines) - 1
			if strings.HasSuffix(s.lines[n], " = "+anySuccess) {
				s.lines[n] = strings.TrimSuffix(s.lines[n], anySuccess) + fmt.Sprintf("? (>= %#x)", s.cfg.MmapMinAddr)
			}
			s.fail("non-fixed mmap: QEMU placed it at %#x, below mmap_min_addr %#x", got, s.cfg.MmapMinAddr)
			return
		}
	} else {
		want, rerr = s.ref.Mmap(hostvm.Addr(addr), l, prot, flags, fd, off)
	}
	bind := serr == nil
	s.emitMmap(at, l, op, flags, fd, off, uint64(want), rerr, bind)
	switch {
	case serr != nil && rerr == nil && serr == hostvm.EINVAL && s.sharedFileFragment(addr, l, op, flags, off, uint64(want)):
		// QEMU cannot keep a writable shared file mapping coherent on a
		// host page it shares: a named divergence. Keep the guest kernel
		// as QEMU left the guest.
		s.Divergences["shared-file-fragment"]++
		s.ref = before
		s.reexpect(expectText(uint64(want), nil), "-1 EINVAL (Invalid argument)")
	case serr == hostvm.EINVAL && rerr == hostvm.EACCES && s.sharedFileFragment(addr, l, op, flags, off, uint64(want)):
		// The same refusal, made before the file's open mode is seen.
		s.Divergences["shared-file-fragment"]++
	case (serr == hostvm.EFAULT && op.File >= 0 || serr == hostvm.EACCES || serr == hostvm.EINVAL) && rerr == nil &&
		s.touchesOtherMappings(before, addr, l, op, got):
		// QEMU reads the file into a host page it shares with another
		// mapping whose backing refuses the write (a file past EOF).
		s.ref = before
		s.stop("mixed-host-page")
	case serr != nil && rerr == nil && !nonFixed && s.hostOwned(addr, l):
		// Without RESERVED_VA and with guest_base 0 the guest space is
		// QEMU's own: its stack, heap and binary are there, and QEMU
		// refuses to map over them; the host's space may also end first
		// (x86-64 Linux ends one page short of 128 TiB).
		s.ref = before
		s.Divergences["host-owned-range"]++
		s.reexpect(expectText(uint64(want), nil), expectText(0, serr))
	case serr != nil && nonFixed && rerr == hostvm.ENOMEM && serr != hostvm.ENOMEM:
		// The guest kernel found no room; QEMU's search did, and the
		// mapping then failed for a reason the guest kernel never reached.
		s.Divergences["placement-room"]++
		s.reexpect(expectText(0, rerr), expectText(0, serr))
	case serr != nil && rerr == nil && nonFixed && serr == hostvm.ENOMEM && !s.freeHostRange(before, l):
		// QEMU places whole host pages; only partly used ones are left.
		s.ref = before
		s.Divergences["placement-host-pages"]++
		s.reexpect(anySuccess, expectText(0, serr))
	case serr != nil && rerr == nil && nonFixed && serr == hostvm.ENOMEM:
		s.concrete(uint64(want), rerr)
		s.fail("non-fixed mmap: QEMU found no room, the guest kernel mapped it at %#x", uint64(want))
	case (serr == hostvm.EPERM || rerr == hostvm.EPERM) && addr < s.cfg.MmapMinAddr:
		// Below mmap_min_addr the answer depends on where guest_base puts
		// the range on the host.
		s.stop("mmap-min-addr")
	case (serr == nil) != (rerr == nil) || serr != nil && serr != rerr:
		s.concrete(uint64(want), rerr)
		s.fail("mmap: QEMU says %s, the guest kernel %s", errString(serr), errString(rerr))
	case serr == nil && uint64(got) != uint64(want):
		s.fail("mmap: QEMU returned %#x, the guest kernel %#x", got, uint64(want))
	case serr == nil:
		s.handles = append(s.handles, got)
		s.handleLens = append(s.handleLens, (l+s.t-1)&^(s.t-1))
		s.taint.Set(got/s.t, (got+l+s.t-1)/s.t, 0)
		s.snapshot.Set(got/s.t, (got+l+s.t-1)/s.t, 0)
		if op.File >= 0 {
			s.markSnapshots(got, l, off)
		}
		// QEMU writes the new fragments into host pages shared with
		// neighbours: private file neighbours become copies there.
		end := got + (l+s.t-1)&^(s.t-1)
		s.privateFileNeighbours(got&^(s.h-1), got)
		s.privateFileNeighbours(end, (end+s.h-1)&^(s.h-1))
	}
}

func (s *System) emitMmap(at string, l uint64, op Op, flags hostvm.MapFlags, fd int, off, want uint64, rerr error, bind bool) {
	prefix := ""
	if bind && rerr == nil {
		prefix = fmt.Sprintf("$m%d = ", len(s.handles))
	}
	exp := expectText(want, rerr)
	if rerr == nil && op.Place != PlaceFixed && op.Place != PlaceNoReplace {
		exp = anySuccess // placement may differ
	}
	s.emit(fmt.Sprintf("%smmap(%s, %s, %s, %v, %d, %s) = %s", prefix, at, hexText(l), protText(op.Prot), flags, fd, hexText(off), exp))
}

// sharedFileFragment reports whether a MAP_SHARED writable file mapping
// needs QEMU to emulate part of it: it starts or ends inside a host page
// shared with other guest pages, or its offset is not congruent with its
// address modulo the host page.
func (s *System) sharedFileFragment(addr, l uint64, op Op, flags hostvm.MapFlags, off, placed uint64) bool {
	if op.File < 0 || !op.Shared || op.Prot&uint8(hostvm.ProtWrite) == 0 {
		return false
	}
	if op.Place != PlaceFixed && op.Place != PlaceNoReplace {
		addr = placed
	}
	h := s.h
	return addr%h != off%h || addr%h != 0 || (addr+l)%h != 0
}

// markSnapshots records which pages of a file mapping at addr QEMU filled
// by reading the file: pages on host pages shared with other guest pages,
// and every page when the offset is not congruent modulo the host page.
func (s *System) markSnapshots(addr, l, off uint64) {
	h, t := s.h, s.t
	end := addr + ((l + t - 1) &^ (t - 1))
	if addr%h != off%h {
		s.snapshot.Set(addr/t, end/t, 1)
		return
	}
	if addr%h != 0 {
		s.snapshot.Set(addr/t, min(end, (addr+h)&^(h-1))/t, 1)
	}
	if end%h != 0 {
		s.snapshot.Set(max(addr, end&^(h-1))/t, end/t, 1)
	}
}

func (s *System) mremap(op Op) {
	a, at := s.resolve(op.At)
	oldLen := s.length(op.Pages, op.Extra)
	newLen := s.length(op.NewPages, 0)
	flags := remapFlags[int(op.Remap)%len(remapFlags)]
	to, toText := uint64(0), "0"
	if flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) != 0 {
		to, toText = s.resolve(op.To)
	}
	if flags&hostvm.MremapDontUnmap != 0 {
		newLen = oldLen
	}
	before := s.ref.Clone()
	sharedOld := s.notAnonPrivate(a)
	for _, m := range s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(a), End: hostvm.Addr(a + oldLen)}) {
		sharedOld = sharedOld || m.Shared || !m.Anonymous
	}
	oneRun := s.oneRun(a, min(oldLen, newLen)) // before the move changes the flags
	got, serr := s.sim.Mremap(a, oldLen, newLen, flags, to)
	line := func(want uint64, rerr error) {
		prefix := ""
		if serr == nil && rerr == nil {
			prefix = fmt.Sprintf("$m%d = ", len(s.handles))
		}
		exp := expectText(want, rerr)
		if rerr == nil && flags&hostvm.MremapMayMove != 0 && flags&hostvm.MremapFixed == 0 {
			exp = anySuccess
		}
		s.emit(fmt.Sprintf("%smremap(%s, %s, %s, %v, %s) = %s", prefix, at, hexText(oldLen), hexText(newLen), flags, toText, exp))
	}
	if s.abortCheck(serr) {
		line(0, nil)
		return
	}
	want, rerr := s.ref.Mremap(hostvm.Addr(a), oldLen, newLen, flags, hostvm.Addr(to))
	if serr == nil && rerr == nil && uint64(want) != got && flags&hostvm.MremapMayMove != 0 && flags&hostvm.MremapFixed == 0 {
		// The guest kernel moved it elsewhere (or kept it): redo it at
		// QEMU's address, which must be free.
		s.ref = before
		if got != a && len(s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(got), End: hostvm.Addr(got + newLen)})) > 0 {
			line(0, nil)
			s.fail("mremap: QEMU moved the mapping to %#x, which is in use", got)
			return
		}
		if got == a {
			line(uint64(want), rerr)
			s.fail("mremap: QEMU kept the mapping at %#x, the guest kernel moved it to %#x", got, uint64(want))
			return
		}
		want, rerr = s.ref.Mremap(hostvm.Addr(a), oldLen, newLen, flags|hostvm.MremapFixed, hostvm.Addr(got))
	}
	line(uint64(want), rerr)
	switch {
	case serr == hostvm.EINVAL && rerr != hostvm.EINVAL && sharedOld &&
		(a%s.h != 0 || oldLen%s.h != 0 || newLen%s.h != 0 || to%s.h != 0):
		// Shared and file memory cannot be moved in pieces smaller than a
		// host page: the host refuses.
		s.stop("mremap-shared-fragment")
	case (serr == hostvm.EPERM || rerr == hostvm.EPERM) && to < s.cfg.MmapMinAddr:
		s.stop("mmap-min-addr")
	case serr != rerr && (s.pastHostEnd(a, oldLen) || s.pastHostEnd(to, newLen) || s.pastHostEnd(a, newLen)):
		s.stop("host-space-end")
	case serr == hostvm.EFAULT && rerr == nil && s.hostSplits(a, min(oldLen, newLen)):
		// QEMU backs one guest mapping with several host mappings (file
		// data up to its end, anonymous memory after): the host refuses
		// to move across them.
		s.stop("host-vma-split")
	case serr != rerr && rerr == hostvm.EFAULT && oneRun:
		// The guest kernel has two VMAs there that differ only in what
		// QEMU does not record (madvise flags, backing): QEMU sees one.
		s.stop("vma-boundaries")
	case serr == hostvm.EINVAL && rerr == nil && flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) != 0 &&
		s.touchesOtherRange(before, to, newLen):
		// The destination shares a host page with a shared mapping.
		s.stop("mixed-host-page")
	case serr == hostvm.ENOMEM && rerr == nil && flags&hostvm.MremapMayMove == 0 && newLen > oldLen &&
		s.touchesOtherRange(before, a+oldLen, newLen-oldLen):
		// The pages it grows into share a host page with another mapping.
		s.stop("mixed-host-page")
	case (serr == nil) != (rerr == nil) || serr != nil && serr != rerr:
		s.concrete(uint64(want), rerr)
		s.fail("mremap: QEMU says %s, the guest kernel %s", errString(serr), errString(rerr))
	case serr == nil && got != uint64(want):
		s.fail("mremap: QEMU returned %#x, the guest kernel %#x", got, uint64(want))
	case serr == nil:
		s.handles = append(s.handles, got)
		s.handleLens = append(s.handleLens, newLen)
		// Snapshot and taint marks move with the pages.
		n := (min(oldLen, newLen) + s.t - 1) / s.t // the pages that moved
		if got != a && n > 0 {
			s.snapshot.Move(a/s.t, n, got/s.t)
			s.taint.Move(a/s.t, n, got/s.t)
		}
	}
}

func (s *System) load(op Op) {
	a, at := s.resolve(op.At)
	n := int(op.N)
	sb := make([]byte, n)
	rb := make([]byte, n)
	sn, sf := s.sim.Load(a, sb)
	rn, rf := s.ref.Read(hostvm.Addr(a), rb)
	if rf != nil {
		s.emit(fmt.Sprintf("peek(%s, %d) = %s", at, n, faultText(rf)))
	} else {
		s.emit(fmt.Sprintf("peek(%s, %d) = %s", at, n, quote(rb)))
	}
	s.compareAccess("load", a, sn, sf, rn, rf, sb, rb)
}

func (s *System) store(op Op) {
	a, at := s.resolve(op.At)
	n := int(op.N)
	data := bytes.Repeat([]byte{op.Byte}, n)
	sn, sf := s.sim.Store(a, data)
	rn, rf := s.ref.Write(hostvm.Addr(a), data)
	exp := ""
	if rf != nil {
		exp = " = " + faultText(rf)
	}
	s.emit(fmt.Sprintf("fill(%s, %d, %#x)%s", at, n, op.Byte, exp))
	s.compareAccess("store", a, sn, sf, rn, rf, nil, nil)
	if n := max(sn, rn); n > 0 {
		s.privatizedHostPages(a, uint64(n))
		if s.sharedSnapshot(a, uint64(n)) {
			// A shared file mapping QEMU emulated with a copy (mapped
			// read-only, made writable since): the store stays in the
			// copy, the guest kernel's reaches the file.
			s.stop("shared-file-fragment")
		}
	}
}

// sharedSnapshot reports whether [a, a+n) holds pages QEMU emulated with a
// copy that the guest kernel maps shared from a file.
func (s *System) sharedSnapshot(a, n uint64) bool {
	if !s.snapshot.Any(a/s.t, (a+n+s.t-1)/s.t) {
		return false
	}
	for _, m := range s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(a), End: hostvm.Addr(a + n)}) {
		if m.Shared && !m.Anonymous && s.snapshot.Any(max(uint64(m.Start), a)/s.t, (min(uint64(m.End), a+n)+s.t-1)/s.t) {
			return true
		}
	}
	return false
}

// privatizedHostPages marks as snapshots the private file pages sharing a
// host page with the stored-to range [a, a+n): the host copies whole host
// pages on a write, so they stop seeing changes to their file.
func (s *System) privatizedHostPages(a, n uint64) {
	s.privateFileNeighbours(a&^(s.h-1), (a+n+s.h-1)&^(s.h-1))
}

// privateFileNeighbours marks as snapshots the guest kernel's private file
// pages in [lo, hi).
func (s *System) privateFileNeighbours(lo, hi uint64) {
	if hi <= lo {
		return
	}
	for _, m := range s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(lo), End: hostvm.Addr(hi)}) {
		if !m.Shared && !m.Anonymous {
			s.snapshot.Set(max(uint64(m.Start), lo)/s.t, min(uint64(m.End), hi)/s.t, 1)
		}
	}
}

// compareAccess compares a load or store. Allowed divergences: the host
// MMU allows an access the guest's page forbids because its host page is
// shared with a page that allows it (protection-union); a page past
// end-of-file that the host's larger page makes readable, or the reverse
// (eof-host-page); contents of pages QEMU filled from a file and the file
// changed since (file-snapshot), or after an earlier divergence (taint).
func (s *System) compareAccess(kind string, a uint64, sn int, sf *hostvm.Fault, rn int, rf *hostvm.Fault, sb, rb []byte) {
	// Bytes both sides accessed must agree.
	common := min(sn, rn)
	if sb != nil && !bytes.Equal(sb[:common], rb[:common]) {
		i := 0
		for sb[i] == rb[i] {
			i++
		}
		p := s.word(a + uint64(i))
		if s.taint.Get(p/s.t) != 0 || s.snapshot.Get(p/s.t) != 0 && s.fileChanged {
			s.Divergences["file-snapshot"]++
		} else {
			s.fail("load: byte at %#x is %#x under QEMU, %#x on the guest kernel", p, sb[i], rb[i])
			return
		}
	}
	if sn == rn && (sf == nil) == (rf == nil) && (sf == nil || sf.Signal == rf.Signal) {
		return
	}
	// The first address where they part.
	p := s.word(a + uint64(common))
	switch {
	case sn > rn && rf != nil && rf.Signal == hostvm.SIGSEGV && s.guestForbids(p, kind):
		if kind == "store" && s.sharedHostMapping(p) {
			// The store reached a shared mapping's file or memory: its
			// effects are everywhere that file is mapped or read.
			s.stop("protection-union-shared")
			return
		}
		s.diverge("protection-union", p, p+1)
		if kind == "store" {
			s.diverge("protection-union", p&^(s.t-1), s.word(a+uint64(sn)))
		}
	case sn > rn && rf != nil && rf.Signal == hostvm.SIGBUS:
		s.diverge("eof-host-page", p, s.word(a+uint64(sn)))
	case sn == rn && sf != nil && rf != nil && s.guestForbids(p, kind):
		// Both fault, differently: the guest page is not accessible, and
		// its host page's other backing decides the signal.
		s.diverge("protection-union", p, p+1)
	case sn < rn && sf != nil && s.mixedHostPage(p) && !s.anonBus(p, sf):
		// One host page, one backing: a fragment shares the host page of
		// a mapping with another backing (a file past end-of-file, say).
		s.diverge("mixed-host-page", p, s.word(a+uint64(rn)))
	case sn < rn && sf != nil && sf.Signal == hostvm.SIGBUS && s.t > s.host.PageSize():
		s.diverge("eof-host-page", p, s.word(a+uint64(rn)))
	default:
		s.fail("%s at %#x: QEMU %s after %d bytes, the guest kernel %s after %d bytes", kind, a, faultString(sf), sn, faultString(rf), rn)
	}
}

// touchesOtherMappings reports whether the host pages of the new mapping
// hold pages of other mappings in the guest kernel k (before the call).
func (s *System) touchesOtherMappings(k *hostvm.Kernel, addr, l uint64, op Op, placed uint64) bool {
	if op.Place != PlaceFixed && op.Place != PlaceNoReplace {
		addr = placed
	}
	return s.touchesOtherRange(k, addr, l)
}

// touchesOtherRange reports whether the host pages of [addr, addr+l) hold
// pages of mappings outside that range in the guest kernel k.
func (s *System) touchesOtherRange(k *hostvm.Kernel, addr, l uint64) bool {
	lo, hi := addr&^(s.h-1), (addr+l+s.h-1)&^(s.h-1)
	for _, m := range k.MappingsIn(hostvm.Range{Start: hostvm.Addr(lo), End: hostvm.Addr(hi)}) {
		if uint64(m.Start) < addr || uint64(m.End) > addr+l {
			return true
		}
	}
	return false
}

// hostOwned reports whether host memory QEMU did not map for the guest
// (no guest page owns it) lies in guest range [a, a+l), or the range
// passes the end of the host's space.
func (s *System) hostOwned(a, l uint64) bool {
	lo := s.sim.G2H(a)
	if s.pastHostEnd(a, l) {
		return true
	}
	for _, m := range s.host.MappingsIn(hostvm.Range{Start: lo, End: lo + hostvm.Addr(l)}) {
		for p := max(m.Start, lo); p < min(m.End, lo+hostvm.Addr(l)); p += hostvm.Addr(s.t) {
			if s.sim.PageFlags(a+uint64(p-lo))&sim.PageValid == 0 {
				return true
			}
		}
	}
	return false
}

// freeHostRange reports whether the guest kernel k has a free range of l
// bytes (rounded up to host pages) on host-page boundaries, between
// mmap_min_addr and the end of the guest space.
func (s *System) freeHostRange(k *hostvm.Kernel, l uint64) bool {
	size := (l + s.h - 1) &^ (s.h - 1)
	at := (max(s.cfg.MmapMinAddr, s.h) + s.h - 1) &^ (s.h - 1)
	for _, m := range append(k.Maps(), hostvm.Mapping{Start: hostvm.Addr(s.spaceEnd), End: hostvm.Addr(s.spaceEnd)}) {
		if end := uint64(m.Start); end > at && end-at >= size {
			return true
		}
		at = max(at, (uint64(m.End)+s.h-1)&^(s.h-1))
	}
	return false
}

// pastHostEnd reports whether guest range [a, a+l) passes the end of the
// host's space (x86-64 Linux ends one page short of 128 TiB, a guest
// space of 47 bits does not).
func (s *System) pastHostEnd(a, l uint64) bool {
	return uint64(s.sim.G2H(a))+l > uint64(s.host.TaskSize())
}

// hostSplits reports whether the host has more mappings in guest range
// [a, a+l) than the guest kernel has.
func (s *System) hostSplits(a, l uint64) bool {
	r := hostvm.Range{Start: s.sim.G2H(a), End: s.sim.G2H(a) + hostvm.Addr(l)}
	return len(s.host.MappingsIn(r)) > len(s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(a), End: hostvm.Addr(a + l)}))
}

// oneRun reports whether QEMU's page flags show [a, a+l) as one run of
// equal flags.
func (s *System) oneRun(a, l uint64) bool {
	rs := s.sim.FlagRunsIn(a, a+l)
	return len(rs) == 1 && rs[0].Start <= a && rs[0].End >= a+l
}

// notAnonPrivate reports whether the guest kernel's mapping at a is shared
// or file-backed.
func (s *System) notAnonPrivate(a uint64) bool {
	m, ok := s.ref.Lookup(hostvm.Addr(a))
	return ok && (m.Shared || !m.Anonymous)
}

// sharedHostMapping reports whether QEMU's host memory at guest address p
// is a shared mapping.
func (s *System) sharedHostMapping(p uint64) bool {
	m, ok := s.host.Lookup(s.sim.G2H(p))
	return ok && m.Shared
}

// anonBus reports whether fault f at guest page p is a SIGBUS where the
// guest kernel has anonymous memory, which never has one: QEMU wrote a
// fragment into a host page of a file past its end.
func (s *System) anonBus(p uint64, f *hostvm.Fault) bool {
	m, ok := s.ref.Lookup(hostvm.Addr(p))
	return f.Signal == hostvm.SIGBUS && ok && m.Anonymous
}

// mixedHostPage reports whether the host page holding guest page p holds
// pages of more than one guest mapping (or unmapped pages too).
func (s *System) mixedHostPage(p uint64) bool {
	lo := p &^ (s.h - 1)
	ms := s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(lo), End: hostvm.Addr(lo + s.h)})
	return len(ms) != 1 || uint64(ms[0].Start) > lo || uint64(ms[0].End) < lo+s.h
}

func faultString(f *hostvm.Fault) string {
	if f == nil {
		return "completes"
	}
	return "faults with " + f.Error()
}

// guestForbids reports whether QEMU's own page flags forbid the access at
// p (so only the host page's permissions let it through).
func (s *System) guestForbids(p uint64, kind string) bool {
	f := s.sim.PageFlags(p)
	if f&sim.PageValid == 0 {
		return true
	}
	if kind == "store" {
		return f&sim.PageWrite == 0
	}
	return f&(sim.PageRead|sim.PageWrite|sim.PageExec) == 0
}

func (s *System) fileWrite(op Op) {
	fi := int(op.At.Base) % len(files)
	if files[fi].flags == hostvm.ORdOnly {
		fi = 0
	}
	off := uint64(op.At.Page&0x3f)*s.t + uint64(op.At.Byte)
	n := int(op.N%256) + 1
	data := bytes.Repeat([]byte{op.Byte}, n)
	fd := 3 + fi
	sn, serr := s.host.FilePwrite(fd, data, int64(off))
	rn, rerr := s.ref.FilePwrite(fd, data, int64(off))
	s.emit(fmt.Sprintf("pwrite64(%d, %s, %d, %s) = %s", fd, quote(data), n, hexText(off), expectText(uint64(rn), rerr)))
	if sn != rn || serr != rerr {
		s.fail("pwrite: %d/%v under QEMU, %d/%v on the guest kernel", sn, serr, rn, rerr)
	}
	s.fileChanged = true
}

func (s *System) ftruncate(op Op) {
	fi := int(op.At.Base) % len(files)
	if files[fi].flags == hostvm.ORdOnly {
		fi = 1
	}
	size := uint64(op.At.Page&0x1f)*s.t + uint64(op.At.Byte)
	fd := 3 + fi
	serr := s.host.Ftruncate(fd, int64(size))
	rerr := s.ref.Ftruncate(fd, int64(size))
	s.emit(fmt.Sprintf("ftruncate(%d, %s) = %s", fd, hexText(size), expectText(0, rerr)))
	if serr != rerr {
		s.fail("ftruncate: %v under QEMU, %v on the guest kernel", serr, rerr)
	}
	s.fileChanged = true
}

// check verifies the invariants after an operation: the host kernel's
// own, QEMU's page flags against the host (CheckAgreement) and against the
// guest kernel's mappings (the guest's view of which pages exist, with
// which protection).
func (s *System) check() {
	if err := s.host.CheckInvariants(); err != nil {
		s.fail("host kernel invariants: %v", err)
		return
	}
	if err := s.ref.CheckInvariants(); err != nil {
		s.fail("reference kernel invariants: %v", err)
		return
	}
	if err := s.sim.CheckAgreement(); err != nil {
		s.fail("%v", err)
		return
	}
	s.compareViews()
}

// compareViews compares QEMU's page flags with the guest kernel's VMAs.
func (s *System) compareViews() {
	type seg struct {
		start, end uint64
		prot       uint32
	}
	var want, got []seg
	for _, m := range s.ref.Maps() {
		want = append(want, seg{uint64(m.Start), uint64(m.End), uint32(m.Prot)})
	}
	for _, r := range s.sim.FlagRuns() {
		got = append(got, seg{r.Start, r.End, r.Flags & sim.PageBits})
	}
	norm := func(v []seg) []seg {
		sort.Slice(v, func(i, j int) bool { return v[i].start < v[j].start })
		var out []seg
		for _, x := range v {
			if n := len(out); n > 0 && out[n-1].end == x.start && out[n-1].prot == x.prot {
				out[n-1].end = x.end
				continue
			}
			out = append(out, x)
		}
		return out
	}
	want, got = norm(want), norm(got)
	if len(want) == len(got) {
		same := true
		for i := range want {
			if want[i] != got[i] {
				same = false
				break
			}
		}
		if same {
			return
		}
	}
	// Find the first page where they differ, for the message.
	describe := func(v []seg) string {
		var parts []string
		for i, x := range v {
			if i == 6 {
				parts = append(parts, "...")
				break
			}
			parts = append(parts, fmt.Sprintf("%#x-%#x %v", x.start, x.end, hostvm.Prot(x.prot)))
		}
		return strings.Join(parts, ", ")
	}
	s.fail("the guest's mappings differ: QEMU's page flags [%s], the guest kernel [%s]", describe(got), describe(want))
	// End the counterexample with an access that shows the difference
	// where one does, so that it replays as a failing scenario.
	protAt := func(v []seg, p uint64) uint32 {
		for _, x := range v {
			if x.start <= p && p < x.end {
				return x.prot
			}
		}
		return 0
	}
	var bounds []uint64
	for _, x := range append(append([]seg{}, want...), got...) {
		bounds = append(bounds, x.start, x.end-s.t)
	}
	sort.Slice(bounds, func(i, j int) bool { return bounds[i] < bounds[j] })
	for _, p := range bounds {
		w, g := protAt(want, p), protAt(got, p)
		var line string
		switch {
		case (w^g)&uint32(hostvm.ProtRead) != 0:
			b := make([]byte, 1)
			if _, f := s.ref.Read(hostvm.Addr(p), b); f != nil {
				line = fmt.Sprintf("peek(%#x, 1) = %s", p, faultText(f))
			} else {
				line = fmt.Sprintf("peek(%#x, 1) = %s", p, quote(b))
			}
		case (w^g)&uint32(hostvm.ProtWrite) != 0:
			if _, f := s.ref.Write(hostvm.Addr(p), []byte{0}); f != nil {
				line = fmt.Sprintf("fill(%#x, 1, 0x0) = %s", p, faultText(f))
			} else {
				line = fmt.Sprintf("fill(%#x, 1, 0x0)", p)
			}
		default:
			continue
		}
		s.emit(line)
		s.failLine = len(s.lines)
		return
	}
}

package props

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
)

// abortCheck fails the run if QEMU aborted.
func (s *System) abortCheck(err error) bool {
	if a, ok := err.(*sim.Abort); ok {
		if allow(s, []rule[*abortOutcome](nil), &abortOutcome{op: s.current(), abort: a}) {
			return true
		}
		s.fail("QEMU aborted: %v", a)
		return true
	}
	return false
}

// compareAccess compares a load or a store: the bytes both systems
// accessed (loads), then how far each got and how it stopped. Where they
// differ, accessRules (and byteRules, for the bytes) name the divergence
// or the run fails.
//
// Preconditions: for a load, qemuBuf and kernelBuf hold what each system
// read; for a store, both are nil.
func (s *System) compareAccess(o *accessOutcome, qemuBuf, kernelBuf []byte) {
	// Bytes both sides accessed must agree.
	common := min(o.qemuN, o.kernelN)
	if qemuBuf != nil && !bytes.Equal(qemuBuf[:common], kernelBuf[:common]) {
		i := 0
		for qemuBuf[i] == kernelBuf[i] {
			i++
		}
		at := s.word(o.addr + uint64(i))
		if !allow(s, byteRules, &byteOutcome{at: at}) {
			s.fail("load: byte at %#x is %#x under QEMU, %#x on the guest kernel", at, qemuBuf[i], kernelBuf[i])
			return
		}
	}
	qf, kf := o.qemuFault, o.kernelFault
	if o.qemuN == o.kernelN && (qf == nil) == (kf == nil) && (qf == nil || qf.Signal == kf.Signal) {
		return
	}
	o.parted = s.word(o.addr + uint64(common))
	if !allow(s, accessRules, o) {
		s.fail("%s at %#x: QEMU %s after %d bytes, the guest kernel %s after %d bytes",
			o.kind, o.addr, faultString(qf), o.qemuN, faultString(kf), o.kernelN)
	}
}

// sweepAfter compares the contents of the guest pages op could have
// changed: its range (and the destination of a move), widened to whole host
// pages so neighbours sharing a host page are included; every mapping of a
// file it wrote. Large ranges are sampled at both ends.
func (s *System) sweepAfter(op Op) {
	ranges := s.sweepSpans[:0]
	defer func() { s.sweepSpans = ranges[:0] }()
	widen := func(addr, length uint64) { ranges = s.widenSpan(ranges, addr, length) }
	switch op.Kind {
	case OpLoad:
		return
	case OpFileWrite, OpFtruncate:
		for _, m := range s.ref.Maps() {
			if m.Inode != 0 {
				ranges = append(ranges, span{uint64(m.Start), uint64(m.End)})
			}
		}
	case OpStore:
		addr, _ := s.resolve(op.At)
		widen(addr, uint64(op.N))
	case OpBrk:
		start := s.sim.BrkStart()
		widen(start, max(s.brk, start)-start+s.hostPage)
	default:
		addr, _ := s.resolve(op.At)
		widen(addr, max(s.opLen(op), s.opNewLen(op)))
		if op.Kind == OpMremap || op.Kind == OpMmap {
			if n := len(s.handles); n > 0 {
				widen(s.handles[n-1], max(s.opLen(op), s.opNewLen(op)))
			}
			to, _ := s.resolve(op.To)
			widen(to, s.opNewLen(op))
		}
	}
	for _, r := range ranges {
		if !s.sweep(r.start, r.end) {
			return
		}
	}
}

// sweep compares readable guest pages in [start, end) that the guest kernel
// has mapped; at most 32 pages at each end of a long range. It returns
// false once the run has failed.
//
// Preconditions: start < end.
func (s *System) sweep(start, end uint64) bool {
	t := s.targetPage
	// The mappings go in the run's buffer, taken while in use.
	ms := s.ref.AppendMappingsIn(s.sweepMaps[:0], hostvm.Range{Start: hostvm.Addr(start), End: hostvm.Addr(end)})
	s.sweepMaps = nil
	defer func() { s.sweepMaps = ms[:0] }()
	for _, m := range ms {
		if m.Prot&hostvm.ProtRWX == 0 {
			continue
		}
		lo, hi := max(uint64(m.Start), start), min(uint64(m.End), end)
		if hi-lo > 64*t {
			if !s.comparePages(lo, lo+32*t) || !s.comparePages(hi-32*t, hi) {
				return false
			}
		} else if !s.comparePages(lo, hi) {
			return false
		}
	}
	return true
}

// comparePage compares the guest page at p, unless its contents are
// already known to differ (unknownPage). Where they differ, pageDiffers
// decides. It returns false once the run has failed.
//
// Preconditions: p is a target page the guest kernel maps readable;
// qemuBuf and kernelBuf are a target page long.
func (s *System) comparePage(p uint64, qemuBuf, kernelBuf []byte) bool {
	if s.unknownPage(p) {
		return true
	}
	kernelN, kernelFault := s.ref.Read(hostvm.Addr(p), kernelBuf)
	if kernelFault != nil {
		return true // past end-of-file: loads compare it
	}
	qemuN, qemuFault := s.sim.Load(p, qemuBuf)
	if qemuFault == nil && qemuN == kernelN && bytes.Equal(qemuBuf, kernelBuf) {
		return true
	}
	return s.pageDiffers(p, qemuFault, qemuBuf, kernelBuf)
}

// pageDiffers handles the guest page at p, whose contents differ between
// the systems (or which faults under QEMU, qemuFault): pageRules name the
// divergence or the run fails, ending the scenario with a read that shows
// the difference. It returns false once the run has failed.
//
// Preconditions: kernelBuf holds the page as the guest kernel reads it;
// qemuBuf, as QEMU reads it, where qemuFault is nil; both are a target
// page long.
func (s *System) pageDiffers(p uint64, qemuFault *hostvm.Fault, qemuBuf, kernelBuf []byte) bool {
	if allow(s, pageRules, &pageOutcome{page: p, qemuFault: qemuFault}) {
		return true
	}
	i := 0
	for qemuFault == nil && i < len(qemuBuf) && qemuBuf[i] == kernelBuf[i] {
		i++
	}
	i &^= 15
	n := min(16, len(kernelBuf)-i)
	s.emitQuoted(kernelBuf[i:i+n], "peek(%v, %d) = ", hexArg(p+uint64(i)), n)
	if qemuFault != nil {
		s.fail("page %#x faults under QEMU (%v) but reads on the guest kernel", p, qemuFault)
	} else {
		for qemuBuf[i] == kernelBuf[i] {
			i++
		}
		s.fail("byte at %#x is %#x under QEMU, %#x on the guest kernel", p+uint64(i), qemuBuf[i], kernelBuf[i])
	}
	return false
}

// checkAccessOK compares QEMU's access_ok() for n bytes at addr (what a
// system call checks of a guest buffer) with the guest kernel's mappings:
// every byte mapped, readable (writable for a write), the range not
// wrapping the guest's word. Where they disagree, a rule may name it (QEMU
// 11.1's and the seed's VERIFY_WRITE asks for read access too).
//
// An algorithm with its own layout (box64) has no access_ok: the host
// kernel checks a system call's buffers against host pages, and the
// catalogue names what loads and stores show of those.
func (s *System) checkAccessOK(addr, n uint64, write bool) {
	if s.failure != "" || s.ownLayout() {
		return
	}
	need := hostvm.ProtRead
	if write {
		need = hostvm.ProtWrite
	}
	qemu, kernel := s.sim.AccessOK(addr, n, write), s.refAllows(addr, n, need)
	if qemu == kernel {
		return
	}
	if !allow(s, accessOKRules, &accessOKOutcome{addr: addr, n: n, write: write, qemu: qemu, kernel: kernel}) {
		s.fail("%s(%#x, %d, write=%v): QEMU says %v, the guest kernel's mappings %v", accessOKCall, addr, n, write, qemu, kernel)
	}
}

// accessOKCall begins the failure message of checkAccessOK.
const accessOKCall = "access_ok"

// refAllows says whether the guest kernel's mappings allow n bytes at addr
// with protection need: every byte mapped with all of need, the range
// inside the guest's word without wrapping.
func (s *System) refAllows(addr, n uint64, need hostvm.Prot) bool {
	if n == 0 {
		return true
	}
	end := addr + n
	if end < addr || end-1 > s.wordMask {
		return false
	}
	at := addr
	s.accessMaps = s.ref.AppendMappingsIn(s.accessMaps[:0], hostvm.Range{Start: hostvm.Addr(addr), End: hostvm.Addr(end)})
	for _, m := range s.accessMaps {
		if uint64(m.Start) > at || m.Prot&need != need {
			break
		}
		at = uint64(m.End)
	}
	return at >= end
}

// checkInvariants verifies the invariants after an operation, failed
// ones included: the host kernel's own and the reference's (every few
// operations, touched.go), QEMU's page flags against the host
// (CheckAgreement over what the operation touched: every valid guest page
// mapped with its protection, no host page without a valid guest page,
// the RESERVED_VA reservation whole and alone), and the mmap lock
// released.
func (s *System) checkInvariants() {
	if err := s.checkKernels(); err != nil {
		s.fail("%v", err)
		return
	}
	if err := s.checkAgreement(); err != nil {
		if !allow(s, []rule[*agreementOutcome](nil), &agreementOutcome{op: s.current(), err: err}) {
			s.fail("%v", err)
		}
		return
	}
	if l, ok := s.sim.(interface{ LockCount() int }); ok && l.LockCount() != 0 {
		s.fail("the mmap lock is held %d times after the call (mmap_lock without mmap_unlock)", l.LockCount())
		return
	}
	if f, ok := s.sim.(forker); ok && f.Aborted() == nil {
		// A fork between two calls: mmap_fork_start takes the lock,
		// mmap_fork_end frees it in the parent and in the child alike.
		if err := f.ForkStart(); err != nil {
			s.fail("mmap_fork_start between calls, with the lock free: %v", err)
			return
		}
		f.ForkEnd(len(s.handles)%2 == 0) // the child or the parent, as the calls go
		if n := f.LockCount(); n != 0 {
			s.fail("the mmap lock is held %d times after a fork (mmap_fork_start without mmap_fork_end's unlock)", n)
			return
		}
	}
	if s.ownLayout() {
		if err := s.hostHoldsGuestPages(); err != nil {
			if !allow(s, []rule[*agreementOutcome](nil), &agreementOutcome{op: s.current(), err: err}) {
				s.fail("%v", err)
			}
		}
	}
}

// forker is an algorithm that models mmap_fork_start and mmap_fork_end
// (the seed family).
type forker interface {
	ForkStart() error
	ForkEnd(child bool)
	LockCount() int
	Aborted() *sim.Abort
}

// viewSeg is a run of guest pages with one protection, in either view.
type viewSeg struct {
	start, end uint64
	prot       uint32
}

// normalize sorts segs and merges adjacent segments of equal protection,
// in place.
func normalize(segs []viewSeg) []viewSeg {
	slices.SortFunc(segs, func(a, b viewSeg) int { return cmp.Compare(a.start, b.start) })
	out := segs[:0]
	for _, x := range segs {
		if n := len(out); n > 0 && out[n-1].end == x.start && out[n-1].prot == x.prot {
			out[n-1].end = x.end
			continue
		}
		out = append(out, x)
	}
	return out
}

// describeView renders the first six segments, for a failure message.
func describeView(segs []viewSeg) string {
	var parts []string
	for i, x := range segs {
		if i == 6 {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, fmt.Sprintf("%#x-%#x %v", x.start, x.end, hostvm.Prot(x.prot)))
	}
	return strings.Join(parts, ", ")
}

// protAt is the protection segs give address p (0 where none covers it).
func protAt(segs []viewSeg, p uint64) uint32 {
	for _, x := range segs {
		if x.start <= p && p < x.end {
			return x.prot
		}
	}
	return 0
}

// compareViews compares QEMU's page flags with the guest kernel's VMAs.
func (s *System) compareViews() {
	var want, got []viewSeg
	if s.spansOnly() {
		// Into the run's buffers: nothing keeps the views past the next
		// operation, which clears the outcome holding them.
		want, got = s.viewsIn(s.touchedSpans(), s.viewWant[:0], s.viewGot[:0]) // touched.go
		defer func() { s.viewWant, s.viewGot = want[:0], got[:0] }()
	} else {
		for _, m := range s.ref.Maps() {
			want = append(want, viewSeg{uint64(m.Start), uint64(m.End), uint32(m.Prot)})
		}
		for _, r := range s.sim.FlagRuns() {
			got = append(got, viewSeg{r.Start, r.End, r.Flags & sim.PageBits})
		}
		want, got = normalize(want), normalize(got)
	}
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
	if allow(s, []rule[*viewsOutcome](nil), &viewsOutcome{op: s.current(), want: want, got: got}) {
		return
	}
	missed := ""
	if !s.spansOnly() && s.viewsMissed() {
		missed = "the whole-space check found what the touched spans missed: "
	}
	s.fail("%sthe guest's mappings differ: QEMU's page flags [%s], the guest kernel [%s]", missed, describeView(got), describeView(want))
	s.showViewDifference(want, got)
}

// showViewDifference ends the counterexample with an access that shows the
// difference between the views where one does, so that it replays as a
// failing scenario.
func (s *System) showViewDifference(want, got []viewSeg) {
	var bounds []uint64
	for _, x := range append(append([]viewSeg{}, want...), got...) {
		bounds = append(bounds, x.start, x.end-s.targetPage)
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

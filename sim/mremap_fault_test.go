package sim

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// munmapFailsHost is a host whose munmap fails with a chosen errno once
// armed, as a real host's does when splitting a mapping would pass
// vm.max_map_count (ENOMEM). Everything else is passed through.
type munmapFailsHost struct {
	Host
	armed bool
	errno hostvm.Errno
}

func (h *munmapFailsHost) Munmap(addr hostvm.Addr, length uint64) error {
	if h.armed {
		return h.errno
	}
	return h.Host.Munmap(addr, length)
}

func (h *munmapFailsHost) CloneHost() Host {
	return &munmapFailsHost{Host: h.Host.CloneHost(), armed: h.armed, errno: h.errno}
}

// TestMremapReportsHostMunmapErrno: when the host's munmap fails inside
// mremap (the tail of a shrink, or the destination of MREMAP_FIXED), the
// guest sees the host's errno, on a host whose pages fit the guest's (the
// shrink handed to target_munmap) and on one whose pages do not (the
// emulated mremap of private anonymous memory).
func TestMremapReportsHostMunmapErrno(t *testing.T) {
	cases := []struct {
		name     string
		hostPage uint64
		oldLen   uint64
		newLen   uint64
		flags    hostvm.MremapFlags
		newAddr  uint64
	}{
		{"shrink, H = T", 0x1000, 0x3000, 0x1000, 0, 0},
		{"shrink, H = 16T", 0x10000, 0x23000, 0x1000, 0, 0},
		{"shrink and move, H = 16T", 0x10000, 0x23000, 0x1000, hostvm.MremapMayMove | hostvm.MremapFixed, 0x30000000},
		{"move to a fixed place, H = 16T", 0x10000, 0x3000, 0x3000, hostvm.MremapMayMove | hostvm.MremapFixed, 0x30000000},
	}
	for _, c := range cases {
		for _, errno := range []hostvm.Errno{hostvm.ENOMEM, hostvm.EINVAL} {
			host := &munmapFailsHost{errno: errno}
			s, _ := newSimOver(t, c.hostPage, 0, QuirkSet{}, func(h Host) Host { host.Host = h; return host })
			a := mustMmap(t, s, 0x20000000, c.oldLen, rw, anon|hostvm.MapFixed)
			host.armed = true
			got, err := s.Mremap(a, c.oldLen, c.newLen, c.flags, c.newAddr)
			if err != errno {
				t.Errorf("%s, host munmap failing with %v: mremap = %#x, %v; want the host's errno\n%s", c.name, errno, got, err, calls(s))
			}
		}
	}
}

// TestSeedMremapFitCheckAfterFailure: on the seed's own mremap path
// (QuirkMremapUnchecked, QuirkMremapHostPages), the check that a moved
// mapping fits the guest space (seed line 745, QuirkMremapFitHostAddr)
// runs after a failed host mremap too, with MAP_FAILED as the address:
// (unsigned long)-1 + new_size wraps to new_size - 1, which fits, so the
// host's failure stands, with no second host mremap to revert anything.
// The new_address argument, which Linux ignores without MREMAP_FIXED,
// names the mapping in the way: the fix's view of what the host unmapped
// before failing (mremap-fail-flags off) must leave it alone.
func TestSeedMremapFitCheckAfterFailure(t *testing.T) {
	k, err := hostvm.New(hostvm.Config{PageSize: 0x1000, AddrBits: 47})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(KernelHost{k}, Config{ProbeGuestBase: true, Quirks: QuirkSet{}.With(QuirkMremapFitHostAddr).With(QuirkMremapUnchecked).With(QuirkMremapHostPages)})
	if err != nil {
		t.Fatal(err)
	}
	a := mustMmap(t, s, 0x10000000, 0x1000, rw, anon|hostvm.MapFixed)
	b := mustMmap(t, s, a+0x1000, 0x1000, protRead, anon|hostvm.MapFixed) // in the way of growing in place
	if _, err := s.Mremap(a, 0x1000, 0x2000, 0, b); err != hostvm.ENOMEM {
		t.Fatalf("mremap growing into a mapping = %v, want ENOMEM", err)
	}
	n := 0
	for _, c := range s.LastHostCalls() {
		if c.Op == OpMremap {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d host mremaps, want 1 (the one that failed)\n%s", n, calls(s))
	}
	if f := s.PageFlags(b); f&PageValid == 0 {
		t.Errorf("after the failed mremap, the page in the way has flags %#x, want it valid", f)
	}
}

// mremapFailsLateHost is a host whose MREMAP_FIXED mremap, once armed,
// unmaps the destination and then fails with ENOMEM, as Linux's
// mremap_to() can (it unmaps the destination first).
type mremapFailsLateHost struct {
	Host
	armed bool
}

func (h *mremapFailsLateHost) Mremap(old hostvm.Addr, oldSize, newSize uint64, flags hostvm.MremapFlags, newAddr hostvm.Addr) (hostvm.Addr, error) {
	if h.armed && flags&hostvm.MremapFixed != 0 {
		if err := h.Host.Munmap(newAddr, newSize); err != nil {
			return 0, err
		}
		return 0, hostvm.ENOMEM
	}
	return h.Host.Mremap(old, oldSize, newSize, flags, newAddr)
}

func (h *mremapFailsLateHost) CloneHost() Host {
	return &mremapFailsLateHost{Host: h.Host.CloneHost(), armed: h.armed}
}

// newSimOver is a Sim with RESERVED_VA reserved (0: none) and quirks on a
// host kernel of hostPage pages that wrap wraps (a host refusing calls).
func newSimOver(t *testing.T, hostPage, reserved uint64, quirks QuirkSet, wrap func(Host) Host) (*Sim, *hostvm.Kernel) {
	t.Helper()
	k, err := hostvm.New(hostvm.Config{PageSize: hostPage, AddrBits: 47})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(wrap(KernelHost{k}), Config{ProbeGuestBase: true, ReservedVA: reserved, Quirks: quirks})
	if err != nil {
		t.Fatal(err)
	}
	return s, k
}

// newLateFailSim is a Sim with RESERVED_VA reserved over a 4K host whose
// MREMAP_FIXED mremap fails late once armed (mremapFailsLateHost).
func newLateFailSim(t *testing.T, reserved uint64) (*Sim, *mremapFailsLateHost) {
	t.Helper()
	host := &mremapFailsLateHost{}
	s, _ := newSimOver(t, 0x1000, reserved, QuirkSet{}, func(h Host) Host { host.Host = h; return host })
	return s, host
}

// TestMremapLateFailureKeepsReservation: under RESERVED_VA, when the
// host's MREMAP_FIXED mremap fails after unmapping the destination, the
// guest's view loses the destination's pages and the reservation gets its
// placeholders back, no more: the guest and the host agree, the
// reservation whole and nothing mapped past it. The destination is in the
// middle of the space, and at its top.
func TestMremapLateFailureKeepsReservation(t *testing.T) {
	const reserved = 0xf7000000
	for _, dest := range []uint64{0x30000000, reserved - 0x3000} {
		s, host := newLateFailSim(t, reserved)
		a := mustMmap(t, s, 0x20000000, 0x3000, rw, anon|hostvm.MapFixed)
		b := mustMmap(t, s, dest, 0x3000, protRead, anon|hostvm.MapFixed)
		host.armed = true
		if _, err := s.Mremap(a, 0x3000, 0x3000, hostvm.MremapMayMove|hostvm.MremapFixed, b); err != hostvm.ENOMEM {
			t.Fatalf("mremap to %#x = %v, want the host's ENOMEM\n%s", b, err, calls(s))
		}
		if f := s.PageFlags(b); f != 0 {
			t.Errorf("the destination %#x the host unmapped has page flags %#x, want none", b, f)
		}
		if err := s.CheckAgreement(); err != nil {
			t.Errorf("after the failed mremap to %#x: %v\n%s", b, err, calls(s))
		}
	}
}

// TestMremapPlacedLateFailureKeepsReservation: under RESERVED_VA, a
// move QEMU places itself (MREMAP_MAYMOVE without MREMAP_FIXED) reaches
// the host as MREMAP_FIXED to the place mmap_find_vma found, over the
// reservation's placeholders there. When the host unmaps them and then
// fails, the reservation gets them back: nothing of the guest's view
// changed, and the guest and the host agree, the reservation whole.
func TestMremapPlacedLateFailureKeepsReservation(t *testing.T) {
	const reserved = 0xf7000000
	s, host := newLateFailSim(t, reserved)
	a := mustMmap(t, s, 0x20000000, 0x3000, rw, anon|hostvm.MapFixed)
	mustMmap(t, s, a+0x3000, 0x1000, protRead, anon|hostvm.MapFixed) // no growing in place
	before := s.FlagRuns()
	host.armed = true
	if _, err := s.Mremap(a, 0x3000, 0x5000, hostvm.MremapMayMove, 0); err != hostvm.ENOMEM {
		t.Fatalf("mremap(%#x, 0x3000, 0x5000, MREMAP_MAYMOVE) = %v, want the host's ENOMEM\n%s", a, err, calls(s))
	}
	if after := s.FlagRuns(); !slices.Equal(after, before) {
		t.Errorf("the failed move changed the page flags:\nbefore %v\nafter  %v", before, after)
	}
	if err := s.CheckAgreement(); err != nil {
		t.Errorf("after the failed move: %v\n%s", err, calls(s))
	}
}

// mmapFailsNthHost is a host whose n-th mmap, counted once armed, fails
// with ENOMEM, as a host out of memory or of map count refuses it.
type mmapFailsNthHost struct {
	Host
	armed bool
	n     int
}

func (h *mmapFailsNthHost) Mmap(addr hostvm.Addr, length uint64, prot hostvm.Prot, flags hostvm.MapFlags, fd int, off uint64) (hostvm.Addr, error) {
	if h.armed {
		if h.n--; h.n == 0 {
			return 0, hostvm.ENOMEM
		}
	}
	return h.Host.Mmap(addr, length, prot, flags, fd, off)
}

// TestEmulatedMoveFailureGivesBackReservation: on a 64K host without
// RESERVED_VA, a move of private anonymous memory that QEMU emulates and
// places itself finds its destination with mmap_find_vma, which leaves a
// PROT_NONE host reservation there. When the target_mmap of the
// destination is refused, the reservation goes too: the host maps what it
// did before the call, and the guest's view is unchanged.
func TestEmulatedMoveFailureGivesBackReservation(t *testing.T) {
	const hp = 0x10000
	host := &mmapFailsNthHost{}
	s, k := newSimOver(t, hp, 0, QuirkSet{}, func(h Host) Host { host.Host = h; return host })
	a := mustMmap(t, s, 0x20000000, 0x3000, rw, anon|hostvm.MapFixed)
	mustMmap(t, s, a+0x3000, 0x1000, protRead, anon|hostvm.MapFixed) // no growing in place
	flags, maps := s.FlagRuns(), k.MapsString()
	host.armed, host.n = true, 2 // mmap_find_vma's reservation, then the destination's mmap
	if _, err := s.Mremap(a, 0x3000, 0x5000, hostvm.MremapMayMove, 0); err != hostvm.ENOMEM {
		t.Fatalf("mremap(%#x, 0x3000, 0x5000, MREMAP_MAYMOVE) = %v, want the host's ENOMEM\n%s", a, err, calls(s))
	}
	if after := s.FlagRuns(); !slices.Equal(after, flags) {
		t.Errorf("the failed move changed the page flags:\nbefore %v\nafter  %v", flags, after)
	}
	if after := k.MapsString(); after != maps {
		t.Errorf("the failed move left the host mapping\n%s\nwhere it mapped\n%s\n%s", after, maps, calls(s))
	}
}

// TestMremapDestinationWrapsWord: with QEMU 7.2's guest space the whole
// 64-bit word (QuirkGuestSpaceWord), an MREMAP_FIXED destination whose
// range wraps past 2^64 is refused by guest_range_valid_untagged, ENOMEM
// (7.2's target_mremap), not by Linux's TASK_SIZE check, which has no
// bound to apply to a space that is the whole word.
func TestMremapDestinationWrapsWord(t *testing.T) {
	k, err := hostvm.New(hostvm.Config{PageSize: 0x1000, AddrBits: 47})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(KernelHost{k}, Config{ABIBits: 64, VirtBits: 47, ProbeGuestBase: true, Quirks: QuirkSet{}.With(QuirkGuestSpaceWord)})
	if err != nil {
		t.Fatal(err)
	}
	a := mustMmap(t, s, 0x20000000, 0x2000, rw, anon|hostvm.MapFixed)
	if _, err := s.Mremap(a, 0x2000, 0x2000, hostvm.MremapMayMove|hostvm.MremapFixed, ^uint64(0)-0xfff); err != hostvm.ENOMEM {
		t.Errorf("mremap to a destination wrapping the word = %v, want ENOMEM\n%s", err, calls(s))
	}
}

// TestMremapGrowIntoSameFile: two shared mappings of one file side by side
// at offsets that do not follow each other (two host mappings of the same
// object, whose guest pages are one run of page flags) on a 64K host:
// growing the first meets the second. In place that is ENOMEM, as on
// Linux; with MREMAP_MAYMOVE the first moves, grown. The second is not a
// fragment of another object (mmap_frag's, which would be EINVAL).
func TestMremapGrowIntoSameFile(t *testing.T) {
	const hp = 0x10000
	for _, flags := range []hostvm.MremapFlags{0, hostvm.MremapMayMove} {
		s, k := newTestSim(t, hp, 0, 0, QuirkSet{})
		fd := mustFile(t, k, "f", 8*hp)
		x := mustMmap(t, s, 0, 2*hp, 0, anon)
		for i, off := range []uint64{0, 3 * hp} {
			if _, err := s.Mmap(x+uint64(i)*hp, hp, rw, hostvm.MapShared|hostvm.MapFixed, fd, off); err != nil {
				t.Fatal(err)
			}
		}
		if runs := s.FlagRunsIn(x, x+2*hp); len(runs) != 1 {
			t.Fatalf("want the two mappings to be one run of page flags, got %v", runs)
		}
		got, err := s.Mremap(x, hp, 2*hp, flags, 0)
		switch {
		case flags == 0 && err != hostvm.ENOMEM:
			t.Errorf("mremap growing in place into the next mapping of the same file = %#x, %v; want ENOMEM\n%s", got, err, calls(s))
		case flags != 0 && (err != nil || got == x):
			t.Errorf("mremap(MREMAP_MAYMOVE) growing into the next mapping of the same file = %#x, %v; want it moved\n%s", got, err, calls(s))
		}
	}
}

// TestEmulatedMoveCopiesEveryPiece: on a 64K host, moving private
// anonymous memory to a place whose offset in a host page differs is
// emulated (a copy); a move of more than one copy buffer (64K) must carry
// every byte to its place.
func TestEmulatedMoveCopiesEveryPiece(t *testing.T) {
	const hp, n = 0x10000, 0x30000
	s, _ := newTestSim(t, hp, 0, 0, QuirkSet{})
	x := mustMmap(t, s, 0, n, rw, anon)
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(i/0x1000 + 1)
	}
	if _, f := s.Store(x, data); f != nil {
		t.Fatal(f)
	}
	y := mustMmap(t, s, 0, n+2*hp, 0, anon) // room, then a destination one guest page into a host page
	dest := y + 0x1000
	got, err := s.Mremap(x, n, n, hostvm.MremapMayMove|hostvm.MremapFixed, dest)
	if err != nil || got != dest {
		t.Fatalf("mremap = %#x, %v; want %#x\n%s", got, err, dest, calls(s))
	}
	buf := make([]byte, n)
	if _, f := s.Load(dest, buf); f != nil {
		t.Fatal(f)
	}
	for i := range buf {
		if buf[i] != data[i] {
			t.Fatalf("after the move, byte %#x of the mapping is %#x, want %#x", i, buf[i], data[i])
		}
	}
}

// TestEmulatedMremapFailureGivesBackDestination: on a 16K host, an mremap
// of private anonymous memory off the host's page boundaries is emulated
// with target_mmap of the new pages, whose fragment of a host page maps a
// fresh host page before the host refuses the next mmap. After the
// failure, what target_mmap mapped is gone, as Linux leaves it: a
// destination the guest names (MREMAP_FIXED) unmapped (mm/mremap.c
// mremap_to() unmaps it before it can fail), in the guest's view and on
// the host (a placeholder under RESERVED_VA); a place QEMU chose, and the
// pages a grow in place was to take, free as they were. The old mapping is
// whole, and the guest and the host agree. With and without RESERVED_VA.
func TestEmulatedMremapFailureGivesBackDestination(t *testing.T) {
	const hp = 0x4000
	cases := []struct {
		name   string
		newLen uint64
		flags  hostvm.MremapFlags
		dest   uint64
	}{
		{"a move to a named place", 0x6000, hostvm.MremapMayMove | hostvm.MremapFixed, 0x30001000},
		{"a move QEMU places", 0x6000, hostvm.MremapMayMove, 0},
		{"a grow in place", 0x9000, 0, 0},
	}
	for _, reserved := range []uint64{0, 0xf7000000} {
		for _, c := range cases {
			host := &mmapFailsNthHost{}
			s, _ := newSimOver(t, hp, reserved, QuirkSet{}, func(h Host) Host { host.Host = h; return host })
			a := mustMmap(t, s, 0x20001000, 0x2000, rw, anon|hostvm.MapFixed)
			if _, f := s.Store(a, []byte("kept")); f != nil {
				t.Fatal(f)
			}
			if c.flags != 0 {
				mustMmap(t, s, a+0x2000, 0x1000, protRead, anon|hostvm.MapFixed) // no growing in place
			}
			before := s.FlagRuns()
			// Of the new pages' host mmaps, the second is refused, after
			// the first mapped a fresh host page for a fragment.
			host.armed, host.n = true, 2
			if got, err := s.Mremap(a, 0x2000, c.newLen, c.flags, c.dest); err != hostvm.ENOMEM {
				t.Fatalf("reserved %#x, %s: mremap(%#x, 0x2000, %#x, %v, %#x) = %#x, %v; want the host's ENOMEM\n%s",
					reserved, c.name, a, c.newLen, c.flags, c.dest, got, err, calls(s))
			}
			host.armed = false
			if err := s.CheckAgreement(); err != nil {
				t.Errorf("reserved %#x, %s: after the failed mremap: %v\n%s", reserved, c.name, err, calls(s))
			}
			if after := s.FlagRuns(); !slices.Equal(after, before) {
				t.Errorf("reserved %#x, %s: the failed mremap changed the page flags:\nbefore %v\nafter  %v", reserved, c.name, before, after)
			}
			buf := make([]byte, 4)
			if _, f := s.Load(a, buf); f != nil || string(buf) != "kept" {
				t.Errorf("reserved %#x, %s: after the failed mremap the old mapping reads %q, %v; want \"kept\"", reserved, c.name, buf, f)
			}
		}
	}
}

// TestPlugReservationFillsEveryHole: plugReservation puts placeholders into
// each host hole of its range, those before a mapping as well as the one
// after the last, and leaves the mappings alone: the reservation is whole
// again and the guest's page keeps its memory.
func TestPlugReservationFillsEveryHole(t *testing.T) {
	s, k := newTestSim(t, 0x1000, 0, 0x10000000, QuirkSet{})
	a := mustMmap(t, s, 0x1003000, 0x1000, rw, anon|hostvm.MapFixed)
	if n, f := s.Store(a, []byte("kept")); f != nil || n != 4 {
		t.Fatalf("store: %d, %v", n, f)
	}
	// Behind sim's back: holes on both sides of the guest's page.
	for _, h := range []uint64{0x1000000, 0x1004000} {
		if err := k.Munmap(s.G2H(h), 0x3000); err != nil {
			t.Fatal(err)
		}
	}
	s.mmapLock()
	s.plugReservation(0x1000000, 0x1007000)
	s.mmapUnlock()
	if err := s.CheckAgreement(); err != nil {
		t.Errorf("after plugReservation: %v", err)
	}
	buf := make([]byte, 4)
	if _, f := s.Load(a, buf); f != nil || string(buf) != "kept" {
		t.Errorf("the guest's page at %#x reads %q, %v; want \"kept\"", a, buf, f)
	}
}

// TestForgetUnmappedWholeTargetPages: with guest pages larger than the
// host's (8 KiB on 4 KiB), a guest page that lost half its host memory
// (behind sim's back) is forgotten whole: its flags cleared and its
// translations invalidated from the guest page's first byte.
func TestForgetUnmappedWholeTargetPages(t *testing.T) {
	k, err := hostvm.New(hostvm.Config{PageSize: 0x1000, AddrBits: 47})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(KernelHost{k}, Config{TargetPageSize: 0x2000, ProbeGuestBase: true})
	if err != nil {
		t.Fatal(err)
	}
	a := mustMmap(t, s, 0x1000000, 0x6000, rw, anon|hostvm.MapFixed)
	if err := k.Munmap(s.G2H(a+0x3000), 0x1000); err != nil { // the second half of the second page
		t.Fatal(err)
	}
	s.SetRecording(true)
	s.mmapLock()
	s.forgetUnmapped(a, a+0x6000)
	s.mmapUnlock()
	if runs := s.FlagRuns(); len(runs) != 2 || runs[0].End != a+0x2000 || runs[1].Start != a+0x4000 {
		t.Errorf("flags after forgetUnmapped: %#x; want the second page forgotten whole", runs)
	}
	var inval []string
	for _, c := range s.LastHostCalls() {
		if c.Op == OpTBInvalidate {
			inval = append(inval, c.String())
		}
	}
	// The mmap's own tb_invalidate comes first.
	if want := fmt.Sprintf("(%#x, %#x)", a+0x2000, a+0x4000); len(inval) == 0 || !strings.HasSuffix(inval[len(inval)-1], want) {
		t.Errorf("tb_invalidate calls %q; want the last one over %s", inval, want)
	}
}

// TestEmulatedMoveKeepsProtection: an emulated move of inaccessible memory
// on a 64K host reads the source and writes the copy with protection lent
// for the copy alone: afterwards the copy is PROT_NONE on the host as in
// the guest's view, a guest load from it faults, and the data moved with
// it (read back once it is readable again).
func TestEmulatedMoveKeepsProtection(t *testing.T) {
	s, _ := newTestSim(t, 0x10000, 0, 0, QuirkSet{})
	a := mustMmap(t, s, 0x20000000, 0x2000, rw, anon|hostvm.MapFixed)
	if _, f := s.Store(a, []byte("data")); f != nil {
		t.Fatal(f)
	}
	if err := s.Mprotect(a, 0x2000, 0); err != nil {
		t.Fatal(err)
	}
	const dest = 0x30003000 // inside a host page: the move is emulated
	got, err := s.Mremap(a, 0x2000, 0x2000, hostvm.MremapMayMove|hostvm.MremapFixed, dest)
	if err != nil || got != dest {
		t.Fatalf("mremap to %#x = %#x, %v\n%s", uint64(dest), got, err, calls(s))
	}
	if m, ok := s.hostMapping(dest); !ok || m.Prot != hostvm.ProtNone {
		t.Errorf("the copy's host page is %v (%v); want ---", m.Prot, ok)
	}
	buf := make([]byte, 4)
	if _, f := s.Load(dest, buf); f == nil || f.Signal != hostvm.SIGSEGV {
		t.Errorf("a load from the PROT_NONE copy: fault %v; want SIGSEGV", f)
	}
	if err := s.Mprotect(dest, 0x2000, protRead); err != nil {
		t.Fatal(err)
	}
	if _, f := s.Load(dest, buf); f != nil || string(buf) != "data" {
		t.Errorf("the copy reads %q, %v; want \"data\"", buf, f)
	}
	// With MREMAP_DONTUNMAP the source stays mapped, emptied, and as
	// inaccessible as before: the read lent to copy it is taken back.
	if err := s.Mprotect(dest, 0x2000, 0); err != nil {
		t.Fatal(err)
	}
	const dest2 = 0x40003000
	if got, err := s.Mremap(dest, 0x2000, 0x2000, hostvm.MremapMayMove|hostvm.MremapFixed|hostvm.MremapDontUnmap, dest2); err != nil || got != dest2 {
		t.Fatalf("mremap with MREMAP_DONTUNMAP to %#x = %#x, %v\n%s", uint64(dest2), got, err, calls(s))
	}
	if m, ok := s.hostMapping(dest); !ok || m.Prot != hostvm.ProtNone {
		t.Errorf("the source left by MREMAP_DONTUNMAP has host protection %v (%v); want ---", m.Prot, ok)
	}
}

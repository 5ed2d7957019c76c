package sim

import (
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// TestMremapIgnoresNewAddressWithoutFixed: Linux reads mremap's
// new_address only with MREMAP_FIXED or MREMAP_DONTUNMAP; without them any
// value is ignored. On a 64K host, growing a shared mapping of whole host
// pages in place (and with MREMAP_MAYMOVE, where it may stay) succeeds
// whatever new_address holds, an address inside a host page included.
func TestMremapIgnoresNewAddressWithoutFixed(t *testing.T) {
	const hp = 0x10000
	for _, flags := range []hostvm.MremapFlags{0, hostvm.MremapMayMove} {
		for _, newAddr := range []uint64{0, 0x1234, 0x40001000} {
			s, _ := newTestSim(t, hp, 0, 0, QuirkSet{})
			x := mustMmap(t, s, 0x20000000, hp, rw, hostvm.MapShared|hostvm.MapAnonymous|hostvm.MapFixed)
			got, err := s.Mremap(x, hp, 2*hp, flags, newAddr)
			if err != nil || got != x {
				t.Errorf("flags %#x, new_address %#x: mremap growing a shared mapping in place = %#x, %v; want %#x\n%s",
					flags, newAddr, got, err, x, calls(s))
				continue
			}
			if f := s.PageFlags(x + hp); f&PageValid == 0 {
				t.Errorf("flags %#x, new_address %#x: the grown page has flags %#x, want it valid", flags, newAddr, f)
			}
		}
	}
}

// TestMremapDuplicationIgnoresNewAddress: a duplication (old_size 0) with
// MREMAP_MAYMOVE alone ignores new_address, even one that names the source
// itself: the copy lands elsewhere and the source stays mapped.
func TestMremapDuplicationIgnoresNewAddress(t *testing.T) {
	for _, hp := range []uint64{0x1000, 0x10000} {
		s, _ := newTestSim(t, hp, 0, 0, QuirkSet{})
		x := mustMmap(t, s, 0x20000000, hp, rw, hostvm.MapShared|hostvm.MapAnonymous|hostvm.MapFixed)
		got, err := s.Mremap(x, 0, hp, hostvm.MremapMayMove, x)
		if err != nil || got == x {
			t.Fatalf("host page %#x: mremap(%#x, 0, %#x, MREMAP_MAYMOVE, %#x) = %#x, %v; want a copy elsewhere\n%s", hp, x, hp, x, got, err, calls(s))
		}
		if s.PageFlags(x)&PageValid == 0 || s.PageFlags(got)&PageValid == 0 {
			t.Errorf("host page %#x: source %#x flags %#x, copy %#x flags %#x; want both valid", hp, x, s.PageFlags(x), got, s.PageFlags(got))
		}
	}
}

// TestMremapDuplicationJustAboveDestination: a duplication (old_size 0)
// to a destination the guest names (MREMAP_FIXED) that ends exactly where
// the source begins does not unmap the source: the copy is made, and both
// stay mapped. (Onto the source itself, the source is unmapped with the
// destination, and Linux says EFAULT; a destination that holds the source
// further in overlaps it: EINVAL.)
func TestMremapDuplicationJustAboveDestination(t *testing.T) {
	for _, hp := range []uint64{0x1000, 0x10000} {
		s, _ := newTestSim(t, hp, 0, 0, QuirkSet{})
		x := mustMmap(t, s, 0x20000000, hp, rw, hostvm.MapShared|hostvm.MapAnonymous|hostvm.MapFixed)
		dest := x - hp
		got, err := s.Mremap(x, 0, hp, hostvm.MremapMayMove|hostvm.MremapFixed, dest)
		if err != nil || got != dest {
			t.Fatalf("host page %#x: mremap(%#x, 0, %#x, MAYMOVE|FIXED, %#x) = %#x, %v; want %#x\n%s", hp, x, hp, dest, got, err, dest, calls(s))
		}
		if s.PageFlags(x)&PageValid == 0 || s.PageFlags(dest)&PageValid == 0 {
			t.Errorf("host page %#x: source flags %#x, copy flags %#x; want both valid", hp, s.PageFlags(x), s.PageFlags(dest))
		}
		if _, err := s.Mremap(x, 0, hp, hostvm.MremapMayMove|hostvm.MremapFixed, x); err != hostvm.EFAULT {
			t.Errorf("host page %#x: a duplication onto its own source: %v; want EFAULT", hp, err)
		}
	}
	// One guest page of shared memory on a 64K host, which the host
	// cannot move by itself: onto its own source, the same EFAULT, and
	// the source is gone, as Linux unmaps the destination first.
	s, _ := newTestSim(t, 0x10000, 0, 0, QuirkSet{})
	x := mustMmap(t, s, 0x20000000, 0x1000, rw, hostvm.MapShared|hostvm.MapAnonymous|hostvm.MapFixed)
	if _, err := s.Mremap(x, 0, 0x1000, hostvm.MremapMayMove|hostvm.MremapFixed, x); err != hostvm.EFAULT {
		t.Errorf("64K host: a one-page duplication onto its own source: %v; want EFAULT\n%s", err, calls(s))
	}
	if f := s.PageFlags(x); f&PageValid != 0 {
		t.Errorf("64K host: the source %#x is still valid (%#x) after the duplication onto it", x, f)
	}
}

// TestMremapGrowNextToAnotherObjectMoves: on a 64K host, a mapping of one
// host page followed by a mapping of another file, grown with
// MREMAP_MAYMOVE, moves as Linux moves it (the next VMA is in the way),
// whether the guest's page flags make the two one run (private mappings
// of the same protection) or two (shared mappings of different
// protections). (The fix refuses, EINVAL, only a shared mapping whose run
// of guest pages goes on into a single host page of another object, which
// it takes for a fragment mmap_frag made.)
func TestMremapGrowNextToAnotherObjectMoves(t *testing.T) {
	const hp = 0x10000
	for _, c := range []struct {
		name        string
		typ         hostvm.MapFlags
		prot, prot2 int
		oneRun      bool
	}{
		{"private, one run", hostvm.MapPrivate, rw, rw, true},
		{"shared, two runs", hostvm.MapShared, rw, protRead, false},
	} {
		s, k := newTestSim(t, hp, 0, 0, QuirkSet{})
		var fds [2]int
		for i, name := range []string{"f", "g"} {
			fds[i] = mustFile(t, k, name, 2*hp)
		}
		x := mustMmap(t, s, 0, 2*hp, 0, anon)
		if _, err := s.Mmap(x, hp, c.prot, c.typ|hostvm.MapFixed, fds[0], 0); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Mmap(x+hp, hp, c.prot2, c.typ|hostvm.MapFixed, fds[1], 0); err != nil {
			t.Fatal(err)
		}
		if runs := s.FlagRunsIn(x, x+2*hp); (len(runs) == 1) != c.oneRun {
			t.Fatalf("%s: page flag runs %v", c.name, runs)
		}
		got, err := s.Mremap(x, hp, 2*hp, hostvm.MremapMayMove, 0)
		if err != nil || got == x {
			t.Errorf("%s: mremap(MREMAP_MAYMOVE) growing into the next file's mapping = %#x, %v; want it moved\n%s", c.name, got, err, calls(s))
			continue
		}
		if f := s.PageFlags(x + hp); f&PageValid == 0 {
			t.Errorf("%s: the other file's mapping at %#x has flags %#x after the move, want it kept", c.name, x+hp, f)
		}
	}
}

// TestEmulatedGrowBlockedIsENOMEM: on a 64K host, private anonymous memory
// grown by a guest page past its host page is emulated (a target_mmap of
// the new pages). Where the host page the new pages fall in is shared
// memory of another mapping (a fragment placed further in it), the new
// pages cannot join it: without MREMAP_MAYMOVE that is ENOMEM, as a
// kernel without room to grow says, whatever the mapping primitive said;
// with it the memory moves.
func TestEmulatedGrowBlockedIsENOMEM(t *testing.T) {
	const hp = 0x10000
	for _, flags := range []hostvm.MremapFlags{0, hostvm.MremapMayMove} {
		s, _ := newTestSim(t, hp, 0, 0, QuirkSet{})
		x := mustMmap(t, s, 0, 3*hp, 0, anon)
		if err := s.Munmap(x, 3*hp); err != nil {
			t.Fatal(err)
		}
		mustMmap(t, s, x, hp, rw, anon|hostvm.MapFixed)
		mustMmap(t, s, x+hp+0x2000, 0x1000, rw, hostvm.MapShared|hostvm.MapAnonymous|hostvm.MapFixed)
		got, err := s.Mremap(x, hp, hp+0x1000, flags, 0)
		switch {
		case flags == 0 && err != hostvm.ENOMEM:
			t.Errorf("mremap growing into a shared host page = %#x, %v; want ENOMEM\n%s", got, err, calls(s))
		case flags != 0 && (err != nil || got == x):
			t.Errorf("mremap(MREMAP_MAYMOVE) growing into a shared host page = %#x, %v; want it moved\n%s", got, err, calls(s))
		}
		if f := s.PageFlags(x + hp + 0x2000); f&PageValid == 0 {
			t.Errorf("flags %#x: the shared fragment has flags %#x after the mremap, want it kept", flags, f)
		}
	}
}

// TestMremapLateFailureInvalidatesWhatWasUnmapped: when the host's
// MREMAP_FIXED mremap unmaps the destination and then fails, the guest's
// translations are invalidated (tb_invalidate_phys_range) for exactly the
// guest pages that lost their mapping, no page past them.
func TestMremapLateFailureInvalidatesWhatWasUnmapped(t *testing.T) {
	s, host := newLateFailSim(t, 0)
	a := mustMmap(t, s, 0x20000000, 0x4000, rw, anon|hostvm.MapFixed)
	const dest = 0x30000000
	mustMmap(t, s, dest, 0x2000, protRead, anon|hostvm.MapFixed)
	host.armed = true
	if _, err := s.Mremap(a, 0x4000, 0x4000, hostvm.MremapMayMove|hostvm.MremapFixed, dest); err != hostvm.ENOMEM {
		t.Fatalf("mremap = %v, want the host's ENOMEM\n%s", err, calls(s))
	}
	var got [][2]uint64
	for _, c := range s.LastHostCalls() {
		if c.Op == OpTBInvalidate {
			got = append(got, [2]uint64{c.Args[0], c.Args[1]})
		}
	}
	if len(got) != 1 || got[0] != [2]uint64{dest, dest + 0x2000} {
		t.Errorf("translations invalidated %#x, want [%#x, %#x) only", got, uint64(dest), uint64(dest+0x2000))
	}
	if f := s.PageFlags(a); f&PageValid == 0 {
		t.Errorf("the old range, still mapped on the host, has flags %#x, want it valid", f)
	}
}

// TestMremapQuirkShrinkClearsTail: a shrink that one of the seed's mremap
// defects sends through the host's mremap (seedShrinkPath; in place, or
// moved by mremap-maymove-moves) leaves only the new range with flags: the
// pages it gave up have none at all, not merely invalid ones, and guest
// and host agree: each quirk alone, with and
// without RESERVED_VA (mremap-fit-host-addr without: with it, its defect
// refuses every call).
func TestMremapQuirkShrinkClearsTail(t *testing.T) {
	for _, c := range []struct {
		quirk Quirk
		flags hostvm.MremapFlags
	}{
		{QuirkMremapShrinkReserve, 0},
		{QuirkMremapShrinkReserveAddr, 0},
		{QuirkMremapFitHostAddr, 0},
		{QuirkMremapMayMoveMoves, hostvm.MremapMayMove},
	} {
		for _, hc := range []struct{ hostPage, reserved uint64 }{{0x1000, 0}, {0x1000, 0x10000000}, {0x10000, 0}, {0x10000, 0x10000000}} {
			reserved := hc.reserved
			if c.quirk == QuirkMremapFitHostAddr && reserved != 0 {
				continue // its defect: every host address is past the guest's word
			}
			// On a 64K host the shrink is not in whole host pages: it is
			// emulated (emulateMremap), the tail unmapped by target_munmap.
			s, _ := newTestSim(t, hc.hostPage, 0, reserved, QuirkSet{}.With(c.quirk))
			a := mustMmap(t, s, 0x1000000, 0x4000, rw, anon|hostvm.MapFixed)
			got, err := s.Mremap(a, 0x4000, 0x1000, c.flags, 0)
			if err != nil || got != a && c.flags&hostvm.MremapMayMove == 0 {
				t.Fatalf("%v, host page %#x, reserved %#x: mremap(%#x, 0x4000, 0x1000) = %#x, %v; want %#x", c.quirk, hc.hostPage, reserved, a, got, err, a)
			}
			if runs := s.FlagRuns(); len(runs) != 1 || runs[0].Start != got || runs[0].End != got+0x1000 {
				t.Errorf("%v, host page %#x, reserved %#x: flags after the shrink %#x; want one run %#x-%#x", c.quirk, hc.hostPage, reserved, runs, got, got+0x1000)
			}
			if err := s.CheckAgreement(); err != nil {
				t.Errorf("%v, host page %#x, reserved %#x: %v", c.quirk, hc.hostPage, reserved, err)
			}
		}
	}
}

// TestSeedMremapToTopPageFlags: the seed's mremap sets the flags of
// [new_address, new_address+new_size) with new_size as the guest gave it;
// a move to the top page with a size that is not a page multiple ends at
// 2^32, aligned past the top of the 32-bit word: page_set_flags takes the
// wrapped end as the end of the space, and no flag lies past it.
func TestSeedMremapToTopPageFlags(t *testing.T) {
	s, _ := newTestSim(t, 0x1000, 0, 0, SeedQuirks)
	x := mustMmap(t, s, 0x10000000, 0x1000, rw, anon|hostvm.MapFixed)
	got, err := s.Mremap(x, 0x1000, 0x800, hostvm.MremapMayMove|hostvm.MremapFixed, 0xfffff000)
	if err != nil || got != 0xfffff000 {
		t.Fatalf("mremap to the top page = %#x, %v\n%s", got, err, calls(s))
	}
	runs := s.FlagRuns()
	if len(runs) == 0 || runs[len(runs)-1].Start != 0xfffff000 || runs[len(runs)-1].End != 1<<32 {
		t.Errorf("flags after the move: %#x; want the last run 0xfffff000-0x100000000", runs)
	}
}

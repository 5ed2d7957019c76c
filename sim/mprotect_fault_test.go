package sim

import (
	"slices"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// mprotectFailsHost is a host whose mprotects, counted once armed, fail
// with ENOMEM where refuse says so (1 is the first), as a host refuses a
// split past vm.max_map_count, having done nothing.
type mprotectFailsHost struct {
	Host
	armed  bool
	n      int
	refuse map[int]bool
}

func (h *mprotectFailsHost) Mprotect(addr hostvm.Addr, length uint64, prot hostvm.Prot) error {
	if h.armed {
		h.n++
		if h.refuse[h.n] {
			return hostvm.ENOMEM
		}
	}
	return h.Host.Mprotect(addr, length, prot)
}

// newMprotectFailsSim is a Sim without RESERVED_VA on a host of hostPage
// pages whose mprotects fail as refuse says once armed, with quirks.
func newMprotectFailsSim(t *testing.T, hostPage uint64, quirks QuirkSet, refuse ...int) (*Sim, *hostvm.Kernel, *mprotectFailsHost) {
	t.Helper()
	host := &mprotectFailsHost{refuse: map[int]bool{}}
	for _, n := range refuse {
		host.refuse[n] = true
	}
	s, k := newSimOver(t, hostPage, 0, quirks, func(h Host) Host { host.Host = h; return host })
	return s, k, host
}

// TestMprotectFailureUndone: on a 64K host, an mprotect of one mapping
// whose ends share host pages with guest pages of another protection is
// three host mprotects: the first host page, the last, the pages between
// (the seed's order), or the first, the pages between, the last (the
// fix's). When the host refuses the second, the fix gives the first host
// page its protection back (compare Linux mm/mprotect.c do_mprotect_pkey(): the
// VMA it fails at is left as it was): the call fails with the host's
// ENOMEM, the page flags and the host's mappings are as before, and a
// store to the range works. Under mprotect-fail-partial (the seed) the
// first host page stays changed and the guest and the host disagree.
func TestMprotectFailureUndone(t *testing.T) {
	const hp = 0x10000
	for _, quirks := range []QuirkSet{QuirkSet{}, QuirkSet{}.With(QuirkMprotectFailPartial)} {
		s, k, host := newMprotectFailsSim(t, hp, quirks, 2)
		a := mustMmap(t, s, 0x30000000, 4*hp, rw, anon|hostvm.MapFixed)
		for _, p := range []uint64{a, a + 4*hp - 0x1000} {
			if err := s.Mprotect(p, 0x1000, protRead); err != nil {
				t.Fatal(err)
			}
		}
		flags, maps := s.FlagRuns(), k.MapsString()
		host.armed = true
		if err := s.Mprotect(a+0x1000, 4*hp-0x2000, 0); err != hostvm.ENOMEM {
			t.Fatalf("%v: mprotect = %v, want the host's ENOMEM\n%s", quirks, err, calls(s))
		}
		host.armed = false
		agree := s.CheckAgreement()
		if !quirks.Empty() {
			if agree == nil {
				t.Errorf("%v: the guest and the host agree after the failed mprotect: the quirk is not seen\n%s", quirks, calls(s))
			}
			continue
		}
		if agree != nil {
			t.Errorf("after the failed mprotect: %v\n%s", agree, calls(s))
		}
		if after := s.FlagRuns(); !slices.Equal(after, flags) {
			t.Errorf("the failed mprotect changed the page flags:\nbefore %v\nafter  %v", flags, after)
		}
		if after := k.MapsString(); after != maps {
			t.Errorf("the failed mprotect left the host mapping\n%s\nwhere it mapped\n%s\n%s", after, maps, calls(s))
		}
		if _, f := s.Store(a+0x1000, []byte("x")); f != nil {
			t.Errorf("a store to the range after the failed mprotect: %v", f)
		}
	}
}

// TestMprotectUndoRefused: when the host refuses to give the first host
// page its protection back too, after refusing the pages between, the
// guest pages of the range in it take the new protection, as the host has
// them: what changed is a prefix of the range, the guest and the host
// agree, and the call still fails with the first refusal's errno.
func TestMprotectUndoRefused(t *testing.T) {
	const hp = 0x10000
	s, _, host := newMprotectFailsSim(t, hp, QuirkSet{}, 2, 3) // the pages between's, then the undo's
	a := mustMmap(t, s, 0x30000000, 4*hp, rw, anon|hostvm.MapFixed)
	for _, p := range []uint64{a, a + 4*hp - 0x1000} {
		if err := s.Mprotect(p, 0x1000, protRead); err != nil {
			t.Fatal(err)
		}
	}
	host.armed = true
	if err := s.Mprotect(a+0x1000, 4*hp-0x2000, 0); err != hostvm.ENOMEM {
		t.Fatalf("mprotect = %v, want the host's ENOMEM\n%s", err, calls(s))
	}
	host.armed = false
	if err := s.CheckAgreement(); err != nil {
		t.Errorf("after the failed mprotect and undo: %v\n%s", err, calls(s))
	}
	if f := s.PageFlags(a + 0x1000); f&PageValid == 0 || f&PageBits != 0 {
		t.Errorf("a page of the first host page, which the host keeps changed, has flags %#x; want valid, PROT_NONE\n%s", f, calls(s))
	}
	if f := s.PageFlags(a + hp); f&PageBits != uint32(rw) {
		t.Errorf("a page between, which the host never changed, has flags %#x; want rw-", f)
	}
	if f := s.PageFlags(a); f&PageBits != uint32(protRead) {
		t.Errorf("the page before the range has flags %#x; want r--", f)
	}
}

// TestEmulatedMoveMprotectRefused: on a 16K host, a move of read-only
// private anonymous memory to a place off the host's page boundaries is
// emulated: target_mmap of the destination writable, a copy, then
// target_mprotect to the guest's protection. When the host refuses that
// mprotect, the move fails with its errno, the destination (which the
// guest named) is unmapped, the old mapping is whole, and the guest and
// the host agree.
func TestEmulatedMoveMprotectRefused(t *testing.T) {
	const hp = 0x4000
	s, _, host := newMprotectFailsSim(t, hp, QuirkSet{}, 1, 2, 3, 4)
	a := mustMmap(t, s, 0x20001000, 0x2000, rw, anon|hostvm.MapFixed)
	if _, f := s.Store(a, []byte("kept")); f != nil {
		t.Fatal(f)
	}
	if err := s.Mprotect(a, 0x2000, protRead); err != nil {
		t.Fatal(err)
	}
	before := s.FlagRuns()
	host.armed = true
	const dest = 0x30001000
	if got, err := s.Mremap(a, 0x2000, 0x6000, hostvm.MremapMayMove|hostvm.MremapFixed, dest); err != hostvm.ENOMEM {
		t.Fatalf("mremap to %#x = %#x, %v; want the host's ENOMEM\n%s", uint64(dest), got, err, calls(s))
	}
	host.armed = false
	if err := s.CheckAgreement(); err != nil {
		t.Errorf("after the failed move: %v\n%s", err, calls(s))
	}
	if after := s.FlagRuns(); !slices.Equal(after, before) {
		t.Errorf("the failed move changed the page flags:\nbefore %v\nafter  %v\n%s", before, after, calls(s))
	}
	buf := make([]byte, 4)
	if _, f := s.Load(a, buf); f != nil || string(buf) != "kept" {
		t.Errorf("after the failed move the old mapping reads %q, %v; want \"kept\"", buf, f)
	}
}

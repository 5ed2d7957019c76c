package sim

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

const (
	rw   = protRead | protWrite
	anon = hostvm.MapPrivate | hostvm.MapAnonymous
)

// newTestSim makes a guest on a host of hostPage-sized pages: T = 4 KiB,
// H = the host page (or qemuPage when set), 32-bit, reserved bytes of
// RESERVED_VA (0: none, guest_base 0).
func newTestSim(t *testing.T, hostPage, qemuPage, reserved uint64, quirks QuirkSet) (*Sim, *hostvm.Kernel) {
	t.Helper()
	k, err := hostvm.New(hostvm.Config{PageSize: hostPage, AddrBits: 47})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(KernelHost{k}, Config{HostPageSize: qemuPage, ReservedVA: reserved, ProbeGuestBase: true, Quirks: quirks})
	if err != nil {
		t.Fatal(err)
	}
	return s, k
}

// calls renders the host calls of the last guest call, one per line,
// without the tb_invalidate events.
func calls(s *Sim) string {
	var b strings.Builder
	for _, c := range s.LastHostCalls() {
		if c.Op != OpTBInvalidate {
			b.WriteString(c.String() + "\n")
		}
	}
	return b.String()
}

func mustMmap(t *testing.T, s *Sim, addr, length uint64, prot int, flags hostvm.MapFlags) uint64 {
	t.Helper()
	a, err := s.Mmap(addr, length, prot, flags, -1, 0)
	if err != nil {
		t.Fatalf("mmap(%#x, %#x): %v", addr, length, err)
	}
	return a
}

// mustFile creates the host file name, size bytes long (zeros), open
// read-write, and returns its fd.
func mustFile(t *testing.T, k *hostvm.Kernel, name string, size int64) int {
	t.Helper()
	fd, err := k.Open(name, hostvm.ORdWr|hostvm.OCreat, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Ftruncate(fd, size); err != nil {
		t.Fatal(err)
	}
	return fd
}

func TestPageFlagsWriteOrg(t *testing.T) {
	s, _ := newTestSim(t, 4096, 0, 0, QuirkSet{})
	s.pageSetFlags(0x10000, 0x12000, PageValid|PageRead|PageWrite)
	if got := s.pageGetFlags(0x11fff); got != PageValid|PageRead|PageWrite|PageWriteOrg {
		t.Errorf("flags = %#x, want VALID|READ|WRITE|WRITE_ORG", got)
	}
	if got := s.pageGetFlags(0x12000); got != 0 {
		t.Errorf("flags beyond the range = %#x, want 0", got)
	}
	// page_set_flags rounds start down and end up to target pages.
	s.pageSetFlags(0x20800, 0x21001, PageValid)
	if s.pageGetFlags(0x20000) != PageValid || s.pageGetFlags(0x21000) != PageValid || s.pageGetFlags(0x22000) != 0 {
		t.Errorf("rounding: flags %#x %#x %#x", s.pageGetFlags(0x20000), s.pageGetFlags(0x21000), s.pageGetFlags(0x22000))
	}
}

func TestPageSetFlagsAbort(t *testing.T) {
	s, _ := newTestSim(t, 4096, 0, 0, SeedQuirks)
	err := s.guard(func() error {
		s.pageSetFlags(0x2000, 0x2000, PageValid)
		return nil
	})
	var a *Abort
	if !errors.As(err, &a) || a.Func != "page_set_flags" {
		t.Fatalf("page_set_flags(start == end): got %v, want an abort in page_set_flags", err)
	}
	if _, err := s.Mmap(0, 4096, rw, anon, -1, 0); err != a {
		t.Errorf("after an abort, mmap returns %v, want the same abort", err)
	}
}

// TestMmapFragHead maps a fragment at the head, middle and tail of a host
// page on a 64 KiB host and checks the host calls mmap_frag makes.
func TestMmapFrag(t *testing.T) {
	const H = 0x10000
	cases := []struct {
		name      string
		pre       func(s *Sim, base uint64)
		off, n    uint64
		wantCalls string
	}{
		{"head of an empty host page", nil, 0x0, 0x3000,
			"mmap(HOST, 0x10000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = HOST\n"},
		{"middle of a used host page", func(s *Sim, base uint64) {
			s.Mmap(base, 0x1000, protRead, anon|hostvm.MapFixed, -1, 0)
		}, 0x4000, 0x1000, "mprotect(HOST, 0x10000, PROT_READ|PROT_WRITE) = 0\n"},
		{"tail, host page already read-write", func(s *Sim, base uint64) {
			s.Mmap(base, 0x1000, rw, anon|hostvm.MapFixed, -1, 0)
		}, 0xf000, 0x1000, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := newTestSim(t, H, 0, 0, QuirkSet{})
			base := uint64(0x20000000)
			if c.pre != nil {
				c.pre(s, base)
			}
			a := mustMmap(t, s, base+c.off, c.n, rw, anon|hostvm.MapFixed)
			if a != base+c.off {
				t.Fatalf("mmap returned %#x, want %#x", a, base+c.off)
			}
			got := strings.ReplaceAll(calls(s), fmt.Sprintf("%#x", uint64(s.G2H(base))), "HOST")
			if got != c.wantCalls {
				t.Errorf("host calls:\n%s\nwant:\n%s", got, c.wantCalls)
			}
			if err := s.CheckAgreement(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestProtectionUnion shows what QEMU cannot avoid: a read-only guest page
// sharing a host page with a writable one is writable on the host, while
// AccessOK (the guest's page flags) says no.
func TestProtectionUnion(t *testing.T) {
	s, _ := newTestSim(t, 0x10000, 0, 0, QuirkSet{})
	a := mustMmap(t, s, 0x20000000, 0x2000, rw, anon|hostvm.MapFixed)
	if err := s.Mprotect(a+0x1000, 0x1000, protRead); err != nil {
		t.Fatal(err)
	}
	if s.AccessOK(a+0x1000, 1, true) {
		t.Errorf("AccessOK(write) on the read-only guest page = true, want false")
	}
	if _, f := s.Store(a+0x1000, []byte("x")); f != nil {
		t.Errorf("store to the read-only page faulted (%v); the host page is writable, so it cannot", f)
	}
	if err := s.CheckAgreement(); err != nil {
		t.Error(err)
	}
}

// TestMmapFindVMAReservedWraps fills the top of a small reserved space and
// checks the search wraps around to the bottom, and never returns 0 or a
// page below mmap_min_addr unless the seed's quirk is on.
func TestMmapFindVMAReservedWraps(t *testing.T) {
	for _, q := range []QuirkSet{QuirkSet{}, QuirkSet{}.With(QuirkFindVMAReservedZero)} {
		s, _ := newTestSim(t, 4096, 0, 0x100000, q)
		// mmap_next_start starts at RESERVED_VA: first allocation at the top.
		if a := mustMmap(t, s, 0, 0x1000, rw, anon); a != 0xff000 {
			t.Errorf("quirks %v: first non-fixed mmap at %#x, want 0xff000", q, a)
		}
		mustMmap(t, s, 0x10000, 0xef000, rw, anon|hostvm.MapFixed)
		a, err := s.Mmap(0, 0x1000, rw, anon, -1, 0)
		switch {
		case q.Empty() && err != hostvm.ENOMEM:
			t.Errorf("fixed: mmap in a full space = %#x, %v; want ENOMEM", a, err)
		case !q.Empty() && (err != nil || a >= 0x10000):
			t.Errorf("seed quirk: mmap = %#x, %v; want an address below mmap_min_addr", a, err)
		}
	}
}

// TestMmapFindVMAProbe checks the host probing of mmap_find_vma without
// RESERVED_VA: the host's answer is used when it fits the guest space.
func TestMmapFindVMAProbe(t *testing.T) {
	s, _ := newTestSim(t, 4096, 0, 0, QuirkSet{})
	a := mustMmap(t, s, 0, 0x2000, rw, anon)
	if a != s.cfg.TaskUnmappedBase {
		t.Errorf("first non-fixed mmap at %#x, want TASK_UNMAPPED_BASE %#x", a, s.cfg.TaskUnmappedBase)
	}
	b := mustMmap(t, s, 0, 0x1000, rw, anon)
	if b != a+0x2000 {
		t.Errorf("second at %#x, want %#x (mmap_next_start advances)", b, a+0x2000)
	}
	want := "mmap(0x40002000, 0x1000, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0x0) = 0x40002000\n" +
		"mmap(0x40002000, 0x1000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x40002000\n"
	if got := calls(s); got != want {
		t.Errorf("host calls:\n%swant:\n%s", got, want)
	}
}

// TestMunmapKeepsSharedHostPage unmaps one guest page of a host page that
// other guest pages still use: no host call but the flags change.
func TestMunmapKeepsSharedHostPage(t *testing.T) {
	s, _ := newTestSim(t, 0x10000, 0, 0, QuirkSet{})
	a := mustMmap(t, s, 0x20000000, 0x3000, rw, anon|hostvm.MapFixed)
	if err := s.Munmap(a+0x1000, 0x1000); err != nil {
		t.Fatal(err)
	}
	if got := calls(s); got != "" {
		t.Errorf("host calls %q, want none", got)
	}
	if f := s.PageFlags(a + 0x1000); f != 0 {
		t.Errorf("flags of the unmapped page = %#x, want 0", f)
	}
	if err := s.Munmap(a, 0x3000); err != nil {
		t.Fatal(err)
	}
	if got := calls(s); got != "munmap(0x20000000, 0x10000) = 0\n" {
		t.Errorf("host calls %q, want the whole host page unmapped", got)
	}
}

// TestMmapReserveUnderReservedVA checks that unmapping under RESERVED_VA
// puts PROT_NONE placeholders back instead of unmapping.
func TestMmapReserveUnderReservedVA(t *testing.T) {
	s, _ := newTestSim(t, 4096, 0, 0x10000000, QuirkSet{})
	a := mustMmap(t, s, 0x200000, 0x2000, rw, anon|hostvm.MapFixed)
	if err := s.Munmap(a, 0x2000); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("mmap(%#x, 0x2000, PROT_NONE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0x0) = %#x\n",
		uint64(s.G2H(a)), uint64(s.G2H(a)))
	if got := calls(s); got != want {
		t.Errorf("host calls:\n%swant:\n%s", got, want)
	}
	if err := s.CheckAgreement(); err != nil {
		t.Error(err)
	}
}

// TestMprotectUnion checks target_mprotect's host protection for a host
// page whose other guest pages are writable.
func TestMprotectUnion(t *testing.T) {
	s, _ := newTestSim(t, 0x10000, 0, 0, QuirkSet{})
	a := mustMmap(t, s, 0x20000000, 0x4000, rw, anon|hostvm.MapFixed)
	if err := s.Mprotect(a+0x1000, 0x1000, protRead); err != nil {
		t.Fatal(err)
	}
	if got := calls(s); got != "mprotect(0x20000000, 0x10000, PROT_READ|PROT_WRITE) = 0\n" {
		t.Errorf("host calls %q, want the union read|write on the whole host page", got)
	}
	if f := s.PageFlags(a+0x1000) & PageBits; f != PageRead {
		t.Errorf("guest flags %#x, want read only", f)
	}
}

// TestMremapBothVariants moves memory on a 4K host (host calls pass
// through) and on a 64K host (the fix emulates; the seed's host mremap
// refuses the unaligned range).
func TestMremapBothVariants(t *testing.T) {
	for _, c := range []struct {
		host    uint64
		quirks  QuirkSet
		wantErr error
	}{
		{4096, QuirkSet{}, nil}, {4096, SeedQuirks, nil},
		{0x10000, QuirkSet{}, nil}, {0x10000, SeedQuirks, hostvm.EINVAL},
	} {
		s, _ := newTestSim(t, c.host, 0, 0, c.quirks)
		a := mustMmap(t, s, 0x20001000, 0x2000, rw, anon|hostvm.MapFixed)
		s.Store(a, []byte("data"))
		b, err := s.Mremap(a, 0x2000, 0x8000, hostvm.MremapMayMove, 0)
		if err != c.wantErr {
			t.Errorf("host %#x quirks %v: mremap error %v, want %v", c.host, c.quirks, err, c.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		buf := make([]byte, 4)
		if _, f := s.Load(b, buf); f != nil || string(buf) != "data" {
			t.Errorf("host %#x quirks %v: moved data %q (%v)", c.host, c.quirks, buf, f)
		}
	}
}

// TestMsync checks target_msync's argument checks.
func TestMsync(t *testing.T) {
	s, _ := newTestSim(t, 4096, 0, 0, QuirkSet{})
	a := mustMmap(t, s, 0x20000000, 0x2000, rw, anon|hostvm.MapFixed)
	cases := []struct {
		addr, n uint64
		flags   int
		want    error
	}{
		{a, 0x2000, int(hostvm.MsSync), nil},
		{a + 1, 0x1000, int(hostvm.MsSync), hostvm.EINVAL},
		{a, 0, int(hostvm.MsSync), nil},
		{a, 0x3000, int(hostvm.MsSync), hostvm.ENOMEM},
		{a, 0x1000, int(hostvm.MsSync | hostvm.MsAsync), hostvm.EINVAL},
	}
	for _, c := range cases {
		if err := s.Msync(c.addr, c.n, c.flags); err != c.want {
			t.Errorf("msync(%#x, %#x, %#x) = %v, want %v", c.addr, c.n, c.flags, err, c.want)
		}
	}
}

// TestMmapLockAndFork checks the lock counter and mmap_fork_start's abort.
func TestMmapLockAndFork(t *testing.T) {
	s, _ := newTestSim(t, 4096, 0, 0, QuirkSet{})
	mustMmap(t, s, 0, 0x1000, rw, anon)
	if s.LockCount() != 0 {
		t.Fatalf("lock count %d after a guest call, want 0", s.LockCount())
	}
	for _, child := range []bool{false, true} {
		if err := s.ForkStart(); err != nil {
			t.Fatal(err)
		}
		if s.LockCount() != 1 {
			t.Errorf("lock count %d between mmap_fork_start and mmap_fork_end, want 1 (held)", s.LockCount())
		}
		s.ForkEnd(child)
		if s.LockCount() != 0 {
			t.Errorf("lock count %d after mmap_fork_end(child=%v), want 0 (free)", s.LockCount(), child)
		}
	}
	s.mmapLock()
	if err := s.ForkStart(); err == nil {
		t.Errorf("mmap_fork_start with the lock held: no abort")
	}
}

// TestCloneIndependent checks that a clone and its original do not share
// page flags, host mappings or memory.
func TestCloneIndependent(t *testing.T) {
	s, _ := newTestSim(t, 0x10000, 0, 0xf7000000, QuirkSet{})
	a := mustMmap(t, s, 0, 0x1000, rw, anon)
	s.Store(a, []byte("orig"))
	c := s.Clone()
	c.Store(a, []byte("copy"))
	c.Munmap(a, 0x1000)
	buf := make([]byte, 4)
	if _, f := s.Load(a, buf); f != nil || string(buf) != "orig" {
		t.Errorf("original reads %q (%v) after the clone changed, want \"orig\"", buf, f)
	}
	if s.PageFlags(a) == 0 || c.PageFlags(a) != 0 {
		t.Errorf("flags: original %#x, clone %#x", s.PageFlags(a), c.PageFlags(a))
	}
}

// TestTopPageOf32BitGuest maps, protects and unmaps the top page of a
// 32-bit guest: the seed aborts, the fix manages.
func TestTopPageOf32BitGuest(t *testing.T) {
	for _, q := range []QuirkSet{QuirkSet{}, SeedQuirks} {
		s, _ := newTestSim(t, 0x10000, 0, 0, q)
		a, err := s.Mmap(0xfffff000, 0x1000, rw, anon|hostvm.MapFixed, -1, 0)
		var ab *Abort
		if !q.Empty() {
			if !errors.As(err, &ab) {
				t.Errorf("seed: mmap of the top page = %#x, %v; want an abort", a, err)
			}
			continue
		}
		if err != nil || a != 0xfffff000 {
			t.Fatalf("fixed: mmap of the top page = %#x, %v", a, err)
		}
		if err := s.Mprotect(0xfffff000, 0x1000, protRead); err != nil {
			t.Errorf("mprotect of the top page: %v", err)
		}
		if err := s.Munmap(0xfffff000, 0x1000); err != nil {
			t.Errorf("munmap of the top page: %v", err)
		}
		if f := s.PageFlags(0xfffff000); f != 0 {
			t.Errorf("flags after munmap %#x", f)
		}
	}
}

// TestBrk grows and shrinks the emulated heap.
func TestBrk(t *testing.T) {
	s, _ := newTestSim(t, 0x10000, 0, 0xf7000000, QuirkSet{})
	start, _ := s.Brk(0)
	if start != s.BrkStart() {
		t.Fatalf("brk(0) = %#x, want the start %#x", start, s.BrkStart())
	}
	got, err := s.Brk(start + 0x20000)
	if err != nil || got != start+0x20000 {
		t.Fatalf("brk grow = %#x, %v", got, err)
	}
	if _, f := s.Store(start+0x1ffff, []byte{1}); f != nil {
		t.Errorf("store at the end of the heap: %v", f)
	}
	if got, _ := s.Brk(start + 0x100); got != start+0x100 {
		t.Errorf("brk shrink = %#x", got)
	}
}

// TestQuirkTable checks the quirk table: one entry per quirk, in numeric
// order, each with a unique name, seed lines and a description.
func TestQuirkTable(t *testing.T) {
	descs := QuirkDescs()
	if len(descs) != NumQuirks {
		t.Fatalf("%d descriptions for %d quirks", len(descs), NumQuirks)
	}
	names := map[string]bool{}
	for i, d := range descs {
		if d.Quirk != Quirk(i) {
			t.Errorf("entry %d describes quirk %d", i, d.Quirk)
		}
		if d.Name == "" || d.SeedLines == "" || d.Doc == "" || names[d.Name] {
			t.Errorf("quirk %d: empty or repeated field in %+v", i, d)
		}
		names[d.Name] = true
		if (d.Release == "") != SeedQuirks.Has(d.Quirk) || (d.Release == "") != (d.ReleaseLines == "") ||
			d.Release != "" && d.SeedLines != "none" {
			t.Errorf("quirk %s: release %q (lines %q), seed lines %q, in SeedQuirks %v: a release's quirk has its lines and none of the seed's, and is not the seed's",
				d.Name, d.Release, d.ReleaseLines, d.SeedLines, SeedQuirks.Has(d.Quirk))
		}
		if q, ok := QuirkByName(d.Name); !ok || q != d.Quirk {
			t.Errorf("QuirkByName(%q) = %v, %v", d.Name, q, ok)
		}
	}
	if AllQuirks.Len() != NumQuirks || NumQuirks > 256 {
		t.Errorf("AllQuirks has %d quirks of %d (a Quirk is a byte)", AllQuirks.Len(), NumQuirks)
	}
}

// TestQuirkSetAcrossWords: a QuirkSet holds quirks on both sides of its
// first word's end as one set: membership, removal, switching, counting,
// listing, difference and equality.
func TestQuirkSetAcrossWords(t *testing.T) {
	if NumQuirks <= 64 {
		t.Skipf("%d quirks fit one word", NumQuirks)
	}
	lo, hi := Quirk(63), Quirk(64)
	s := Quirks(lo, hi, 0)
	if !s.Has(lo) || !s.Has(hi) || !s.Has(0) || s.Has(1) || s.Len() != 3 {
		t.Fatalf("Quirks(63, 64, 0) = %v (len %d)", s.List(), s.Len())
	}
	if got := s.List(); len(got) != 3 || got[0] != 0 || got[1] != lo || got[2] != hi {
		t.Errorf("List = %v; want [0 63 64]", got)
	}
	if w := s.Without(hi); w.Has(hi) || !w.Has(lo) || w == s {
		t.Errorf("Without(64) = %v", w.List())
	}
	if f := s.Flip(hi).Flip(1); f.Has(hi) || !f.Has(1) || f.Flip(1).Flip(hi) != s {
		t.Errorf("Flip: %v", f.List())
	}
	if m := AllQuirks.Minus(s); m.Len() != NumQuirks-3 || m.Has(hi) || m.Has(lo) || !m.Has(1) {
		t.Errorf("AllQuirks.Minus(%v) = %d quirks", s.List(), m.Len())
	}
	if !(QuirkSet{}).Empty() || s.Empty() || (QuirkSet{}).String() != "none" {
		t.Errorf("the empty set: Empty %v, %q; a full one Empty %v", (QuirkSet{}).Empty(), QuirkSet{}.String(), s.Empty())
	}
	if q := Quirk(NumQuirks); Quirks(q).Has(q) || !Quirks(q).Empty() {
		t.Errorf("a quirk number past the last is in the set")
	}
}

// TestNoHostCallsBeforeTheFirstGuestCall: the host calls start-up makes
// (the reservation, the loader's page under the break) are not the last
// guest call's:
// LastHostCalls is empty until the guest makes one.
func TestNoHostCallsBeforeTheFirstGuestCall(t *testing.T) {
	for _, reserved := range []uint64{0, 0x10000000} {
		k, err := hostvm.New(hostvm.Config{PageSize: 0x10000, AddrBits: 47})
		if err != nil {
			t.Fatal(err)
		}
		// A break inside a host page: the seed's loader maps the page.
		s, err := New(KernelHost{k}, Config{ReservedVA: reserved, ProbeGuestBase: true, Quirks: SeedQuirks, BrkStart: 0x08100800})
		if err != nil {
			t.Fatal(err)
		}
		if c := s.LastHostCalls(); len(c) != 0 {
			t.Errorf("reserved %#x: before any guest call, LastHostCalls = %v; want none", reserved, c)
		}
		// The loader's page: the guest pages from the break's page to
		// the end of its host page, read-write.
		if f := s.PageFlags(0x08100000); f&(PageValid|PageBits) != PageValid|PageRead|PageWrite {
			t.Errorf("reserved %#x: the page under the break has flags %#x; want valid and rw-", reserved, f)
		}
	}
}

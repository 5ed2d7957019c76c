package qemu11

import (
	"errors"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// newHost is a fresh host kernel with pages of pageSize bytes and addrBits
// of address space.
func newHost(t *testing.T, pageSize uint64, addrBits int) sim.Host {
	t.Helper()
	k, err := hostvm.New(hostvm.Config{PageSize: pageSize, AddrBits: addrBits, MaxMapCount: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return sim.KernelHost{Kernel: k}
}

// newGuest starts an i386 guest (4K pages) on a host of hostPage pages
// with RESERVED_VA reservedVA.
func newGuest(t *testing.T, hostPage, reservedVA uint64) *Guest {
	t.Helper()
	g, err := New(newHost(t, hostPage, 48), sim.Config{TargetPageSize: 4096, ABIBits: 32, ReservedVA: reservedVA, ProbeGuestBase: true})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestNewRefuses(t *testing.T) {
	host := newHost(t, 4096, 47)
	for _, tc := range []struct {
		name string
		host sim.Host
		cfg  sim.Config
		want string
	}{
		{"-p", host, sim.Config{HostPageSize: 65536}, "no -p"},
		{"quirks", host, sim.Config{Quirks: sim.AllQuirks}, "no quirk switches"},
		{"no host", nil, sim.Config{}, "no host"},
		{"no kernel", sim.KernelHost{}, sim.Config{}, "page size"},
		{"reserved_va too big", host, sim.Config{ABIBits: 64, VirtBits: 40, ReservedVA: 1 << 41}, "too big"},
	} {
		_, err := New(tc.host, tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
}

// TestSpace checks main.c's choices: a 32-bit guest on a 64-bit host always
// gets a reservation (the whole 4 GiB by default), guest_addr_max is its
// last byte, task_unmapped_base moves below it when it does not fit, and a
// 64-bit guest without one has no bound.
func TestSpace(t *testing.T) {
	g := newGuest(t, 4096, 0)
	if got := g.Config().ReservedVA; got != 1<<32 {
		t.Errorf("default ReservedVA = %#x, want 1<<32", got)
	}
	if g.reservedVA != 0xffffffff || g.guestAddrMax != 0xffffffff {
		t.Errorf("reserved_va %#x guest_addr_max %#x, want 0xffffffff both", g.reservedVA, g.guestAddrMax)
	}
	if g.MmapNextStart() != 0x40000000 {
		t.Errorf("mmap_next_start = %#x, want 0x40000000", g.MmapNextStart())
	}
	small := newGuest(t, 4096, 0x10000000)
	if small.MmapNextStart() != 0x5556000 {
		t.Errorf("mmap_next_start under a 256M reservation = %#x, want TARGET_PAGE_ALIGN(0x0fffffff/3) = 0x5556000", small.MmapNextStart())
	}
	wide, err := New(newHost(t, 4096, 47), sim.Config{ABIBits: 64, VirtBits: 47})
	if err != nil {
		t.Fatal(err)
	}
	if wide.guestAddrMax != ^uint64(0) || wide.Config().ReservedVA != 0 {
		t.Errorf("64-bit guest: guest_addr_max %#x reserved %#x, want ~0 and none", wide.guestAddrMax, wide.Config().ReservedVA)
	}
}

// TestPageSetFlags checks page_set_flags' semantics: set and clear masks
// per page, PAGE_WRITE_ORG following PAGE_WRITE, a clear of PAGE_VALID
// replacing everything, pages without PAGE_VALID removed, and its
// assertions.
func TestPageSetFlags(t *testing.T) {
	g := newGuest(t, 4096, 0x10000000)
	err := g.guard(func() error {
		g.mmapLock()
		defer g.mmapUnlock()
		g.pageSetFlags(0x10000, 0x12fff, base.PageValid|base.PageRead|base.PageWrite|PageAnon, base.PageValid)
		g.pageSetFlags(0x11000, 0x11fff, base.PageValid|base.PageRead, base.PageBits) // mprotect keeps PAGE_ANON
		g.pageSetFlags(0x13000, 0x13fff, base.PageRead, 0)                            // no PAGE_VALID: nothing
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []sim.FlagRun{
		{Start: 0x10000, End: 0x11000, Flags: base.PageValid | base.PageRead | base.PageWrite | base.PageWriteOrg | PageAnon},
		{Start: 0x11000, End: 0x12000, Flags: base.PageValid | base.PageRead | PageAnon},
		{Start: 0x12000, End: 0x13000, Flags: base.PageValid | base.PageRead | base.PageWrite | base.PageWriteOrg | PageAnon},
	}
	if got := g.FlagRunsIn(0x10000, 0x20000); !equalRuns(got, want) {
		t.Errorf("runs = %+v, want %+v", got, want)
	}
	// PAGE_ANON may only be set with a new mapping.
	err = g.guard(func() error {
		g.mmapLock()
		g.pageSetFlags(0x10000, 0x10fff, PageAnon, 0)
		return nil
	})
	var a *sim.Abort
	if !errors.As(err, &a) || a.Func != "page_set_flags" {
		t.Errorf("setting PAGE_ANON without clearing PAGE_VALID: %v, want page_set_flags to abort", err)
	}
}

func equalRuns(a, b []sim.FlagRun) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPageFindRangeEmpty checks the search: the lowest aligned free range
// inside [min, max], -1 when there is none, and its assertions.
func TestPageFindRangeEmpty(t *testing.T) {
	g := newGuest(t, 4096, 0x100000)
	var got []uint64
	err := g.guard(func() error {
		g.mmapLock()
		defer g.mmapUnlock()
		g.pageSetFlags(0x10000, 0x1ffff, base.PageValid, base.PageValid)
		got = append(got,
			g.pageFindRangeEmpty(0x10000, 0xfffff, 0x1000, 0x1000),  // after the mapping
			g.pageFindRangeEmpty(0x0, 0xfffff, 0x10000, 0x10000),    // before it
			g.pageFindRangeEmpty(0x8000, 0xfffff, 0x10000, 0x10000), // aligned up past it
			g.pageFindRangeEmpty(0x20000, 0x2ffff, 0x20000, 0x1000), // too small a region
		)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{0x20000, 0x0, 0x20000, ^uint64(0)}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("search %d = %#x, want %#x", i, got[i], want[i])
		}
	}
	err = g.guard(func() error {
		g.mmapLock()
		g.pageFindRangeEmpty(0x10000, 0xfffff, 0, 0x1000)
		return nil
	})
	if a, ok := err.(*sim.Abort); !ok || !strings.Contains(a.Reason, "len != 0") {
		t.Errorf("a zero length: %v, want the assertion len != 0", err)
	}
}

// TestNotStarted checks the zero value: a process that never ran.
func TestNotStarted(t *testing.T) {
	var g Guest
	if _, err := g.Mmap(0, 4096, 3, hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0); err != errNotStarted {
		t.Errorf("Mmap = %v, want %v", err, errNotStarted)
	}
	if _, f := g.Load(0x1000, make([]byte, 1)); f == nil {
		t.Errorf("Load did not fault")
	}
	if err := g.CheckAgreement(); err != errNotStarted {
		t.Errorf("CheckAgreement = %v", err)
	}
}

// TestClone checks that a clone and its original go their own ways.
func TestClone(t *testing.T) {
	g := newGuest(t, 65536, 0x10000000)
	a, err := g.Mmap(0x100000, 0x2000, 3, hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapFixed, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := g.Clone()
	if err := c.Munmap(a, 0x2000); err != nil {
		t.Fatal(err)
	}
	if g.PageFlags(a)&base.PageValid == 0 {
		t.Errorf("munmap in the clone unmapped the original")
	}
	if c.PageFlags(a) != 0 {
		t.Errorf("the clone still has the page")
	}
	if err := g.CheckAgreement(); err != nil {
		t.Error(err)
	}
}

// TestWrap32 checks the 32-bit arithmetic at the top of the space: the
// last page maps, a mapping that would pass the top is ENOMEM, and a
// length that wraps when aligned is ENOMEM.
func TestWrap32(t *testing.T) {
	g := newGuest(t, 65536, 0)
	anon := hostvm.MapPrivate | hostvm.MapAnonymous | hostvm.MapFixed
	if a, err := g.Mmap(0xffffe000, 0x2000, 3, anon, -1, 0); err != nil || a != 0xffffe000 {
		t.Errorf("the top two pages: %#x, %v", a, err)
	}
	if _, err := g.Mmap(0xffffe000, 0x3000, 3, anon, -1, 0); err != hostvm.ENOMEM {
		t.Errorf("past the top: %v, want ENOMEM", err)
	}
	if _, err := g.Mmap(0, 0xfffff001, 3, hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0); err != hostvm.ENOMEM {
		t.Errorf("a length that wraps: %v, want ENOMEM", err)
	}
	if err := g.Mprotect(0xfffff000, 0x1000, 1); err != nil {
		t.Errorf("mprotect of the top page: %v", err)
	}
	if err := g.CheckAgreement(); err != nil {
		t.Error(err)
	}
}

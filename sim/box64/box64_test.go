package box64

import (
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
)

const (
	rw   = protRead | protWrite
	anon = hostvm.MapPrivate | hostvm.MapAnonymous
)

// newProcess starts box64 on a host with pages of pageBits bytes and a
// 47-bit space.
func newProcess(t *testing.T, page uint64, opts Options) (*Box64, *hostvm.Kernel) {
	t.Helper()
	k, err := hostvm.New(hostvm.Config{PageSize: page, AddrBits: 47})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(sim.KernelHost{Kernel: k}, sim.Config{ABIBits: 64, ProbeGuestBase: true}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return b, k
}

// TestNewRefusesWhatBox64DoesNotRun: box64 runs 64-bit guests with 4K
// pages, has no RESERVED_VA, guest_base or -p, and uses the host's break.
func TestNewRefusesWhatBox64DoesNotRun(t *testing.T) {
	k, err := hostvm.New(hostvm.Config{PageSize: 16 << 10, AddrBits: 47})
	if err != nil {
		t.Fatal(err)
	}
	host := sim.KernelHost{Kernel: k}
	for _, c := range []struct {
		name string
		cfg  sim.Config
		want string
	}{
		{"i386", sim.Config{ABIBits: 32}, "x86_64 guests"},
		{"8K guest pages", sim.Config{ABIBits: 64, TargetPageSize: 8192}, "x86_64 guests"},
		{"reserved_va", sim.Config{ABIBits: 64, ReservedVA: 1 << 30}, "RESERVED_VA"},
		{"guest_base", sim.Config{ABIBits: 64, GuestBase: 1 << 30}, "guest_base"},
		{"-p", sim.Config{ABIBits: 64, HostPageSize: 64 << 10}, "host's page"},
		{"brk", sim.Config{ABIBits: 64, BrkStart: 0x10000000}, "brk"},
		{"quirks", sim.Config{ABIBits: 64, Quirks: sim.AllQuirks}, "quirks"},
	} {
		_, err := New(host, c.cfg, Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: New = %v, want an error about %q", c.name, err, c.want)
		}
	}
	for _, h := range []sim.Host{nil, sim.KernelHost{}} {
		if b, err := New(h, sim.Config{ABIBits: 64}, Options{}); err == nil || b != nil {
			t.Errorf("New over %#v = %v, %v; want an error and no process", h, b, err)
		}
	}
}

// TestPageSizeAnswers: getpagesize and sysconf say 4096 whatever the host's
// page (wrappedlibc.c:5246-5255).
func TestPageSizeAnswers(t *testing.T) {
	for _, page := range []uint64{4 << 10, 16 << 10, 64 << 10} {
		b, _ := newProcess(t, page, Options{})
		if got := b.GetPageSize(); got != 4096 {
			t.Errorf("host page %#x: getpagesize = %d, want 4096", page, got)
		}
		if got := b.Config().HostPageSize; got != page {
			t.Errorf("host page %#x: box64_pagesize = %#x", page, got)
		}
	}
}

// TestGuestProtectionTree: on a 16K host box64 keeps the 4K guest pages'
// protection apart from the host page's union; getrlimit's buffer probe
// reads it (wrappedlibc.c:4342-4347).
func TestGuestProtectionTree(t *testing.T) {
	b, k := newProcess(t, 16<<10, Options{})
	a, err := b.Mmap(0, 0x4000, rw, anon, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Mprotect(a+0x1000, 0x1000, protRead); err != nil {
		t.Fatal(err)
	}
	if got := b.PageFlags(a + 0x1000); got&sim.PageBits != sim.PageRead || got&sim.PageValid == 0 {
		t.Errorf("guest page flags %#x, want valid r--", got)
	}
	if m, _ := k.Lookup(hostvm.Addr(a + 0x1000)); m.Prot != hostvm.ProtRead|hostvm.ProtWrite {
		t.Errorf("host page %v, want the union rw-", m.Prot)
	}
	if b.GetrlimitBufferOK(a+0x1000, 16) || !b.GetrlimitBufferOK(a, 16) {
		t.Errorf("getrlimit probe: want EFAULT for the read-only guest page only")
	}
	if mapped, prot, known := b.HostPageBelief(a); !mapped || !known || prot != hostvm.ProtRead|hostvm.ProtWrite {
		t.Errorf("HostPageBelief = %v %v %v, want mapped rw-", mapped, prot, known)
	}
	if err := b.CheckAgreement(); err != nil {
		t.Errorf("CheckAgreement: %v", err)
	}
	// munmap of the page: protection 0, still mapped on the host.
	if err := b.Munmap(a+0x1000, 0x1000); err != nil {
		t.Fatal(err)
	}
	if got := b.PageFlags(a + 0x1000); got != sim.PageValid {
		t.Errorf("after munmap: flags %#x, want PageValid alone (protection 0)", got)
	}
	if _, f := b.Load(a+0x1000, make([]byte, 1)); f != nil {
		t.Errorf("after munmap: load faults (%v), want the host page still mapped", f)
	}
}

// TestFourKHost: on a 4K host box64 keeps no guest tree; its view is the
// host-granular record, which agrees with the host.
func TestFourKHost(t *testing.T) {
	b, _ := newProcess(t, 4<<10, Options{})
	a, err := b.Mmap(0, 0x3000, rw, anon, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Mprotect(a+0x1000, 0x1000, protRead); err != nil {
		t.Fatal(err)
	}
	runs := b.FlagRuns()
	if len(runs) != 3 || runs[1].Flags&sim.PageBits != sim.PageRead {
		t.Errorf("4K host view %+v, want rw- r-- rw-", runs)
	}
	if err := b.CheckAgreement(); err != nil {
		t.Errorf("CheckAgreement: %v", err)
	}
}

// TestCloneIsIndependent: a clone's calls do not change the original.
func TestCloneIsIndependent(t *testing.T) {
	b, _ := newProcess(t, 16<<10, Options{Wine: true})
	a, err := b.Mmap(0, 0x4000, rw, anon, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := b.Clone()
	if !c.Wine() {
		t.Errorf("the clone lost the Wine switch")
	}
	if err := c.Munmap(a, 0x4000); err != nil {
		t.Fatal(err)
	}
	if b.PageFlags(a)&sim.PageValid == 0 {
		t.Errorf("munmap in the clone changed the original's view")
	}
	if _, f := b.Load(a, make([]byte, 1)); f != nil {
		t.Errorf("munmap in the clone changed the original's host: %v", f)
	}
}

// TestZeroBox64DoesNotPanic: a Box64 New did not make fails its calls and
// faults its accesses.
func TestZeroBox64DoesNotPanic(t *testing.T) {
	var b Box64
	var g sim.Guest = &b
	if _, err := g.Mmap(0, 0x1000, rw, anon, -1, 0); err == nil {
		t.Errorf("mmap on a zero Box64 succeeded")
	}
	for name, err := range map[string]error{
		"munmap": g.Munmap(0, 0x1000), "mprotect": g.Mprotect(0, 0x1000, rw), "msync": g.Msync(0, 0x1000, 0),
		"madvise": g.Madvise(0, 0x1000, hostvm.MadvDontNeed), "check": g.CheckAgreement(),
	} {
		if err == nil {
			t.Errorf("%s on a zero Box64: no error", name)
		}
	}
	if _, err := g.Brk(0x10000000); err == nil {
		t.Errorf("brk on a zero Box64 succeeded")
	}
	if _, f := g.Load(0x1000, make([]byte, 4)); f == nil {
		t.Errorf("load on a zero Box64 did not fault")
	}
	if g.AccessOK(0x1000, 4, false) || g.PageFlags(0x1000) != 0 || len(g.FlagRuns()) != 0 {
		t.Errorf("a zero Box64 shows mapped memory")
	}
}

// TestCrashIsFinal: once box64 dies of its own store, every call returns
// the same abort and accesses fault.
func TestCrashIsFinal(t *testing.T) {
	b, k := newProcess(t, 16<<10, Options{})
	fd, err := k.Open("small", hostvm.ORdWr|hostvm.OCreat, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Ftruncate(fd, 0x1800); err != nil {
		t.Fatal(err)
	}
	a, err := b.Mmap(0, 0x5000, protRead, hostvm.MapPrivate, fd, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Mmap(a+0x5000, 0x1000, rw, anon|hostvm.MapFixed, -1, 0)
	abort, ok := err.(*sim.Abort)
	if !ok || abort.Func != "my_mmap64" || !strings.HasPrefix(abort.Error(), "box64: ") {
		t.Fatalf("edge memset past EOF: err %v, want box64's abort in my_mmap64", err)
	}
	if err := b.Munmap(a, 0x1000); err != abort {
		t.Errorf("munmap after the crash: %v, want the same abort", err)
	}
	if _, f := b.Load(a, make([]byte, 1)); f == nil {
		t.Errorf("load after the crash did not fault")
	}
}

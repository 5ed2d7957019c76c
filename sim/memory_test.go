package sim

import (
	"errors"
	"fmt"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// readOnlyWrapper wraps a kernel host as a user would, overriding Read:
// LoadSparse must not go around it.
type readOnlyWrapper struct{ KernelHost }

func (w readOnlyWrapper) Read(addr hostvm.Addr, buf []byte) (int, *hostvm.Fault) {
	return w.KernelHost.Read(addr, buf)
}

// TestLoadSparse checks LoadSparse against Load: the same count and
// fault, the bytes of written blocks, zeros left out of the others; and
// that it declines (false) where it cannot read sparsely: a range that
// wraps the guest's word, a wrapped host, a zero Sim. A process that
// aborted faults every access, as Load does.
func TestLoadSparse(t *testing.T) {
	s, _ := newTestSim(t, 0x10000, 0, 0, QuirkSet{})
	a := mustMmap(t, s, 0x100000, 0x5000, rw, anon|hostvm.MapFixed)
	if _, f := s.Store(a+0x1003, []byte{1, 2, 3}); f != nil {
		t.Fatal(f)
	}
	mustMmap(t, s, 0xfffff000, 0x1000, rw, anon|hostvm.MapFixed)
	if _, f := s.Store(0xfffffffe, []byte{4, 5}); f != nil {
		t.Fatal(f)
	}
	for _, c := range []struct{ addr, n uint64 }{
		{a, 0x5000}, {a, 0x10000}, {a + 0x1000, 0x1000}, {a - 0x1000, 0x2000}, {0xfffff000, 0x1000}, {a + 0x800, 0x1800},
	} {
		want := make([]byte, c.n)
		wantN, wantF := s.Load(c.addr, want)
		got := make([]byte, c.n)
		for i := range got {
			got[i] = 0xa5
		}
		written := make([]bool, c.n/0x1000+1)
		gotN, gotF, ok := s.LoadSparse(c.addr, got, 0x1000, written)
		what := fmt.Sprintf("LoadSparse(%#x, %#x)", c.addr, c.n)
		if !ok || gotN != wantN || fmt.Sprint(gotF) != fmt.Sprint(wantF) {
			t.Fatalf("%s = %d, %v, %v; Load: %d, %v", what, gotN, gotF, ok, wantN, wantF)
		}
		for i := 0; i < gotN; i++ {
			if w := written[i/0x1000]; w && got[i] != want[i] || !w && (got[i] != 0xa5 || want[i] != 0) {
				t.Fatalf("%s: byte %d: %#x (block written %v), Load's %#x", what, i, got[i], w, want[i])
			}
		}
	}
	written := make([]bool, 2)
	if _, _, ok := s.LoadSparse(0xfffff000, make([]byte, 0x2000), 0x1000, written); ok {
		t.Errorf("LoadSparse of a range that wraps the guest's word read sparsely")
	}
	var zero Sim
	if _, _, ok := zero.LoadSparse(0x1000, make([]byte, 0x1000), 0x1000, written); ok {
		t.Errorf("LoadSparse on a zero Sim read sparsely")
	}
	k, err := hostvm.New(hostvm.Config{PageSize: 0x1000, AddrBits: 47})
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(readOnlyWrapper{KernelHost{k}}, Config{ProbeGuestBase: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := w.LoadSparse(0x1000, make([]byte, 0x1000), 0x1000, written); ok {
		t.Errorf("LoadSparse over a wrapped host read sparsely")
	}
	dead, _ := newTestSim(t, 0x10000, 0, 0, SeedQuirks)
	var ab *Abort
	if _, err := dead.Mmap(0xfffff000, 0x1000, rw, anon|hostvm.MapFixed, -1, 0); !errors.As(err, &ab) {
		t.Fatalf("seed: mmap of the top page: %v; want an abort", err)
	}
	written[0] = true
	if n, f, ok := dead.LoadSparse(0x1000, make([]byte, 0x1000), 0x1000, written); !ok || n != 0 || f == nil || written[0] {
		t.Errorf("LoadSparse after an abort = %d, %v, %v, written %v; want a fault", n, f, ok, written[0])
	}
}

// TestAccessWrapsAtTopOfGuestWord: a 32-bit guest's store or load that
// runs past 0xffffffff goes on at guest address 0, as the guest CPU's
// address arithmetic wraps, never into the host memory that follows the
// guest space: with guest page 0 unmapped it faults there, after the two
// bytes of the top page, and the host memory past the guest space is left
// as it was.
func TestAccessWrapsAtTopOfGuestWord(t *testing.T) {
	s, k := newTestSim(t, 0x1000, 0, 0, QuirkSet{})
	mustMmap(t, s, 0xfffff000, 0x1000, rw, anon|hostvm.MapFixed)
	past := s.G2H(0) + 1<<32 // the host memory after the guest space
	if _, err := k.Mmap(past, 0x1000, hostvm.ProtRead|hostvm.ProtWrite, hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapFixedNoReplace, -1, 0); err != nil {
		t.Fatalf("host mmap at %v: %v", past, err)
	}
	n, f := s.Store(0xfffffffe, []byte{1, 2, 3, 4})
	if n != 2 || f == nil || f.Addr != 0 {
		t.Errorf("store of 4 bytes at 0xfffffffe = %d, %+v; want 2 bytes and a fault at guest 0", n, f)
	}
	buf := make([]byte, 4)
	n, f = s.Load(0xfffffffe, buf)
	if n != 2 || f == nil || f.Addr != 0 || buf[0] != 1 || buf[1] != 2 {
		t.Errorf("load of 4 bytes at 0xfffffffe = %d, %+v, % x; want 01 02 and a fault at guest 0", n, f, buf)
	}
	host := make([]byte, 2)
	if _, hf := k.Read(past, host); hf != nil || host[0] != 0 || host[1] != 0 {
		t.Errorf("the host memory past the guest space reads % x (%v), want it untouched", host, hf)
	}
}

// TestWriteFaultSpinNeedsWriteFlag: QEMU 7.2's page_unprotect spins only
// on a page whose flags hold both PAGE_WRITE and PAGE_WRITE_ORG. With the
// seed's unmasked mmap protection, a guest's prot bit 0x10 lands in the
// page flags as PAGE_WRITE_ORG alone: a store there faults as on any
// read-only page, and the process is not lost.
func TestWriteFaultSpinNeedsWriteFlag(t *testing.T) {
	s, _ := newTestSim(t, 0x1000, 0, 0, QuirkSet{}.With(QuirkMmapProtUnmasked).With(QuirkWriteFaultSpin))
	a := mustMmap(t, s, 0, 0x1000, protRead|0x10, anon)
	if f := s.PageFlags(a); f&PageWriteOrg == 0 || f&PageWrite != 0 {
		t.Fatalf("flags of %#x: %#x; want PAGE_WRITE_ORG without PAGE_WRITE", a, f)
	}
	if _, f := s.Store(a, []byte("x")); f == nil || f.Signal != hostvm.SIGSEGV {
		t.Errorf("store to read-only %#x: fault %v; want SIGSEGV", a, f)
	}
	if ab := s.Aborted(); ab != nil {
		t.Errorf("a store to a page without PAGE_WRITE aborted: %v", ab)
	}
}

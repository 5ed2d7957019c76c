package props

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// TestAbortedProcessFaultsEveryAccess: once QEMU has aborted (here the
// seed's page_set_flags assertion, reached by mremap with old_size 0 under
// quirk mremap-zero-old-size, as props/testdata/mremap-zero-old-size.scn
// found), the process is gone: every later load and store, of memory that
// was mapped and writable a moment before or of any other address, faults
// with SIGSEGV at its address and touches nothing, and every system call
// returns the abort.
func TestAbortedProcessFaultsEveryAccess(t *testing.T) {
	const seed = 39
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	setup, ok := SetupByName("x86_64-16k")
	if !ok {
		t.Fatal("no setup x86_64-16k")
	}
	pol, err := policy.ParsePolicy("fixed-except=mremap-zero-old-size")
	if err != nil {
		t.Fatal(err)
	}
	sys, err := NewSystem(setup, pol)
	if err != nil {
		t.Fatal(err)
	}
	const size = 0x26000
	g := sys.sim
	a, err := g.Mmap(0, size, int(hostvm.ProtRead|hostvm.ProtWrite|hostvm.ProtExec), hostvm.MapShared|hostvm.MapAnonymous, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if n, f := g.Store(a, []byte{1, 2, 3}); n != 3 || f != nil {
		t.Fatalf("store before the abort: %d, %v", n, f)
	}
	_, err = g.Mremap(a+0x18000, 0, 0xc000, hostvm.MremapMayMove, 0)
	var abort *sim.Abort
	if !errors.As(err, &abort) || g.Aborted() == nil {
		t.Fatalf("mremap(%#x, 0, 0xc000, MREMAP_MAYMOVE) = %v, Aborted() = %v; want QEMU's abort", a+0x18000, err, g.Aborted())
	}
	for i := 0; i < 200; i++ {
		addr := a + rng.Uint64N(size)
		if i%4 == 3 {
			addr = rng.Uint64()
		}
		buf := make([]byte, 1+rng.IntN(64))
		var n int
		var f *hostvm.Fault
		what := "load"
		if i%2 == 0 {
			n, f = g.Load(addr, buf)
		} else {
			what = "store"
			n, f = g.Store(addr, buf)
		}
		if n != 0 || f == nil || f.Signal != hostvm.SIGSEGV || uint64(f.Addr) != addr {
			t.Fatalf("%s of %d bytes at %#x after the abort: %d bytes, fault %+v; want none and SIGSEGV at the address", what, len(buf), addr, n, f)
		}
	}
	if err := g.Munmap(a, size); !errors.As(err, &abort) {
		t.Errorf("munmap after the abort = %v, want the abort", err)
	}
}

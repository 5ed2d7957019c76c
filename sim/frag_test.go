package sim

import (
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// TestFragPreadHostCalls checks the host calls mmap_frag makes to read file
// data into a host page it shares (seed lines 172-184): it makes the host
// page writable first only when it is not (prot1 lacks PROT_WRITE), and
// puts the final protection back only when it differs from prot1 |
// PROT_WRITE. A 4K file mapping at a place the file's offset cannot be
// mapped, inside a 64K host page already mapped for a neighbour, once
// writable and once read-only.
func TestFragPreadHostCalls(t *testing.T) {
	for _, tc := range []struct {
		neighbour, prot int
		mprotects       int // host mprotects the fragment needs
	}{
		{rw, rw, 0},             // already writable, and the final protection is prot1 | PROT_WRITE
		{protRead, protRead, 2}, // made writable, then back to read-only
		{protRead, rw, 1},       // made writable, and left so
	} {
		s, k := newTestSim(t, 0x10000, 0, 0, QuirkSet{})
		fd := mustFile(t, k, "f", 0x10000)
		a := mustMmap(t, s, 0, 0x10000, tc.neighbour, anon)
		// Offset 0x3000 at a+0x1000: not congruent within the host page.
		if _, err := s.Mmap(a+0x1000, 0x1000, tc.prot, hostvm.MapPrivate|hostvm.MapFixed, fd, 0x3000); err != nil {
			t.Fatalf("neighbour %#x, prot %#x: mmap: %v\n%s", tc.neighbour, tc.prot, err, calls(s))
		}
		n, preads := 0, 0
		for _, c := range s.LastHostCalls() {
			switch c.Op {
			case OpMprotect:
				n++
			case OpPread:
				preads++
			}
		}
		if n != tc.mprotects || preads != 1 {
			t.Errorf("neighbour %#x, prot %#x: %d host mprotects and %d preads; want %d and 1\n%s",
				tc.neighbour, tc.prot, n, preads, tc.mprotects, calls(s))
		}
	}
}

// TestFragSharedLeakStillEINVAL: with the seed's leak of a fresh host page
// (QuirkFragSharedLeak) but not its missing errno (QuirkFragSharedErrno),
// mmap_frag refuses a writable MAP_SHARED file fragment with EINVAL (seed
// line 170's "return -1" with the fix's errno): the guest sees EINVAL, not
// whatever errno an earlier call left.
func TestFragSharedLeakStillEINVAL(t *testing.T) {
	s, k := newTestSim(t, 0x10000, 0, 0, QuirkSet{}.With(QuirkFragSharedLeak))
	fd := mustFile(t, k, "f", 0x10000)
	// A failed call before leaves another errno behind.
	if err := s.Mprotect(0x20000000, 0x1000, protRead); err != hostvm.ENOMEM {
		t.Fatalf("mprotect of unmapped memory = %v, want ENOMEM", err)
	}
	_, err := s.Mmap(0x20000000, 0x1000, rw, hostvm.MapShared|hostvm.MapFixed, fd, 0)
	if err != hostvm.EINVAL {
		t.Errorf("mmap of a writable shared 4K file fragment on a 64K host page = %v, want EINVAL\n%s", err, calls(s))
	}
}

package hostvm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// bigWorld returns a kernel with n one-page VMAs (every other page of a
// region, alternately r-- and rw- with a byte written), enough for trees of
// several levels, and the region's base.
func bigWorld(t *testing.T, n int) (*Kernel, Addr) {
	t.Helper()
	cfg := linuxConfig()
	cfg.MaxMapCount = 4 * n
	k := newKernel(t, cfg)
	base := Addr(0x100000000000)
	for i := 0; i < n; i++ {
		a := base + Addr(2*i)*pg
		prot := ProtRead
		if i%2 == 1 {
			prot = rw
		}
		mustMmap(t, k, a, pg, prot, pa|MapFixed, -1, 0)
		if prot == rw {
			poke(t, k, a, byte(i))
		}
	}
	if k.vmas.Height() < 2 {
		t.Fatalf("%d VMAs make a tree of height %d, want at least 2", n, k.vmas.Height())
	}
	return k, base
}

// snapshot renders everything of k a clone could share by mistake: the
// maps with their hidden flags, the gaps recorded, memory at a few addresses.
func snapshot(k *Kernel, base Addr) string {
	s := k.Debug()
	k.vmas.Ascend(func(v vma) bool {
		s += Range{v.end, v.gapEnd}.String() + "\n"
		return true
	})
	for i := 0; i < 64; i++ {
		b, f := peek(k, base+Addr(i*97)*pg)
		s += fmt.Sprintf("%02x/%s ", b, faultCode(f))
	}
	return s
}

// scramble makes steps random calls over the region at base, so that
// nodes at every level of both trees are written, split and merged.
func scramble(t *testing.T, k *Kernel, base Addr, n int, rng *rand.Rand, steps int) {
	t.Helper()
	for i := 0; i < steps; i++ {
		a := base + Addr(rng.IntN(2*n))*pg
		l := uint64(1+rng.IntN(40)) * pg
		switch rng.IntN(5) {
		case 0:
			_ = k.Munmap(a, l)
		case 1:
			_ = k.Mprotect(a, l, ProtNone)
		case 2:
			_, _ = k.Mmap(a, l, rw, pa|MapFixed, -1, 0)
		case 3:
			_, _ = k.Mremap(a, pg, 3*pg, MremapMayMove, 0)
		default:
			_, _ = k.Write(a, []byte{byte(i)})
		}
	}
}

// TestCloneTreesIndependent: a clone of a kernel whose VMA tree (with its
// gaps) spans several levels is a snapshot. Scrambling the clone (or the
// original) leaves the other exactly as it was, invariants included; a
// clone of a clone taken mid-way is unaffected by later changes to its
// source; and scrambling the kernel left alone afterwards leaves the other
// two as they were.
func TestCloneTreesIndependent(t *testing.T) {
	seed := uint64(0x636c6f6e)
	t.Logf("seed %#x", seed)
	const n = 3000
	for _, changeClone := range []bool{true, false} {
		rng := rand.New(rand.NewPCG(seed, 3))
		k, base := bigWorld(t, n)
		want := snapshot(k, base)
		c := k.Clone()
		changed, kept := c, k
		if !changeClone {
			changed, kept = k, c
		}
		scramble(t, changed, base, n, rng, 300)
		mid := changed.Clone()
		midWant := snapshot(mid, base)
		scramble(t, changed, base, n, rng, 300)
		changedWant := snapshot(changed, base)
		if changedWant == want || changedWant == midWant {
			t.Fatalf("changeClone=%v: scrambling changed nothing", changeClone)
		}
		if got := snapshot(kept, base); got != want {
			t.Errorf("changeClone=%v: the kernel left alone changed", changeClone)
		}
		if got := snapshot(mid, base); got != midWant {
			t.Errorf("changeClone=%v: the clone taken mid-way changed", changeClone)
		}
		scramble(t, kept, base, n, rng, 300)
		if snapshot(kept, base) == want {
			t.Fatalf("changeClone=%v: scrambling the other kernel changed nothing", changeClone)
		}
		if got := snapshot(changed, base); got != changedWant {
			t.Errorf("changeClone=%v: scrambling the kernel left alone changed the other", changeClone)
		}
		if got := snapshot(mid, base); got != midWant {
			t.Errorf("changeClone=%v: scrambling the kernel left alone changed the mid-way clone", changeClone)
		}
		for _, x := range []*Kernel{k, c, mid} {
			if err := x.CheckInvariants(); err != nil {
				t.Fatalf("changeClone=%v: %v", changeClone, err)
			}
		}
	}
}

package base

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// kernelHost makes a *hostvm.Kernel a Host for these tests.
type kernelHost struct{ *hostvm.Kernel }

func (h kernelHost) CloneHost() Host { return kernelHost{h.Kernel.Clone()} }

// TestWriteZerosIsWrite: WriteZeros writes what Host.Write of as many zero
// bytes writes, returns the same count and the same fault (address and
// code), on hosts of 4K and 64K pages, from random starts over a layout
// of writable, read-only and unmapped pages with data in them.
func TestWriteZerosIsWrite(t *testing.T) {
	seed := uint64(0x7a65726f)
	t.Logf("seed %#x", seed)
	rng := rand.New(rand.NewPCG(seed, 5))
	for _, ps := range []uint64{0x1000, 0x10000} {
		k, err := hostvm.New(hostvm.Config{PageSize: ps, AddrBits: 47})
		if err != nil {
			t.Fatal(err)
		}
		base := hostvm.Addr(0x100000000)
		anon := hostvm.MapPrivate | hostvm.MapAnonymous | hostvm.MapFixed
		rw := hostvm.ProtRead | hostvm.ProtWrite
		if _, err := k.Mmap(base, 64*ps, rw, anon, -1, 0); err != nil {
			t.Fatal(err)
		}
		fill := make([]byte, 64*ps)
		for i := range fill {
			fill[i] = byte(i*7 + 1)
		}
		if _, f := k.Write(base, fill); f != nil {
			t.Fatal(f)
		}
		for _, p := range []uint64{40, 41, 50} {
			_ = k.Mprotect(base+hostvm.Addr(p*ps), ps, hostvm.ProtRead)
		}
		_ = k.Munmap(base+hostvm.Addr(60*ps), ps)
		for round := 0; round < 40; round++ {
			start := base + hostvm.Addr(rng.Uint64N(62*ps))
			n := rng.Uint64N(uint64(base) + 64*ps - uint64(start) + ps)
			a, b := k.Clone(), k.Clone()
			la := Libc{Host: kernelHost{a}}
			wa, fa := la.WriteZeros(start, n)
			wb, fb := b.Write(start, make([]byte, n))
			if wa != wb || fmt.Sprint(fa) != fmt.Sprint(fb) {
				t.Fatalf("page %#x: WriteZeros(%#x, %#x) = %d, %v; Write = %d, %v", ps, start, n, wa, fa, wb, fb)
			}
			got, want := make([]byte, 66*ps), make([]byte, 66*ps)
			a.Read(base, got)
			b.Read(base, want)
			if string(got) != string(want) {
				t.Fatalf("page %#x: WriteZeros(%#x, %#x) left other bytes than Write", ps, start, n)
			}
		}
	}
}

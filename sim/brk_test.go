package sim

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// TestBrkGrows checks that the heap grows from its default start on hosts
// with larger pages (the start's host page is mapped, as the loader's bss
// would be) and for 8 KiB targets on 4 KiB hosts (the start lies in the
// guest space, on a target page).
func TestBrkGrows(t *testing.T) {
	cases := []struct {
		name     string
		hostPage uint64
		target   Config
	}{
		{"x86_64 on 64K", 64 << 10, Config{ABIBits: 64, TargetPageSize: 4 << 10}},
		{"x86_64 on 16K", 16 << 10, Config{ABIBits: 64, TargetPageSize: 4 << 10}},
		{"alpha on 4K", 4 << 10, Config{ABIBits: 64, VirtBits: 43, TargetPageSize: 8 << 10}},
		{"i386 on 64K", 64 << 10, Config{ABIBits: 32, TargetPageSize: 4 << 10}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := hostvm.New(hostvm.Config{PageSize: c.hostPage, AddrBits: 47})
			if err != nil {
				t.Fatal(err)
			}
			s, err := New(KernelHost{k}, c.target)
			if err != nil {
				t.Fatal(err)
			}
			start := s.BrkStart()
			if start%s.Config().TargetPageSize != 0 || !s.geom.GuestRangeValid(start, 1) {
				t.Fatalf("brk starts at %#x: want a target page inside the guest space", start)
			}
			want := start + 0x23000
			got, err := s.Brk(want)
			if err != nil || got != want {
				t.Fatalf("brk(%#x) = %#x, %v; want %#x", want, got, err, want)
			}
			buf := []byte{1, 2, 3}
			if n, f := s.Store(want-3, buf); n != 3 || f != nil {
				t.Fatalf("store at the new break's last bytes: %d, %v", n, f)
			}
			if got, _ := s.Brk(start + 0x1000); got != start+0x1000 {
				t.Fatalf("shrinking brk gave %#x", got)
			}
			if got, _ := s.Brk(want); got != want {
				t.Fatalf("growing brk again gave %#x", got)
			}
			out := make([]byte, 3)
			if n, f := s.Load(want-3, out); n != 3 || f != nil || out[0] != 0 {
				t.Fatalf("after shrink and growth the heap holds %v (%d, %v), want zeros", out, n, f)
			}
		})
	}
}

// TestDontNeedClearsAnonymousWithoutAnonFlags: where the PageAnon flag is
// not recorded (no-page-anon on, as in qemu-7.2), MADV_DONTNEED of
// private anonymous memory still reads zero afterwards, as on Linux. Found
// by the comparison with QEMU 7.2 (props/qemudiff).
func TestDontNeedClearsAnonymousWithoutAnonFlags(t *testing.T) {
	for _, quirks := range []QuirkSet{QuirkSet{}, QuirkSet{}.With(QuirkNoPageAnon), QuirkSet{}.With(QuirkNoPageAnon).With(QuirkMremapHostPages)} {
		s, _ := newTestSim(t, 4096, 0, 0x10000000, quirks)
		a := mustMmap(t, s, 0, 0x2000, rw, anon)
		s.Store(a, []byte{1, 2, 3})
		if err := s.Madvise(a, 0x2000, hostvm.MadvDontNeed); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 3)
		if n, f := s.Load(a, buf); n != 3 || f != nil || buf[0]|buf[1]|buf[2] != 0 {
			t.Errorf("quirks %v: after MADV_DONTNEED the page holds %v (%d, %v), want zeros", quirks, buf, n, f)
		}
	}
}

// TestSeedBrkProperty runs random brk sequences through the seed's do_brk
// (QuirkBrkHostPages) with nothing mapped near the heap, weighted toward
// its boundaries (the current break, the host-page end of the heap, one
// either side). With room to grow every break at or above the start is
// granted; the heap below it reads and writes, and what lies between the
// old break and a higher new one reads zero, as do_brk initialises it.
func TestSeedBrkProperty(t *testing.T) {
	const seed = 52
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	q := QuirkSet{}.With(QuirkBrkHostPages)
	for _, setup := range []struct{ hostPage, reserved uint64 }{{0x1000, 0}, {0x10000, 0}, {0x1000, 0xf7000000}, {0x10000, 0xf7000000}} {
		s, _ := newTestSim(t, setup.hostPage, 0, setup.reserved, q)
		start := s.BrkStart()
		cur := start
		for step := 0; step < 60; step++ {
			var want uint64
			switch rng.IntN(6) {
			case 0:
				want = s.brk.page // exactly the end of the memory the heap has
			case 1:
				want = s.brk.page + 1
			case 2:
				want = max(s.brk.page-1, start)
			case 3:
				want = s.geom.HostPageAlign(cur)
			case 4:
				want = start
			default:
				want = start + rng.Uint64N(0x40000)
			}
			old := cur
			got, err := s.Brk(want)
			if err != nil || got != want {
				t.Fatalf("H %#x, reserved %#x, step %d: brk(%#x) from %#x (heap to %#x) = %#x, %v; want %#x",
					setup.hostPage, setup.reserved, step, want, old, s.brk.page, got, err, want)
			}
			cur = got
			if cur > old {
				buf := make([]byte, cur-old)
				if n, f := s.Load(old, buf); n != len(buf) || f != nil || bytes.Count(buf, []byte{0}) != len(buf) {
					t.Fatalf("step %d: the heap's new bytes [%#x, %#x) read %d, %v, not all zero", step, old, cur, n, f)
				}
			}
			if cur > start {
				// Dirty the heap's last byte: a later growth must zero it again.
				if n, f := s.Store(cur-1, []byte{0xa5}); n != 1 || f != nil {
					t.Fatalf("step %d: store at the break's last byte %#x: %d, %v", step, cur-1, n, f)
				}
			}
		}
	}
}

package sim

import (
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
	for _, quirks := range []QuirkSet{0, QuirkSet(0).With(QuirkNoPageAnon), QuirkSet(0).With(QuirkNoPageAnon).With(QuirkMremapHostPages)} {
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

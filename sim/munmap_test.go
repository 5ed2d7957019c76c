package sim

import (
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// TestMunmapZeroLength: munmap of length 0 is EINVAL, as Linux's
// do_vmi_munmap() has it ("if (!len) return -EINVAL"), and leaves the
// mapping at the address alone; a length of a byte still unmaps the page.
func TestMunmapZeroLength(t *testing.T) {
	for _, hostPage := range []uint64{0x1000, 0x10000} {
		s, _ := newTestSim(t, hostPage, 0, 0, 0)
		a := mustMmap(t, s, 0x20000000, 0x2000, rw, anon|hostvm.MapFixed)
		if err := s.Munmap(a, 0); err != hostvm.EINVAL {
			t.Errorf("host page %#x: munmap(%#x, 0) = %v, want EINVAL\n%s", hostPage, a, err, calls(s))
		}
		if f := s.PageFlags(a); f&PageValid == 0 {
			t.Errorf("host page %#x: after munmap of length 0 the page has flags %#x, want it valid", hostPage, f)
		}
		if err := s.Munmap(a, 1); err != nil {
			t.Errorf("host page %#x: munmap(%#x, 1) = %v, want success", hostPage, a, err)
		}
		if f := s.PageFlags(a); f != 0 {
			t.Errorf("host page %#x: after munmap of one byte the page has flags %#x, want none", hostPage, f)
		}
		if f := s.PageFlags(a + 0x1000); f&PageValid == 0 {
			t.Errorf("host page %#x: the page after the one unmapped has flags %#x, want it valid", hostPage, f)
		}
	}
}

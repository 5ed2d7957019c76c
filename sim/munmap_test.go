package sim

import (
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// TestMunmapZeroLength: munmap of length 0 is EINVAL, as Linux's
// do_vmi_munmap() has it ("if (!len) return -EINVAL") and the seed's
// target_munmap too (its own "if (len == 0)" test, which it needs: it
// checks no range, and page_set_flags of the empty range would assert),
// and leaves the mapping at the address alone; a length of a byte still
// unmaps the page.
func TestMunmapZeroLength(t *testing.T) {
	for _, c := range []struct {
		hostPage uint64
		quirks   QuirkSet
	}{{0x1000, QuirkSet{}}, {0x10000, QuirkSet{}}, {0x1000, SeedQuirks}, {0x10000, SeedQuirks}} {
		hostPage := c.hostPage
		s, _ := newTestSim(t, hostPage, 0, 0, c.quirks)
		a := mustMmap(t, s, 0x20000000, 0x2000, rw, anon|hostvm.MapFixed)
		if err := s.Munmap(a, 0); err != hostvm.EINVAL {
			t.Errorf("host page %#x, quirks %v: munmap(%#x, 0) = %v, want EINVAL\n%s", hostPage, c.quirks, a, err, calls(s))
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

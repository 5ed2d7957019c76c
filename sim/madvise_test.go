package sim

import (
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// TestDontNeedAcrossHostMappings: MADV_DONTNEED of one run of guest pages
// that spans two host mappings, private file pages QEMU filled with pread
// (they keep their data) and then a private file mapping the host maps
// itself (the host drops the guest's write, and the page reads the file
// again). dontNeed takes the pread pages as one stretch and must go on at
// the very next host page.
func TestDontNeedAcrossHostMappings(t *testing.T) {
	const hp = 0x10000
	s, k := newTestSim(t, hp, 0, 0, QuirkSet{})
	fd, err := k.Open("f", hostvm.ORdWr|hostvm.OCreat, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 4*hp)
	for i := range data {
		data[i] = byte(i/0x1000 + 1)
	}
	if _, err := k.FilePwrite(fd, data, 0); err != nil {
		t.Fatal(err)
	}
	x := mustMmap(t, s, 0, 3*hp, 0, anon)
	if _, err := s.Mmap(x, hp, rw, hostvm.MapPrivate|hostvm.MapFixed, fd, 0x1000); err != nil { // not congruent: pread
		t.Fatal(err)
	}
	if _, err := s.Mmap(x+hp, hp, rw, hostvm.MapPrivate|hostvm.MapFixed, fd, 2*hp); err != nil { // congruent: the host maps it
		t.Fatal(err)
	}
	if runs := s.FlagRunsIn(x, x+2*hp); len(runs) != 1 {
		t.Fatalf("want the two mappings to be one run of page flags, got %v", runs)
	}
	if _, f := s.Store(x+hp, []byte{0xaa}); f != nil {
		t.Fatal(f)
	}
	if err := s.Madvise(x, 2*hp, hostvm.MadvDontNeed); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	for _, c := range []struct {
		at   uint64
		want byte
	}{{x, data[0x1000]}, {x + hp, data[2*hp]}} {
		if _, f := s.Load(c.at, buf); f != nil || buf[0] != c.want {
			t.Errorf("after MADV_DONTNEED, byte at %#x is %#x (%v); want %#x, the file's", c.at, buf[0], f, c.want)
		}
	}
}

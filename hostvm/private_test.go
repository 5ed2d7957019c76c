package hostvm

import (
	"reflect"
	"testing"
)

// TestPrivatePagesIn: the pages a store or a copy-on-write made private are
// listed, merged, in order, and only within the range asked for; a page
// only read is not private, nor is a page MADV_DONTNEED gave back.
func TestPrivatePagesIn(t *testing.T) {
	k := newKernel(t, Config{})
	const base = Addr(0x100000)
	mustMmap(t, k, base, 16*pg, ProtRead|ProtWrite, MapPrivate|MapAnonymous|MapFixed, -1, 0)
	for _, p := range []Addr{1, 2, 3, 7, 12} {
		if _, f := k.Write(base+p*pg, []byte{1}); f != nil {
			t.Fatal(f)
		}
	}
	buf := make([]byte, 1)
	k.Read(base+9*pg, buf)
	if err := k.Madvise(base+12*pg, pg, MadvDontNeed); err != nil {
		t.Fatal(err)
	}
	got := k.PrivatePagesIn(Range{base + 2*pg, base + 16*pg})
	want := []Range{{base + 2*pg, base + 4*pg}, {base + 7*pg, base + 8*pg}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PrivatePagesIn = %v, want %v", got, want)
	}
	if got := k.PrivatePagesIn(Range{base, base}); got != nil {
		t.Errorf("empty range: %v", got)
	}
}

package hostvm

import "testing"

// TestMunmapArguments: alignment, length and range checks (the boundaries
// in boundaries_test.go), and what an accepted call unmaps
// (linux-facts Q15). B is a 4-page VMA at H.
func TestMunmapArguments(t *testing.T) {
	t.Run("boundaries", func(t *testing.T) { runBoundaryCases(t, munmapCall) })
	const b = hAddr
	for _, c := range []struct {
		name     string
		addr     Addr
		length   uint64
		want     Errno
		unmapped []Addr // pages that must be unmapped afterwards
		mapped   []Addr // pages that must still be mapped
	}{
		{"middle", b + pg, 2 * pg, 0, []Addr{b + pg, b + 2*pg}, []Addr{b, b + 3*pg}},
		{"past the end", b + 2*pg, 8 * pg, 0, []Addr{b + 2*pg, b + 3*pg}, []Addr{b + pg}},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			mustMmap(t, k, b, 4*pg, rw, pa|MapFixed, -1, 0)
			if got := errno(t, k.Munmap(c.addr, c.length)); got != c.want {
				t.Errorf("munmap(%v, %#x) = %s, want %s", c.addr, c.length, res(got), res(c.want))
			}
			for _, a := range c.unmapped {
				if _, ok := k.Lookup(a); ok {
					t.Errorf("%v still mapped", a)
				}
			}
			for _, a := range c.mapped {
				if _, ok := k.Lookup(a); !ok {
					t.Errorf("%v unmapped", a)
				}
			}
		})
	}
}

// TestMunmapContents: unmapping discards private pages; a new mapping at
// the same place reads zero, and the maps listing shows the split.
func TestMunmapContents(t *testing.T) {
	k := linuxKernel(t)
	a := mustMmap(t, k, hAddr, 4*pg, rw, pa|MapFixed, -1, 0)
	if _, f := k.Write(a, repeat(0x66, 4*pg)); f != nil {
		t.Fatal(f)
	}
	mustOK(t, k.Munmap(a+pg, pg), "munmap")
	if n := linesIn(k, Range{a, a + 4*pg}); n != 2 {
		t.Errorf("%d lines after unmapping the middle, want 2:\n%s", n, k.MapsString())
	}
	if _, f := peek(k, a+pg); f == nil || f.Code != SegvMapErr {
		t.Errorf("read of the hole: %v, want SEGV_MAPERR", f)
	}
	mustMmap(t, k, a+pg, pg, rw, pa|MapFixed, -1, 0)
	if got := mustPeek(t, k, a+pg); got != 0 {
		t.Errorf("remapped page reads %#x, want 0", got)
	}
	if got := mustPeek(t, k, a+2*pg); got != 0x66 {
		t.Errorf("neighbour reads %#x, want 0x66", got)
	}
	// linux-facts Q33 (e): the hole refilled merges back to one line.
	if n := linesIn(k, Range{a, a + 4*pg}); n != 1 {
		t.Errorf("%d lines after refilling, want 1:\n%s", n, k.MapsString())
	}
}

// TestMunmapMaxMapCount: only a split in three needs room; trimming an end
// never fails (linux-facts Q13, max_map_count 1000).
func TestMunmapMaxMapCount(t *testing.T) {
	runMapCountCases(t, []mapCountCase{
		{"middle, 1001", 1, 1001, ENOMEM, 0},
		{"middle, 1000", 1, 1000, ENOMEM, 0},
		{"middle, 999", 1, 999, 0, 1},
		{"middle, 996", 1, 996, 0, 1},
		{"first, 1001", 0, 1001, 0, 0},
		{"first, 1000", 0, 1000, 0, 0},
		{"last, 1001", 2, 1001, 0, 0},
		{"last, 999", 2, 999, 0, 0},
	}, func(k *Kernel, a Addr) error { return k.Munmap(a, pg) })
}

// TestMunmapGeometries: lengths round up to the page size, and 32-bit
// hosts wrap their arguments at 32 bits (boundaries_test.go).
func TestMunmapGeometries(t *testing.T) { runGeometryCases(t, munmapCall) }

package hostvm

import (
	"strings"
	"testing"
)

// TestMappingString compares lines with ones the real kernel printed
// (linux-facts Q4, Q5, Q14, probes/out_q27.txt, out_qmisc.txt): the
// trailing space of unnamed lines, names from column 73, and one space
// after a header too long to pad.
func TestMappingString(t *testing.T) {
	for _, c := range []struct {
		m    Mapping
		want string
	}{
		{Mapping{Start: 0x7ffff7fbc000, End: 0x7ffff7fc0000, Prot: rw},
			"7ffff7fbc000-7ffff7fc0000 rw-p 00000000 00:00 0 "},
		{Mapping{Start: 0x100001000000, End: 0x100001004000, Prot: rw, GrowsDown: true},
			"100001000000-100001004000 rw-p 00000000 00:00 0 "},
		{Mapping{Start: 0x555555d69000, End: 0x555555d6e000, Prot: rw, Name: "[heap]"},
			"555555d69000-555555d6e000 rw-p 00000000 00:00 0                          [heap]"},
		{Mapping{Start: 0x7ffffffde000, End: 0x7ffffffff000, Prot: rw, Name: "[stack]"},
			"7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0                          [stack]"},
		{Mapping{Start: 0x7ffff7fa8000, End: 0x7ffff7faa000, Prot: rw, Offset: 0x1d3000, Inode: 326269, Name: "/usr/lib/x86_64-linux-gnu/libc.so.6"},
			"7ffff7fa8000-7ffff7faa000 rw-p 001d3000 00:01 326269                     /usr/lib/x86_64-linux-gnu/libc.so.6"},
		{Mapping{Start: 0x555555554000, End: 0x555555555000, Prot: ProtRead, Inode: 5308536, Name: "/work/scratch/probes/q27"},
			"555555554000-555555555000 r--p 00000000 00:01 5308536                    /work/scratch/probes/q27"},
		{Mapping{Start: 0x7ffff7fbe000, End: 0x7ffff7fc0000, Prot: rw, Shared: true, Inode: 7, Name: "/dev/zero (deleted)"},
			"7ffff7fbe000-7ffff7fc0000 rw-s 00000000 00:01 7                          /dev/zero (deleted)"},
		// 32-bit addresses print with 8 digits.
		{Mapping{Start: 0x10000, End: 0x11000, Prot: ProtRead | ProtExec},
			"00010000-00011000 r-xp 00000000 00:00 0 "},
		{Mapping{Start: 0, End: 0x1000, Prot: ProtNone, Name: "[heap]"},
			"00000000-00001000 ---p 00000000 00:00 0                                  [heap]"},
		// A header of 72 characters or more: one space, then the name.
		{Mapping{Start: 0xfffffffffffff000, End: 0xffffffffffffffff, Prot: ProtRWX, Offset: 0x7ffffffffffff000,
			Inode: 4294967295, Name: "x"},
			"fffffffffffff000-ffffffffffffffff rwxp 7ffffffffffff000 00:01 4294967295  x"},
	} {
		if got := c.m.String(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
		if c.m.Name != "" && len(c.m.String()) > 74 {
			if i := strings.Index(c.m.String(), c.m.Name); i != 73 && !strings.Contains(c.want, "4294967295") {
				t.Errorf("name at column %d, want 73", i)
			}
		}
	}
}

// TestMapsListing: Maps, MapsString, Lookup, MappingsIn and Debug agree on
// one address space.
func TestMapsListing(t *testing.T) {
	cfg := linuxConfig()
	cfg.BrkStart = brkStart
	k := newKernel(t, cfg)
	fd := fileWith(t, k, "/tmp/data", repeat('d', 4*pg))
	k.Brk(brkStart + 2*pg)
	a := mustMmap(t, k, hAddr, 2*pg, ProtRead, MapPrivate|MapFixed, fd, pg)
	s := mustMmap(t, k, hAddr+4*pg, 2*pg, rw, sa|MapFixed, -1, 0)
	mustOK(t, k.Munmap(s, pg), "munmap") // the shared object now starts at page 1
	want := "100020000000-100020002000 r--p 00001000 00:01 1                          /tmp/data\n" +
		"100020005000-100020006000 rw-s 00001000 00:01 2                          /dev/zero (deleted)\n" +
		"555555d69000-555555d6b000 rw-p 00000000 00:00 0                          [heap]\n"
	if got := k.MapsString(); got != want {
		t.Errorf("maps\n%s\nwant\n%s", got, want)
	}
	if k.String() != k.MapsString() {
		t.Errorf("String differs from MapsString")
	}
	ms := k.Maps()
	if len(ms) != 3 || ms[0].Start != a || ms[0].Offset != pg || ms[0].Inode != 1 || ms[0].Anonymous || !ms[2].Anonymous || !ms[1].Shared {
		t.Errorf("Maps = %+v", ms)
	}
	if m, ok := k.Lookup(a + pg + 5); !ok || m != ms[0] {
		t.Errorf("Lookup = %v, %v", m, ok)
	}
	if _, ok := k.Lookup(a + 2*pg); ok {
		t.Errorf("Lookup of a hole found a mapping")
	}
	if got := k.MappingsIn(Range{a + pg, s + pg + 1}); len(got) != 2 {
		t.Errorf("MappingsIn = %v", got)
	}
	if got := k.MappingsIn(Range{a + 2*pg, s + pg}); len(got) != 0 {
		t.Errorf("MappingsIn of a hole = %v", got)
	}
	if d := k.Debug(); !strings.Contains(d, "flags=mayread,maywrite,mayexec,account") || strings.Count(d, "\n") != 3 {
		t.Errorf("Debug:\n%s", d)
	}
	if g := k.GoString(); !strings.Contains(g, "vmas=3") {
		t.Errorf("GoString %q", g)
	}
}

// TestMapsMerge: when adjacent VMAs merge, counted in maps lines
// (linux-facts Q33).
func TestMapsMerge(t *testing.T) {
	const a = hAddr
	mm := func(t *testing.T, k *Kernel, at Addr, prot Prot, flags MapFlags) {
		t.Helper()
		mustMmap(t, k, a+at*pg, pg, prot, flags|MapFixed, -1, 0)
	}
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, k *Kernel)
		lines int
	}{
		{"(a) two adjacent fixed", func(t *testing.T, k *Kernel) { mm(t, k, 0, rw, pa); mm(t, k, 1, rw, pa) }, 1},
		{"(a2) second by an adjacent hint", func(t *testing.T, k *Kernel) {
			mm(t, k, 0, rw, pa)
			mustMmap(t, k, a+pg, pg, rw, pa, -1, 0)
		}, 1},
		{"(b) next to noreserve", func(t *testing.T, k *Kernel) { mm(t, k, 0, rw, pa); mm(t, k, 1, rw, pa|MapNoReserve) }, 2},
		{"(b2) both noreserve", func(t *testing.T, k *Kernel) { mm(t, k, 0, rw, pa|MapNoReserve); mm(t, k, 1, rw, pa|MapNoReserve) }, 1},
		{"(d) A and C written, hole filled", func(t *testing.T, k *Kernel) {
			mm(t, k, 0, rw, pa)
			mm(t, k, 2, rw, pa)
			poke(t, k, a, 1)
			poke(t, k, a+2*pg, 1)
			mm(t, k, 1, rw, pa)
		}, 2},
		{"(d2) only A written", func(t *testing.T, k *Kernel) {
			mm(t, k, 0, rw, pa)
			mm(t, k, 2, rw, pa)
			poke(t, k, a, 1)
			mm(t, k, 1, rw, pa)
		}, 1},
		{"(d3) only C written", func(t *testing.T, k *Kernel) {
			mm(t, k, 0, rw, pa)
			mm(t, k, 2, rw, pa)
			poke(t, k, a+2*pg, 1)
			mm(t, k, 1, rw, pa)
		}, 1},
		{"(d4) neither written", func(t *testing.T, k *Kernel) {
			mm(t, k, 0, rw, pa)
			mm(t, k, 2, rw, pa)
			mm(t, k, 1, rw, pa)
		}, 1},
		{"(d5) A and C written, hole PROT_NONE then rw", func(t *testing.T, k *Kernel) {
			mm(t, k, 0, rw, pa)
			mm(t, k, 2, rw, pa)
			poke(t, k, a, 1)
			poke(t, k, a+2*pg, 1)
			mm(t, k, 1, ProtNone, pa)
			mustOK(t, k.Mprotect(a+pg, pg, rw), "mprotect")
		}, 2},
		{"(g) file, contiguous offsets", func(t *testing.T, k *Kernel) {
			fd := fileWith(t, k, "f", repeat('f', 4*pg))
			mustMmap(t, k, a, pg, ProtRead, MapPrivate|MapFixed, fd, 0)
			mustMmap(t, k, a+pg, pg, ProtRead, MapPrivate|MapFixed, fd, pg)
		}, 1},
		{"(g2) file, other offsets", func(t *testing.T, k *Kernel) {
			fd := fileWith(t, k, "f", repeat('f', 4*pg))
			mustMmap(t, k, a, pg, ProtRead, MapPrivate|MapFixed, fd, 0)
			mustMmap(t, k, a+pg, pg, ProtRead, MapPrivate|MapFixed, fd, 2*pg)
		}, 2},
		{"(h) two shared anon", func(t *testing.T, k *Kernel) { mm(t, k, 0, rw, sa); mm(t, k, 1, rw, sa) }, 2},
		{"(i) next to growsdown", func(t *testing.T, k *Kernel) { mm(t, k, 0, rw, pa); mm(t, k, 1, rw, pa|MapGrowsDown) }, 2},
		{"(i) next to stack", func(t *testing.T, k *Kernel) { mm(t, k, 0, rw, pa); mm(t, k, 1, rw, pa|MapStack) }, 2},
		{"(i) next to locked", func(t *testing.T, k *Kernel) { mm(t, k, 0, rw, pa); mm(t, k, 1, rw, pa|MapLocked) }, 2},
		{"(i) next to populate", func(t *testing.T, k *Kernel) { mm(t, k, 0, rw, pa); mm(t, k, 1, rw, pa|MapPopulate) }, 1},
		{"(j) lower neighbour second", func(t *testing.T, k *Kernel) { mm(t, k, 1, rw, pa); mm(t, k, 0, rw, pa) }, 1},
		{"(k) next to droppable", func(t *testing.T, k *Kernel) { mm(t, k, 0, rw, pa); mm(t, k, 1, rw, MapDroppable|MapAnonymous) }, 2},
		{"two droppable", func(t *testing.T, k *Kernel) {
			mm(t, k, 0, rw, MapDroppable|MapAnonymous)
			mm(t, k, 1, rw, MapDroppable|MapAnonymous)
		}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			c.setup(t, k)
			if n := linesIn(k, Range{a, a + 4*pg}); n != c.lines {
				t.Errorf("%d lines, want %d:\n%s", n, c.lines, k.Debug())
			}
		})
	}
	// A first write reuses the anon_vma of a neighbour that differs only
	// in its access bits (find_mergeable_anon_vma()), so the two merge
	// once their protections agree.
	for _, writeA := range []bool{true, false} {
		k := linuxKernel(t)
		mm(t, k, 0, rw, pa)
		mm(t, k, 1, rw|ProtExec, pa)
		if writeA {
			poke(t, k, a, 1)
		}
		poke(t, k, a+pg, 1)
		mustOK(t, k.Mprotect(a+pg, pg, rw), "mprotect")
		if n := linesIn(k, Range{a, a + 2*pg}); n != 1 {
			t.Errorf("writeA=%v: %d lines, want 1:\n%s", writeA, n, k.Debug())
		}
	}
	// (a3) two successive unhinted one-page mappings: the second goes
	// right below the first and merges.
	k := linuxKernel(t)
	x1 := mustMmap(t, k, 0, pg, rw, pa, -1, 0)
	x2 := mustMmap(t, k, 0, pg, rw, pa, -1, 0)
	if x2 != x1-pg || len(k.Maps()) != 1 {
		t.Errorf("x1 %v x2 %v, %d lines; want x2 = x1-4096 and 1 line", x1, x2, len(k.Maps()))
	}
}

// TestAppendMappingsIn checks that AppendMappingsIn keeps what dst held and
// appends what MappingsIn lists, and that the buffer can be reused.
func TestAppendMappingsIn(t *testing.T) {
	k := linuxKernel(t)
	pg := Addr(k.PageSize())
	base := mustMmap(t, k, 0, 4*uint64(pg), rw, MapPrivate|MapAnonymous, -1, 0)
	mustOK(t, k.Mprotect(base+pg, uint64(pg), ProtRead), "mprotect")
	r := Range{Start: base, End: base + 4*pg}
	want := k.MappingsIn(r)
	if len(want) != 3 {
		t.Fatalf("MappingsIn = %v, want 3 mappings", want)
	}
	head := Mapping{Start: 1, End: 2}
	got := k.AppendMappingsIn([]Mapping{head}, r)
	if len(got) != 1+len(want) || got[0] != head {
		t.Fatalf("AppendMappingsIn = %v, want %v then %v", got, head, want)
	}
	for i, m := range want {
		if got[1+i] != m {
			t.Errorf("AppendMappingsIn[%d] = %v, want %v", 1+i, got[1+i], m)
		}
	}
	got = k.AppendMappingsIn(got[:0], Range{Start: base + pg, End: base + 2*pg})
	if len(got) != 1 || got[0] != want[1] {
		t.Errorf("reused buffer: AppendMappingsIn = %v, want [%v]", got, want[1])
	}
}

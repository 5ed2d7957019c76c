package hostvm

import (
	"strings"
	"testing"
)

// The mremap tests use A (a VMA), N (a free destination) and U (an
// unmapped address), as linux-facts.md does.
const (
	aAddr = Addr(0x100040000000)
	nAddr = Addr(0x100080000000)
	uAddr = Addr(0x1000c0000000)
)

// topDown is where hostvm's empty linuxConfig space puts n bytes.
func topDown(n uint64) Addr { return 0x7ffff7fff000 - Addr(n) }

type mremapCase struct {
	name    string
	addr    Addr
	oldLen  uint64
	newLen  uint64
	flags   MremapFlags
	newAddr Addr
	want    Addr
	err     Errno
}

// runMremapCases runs each case on a fresh linuxConfig kernel prepared by
// setup.
func runMremapCases(t *testing.T, setup func(t *testing.T, k *Kernel), cases []mremapCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			setup(t, k)
			checkMremap(t, k, c)
		})
	}
}

// checkMremap makes c's call on k and checks its result.
func checkMremap(t *testing.T, k *Kernel, c mremapCase) {
	t.Helper()
	got, err := k.Mremap(c.addr, c.oldLen, c.newLen, c.flags, c.newAddr)
	if e := errno(t, err); e != c.err || (e == 0 && got != c.want) {
		t.Errorf("mremap(%v, %#x, %#x, %v, %v) = %v, %s; want %v, %s",
			c.addr, c.oldLen, c.newLen, c.flags, c.newAddr, got, res(e), c.want, res(c.err))
	}
}

func oneVMA(pages int) func(t *testing.T, k *Kernel) {
	return func(t *testing.T, k *Kernel) {
		mustMmap(t, k, aAddr, uint64(pages)*pg, rw, pa|MapFixed, -1, 0)
	}
}

// TestMremapArguments: check_mremap_params() in order (linux-facts Q17,
// Q24); the address and old_len boundaries, with new_len one page and no
// flags, are in boundaries_test.go.
func TestMremapArguments(t *testing.T) {
	t.Run("boundaries", func(t *testing.T) { runBoundaryCases(t, mremapCall) })
	const mm, fx, du = MremapMayMove, MremapFixed, MremapDontUnmap
	runMremapCases(t, oneVMA(2), []mremapCase{
		{"flags 0x8", aAddr, pg, pg, 0x8, 0, 0, EINVAL},
		{"flags 0x10", aAddr, pg, pg, 0x10, 0, 0, EINVAL},
		{"flags 0x8|maymove", aAddr, pg, pg, 0x8 | mm, 0, 0, EINVAL},
		{"bad flags, unaligned", aAddr + 1, pg, pg, 0x8, 0, 0, EINVAL},
		{"bad flags, new_len 0", aAddr, pg, 0, 0x8, 0, 0, EINVAL},
		{"bad flags, unmapped", uAddr, pg, pg, 0x8, 0, 0, EINVAL},
		{"fixed without maymove", aAddr, pg, pg, fx, nAddr, 0, EINVAL},
		{"dontunmap grow", aAddr, pg, 2 * pg, du | mm, 0, 0, EINVAL},
		{"dontunmap shrink", aAddr, 2 * pg, pg, du | mm, 0, 0, EINVAL},
		{"dontunmap alone", aAddr, pg, pg, du, 0, 0, EINVAL},
		{"dontunmap|fixed", aAddr, pg, pg, du | fx, nAddr, 0, EINVAL},
		{"unaligned maymove", aAddr + 1, pg, 2 * pg, mm, 0, 0, EINVAL},
		{"new_len 0", aAddr, pg, 0, 0, 0, 0, EINVAL},
		{"new_len 0, old_len 0", aAddr, 0, 0, mm, 0, 0, EINVAL},
		{"new_len 1", aAddr, pg, 1, 0, 0, aAddr, 0},
		{"new_len -1", aAddr, pg, 0xffffffffffffffff, mm, 0, 0, EINVAL},
		{"old_len -1 (rounds to 0, private)", aAddr, 0xffffffffffffffff, pg, mm, 0, 0, EINVAL},
		{"new_len 1<<47", aAddr, pg, 1 << 47, mm, 0, 0, EINVAL},
		{"new_len 0x7fffffffffff rounds past TASK_SIZE", aAddr, pg, 0x7fffffffffff, mm, 0, 0, EINVAL},
		{"new_len TASK_SIZE", aAddr, pg, 0x7ffffffff000, mm, 0, 0, ENOMEM},
		{"fixed unaligned N+1", aAddr, pg, pg, fx | mm, nAddr + 1, 0, EINVAL},
		{"fixed unaligned N+0x800", aAddr, pg, pg, fx | mm, nAddr + 0x800, 0, EINVAL},
		{"unaligned new_addr without fixed is ignored", aAddr, pg, 3 * pg, mm, nAddr + 1, topDown(3 * pg), 0},
		{"fixed starts inside old", aAddr, 2 * pg, 2 * pg, fx | mm, aAddr + pg, 0, EINVAL},
		{"fixed ends inside old", aAddr + pg, pg, 2 * pg, fx | mm, aAddr, 0, EINVAL},
		{"fixed equal", aAddr, pg, pg, fx | mm, aAddr, 0, EINVAL},
		{"fixed shrink onto old", aAddr, 2 * pg, pg, fx | mm, aAddr + pg, 0, EINVAL},
		{"fixed around old", aAddr, pg, 2 * pg, fx | mm, aAddr - pg, 0, EINVAL},
		{"fixed adjacent above", aAddr, pg, 2 * pg, fx | mm, aAddr + pg, aAddr + pg, 0},
		{"fixed adjacent below", aAddr, pg, 2 * pg, fx | mm, aAddr - 2*pg, aAddr - 2*pg, 0},
		{"fixed to 1<<47", aAddr, pg, pg, fx | mm, 1 << 47, 0, EINVAL},
		{"fixed to TASK_SIZE", aAddr, pg, pg, fx | mm, 0x7ffffffff000, 0, EINVAL},
		{"fixed to 0, nobody", aAddr, pg, pg, fx | mm, 0, 0, EPERM},
		{"fixed to 0x1000", aAddr, pg, pg, fx | mm, 0x1000, 0x1000, 0},
		{"fixed to 0x2000", aAddr, pg, pg, fx | mm, 0x2000, 0x2000, 0},
	})
	// Root may move to address 0 (linux-facts "misc").
	cfg := linuxConfig()
	cfg.Privileged = true
	k := newKernel(t, cfg)
	mustMmap(t, k, aAddr, pg, rw, pa|MapFixed, -1, 0)
	if got, err := k.Mremap(aAddr, pg, pg, MremapMayMove|MremapFixed, 0); err != nil || got != 0 {
		t.Errorf("privileged move to 0 = %v, %v; want 0", got, err)
	}
}

// TestMremapFixedReplaces: MREMAP_FIXED onto a mapping replaces the part
// it overlaps, like MAP_FIXED (linux-facts Q17).
func TestMremapFixedReplaces(t *testing.T) {
	k := linuxKernel(t)
	mustMmap(t, k, aAddr, pg, rw, pa|MapFixed, -1, 0)
	poke(t, k, aAddr, 0x42)
	mustMmap(t, k, nAddr, 3*pg, ProtRead, pa|MapFixed, -1, 0)
	got, err := k.Mremap(aAddr, pg, pg, MremapMayMove|MremapFixed, nAddr+pg)
	if err != nil || got != nAddr+pg {
		t.Fatalf("mremap = %v, %v", got, err)
	}
	want := "100080000000-100080001000 r--p 00000000 00:00 0 \n" +
		"100080001000-100080002000 rw-p 00000000 00:00 0 \n" +
		"100080002000-100080003000 r--p 00000000 00:00 0 \n"
	if s := k.MapsString(); s != want {
		t.Errorf("maps\n%s\nwant\n%s", s, want)
	}
	if b := mustPeek(t, k, nAddr+pg); b != 0x42 {
		t.Errorf("moved page reads %#x, want 0x42", b)
	}
}

// TestMremapUnmappedOld: Linux 6.18 answers EFAULT whenever old_addr is
// not inside a VMA (linux-facts Q18).
func TestMremapUnmappedOld(t *testing.T) {
	const mm, fx = MremapMayMove, MremapFixed
	runMremapCases(t, func(*testing.T, *Kernel) {}, []mremapCase{
		{"shrink", uAddr, 2 * pg, pg, 0, 0, 0, EFAULT},
		{"shrink maymove", uAddr, 2 * pg, pg, mm, 0, 0, EFAULT},
		{"same size", uAddr, pg, pg, 0, 0, 0, EFAULT},
		{"grow", uAddr, pg, 2 * pg, mm, 0, 0, EFAULT},
		{"move", uAddr, pg, pg, mm | fx, nAddr, 0, EFAULT},
		{"move grow", uAddr, pg, 2 * pg, mm | fx, nAddr, 0, EFAULT},
		{"old_len 0", uAddr, 0, pg, mm, 0, 0, EFAULT},
	})
	// Partly mapped old ranges (Q18).
	runMremapCases(t, func(t *testing.T, k *Kernel) {
		mustMmap(t, k, uAddr+pg, pg, rw, pa|MapFixed, -1, 0)
	}, []mremapCase{
		{"hole then VMA, shrink", uAddr, 2 * pg, pg, 0, 0, 0, EFAULT},
	})
	runMremapCases(t, func(t *testing.T, k *Kernel) {
		mustMmap(t, k, uAddr, pg, rw, pa|MapFixed, -1, 0)
	}, []mremapCase{
		{"VMA then hole, shrink 3->1", uAddr, 3 * pg, pg, 0, 0, uAddr, 0},
		{"VMA then hole, same size", uAddr, 4 * pg, 4 * pg, 0, 0, uAddr, 0},
		{"VMA then hole, same size, maymove", uAddr, 4 * pg, 4 * pg, mm, 0, uAddr, 0},
	})
	runMremapCases(t, oneVMA(3), []mremapCase{
		{"same size, smaller than the VMA", aAddr, pg, pg, 0, 0, aAddr, 0},
	})
	// From inside a 3-page VMA past its end: the shrink trims it (Q18).
	k := linuxKernel(t)
	mustMmap(t, k, uAddr, 3*pg, rw, pa|MapFixed, -1, 0)
	if got, err := k.Mremap(uAddr+pg, 4*pg, pg, 0, 0); err != nil || got != uAddr+pg {
		t.Fatalf("shrink = %v, %v", got, err)
	}
	if m, _ := k.Lookup(uAddr); m.End != uAddr+2*pg {
		t.Errorf("VMA ends at %v, want U+2pg", m.End)
	}
}

// TestMremapAcrossVMAs: a resize must stay inside one VMA, except that a
// shrink may unmap past it (linux-facts Q19).
func TestMremapAcrossVMAs(t *testing.T) {
	twoVMAs := func(t *testing.T, k *Kernel) {
		mustMmap(t, k, aAddr, 2*pg, rw, pa|MapFixed, -1, 0)
		mustMmap(t, k, aAddr+2*pg, 2*pg, ProtRead, pa|MapFixed, -1, 0)
	}
	runMremapCases(t, twoVMAs, []mremapCase{
		{"grow across", aAddr, 4 * pg, 6 * pg, 0, 0, 0, EFAULT},
		{"grow across maymove", aAddr, 4 * pg, 6 * pg, MremapMayMove, 0, 0, EFAULT},
		{"3pg maymove", aAddr, 3 * pg, 6 * pg, MremapMayMove, 0, 0, EFAULT},
		{"shrink across", aAddr, 4 * pg, 2 * pg, 0, 0, aAddr, 0},
	})
	runMremapCases(t, oneVMA(2), []mremapCase{
		{"old_len past the VMA", aAddr, 3 * pg, 4 * pg, 0, 0, 0, EFAULT},
		{"old_len past the VMA, maymove", aAddr, 3 * pg, 4 * pg, MremapMayMove, 0, 0, EFAULT},
		{"same-size fixed move past the VMA", aAddr, 3 * pg, 3 * pg, MremapMayMove | MremapFixed, nAddr, nAddr, 0},
	})
	// The shrink unmapped the second VMA.
	k := linuxKernel(t)
	twoVMAs(t, k)
	if _, err := k.Mremap(aAddr, 4*pg, 2*pg, 0, 0); err != nil {
		t.Fatal(err)
	}
	if _, ok := k.Lookup(aAddr + 2*pg); ok {
		t.Errorf("second VMA still mapped:\n%s", k.MapsString())
	}

	// The last two pages of a 4-page VMA grown in place (Q19).
	k = linuxKernel(t)
	mustMmap(t, k, aAddr, 4*pg, rw, pa|MapFixed, -1, 0)
	_, _ = k.Write(aAddr+2*pg, []byte{0x11})
	if got, err := k.Mremap(aAddr+2*pg, 2*pg, 4*pg, 0, 0); err != nil || got != aAddr+2*pg {
		t.Fatalf("grow the tail = %v, %v", got, err)
	}
	if s := k.MapsString(); s != "100040000000-100040006000 rw-p 00000000 00:00 0 \n" {
		t.Errorf("maps %q", s)
	}
	if b := mustPeek(t, k, aAddr+2*pg); b != 0x11 {
		t.Errorf("kept byte %#x", b)
	}
	if b := mustPeek(t, k, aAddr+5*pg); b != 0 {
		t.Errorf("new page %#x, want 0", b)
	}

	// The middle two pages grown to 3: ENOMEM in place, moved with
	// MAYMOVE, leaving a hole (Q19).
	k = linuxKernel(t)
	mustMmap(t, k, aAddr, 4*pg, rw, pa|MapFixed, -1, 0)
	_, _ = k.Write(aAddr+pg, []byte{0x11})
	_, _ = k.Write(aAddr+2*pg, []byte{0x12})
	if _, err := k.Mremap(aAddr+pg, 2*pg, 3*pg, 0, 0); errno(t, err) != ENOMEM {
		t.Errorf("middle grow without MAYMOVE = %v, want ENOMEM", err)
	}
	got, err := k.Mremap(aAddr+pg, 2*pg, 3*pg, MremapMayMove, 0)
	if err != nil || got != topDown(3*pg) {
		t.Fatalf("middle grow with MAYMOVE = %v, %v; want %v", got, err, topDown(3*pg))
	}
	for i, want := range []byte{0x11, 0x12, 0} {
		if b := mustPeek(t, k, got+Addr(i)*pg); b != want {
			t.Errorf("moved page %d reads %#x, want %#x", i, b, want)
		}
	}
	if n := linesIn(k, Range{aAddr, aAddr + 4*pg}); n != 2 {
		t.Errorf("old range has %d lines, want 2:\n%s", n, k.MapsString())
	}
}

// TestMremapGrow: growth in place needs the space after the VMA, up to and
// including the next VMA's start; the stack guard gap is ignored
// (linux-facts Q20, Q24).
func TestMremapGrow(t *testing.T) {
	k := linuxKernel(t)
	mustMmap(t, k, aAddr, 2*pg, rw, pa|MapFixed, -1, 0)
	_, _ = k.Write(aAddr, []byte{0x20})
	if got, err := k.Mremap(aAddr, 2*pg, 4*pg, 0, 0); err != nil || got != aAddr {
		t.Fatalf("grow in place = %v, %v", got, err)
	}
	if n := linesIn(k, Range{aAddr, aAddr + 4*pg}); n != 1 || mustPeek(t, k, aAddr) != 0x20 || mustPeek(t, k, aAddr+3*pg) != 0 {
		t.Errorf("after growth:\n%s", k.MapsString())
	}

	for _, c := range []struct {
		name     string
		obstacle Addr // start of a one-page VMA, in pages from A
		grows    bool
		flags    MremapFlags
		want     Addr
		err      Errno
	}{
		{"next page occupied", 2, false, 0, 0, ENOMEM},
		{"next page occupied, maymove", 2, false, MremapMayMove, topDown(5 * pg), 0},
		{"gap too small", 4, false, 0, 0, ENOMEM},
		{"ends at the next VMA", 5, false, 0, aAddr, 0},
		{"stack guard gap ignored", 5, true, 0, aAddr, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			mustMmap(t, k, aAddr, 2*pg, rw, pa|MapFixed, -1, 0)
			_, _ = k.Write(aAddr, []byte{0x20, 0x21})
			fl := pa | MapFixed
			if c.grows {
				fl |= MapGrowsDown
			}
			mustMmap(t, k, aAddr+c.obstacle*pg, pg, ProtRead, fl, -1, 0)
			got, err := k.Mremap(aAddr, 2*pg, 5*pg, c.flags, 0)
			if e := errno(t, err); e != c.err || (e == 0 && got != c.want) {
				t.Fatalf("grow 2pg->5pg = %v, %s; want %v, %s", got, res(e), c.want, res(c.err))
			}
			if e := errno(t, err); e == 0 && got != aAddr {
				// Moved: the contents came along, the old range is gone.
				if b := mustPeek(t, k, got+1); b != 0x21 {
					t.Errorf("moved byte %#x, want 0x21", b)
				}
				if _, f := peek(k, aAddr); f == nil || f.Code != SegvMapErr {
					t.Errorf("old range: %v, want SEGV_MAPERR", f)
				}
			}
		})
	}

	// Up to TASK_SIZE exactly, and not past it (Q24).
	k = linuxKernel(t)
	mustMmap(t, k, 0x7fffffffd000, pg, rw, pa|MapFixed, -1, 0)
	if got, err := k.Mremap(0x7fffffffd000, pg, 2*pg, 0, 0); err != nil || got != 0x7fffffffd000 {
		t.Errorf("grow to TASK_SIZE = %v, %v", got, err)
	}
	if _, err := k.Mremap(0x7fffffffd000, 2*pg, 3*pg, 0, 0); errno(t, err) != ENOMEM {
		t.Errorf("grow past TASK_SIZE = %v, want ENOMEM", err)
	}
	if got, err := k.Mremap(0x7fffffffd000, 2*pg, 3*pg, MremapMayMove, 0); err != nil || got != topDown(3*pg) {
		t.Errorf("grow past TASK_SIZE, maymove = %v, %v", got, err)
	}

	// Below mmap_min_addr growth in place is EPERM-free only for root
	// (vma_expandable() asks get_unmapped_area(MAP_FIXED)); unprivileged
	// it must move.
	cfg := linuxConfig()
	cfg.MmapMinAddr = 0x20000
	cfg.Privileged = true
	k = newKernel(t, cfg)
	mustMmap(t, k, 0x1000, pg, rw, pa|MapFixed, -1, 0)
	k.cfg.Privileged = false
	if _, err := k.Mremap(0x1000, pg, 2*pg, 0, 0); errno(t, err) != ENOMEM {
		t.Errorf("unprivileged grow below mmap_min_addr = %v, want ENOMEM", err)
	}
	k.cfg.Privileged = true
	if got, err := k.Mremap(0x1000, pg, 2*pg, 0, 0); err != nil || got != 0x1000 {
		t.Errorf("privileged grow below mmap_min_addr = %v, %v", got, err)
	}
}

// TestMremapShrink: shrinking unmaps the tail, never fails on
// max_map_count, and leaves the head's contents.
func TestMremapShrink(t *testing.T) {
	k := linuxKernel(t)
	mustMmap(t, k, aAddr, 3*pg, rw, pa|MapFixed, -1, 0)
	poke(t, k, aAddr, 1)
	if got, err := k.Mremap(aAddr, 3*pg, pg, 0, 0); err != nil || got != aAddr {
		t.Fatalf("shrink = %v, %v", got, err)
	}
	if m, _ := k.Lookup(aAddr); m.End != aAddr+pg || mustPeek(t, k, aAddr) != 1 {
		t.Errorf("after shrink:\n%s", k.MapsString())
	}
	// Shrink with FIXED moves the head (mremap_to()).
	mustMmap(t, k, aAddr+pg, 2*pg, rw, pa|MapFixed, -1, 0)
	got, err := k.Mremap(aAddr, 3*pg, pg, MremapMayMove|MremapFixed, nAddr)
	if err != nil || got != nAddr {
		t.Fatalf("shrink+fixed = %v, %v", got, err)
	}
	if mustPeek(t, k, nAddr) != 1 || linesIn(k, Range{aAddr, aAddr + 3*pg}) != 0 {
		t.Errorf("after shrink+fixed:\n%s", k.MapsString())
	}
}

// TestMremapOldLenZero duplicates shared mappings; private ones are
// refused (linux-facts Q21).
func TestMremapOldLenZero(t *testing.T) {
	sharedAnon := func(t *testing.T, k *Kernel) {
		mustMmap(t, k, aAddr, 2*pg, rw, sa|MapFixed, -1, 0)
	}
	runMremapCases(t, oneVMA(2), []mremapCase{
		{"private anon", aAddr, 0, 2 * pg, MremapMayMove, 0, 0, EINVAL},
	})
	runMremapCases(t, func(t *testing.T, k *Kernel) {
		fd := fileWith(t, k, "f", repeat('f', 2*pg))
		mustMmap(t, k, aAddr, 2*pg, rw, MapPrivate|MapFixed, fd, 0)
	}, []mremapCase{
		{"private file", aAddr, 0, 2 * pg, MremapMayMove, 0, 0, EINVAL},
	})
	runMremapCases(t, func(t *testing.T, k *Kernel) {
		fd := fileWith(t, k, "f", repeat('f', 2*pg))
		mustMmap(t, k, aAddr, 2*pg, rw, MapShared|MapFixed, fd, 0)
	}, []mremapCase{
		{"shared file", aAddr, 0, 2 * pg, MremapMayMove, 0, topDown(2 * pg), 0},
	})
	runMremapCases(t, sharedAnon, []mremapCase{
		{"shared anon", aAddr, 0, 2 * pg, MremapMayMove, 0, topDown(2 * pg), 0},
		{"shared anon, 1pg", aAddr, 0, pg, MremapMayMove, 0, topDown(pg), 0},
		{"shared anon, at +1pg", aAddr + pg, 0, pg, MremapMayMove, 0, topDown(pg), 0},
		{"shared anon, fixed", aAddr, 0, 2 * pg, MremapMayMove | MremapFixed, nAddr, nAddr, 0},
		{"shared anon, dontunmap", aAddr, 0, 2 * pg, MremapMayMove | MremapDontUnmap, 0, 0, EINVAL},
		{"shared anon, no maymove, 2pg", aAddr, 0, 2 * pg, 0, 0, 0, ENOMEM},
		{"shared anon, no maymove, 1pg", aAddr, 0, pg, 0, 0, 0, ENOMEM},
		{"unmapped", uAddr, 0, pg, MremapMayMove, 0, 0, EFAULT},
	})

	// Both mappings show the same object and share its pages; a
	// duplicate longer than the object raises SIGBUS past its end.
	k := linuxKernel(t)
	sharedAnon(t, k)
	dup, err := k.Mremap(aAddr, 0, 4*pg, MremapMayMove, 0)
	if err != nil {
		t.Fatal(err)
	}
	m1, _ := k.Lookup(aAddr)
	m2, _ := k.Lookup(dup)
	if m1.Inode != m2.Inode || m1.Name != "/dev/zero (deleted)" || !strings.HasPrefix(m2.String(), "7ffff7ffb000-7ffff7fff000 rw-s 00000000 00:01 ") {
		t.Errorf("maps:\n%s", k.MapsString())
	}
	poke(t, k, aAddr, 0x31)
	poke(t, k, dup+pg, 0x32)
	if mustPeek(t, k, dup) != 0x31 || mustPeek(t, k, aAddr+pg) != 0x32 {
		t.Errorf("writes not shared both ways")
	}
	if _, f := peek(k, dup+3*pg); f == nil || f.Signal != SIGBUS || f.Code != BusAdrErr {
		t.Errorf("page 3 of the duplicate: %v, want SIGBUS BUS_ADRERR", f)
	}
}

// TestMremapDontUnmap: the old range stays mapped; private pages move away
// (anonymous memory reads zero, a private file mapping shows the file),
// shared ones stay (linux-facts Q22).
func TestMremapDontUnmap(t *testing.T) {
	const du = MremapMayMove | MremapDontUnmap
	for _, c := range []struct {
		name     string
		flags    MapFlags
		file     bool
		old, new [2]byte // bytes at page 0 and 1, before and after
		written  bool    // whether page 0 is written first
	}{
		{"private anon", pa, false, [2]byte{0, 0}, [2]byte{0x50, 0x51}, true},
		{"shared anon", sa, false, [2]byte{0x50, 0x51}, [2]byte{0x50, 0x51}, true},
		{"private file", MapPrivate, true, [2]byte{'A', 'B'}, [2]byte{0x50, 'B'}, false},
		{"shared file", MapShared, true, [2]byte{'A', 'B'}, [2]byte{'A', 'B'}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			fd := -1
			if c.file {
				fd = fileWith(t, k, "f", append(repeat('A', pg), repeat('B', pg)...))
			}
			mustMmap(t, k, aAddr, 2*pg, rw, c.flags|MapFixed, fd, 0)
			poke(t, k, aAddr, 0x50)
			if !c.file {
				poke(t, k, aAddr+pg, 0x51)
			} else if c.flags&MapShared != 0 {
				poke(t, k, aAddr, 'A') // undo: the shared file keeps 'A'
			}
			before := k.MapsString()
			got, err := k.Mremap(aAddr, 2*pg, 2*pg, du, 0)
			if err != nil || got != topDown(2*pg) {
				t.Fatalf("mremap = %v, %v", got, err)
			}
			if after := mapsIn(k, Range{aAddr, aAddr + 2*pg}); after != before {
				t.Errorf("old range maps\n%s\nwant unchanged\n%s", after, before)
			}
			for i := 0; i < 2; i++ {
				if b := mustPeek(t, k, aAddr+Addr(i)*pg); b != c.old[i] {
					t.Errorf("old page %d reads %#x, want %#x", i, b, c.old[i])
				}
				if b := mustPeek(t, k, got+Addr(i)*pg); b != c.new[i] {
					t.Errorf("new page %d reads %#x, want %#x", i, b, c.new[i])
				}
			}
			if c.flags == sa {
				poke(t, k, got, 0x77)
				if b := mustPeek(t, k, aAddr); b != 0x77 {
					t.Errorf("write through the new address not seen through the old")
				}
			}
		})
	}
	// The middle page of three, to a fixed address: the old VMA stays one
	// line and its middle page reads zero (Q22).
	k := linuxKernel(t)
	mustMmap(t, k, aAddr, 3*pg, rw, pa|MapFixed, -1, 0)
	poke(t, k, aAddr+pg, 0x5a)
	if got, err := k.Mremap(aAddr+pg, pg, pg, du|MremapFixed, nAddr); err != nil || got != nAddr {
		t.Fatalf("mremap = %v, %v", got, err)
	}
	if n := linesIn(k, Range{aAddr, aAddr + 3*pg}); n != 1 || mustPeek(t, k, aAddr+pg) != 0 || mustPeek(t, k, nAddr) != 0x5a {
		t.Errorf("after partial dontunmap:\n%s", k.MapsString())
	}
	// PROT_NONE and MAP_LOCKED VMAs move too; a locked source is unlocked.
	for _, fl := range []MapFlags{pa, pa | MapLocked} {
		k := linuxKernel(t)
		prot := ProtNone
		if fl&MapLocked != 0 {
			prot = rw
		}
		mustMmap(t, k, aAddr, pg, prot, fl|MapFixed, -1, 0)
		if _, err := k.Mremap(aAddr, pg, pg, du, 0); err != nil {
			t.Errorf("%v %v: %v", fl, prot, err)
		}
		if m, ok := k.Lookup(aAddr); !ok || m.Prot != prot {
			t.Errorf("%v: old VMA %v", fl, m)
		}
	}
	// An anonymous source moved whole is not mergeable with what it was
	// (its anon_vma is dropped, so it reads zero and merges again).
	k = linuxKernel(t)
	mustMmap(t, k, aAddr, pg, rw, pa|MapFixed, -1, 0)
	poke(t, k, aAddr, 1)
	if _, err := k.Mremap(aAddr, pg, pg, du, 0); err != nil {
		t.Fatal(err)
	}
	mustMmap(t, k, aAddr+pg, pg, rw, pa|MapFixed, -1, 0)
	if n := linesIn(k, Range{aAddr, aAddr + 2*pg}); n != 1 {
		t.Errorf("%d lines, want 1:\n%s", n, k.Debug())
	}
}

// TestMremapMoveMulti: a same-size MAYMOVE|FIXED move may span several
// VMAs and the holes between them, but may not start in a hole
// (linux-facts Q23).
func TestMremapMoveMulti(t *testing.T) {
	const mf = MremapMayMove | MremapFixed
	k := linuxKernel(t)
	mustMmap(t, k, aAddr, 2*pg, rw, pa|MapFixed, -1, 0)
	mustMmap(t, k, aAddr+2*pg, 2*pg, ProtRead, pa|MapFixed, -1, 0)
	poke(t, k, aAddr, 0x61)
	if got, err := k.Mremap(aAddr, 4*pg, 4*pg, MremapMayMove, 0); err != nil || got != aAddr {
		t.Errorf("same size without FIXED = %v, %v; want A, nothing moved", got, err)
	}
	if got, err := k.Mremap(aAddr, 4*pg, 4*pg, mf, nAddr); err != nil || got != nAddr {
		t.Fatalf("move = %v, %v", got, err)
	}
	want := "100080000000-100080002000 rw-p 00000000 00:00 0 \n" +
		"100080002000-100080004000 r--p 00000000 00:00 0 \n"
	if s := k.MapsString(); s != want {
		t.Errorf("maps\n%s\nwant\n%s", s, want)
	}
	if mustPeek(t, k, nAddr) != 0x61 {
		t.Errorf("contents did not move")
	}

	// A hole in the middle is reproduced (Q23).
	k = linuxKernel(t)
	mustMmap(t, k, aAddr, 2*pg, rw, pa|MapFixed, -1, 0)
	mustMmap(t, k, aAddr+3*pg, 2*pg, rw, pa|MapFixed, -1, 0)
	poke(t, k, aAddr+3*pg, 0x62)
	if got, err := k.Mremap(aAddr, 5*pg, 5*pg, mf, nAddr); err != nil || got != nAddr {
		t.Fatalf("move with hole = %v, %v", got, err)
	}
	if _, ok := k.Lookup(nAddr + 2*pg); ok || mustPeek(t, k, nAddr+3*pg) != 0x62 || linesIn(k, Range{0, 1 << 47}) != 2 {
		t.Errorf("after move:\n%s", k.MapsString())
	}

	// Starting in a hole: EFAULT, nothing moved. Ending in one: fine.
	k = linuxKernel(t)
	mustMmap(t, k, aAddr+pg, 2*pg, rw, pa|MapFixed, -1, 0)
	if _, err := k.Mremap(aAddr, 3*pg, 3*pg, mf, nAddr); errno(t, err) != EFAULT {
		t.Errorf("starting in a hole = %v, want EFAULT", err)
	}
	if got, err := k.Mremap(aAddr+pg, 3*pg, 3*pg, mf, nAddr); err != nil || got != nAddr {
		t.Errorf("ending in a hole = %v, %v", got, err)
	}

	// Partial cover of [A 3pg rw][A+3 3pg r] (Q23).
	k = linuxKernel(t)
	mustMmap(t, k, aAddr, 3*pg, rw, pa|MapFixed, -1, 0)
	mustMmap(t, k, aAddr+3*pg, 3*pg, ProtRead, pa|MapFixed, -1, 0)
	if _, err := k.Mremap(aAddr+pg, 4*pg, 4*pg, mf, nAddr); err != nil {
		t.Fatal(err)
	}
	want = "100040000000-100040001000 rw-p 00000000 00:00 0 \n" +
		"100040005000-100040006000 r--p 00000000 00:00 0 \n" +
		"100080000000-100080002000 rw-p 00000000 00:00 0 \n" +
		"100080002000-100080004000 r--p 00000000 00:00 0 \n"
	if s := k.MapsString(); s != want {
		t.Errorf("maps\n%s\nwant\n%s", s, want)
	}

	// Anonymous and private file VMAs together, with DONTUNMAP too.
	for _, fl := range []MremapFlags{mf, mf | MremapDontUnmap} {
		k := linuxKernel(t)
		fd := fileWith(t, k, "f", repeat('F', 4*pg))
		mustMmap(t, k, aAddr, 2*pg, rw, pa|MapFixed, -1, 0)
		mustMmap(t, k, aAddr+2*pg, 2*pg, ProtRead, MapPrivate|MapFixed, fd, 2*pg)
		if _, err := k.Mremap(aAddr, 4*pg, 4*pg, fl, nAddr); err != nil {
			t.Fatalf("%v: %v", fl, err)
		}
		if m, _ := k.Lookup(nAddr + 2*pg); m.Offset != 2*pg || mustPeek(t, k, nAddr+2*pg) != 'F' {
			t.Errorf("%v: file part %v", fl, m)
		}
		if _, ok := k.Lookup(aAddr); ok != (fl&MremapDontUnmap != 0) {
			t.Errorf("%v: old range mapped=%v", fl, ok)
		}
	}
}

// TestMremapMaxMapCount: moves need room for the worst case (linux-facts
// Q13, max_map_count 1000): non-fixed moves fail from 997 VMAs, fixed ones
// from 995; shrink and grow in place never fail.
func TestMremapMaxMapCount(t *testing.T) {
	for _, c := range []struct {
		name   string
		addr   Addr // in pages from T
		oldLen uint64
		newLen uint64
		flags  MremapFlags
		count  int
		err    Errno
	}{
		{"shrink 3->1, 1001", 0, 3 * pg, pg, 0, 1001, 0},
		{"grow 3->4, 1001", 0, 3 * pg, 4 * pg, 0, 1001, 0},
		{"grow 3->4 maymove, 1001", 0, 3 * pg, 4 * pg, MremapMayMove, 1001, 0},
		{"middle 1->2 maymove, 1000", 1, pg, 2 * pg, MremapMayMove, 1000, ENOMEM},
		{"middle 1->2 maymove, 997", 1, pg, 2 * pg, MremapMayMove, 997, ENOMEM},
		{"middle 1->2 maymove, 996", 1, pg, 2 * pg, MremapMayMove, 996, 0},
		{"fixed middle, 995", 1, pg, pg, MremapMayMove | MremapFixed, 995, ENOMEM},
		{"fixed middle, 994", 1, pg, pg, MremapMayMove | MremapFixed, 994, 0},
		{"fixed first, 995", 0, pg, pg, MremapMayMove | MremapFixed, 995, ENOMEM},
		{"fixed first, 994", 0, pg, pg, MremapMayMove | MremapFixed, 994, 0},
		{"fixed whole, 995", 0, 3 * pg, 3 * pg, MremapMayMove | MremapFixed, 995, ENOMEM},
		{"fixed whole, 994", 0, 3 * pg, 3 * pg, MremapMayMove | MremapFixed, 994, 0},
		{"fixed whole dontunmap, 995", 0, 3 * pg, 3 * pg, MremapMayMove | MremapFixed | MremapDontUnmap, 995, ENOMEM},
		{"fixed whole dontunmap, 994", 0, 3 * pg, 3 * pg, MremapMayMove | MremapFixed | MremapDontUnmap, 994, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := mapCountKernel(t, c.count, func(k *Kernel) {
				mustMmap(t, k, mapCountT+4*pg, pg, ProtRead, pa|MapFixed, -1, 0) // no room to grow 1->2 in place
			})
			_, err := k.Mremap(mapCountT+c.addr*pg, c.oldLen, c.newLen, c.flags, nAddr)
			if got := errno(t, err); got != c.err {
				t.Errorf("mremap = %s, want %s", res(got), res(c.err))
			}
		})
	}
}

// TestMremapGeometries: 32-bit hosts wrap every argument at 32 bits; page
// sizes round lengths. The boundaries of the old range are in
// boundaries_test.go.
func TestMremapGeometries(t *testing.T) {
	t.Run("boundaries", func(t *testing.T) { runGeometryCases(t, mremapCall) })
	b32 := Config{AddrBits: 32}
	g3 := Config{AddrBits: 32, TaskSize: 0xC0000000}
	k16 := Config{PageSize: 16 << 10, AddrBits: 48}
	for _, c := range []struct {
		cfg Config
		mremapCase
	}{
		{b32, mremapCase{"32-bit: new_len -1", 0x10000000, pg, 0xFFFFFFFF, MremapMayMove, 0, 0, EINVAL}},
		{b32, mremapCase{"32-bit: new_len 2^32+4096 truncates", 0x10000000, 2 * pg, 1<<32 + pg, 0, 0, 0x10000000, 0}},
		{b32, mremapCase{"32-bit: fixed to 2^32-4096", 0x10000000, pg, pg, MremapMayMove | MremapFixed, 0xFFFFF000, 0xFFFFF000, 0}},
		{b32, mremapCase{"32-bit: fixed past 2^32", 0x10000000, pg, 2 * pg, MremapMayMove | MremapFixed, 0xFFFFF000, 0, EINVAL}},
		{b32, mremapCase{"32-bit: huge shrink+fixed", 0x10000000, 0xF0001000, pg, MremapMayMove | MremapFixed, 0x8000000, 0, EINVAL}},
		{g3, mremapCase{"32-bit 3G: new_len 3G+", 0x10000000, pg, 0xC0001000, MremapMayMove, 0, 0, EINVAL}},
		{g3, mremapCase{"32-bit 3G: fixed to 3G", 0x10000000, pg, pg, MremapMayMove | MremapFixed, 0xC0000000, 0, EINVAL}},
		{k16, mremapCase{"16K: old_len 16K+1 new_len 32K+1", 0x100000000, 16<<10 + 1, 32<<10 + 1, 0, 0, 0x100000000, 0}},
		{k16, mremapCase{"16K: old_len 1 is one page", 0x100000000, 1, 32 << 10, 0, 0, 0, ENOMEM}},
		{k16, mremapCase{"16K: new_addr 4K aligned", 0x100000000, 1, 1, MremapMayMove | MremapFixed, 0x200001000, 0, EINVAL}},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := newKernel(t, c.cfg)
			mustMmap(t, k, geometryBase(k), 2*k.PageSize(), rw, pa|MapFixed, -1, 0)
			checkMremap(t, k, c.mremapCase)
		})
	}
}

// TestMremapMovedAnonMerges: an anonymous VMA never written takes the page
// offset of its new address (copy_vma()), so it merges with a neighbour
// there; one written keeps its own and stays apart.
func TestMremapMovedAnonMerges(t *testing.T) {
	for _, written := range []bool{false, true} {
		k := linuxKernel(t)
		mustMmap(t, k, nAddr, pg, rw, pa|MapFixed, -1, 0)
		mustMmap(t, k, aAddr, pg, rw, pa|MapFixed, -1, 0)
		if written {
			poke(t, k, aAddr, 1)
		}
		if _, err := k.Mremap(aAddr, pg, pg, MremapMayMove|MremapFixed, nAddr+pg); err != nil {
			t.Fatal(err)
		}
		want := 1
		if written {
			want = 2
		}
		if n := linesIn(k, Range{nAddr, nAddr + 2*pg}); n != want {
			t.Errorf("written=%v: %d lines, want %d:\n%s", written, n, want, k.Debug())
		}
	}
}

// TestMremapTHP: a move places like mmap, so an unhinted anonymous move of
// a 2 MiB multiple is 2 MiB aligned (vrm_set_new_addr() calls
// get_unmapped_area()).
func TestMremapTHP(t *testing.T) {
	k := linuxKernel(t)
	mustMmap(t, k, aAddr, pg, rw, pa|MapFixed, -1, 0)
	mustMmap(t, k, aAddr+pg, pg, ProtRead, pa|MapFixed, -1, 0)
	got, err := k.Mremap(aAddr, pg, 2<<20, MremapMayMove, 0)
	if err != nil || got%(2<<20) != 0 {
		t.Errorf("move to 2 MiB = %v, %v; want 2 MiB aligned", got, err)
	}
}

// TestMremapDontUnmapSeveral: MREMAP_DONTUNMAP|MREMAP_FIXED with equal
// lengths over several VMAs moves each VMA once, keeping the gaps between
// them (mm/mremap.c remap_move()), and completes each move as
// dontunmap_complete() does, after copy_vma() inserted the copy: the source
// VMA is unlocked, and when the copy merged with it, the merged VMA is
// (move_vma()). hostvm merges each emptied source with the next VMA, which
// Linux leaves apart (README, "Merging"); the moves must not be misled by
// that.
func TestMremapDontUnmapSeveral(t *testing.T) {
	const du = MremapMayMove | MremapFixed | MremapDontUnmap
	for _, c := range []struct {
		name      string
		setup     func(t *testing.T, k *Kernel)
		addr      Addr
		length    uint64
		to        Addr
		peeks     map[Addr]byte // bytes to read after the move (absent: unmapped)
		unmapped  []Addr
		locked    map[Addr]bool // VM_LOCKED of the VMA at each address
		anon      map[Addr]bool // whether the VMA at each address has an anon_vma
		wantLines int           // maps lines in [to, to+length)
	}{
		{
			// The linuxdiff scenario dontunmap-source-merge: two VMAs with
			// their own anon_vmas, one mmap.
			name: "two anon_vmas",
			setup: func(t *testing.T, k *Kernel) {
				mustMmap(t, k, aAddr, 3*pg, rw, pa|MapFixed, -1, 0)
				mustOK(t, k.Madvise(aAddr, pg, MadvDontFork), "madvise")
				poke(t, k, aAddr, 'y')
				poke(t, k, aAddr+pg, 'z')
				mustOK(t, k.Madvise(aAddr, pg, MadvDoFork), "madvise")
			},
			addr: aAddr, length: 2 * pg, to: nAddr,
			peeks:     map[Addr]byte{nAddr: 'y', nAddr + pg: 'z', aAddr: 0, aAddr + pg: 0, aAddr + 2*pg: 0},
			unmapped:  []Addr{nAddr + 2*pg},
			wantLines: 2,
		},
		{
			name: "three VMAs and a hole",
			setup: func(t *testing.T, k *Kernel) {
				mustMmap(t, k, aAddr, pg, rw, pa|MapFixed, -1, 0)
				mustMmap(t, k, aAddr+pg, pg, ProtRead, pa|MapFixed, -1, 0)
				mustMmap(t, k, aAddr+3*pg, pg, rw, pa|MapFixed, -1, 0)
				poke(t, k, aAddr, 'a')
				poke(t, k, aAddr+3*pg, 'c')
			},
			addr: aAddr, length: 4 * pg, to: nAddr,
			peeks:     map[Addr]byte{nAddr: 'a', nAddr + pg: 0, nAddr + 3*pg: 'c', aAddr: 0, aAddr + 3*pg: 0},
			unmapped:  []Addr{nAddr + 2*pg, aAddr + 2*pg},
			wantLines: 3,
		},
		{
			// A, unlocked and emptied, joins P; B too: P keeps its
			// anon_vma (only the moved VMAs lose theirs).
			name: "emptied sources join a written neighbour",
			setup: func(t *testing.T, k *Kernel) {
				mustMmap(t, k, aAddr, pg, rw, pa|MapFixed, -1, 0)
				mustMmap(t, k, aAddr+pg, pg, rw, pa|MapFixed|MapLocked, -1, 0)
				mustMmap(t, k, aAddr+2*pg, pg, rw, pa|MapFixed, -1, 0)
				poke(t, k, aAddr, 'p')
				poke(t, k, aAddr+pg, 'a')
			},
			addr: aAddr + pg, length: 2 * pg, to: nAddr,
			peeks:     map[Addr]byte{aAddr: 'p', aAddr + pg: 0, nAddr: 'a', nAddr + pg: 0},
			locked:    map[Addr]bool{aAddr + pg: false, nAddr: true, nAddr + pg: false},
			anon:      map[Addr]bool{aAddr: true, nAddr: true},
			wantLines: 2,
		},
		{
			name: "locked source, copy elsewhere",
			setup: func(t *testing.T, k *Kernel) {
				mustMmap(t, k, aAddr, 2*pg, rw, pa|MapFixed|MapLocked, -1, 0)
				poke(t, k, aAddr, 'l')
			},
			addr: aAddr, length: 2 * pg, to: nAddr,
			peeks:     map[Addr]byte{nAddr: 'l', aAddr: 0},
			locked:    map[Addr]bool{aAddr: false, nAddr: true},
			wantLines: 1,
		},
		{
			// The copy of a never-written locked VMA merges with both
			// pieces of its source; dontunmap_complete() then unlocks the
			// merged VMA, copy included.
			name: "locked source, copy merges with it",
			setup: func(t *testing.T, k *Kernel) {
				mustMmap(t, k, aAddr, 16*pg, ProtNone, pa|MapFixed|MapLocked, -1, 0)
			},
			addr: aAddr + 10*pg, length: 4 * pg, to: aAddr + 2*pg,
			locked:    map[Addr]bool{aAddr: false, aAddr + 2*pg: false, aAddr + 15*pg: false},
			wantLines: 1,
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			c.setup(t, k)
			got, err := k.Mremap(c.addr, c.length, c.length, du, c.to)
			if err != nil || got != c.to {
				t.Fatalf("mremap = %v, %v; want %v", got, err, c.to)
			}
			for a, want := range c.peeks {
				if b, f := peek(k, a); f != nil || b != want {
					t.Errorf("read at %v: got %q (%v), want %q\n%s", a, b, faultCode(f), want, k.Debug())
				}
			}
			for _, a := range c.unmapped {
				if _, ok := k.Lookup(a); ok {
					t.Errorf("%v mapped, want a hole\n%s", a, k.Debug())
				}
			}
			for a, want := range c.anon {
				if v, ok := k.findVMA(a); !ok || (v.anon != 0) != want {
					t.Errorf("VMA at %v: got anon_vma %v, want %v\n%s", a, v.anon != 0, want, k.Debug())
				}
			}
			for a, want := range c.locked {
				if v, ok := k.findVMA(a); !ok || (v.flags&vmLocked != 0) != want {
					t.Errorf("VMA at %v: got locked=%v, want %v\n%s", a, v.flags&vmLocked != 0, want, k.Debug())
				}
			}
			if n := linesIn(k, Range{c.to, c.to + Addr(c.length)}); n != c.wantLines {
				t.Errorf("got %d lines at the destination, want %d\n%s", n, c.wantLines, k.Debug())
			}
		})
	}
}

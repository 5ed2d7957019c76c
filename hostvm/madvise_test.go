package hostvm

import "testing"

// TestMadviseArguments: advice, alignment and length checks
// (linux-facts Q26), the address and length boundaries with MADV_DONTNEED
// in boundaries_test.go. A is a 2-page rw VMA at H.
func TestMadviseArguments(t *testing.T) {
	t.Run("boundaries", func(t *testing.T) { runBoundaryCases(t, madviseCall) })
	const a = hAddr
	for _, c := range []struct {
		name   string
		addr   Addr
		length uint64
		advice Advice
		want   Errno
	}{
		{"999", a, pg, 999, EINVAL},
		{"0x7fffffff", a, pg, 0x7fffffff, EINVAL},
		{"unaligned, 999", a + 1, pg, 999, EINVAL},
		{"len 0, 999", a, 0, 999, EINVAL},
		{"unmapped, valid advice", freeBase, pg, MadvNormal, ENOMEM},
		{"unmapped, invalid advice", freeBase, pg, 999, EINVAL},
		{"hwpoison", a, pg, MadvHwPoison, EINVAL},
		{"soft offline", a, pg, MadvSoftOffline, EINVAL},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			mustMmap(t, k, a, 2*pg, rw, pa|MapFixed, -1, 0)
			if got := errno(t, k.Madvise(c.addr, c.length, c.advice)); got != c.want {
				t.Errorf("madvise(%v, %#x, %v) = %s, want %s", c.addr, c.length, c.advice, res(got), res(c.want))
			}
		})
	}
}

// TestMadviseAdviceScan: every advice value on a fresh 2-page private
// anonymous rw mapping, on an unmapped range, and with len 0
// (linux-facts Q26, "Advice scan").
func TestMadviseAdviceScan(t *testing.T) {
	ok := map[Advice]bool{}
	for _, v := range []Advice{0, 1, 2, 3, 4, 8, 102, 103} {
		ok[v] = true
	}
	for v := Advice(10); v <= 24; v++ {
		ok[v] = true
	}
	for v := Advice(0); v < 130; v++ {
		k := linuxKernel(t)
		a := mustMmap(t, k, 0, 2*pg, rw, pa, -1, 0)
		want, unmapped, zero := Errno(EINVAL), Errno(EINVAL), Errno(EINVAL)
		if ok[v] {
			want, unmapped, zero = 0, ENOMEM, 0
		}
		if v == MadvRemove || v == MadvCollapse {
			// Valid advice that private anonymous memory refuses.
			want, unmapped, zero = EINVAL, ENOMEM, 0
		}
		if got := errno(t, k.Madvise(a, 2*pg, v)); got != want {
			t.Errorf("advice %d: %s, want %s", v, res(got), res(want))
		}
		if got := errno(t, k.Madvise(freeBase, pg, v)); got != unmapped {
			t.Errorf("advice %d on unmapped: %s, want %s", v, res(got), res(unmapped))
		}
		if got := errno(t, k.Madvise(freeBase, 0, v)); got != zero {
			t.Errorf("advice %d len 0: %s, want %s", v, res(got), res(zero))
		}
	}
}

// TestMadviseDontNeedContents: private pages are discarded (anonymous
// memory reads zero, a private file page shows the file again); shared
// pages stay (linux-facts Q26).
func TestMadviseDontNeedContents(t *testing.T) {
	for _, c := range []struct {
		name  string
		flags MapFlags
		file  bool
		prot  Prot
		want  byte
	}{
		{"private anon", pa, false, rw, 0},
		{"private file", MapPrivate, true, rw, 'A'},
		{"shared file", MapShared, true, rw, 0x55},
		{"shared anon", sa, false, rw, 0x55},
		{"private anon, PROT_NONE at the time", pa, false, ProtNone, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			fd := -1
			if c.file {
				fd = fileWith(t, k, "f", repeat('A', pg))
			}
			a := mustMmap(t, k, 0, pg, rw, c.flags, fd, 0)
			poke(t, k, a, 0x55)
			mustOK(t, k.Mprotect(a, pg, c.prot), "mprotect")
			mustOK(t, k.Madvise(a, pg, MadvDontNeed), "madvise")
			mustOK(t, k.Mprotect(a, pg, rw), "mprotect back")
			if got := mustPeek(t, k, a); got != c.want {
				t.Errorf("reads %#x, want %#x", got, c.want)
			}
		})
	}
}

// TestMadviseHoles: madvise applies to every mapped part of the range,
// after a hole too, and then reports ENOMEM (linux-facts Q26).
// [A 2pg][hole][B 2pg], all written 0x66.
func TestMadviseHoles(t *testing.T) {
	const a = hAddr
	const b = a + 3*pg
	for _, c := range []struct {
		name   string
		addr   Addr
		length uint64
		advice Advice
		want   Errno
		after  [4]byte // pages A, A+1, B, B+1
	}{
		{"dontneed over all", a, 5 * pg, MadvDontNeed, ENOMEM, [4]byte{0, 0, 0, 0}},
		{"dontneed from the hole", a + 2*pg, 3 * pg, MadvDontNeed, ENOMEM, [4]byte{0x66, 0x66, 0, 0}},
		{"dontneed in the hole", a + 2*pg, pg, MadvDontNeed, ENOMEM, [4]byte{0x66, 0x66, 0x66, 0x66}},
		{"normal in the hole", a + 2*pg, pg, MadvNormal, ENOMEM, [4]byte{0x66, 0x66, 0x66, 0x66}},
		{"willneed over the hole", a, 5 * pg, MadvWillNeed, ENOMEM, [4]byte{0x66, 0x66, 0x66, 0x66}},
		{"free over the hole", a, 5 * pg, MadvFree, ENOMEM, [4]byte{0x66, 0x66, 0x66, 0x66}},
		{"999 over the hole", a, 5 * pg, 999, EINVAL, [4]byte{0x66, 0x66, 0x66, 0x66}},
		{"dontneed B only", b, 2 * pg, MadvDontNeed, 0, [4]byte{0x66, 0x66, 0, 0}},
		// MADV_POPULATE_* walk with get_user_pages() and stop at the
		// hole (madvise_populate(): "-ENOMEM: No VMA").
		{"populate_write over the hole", a, 5 * pg, MadvPopulateWrite, ENOMEM, [4]byte{0x66, 0x66, 0x66, 0x66}},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			mustMmap(t, k, a, 2*pg, rw, pa|MapFixed, -1, 0)
			mustMmap(t, k, b, 2*pg, rw, pa|MapFixed, -1, 0)
			for _, p := range []Addr{a, a + pg, b, b + pg} {
				poke(t, k, p, 0x66)
			}
			if got := errno(t, k.Madvise(c.addr, c.length, c.advice)); got != c.want {
				t.Errorf("madvise = %s, want %s", res(got), res(c.want))
			}
			for i, p := range []Addr{a, a + pg, b, b + pg} {
				if got := mustPeek(t, k, p); got != c.after[i] {
					t.Errorf("page %v reads %#x, want %#x", p, got, c.after[i])
				}
			}
		})
	}
}

// TestMadvisePopulate: MADV_POPULATE_WRITE breaks copy-on-write of a private
// file mapping up to the first hole and no further; it needs PROT_WRITE,
// and MADV_POPULATE_READ needs PROT_READ (check_vma_flags()); a page
// beyond end-of-file is EFAULT (linux-facts Q26: POPULATE_READ on
// PROT_NONE is EINVAL).
func TestMadvisePopulate(t *testing.T) {
	k := linuxKernel(t)
	fd := fileWith(t, k, "f", repeat('A', 4*pg))
	mustMmap(t, k, hAddr, pg, rw, MapPrivate|MapFixed, fd, 0)
	mustMmap(t, k, hAddr+2*pg, pg, rw, MapPrivate|MapFixed, fd, 2*pg)
	if got := errno(t, k.Madvise(hAddr+pg, 2*pg, MadvPopulateWrite)); got != ENOMEM {
		t.Errorf("populate from a hole = %s, want ENOMEM", res(got))
	}
	if got := errno(t, k.Madvise(hAddr, 3*pg, MadvPopulateWrite)); got != ENOMEM {
		t.Errorf("populate over a hole = %s, want ENOMEM", res(got))
	}
	if _, err := k.FilePwrite(fd, []byte("zz"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := k.FilePwrite(fd, []byte("zz"), 2*pg); err != nil {
		t.Fatal(err)
	}
	if got := mustPeek(t, k, hAddr); got != 'A' {
		t.Errorf("populated page reads %q, want 'A' (frozen copy)", got)
	}
	if got := mustPeek(t, k, hAddr+2*pg); got != 'z' {
		t.Errorf("page after the hole reads %q, want 'z' (not populated)", got)
	}

	for _, c := range []struct {
		name   string
		prot   Prot
		advice Advice
		want   Errno
	}{
		{"read on PROT_NONE", ProtNone, MadvPopulateRead, EINVAL},
		{"read on write-only", ProtWrite, MadvPopulateRead, EINVAL},
		{"write on read-only", ProtRead, MadvPopulateWrite, EINVAL},
		{"write on write-only", ProtWrite, MadvPopulateWrite, 0},
		{"read on read-only", ProtRead, MadvPopulateRead, 0},
		{"willneed on PROT_NONE", ProtNone, MadvWillNeed, 0},
		{"dontneed on PROT_NONE", ProtNone, MadvDontNeed, 0},
	} {
		k := linuxKernel(t)
		a := mustMmap(t, k, 0, pg, c.prot, pa, -1, 0)
		if got := errno(t, k.Madvise(a, pg, c.advice)); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, res(got), res(c.want))
		}
	}
	// Beyond end-of-file: EFAULT (VM_FAULT_SIGBUS).
	k = linuxKernel(t)
	fd = fileWith(t, k, "f", repeat('A', 100))
	a := mustMmap(t, k, 0, 2*pg, ProtRead, MapShared, fd, 0)
	if got := errno(t, k.Madvise(a, 2*pg, MadvPopulateRead)); got != EFAULT {
		t.Errorf("populate past EOF = %s, want EFAULT", res(got))
	}
}

// TestMadviseFree: only private anonymous memory may be freed
// (linux-facts Q26); the data stays until memory pressure, which the
// simulated host never has.
func TestMadviseFree(t *testing.T) {
	for _, c := range []struct {
		name  string
		flags MapFlags
		file  bool
		prot  Prot
		want  Errno
	}{
		{"private file", MapPrivate, true, rw, EINVAL},
		{"shared file", MapShared, true, rw, EINVAL},
		{"shared anon", sa, false, rw, EINVAL},
		{"private anon", pa, false, rw, 0},
		{"private anon PROT_NONE", pa, false, ProtNone, 0},
		{"locked private anon", pa | MapLocked, false, rw, EINVAL},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			fd := -1
			if c.file {
				fd = fileWith(t, k, "f", repeat('A', pg))
			}
			a := mustMmap(t, k, 0, pg, c.prot, c.flags, fd, 0)
			if got := errno(t, k.Madvise(a, pg, MadvFree)); got != c.want {
				t.Errorf("MADV_FREE = %s, want %s", res(got), res(c.want))
			}
		})
	}
	k := linuxKernel(t)
	a := mustMmap(t, k, 0, pg, rw, pa, -1, 0)
	poke(t, k, a, 9)
	mustOK(t, k.Madvise(a, pg, MadvFree), "MADV_FREE")
	if got := mustPeek(t, k, a); got != 9 {
		t.Errorf("after MADV_FREE reads %d, want 9", got)
	}
}

// TestMadviseRemove: MADV_REMOVE punches a hole in shared writable
// mappings and refuses the rest (linux-facts Q26). Private copies of the
// punched pages survive (truncate_pagecache_range(): "hole-punching should
// not remove private COWed pages from the hole").
func TestMadviseRemove(t *testing.T) {
	for _, c := range []struct {
		name  string
		mode  OpenFlags
		flags MapFlags
		anon  bool
		prot  Prot
		want  Errno
	}{
		{"private anon", ORdWr, pa, true, rw, EINVAL},
		{"private file", ORdWr, MapPrivate, false, rw, EACCES},
		{"shared file", ORdWr, MapShared, false, rw, 0},
		{"shared anon", ORdWr, sa, true, rw, 0},
		{"shared r of O_RDONLY", ORdOnly, MapShared, false, ProtRead, EACCES},
		{"shared r of O_RDWR", ORdWr, MapShared, false, ProtRead, 0},
		{"locked shared file", ORdWr, MapShared | MapLocked, false, rw, EINVAL},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			fileWith(t, k, "f", repeat('A', 2*pg))
			fd := -1
			if !c.anon {
				fd = mustOpen(t, k, "f", c.mode)
			}
			a := mustMmap(t, k, 0, 2*pg, c.prot, c.flags, fd, 0)
			if got := errno(t, k.Madvise(a, pg, MadvRemove)); got != c.want {
				t.Fatalf("MADV_REMOVE = %s, want %s", res(got), res(c.want))
			}
			if c.want != 0 {
				return
			}
			if got := mustPeek(t, k, a); got != 0 {
				t.Errorf("mapping reads %#x after the punch, want 0", got)
			}
			if !c.anon {
				buf := make([]byte, 1)
				if n, err := k.FilePread(fd, buf, 0); n != 1 || err != nil || buf[0] != 0 {
					t.Errorf("pread after the punch = %d, %v, %#x; want 1 byte 0", n, err, buf[0])
				}
			}
		})
	}
	k := linuxKernel(t)
	fd := fileWith(t, k, "f", repeat('A', 2*pg))
	priv := mustMmap(t, k, 0, 2*pg, rw, MapPrivate, fd, 0)
	shared := mustMmap(t, k, 0, 2*pg, rw, MapShared, fd, 0)
	poke(t, k, priv, 'p')
	mustOK(t, k.Madvise(shared, 2*pg, MadvRemove), "MADV_REMOVE")
	if got := mustPeek(t, k, priv); got != 'p' {
		t.Errorf("private copy reads %q after the punch, want 'p'", got)
	}
	if got := mustPeek(t, k, priv+pg); got != 0 {
		t.Errorf("private uncopied page reads %#x after the punch, want 0", got)
	}
}

// TestMadviseFlags: advice that sets a VMA flag splits the VMA; the pieces
// print alike but do not merge until the flag is cleared
// (linux-facts Q26, "Flag-changing advice").
func TestMadviseFlags(t *testing.T) {
	k := linuxKernel(t)
	a := mustMmap(t, k, 0, 3*pg, rw, pa, -1, 0)
	steps := []struct {
		advice Advice
		at, n  Addr
		lines  int
	}{
		{MadvDontFork, 1, 1, 3},
		{MadvDoFork, 1, 1, 1},
		{MadvHugePage, 1, 1, 3},
		{MadvNoHugePage, 1, 1, 3},
		{MadvHugePage, 0, 3, 1},
		{MadvNoHugePage, 0, 3, 1},
		{MadvRandom, 2, 1, 2},
		{MadvNormal, 2, 1, 1},
		{MadvDontDump, 0, 1, 2},
		{MadvDoDump, 0, 1, 1},
		{MadvWipeOnFork, 1, 1, 3},
		{MadvKeepOnFork, 1, 1, 1},
		{MadvMergeable, 1, 1, 3},
		{MadvUnmergeable, 1, 1, 1},
	}
	for _, s := range steps {
		mustOK(t, k.Madvise(a+s.at*pg, uint64(s.n)*pg, s.advice), s.advice.String())
		if n := linesIn(k, Range{a, a + 3*pg}); n != s.lines {
			t.Fatalf("after %v: %d lines, want %d:\n%s", s.advice, n, s.lines, k.Debug())
		}
		for _, m := range k.Maps() {
			if got := m.String()[len("7ffff7ffc000-7ffff7ffd000"):]; got != " rw-p 00000000 00:00 0 " {
				t.Errorf("line text %q, want identical lines", m.String())
			}
		}
	}
	for _, adv := range []Advice{MadvSequential, MadvCold, MadvPageOut, MadvPopulateRead, MadvPopulateWrite, MadvWillNeed} {
		mustOK(t, k.Madvise(a, 3*pg, adv), adv.String())
	}
	// MADV_WIPEONFORK is refused for files and shared memory.
	fd := fileWith(t, k, "f", repeat('A', pg))
	f := mustMmap(t, k, 0, pg, ProtRead, MapPrivate, fd, 0)
	s := mustMmap(t, k, 0, pg, rw, sa, -1, 0)
	for _, x := range []Addr{f, s} {
		if got := errno(t, k.Madvise(x, pg, MadvWipeOnFork)); got != EINVAL {
			t.Errorf("WIPEONFORK on %v = %s, want EINVAL", x, res(got))
		}
	}
}

// TestMadviseGuard: MADV_GUARD_INSTALL makes pages fault with SEGV_MAPERR
// without changing the maps listing; MADV_GUARD_REMOVE undoes it
// (linux-facts Q26).
func TestMadviseGuard(t *testing.T) {
	k := linuxKernel(t)
	a := mustMmap(t, k, 0, 3*pg, rw, pa, -1, 0)
	poke(t, k, a+pg, 5)
	before := k.MapsString()
	mustOK(t, k.Madvise(a+pg, pg, MadvGuardInstall), "GUARD_INSTALL")
	if _, f := peek(k, a+pg); f == nil || f.Signal != SIGSEGV || f.Code != SegvMapErr || f.Addr != a+pg {
		t.Errorf("read of a guard page: %v, want SEGV_MAPERR at %v", f, a+pg)
	}
	if after := k.MapsString(); after != before {
		t.Errorf("maps changed:\n%s\nwant\n%s", after, before)
	}
	if got := mustPeek(t, k, a); got != 0 {
		t.Errorf("neighbour faulted")
	}
	mustOK(t, k.Madvise(a+pg, pg, MadvGuardRemove), "GUARD_REMOVE")
	if got := mustPeek(t, k, a+pg); got != 0 {
		t.Errorf("page after GUARD_REMOVE reads %d, want 0 (contents zapped)", got)
	}
	locked := mustMmap(t, k, 0, pg, rw, pa|MapLocked, -1, 0)
	if got := errno(t, k.Madvise(locked, pg, MadvGuardInstall)); got != EINVAL {
		t.Errorf("GUARD_INSTALL on locked = %s, want EINVAL", res(got))
	}
	// MAP_LOCKED refuses DONTNEED and FREE, accepts DONTNEED_LOCKED (Q26).
	if got := errno(t, k.Madvise(locked, pg, MadvDontNeed)); got != EINVAL {
		t.Errorf("DONTNEED on locked = %s, want EINVAL", res(got))
	}
	if got := errno(t, k.Madvise(locked, pg, MadvDontNeedLocked)); got != 0 {
		t.Errorf("DONTNEED_LOCKED on locked = %s, want OK", res(got))
	}
}

// TestMadviseMaxMapCount: a split that would pass max_map_count fails with
// EAGAIN, not ENOMEM (linux-facts Q13; madvise_vma_behavior()).
func TestMadviseMaxMapCount(t *testing.T) {
	runMapCountCases(t, []mapCountCase{
		{"middle, 1001", 1, 1001, EAGAIN, 0},
		{"middle, 1000", 1, 1000, EAGAIN, 0},
		{"middle, 999 (Linux: +1, same text)", 1, 999, EAGAIN, 0},
		{"middle, 998", 1, 998, 0, 2},
		{"first, 999", 0, 999, 0, 1},
		{"first, 1000", 0, 1000, EAGAIN, 0},
	}, func(k *Kernel, a Addr) error { return k.Madvise(a, pg, MadvDontFork) })
}

// TestMadviseGeometries: page sizes, and 32-bit wrapping (boundaries_test.go).
func TestMadviseGeometries(t *testing.T) { runGeometryCases(t, madviseCall) }

// TestMadviseVMAKind: advice that the kind of VMA refuses or ignores, on
// the first page of a 2-page mapping: MADV_COLD and MADV_PAGEOUT refuse
// VM_LOCKED (mm/madvise.c madvise_cold(), madvise_pageout():
// can_madv_lru_vma()); MADV_KEEPONFORK and MADV_DODUMP refuse
// MAP_DROPPABLE (madvise_vma_behavior()); MADV_MERGEABLE leaves it alone,
// unsplit (mm/ksm.c ksm_madvise(): vma_ksm_compatible()).
func TestMadviseVMAKind(t *testing.T) {
	for _, c := range []struct {
		name   string
		flags  MapFlags
		advice Advice
		want   Errno
		lines  int // maps lines of the mapping afterwards
	}{
		{"cold, locked", pa | MapLocked, MadvCold, EINVAL, 1},
		{"pageout, locked", pa | MapLocked, MadvPageOut, EINVAL, 1},
		{"cold", pa, MadvCold, 0, 1},
		{"pageout", pa, MadvPageOut, 0, 1},
		{"dontneed_locked, locked", pa | MapLocked, MadvDontNeedLocked, 0, 1},
		{"keeponfork, droppable", MapDroppable | MapAnonymous, MadvKeepOnFork, EINVAL, 1},
		{"dodump, droppable", MapDroppable | MapAnonymous, MadvDoDump, EINVAL, 1},
		{"dontdump, droppable", MapDroppable | MapAnonymous, MadvDontDump, 0, 1},
		{"mergeable, droppable", MapDroppable | MapAnonymous, MadvMergeable, 0, 1},
		{"unmergeable, droppable", MapDroppable | MapAnonymous, MadvUnmergeable, 0, 1},
		{"mergeable", pa, MadvMergeable, 0, 2},
		{"keeponfork", pa, MadvKeepOnFork, 0, 1},
		{"dodump", pa, MadvDoDump, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			mustMmap(t, k, aAddr, 2*pg, rw, c.flags|MapFixed, -1, 0)
			if got := errno(t, k.Madvise(aAddr, pg, c.advice)); got != c.want {
				t.Errorf("madvise(%v) = %s, want %s", c.advice, res(got), res(c.want))
			}
			if got := linesIn(k, Range{aAddr, aAddr + 2*pg}); got != c.lines {
				t.Errorf("got %d lines, want %d\n%s", got, c.lines, k.Debug())
			}
		})
	}
}

// TestMadviseGuardPopulate: MADV_POPULATE_* stops at a guard page with
// EFAULT, keeping what it populated below it (mm/madvise.c
// madvise_populate(): the fault on the marker fails, handle_pte_marker()).
// The mapping is a private 4-page file mapping; page 1 is a guard page.
func TestMadviseGuardPopulate(t *testing.T) {
	for _, c := range []struct {
		name    string
		addr    Addr // offset from the mapping
		pages   int
		advice  Advice
		want    Errno
		copied  []bool // pages 0 and 2 hold private copies afterwards
		unguard bool   // no guard page at all
	}{
		{"write over the guard", 0, 4, MadvPopulateWrite, EFAULT, []bool{true, false}, false},
		{"read over the guard", 0, 4, MadvPopulateRead, EFAULT, []bool{false, false}, false},
		{"write from the guard", pg, 3, MadvPopulateWrite, EFAULT, []bool{false, false}, false},
		{"write beyond the guard", 2 * pg, 2, MadvPopulateWrite, 0, []bool{false, true}, false},
		{"write, no guard", 0, 4, MadvPopulateWrite, 0, []bool{true, true}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			fd := fileWith(t, k, "f", repeat('f', 4*pg))
			mustMmap(t, k, aAddr, 4*pg, rw, MapPrivate|MapFixed, fd, 0)
			if !c.unguard {
				mustOK(t, k.Madvise(aAddr+pg, pg, MadvGuardInstall), "GUARD_INSTALL")
			}
			if got := errno(t, k.Madvise(aAddr+c.addr, uint64(c.pages)*pg, c.advice)); got != c.want {
				t.Errorf("madvise(%v) = %s, want %s", c.advice, res(got), res(c.want))
			}
			// A private copy no longer shows the file's changes.
			if _, err := k.FilePwrite(fd, repeat('g', 4*pg), 0); err != nil {
				t.Fatal(err)
			}
			for i, p := range []Addr{0, 2 * pg} {
				want := byte('g')
				if c.copied[i] {
					want = 'f'
				}
				if got := mustPeek(t, k, aAddr+p); got != want {
					t.Errorf("page %d reads %q, want %q", p/pg, got, want)
				}
			}
		})
	}
}

// TestMadviseGuardAnonVMA: MADV_GUARD_INSTALL gives an anonymous VMA an
// anon_vma (mm/madvise.c madvise_guard_install(): anon_vma_prepare() if
// vma_is_anonymous()), so a guarded anonymous VMA moved by mremap keeps its
// vm_pgoff (copy_vma()) and stays apart from a like VMA at its new address,
// as on Linux 6.18 (linuxdiff). File VMAs get none: two pieces of a file
// mapping guarded while their flags differed merge once they agree
// (linuxdiff seed 48).
func TestMadviseGuardAnonVMA(t *testing.T) {
	for _, c := range []struct {
		name  string
		guard bool
		lines int // maps lines of the reservation at nAddr-pg after the move
	}{
		{"guarded", true, 3},
		{"not guarded", false, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			mustMmap(t, k, aAddr, 4*pg, ProtNone, pa|MapFixed|MapNoReserve, -1, 0)
			mustMmap(t, k, nAddr-pg, 4*pg, ProtNone, pa|MapFixed|MapNoReserve, -1, 0)
			if c.guard {
				mustOK(t, k.Madvise(aAddr, 4*pg, MadvGuardInstall), "GUARD_INSTALL")
				if v, _ := k.findVMA(aAddr); v.anon == 0 {
					t.Errorf("no anon_vma after GUARD_INSTALL\n%s", k.Debug())
				}
			}
			if _, err := k.Mremap(aAddr, 2*pg, 2*pg, MremapMayMove|MremapFixed, nAddr); err != nil {
				t.Fatal(err)
			}
			if got := linesIn(k, Range{nAddr - pg, nAddr + 3*pg}); got != c.lines {
				t.Errorf("got %d lines, want %d\n%s", got, c.lines, k.Debug())
			}
		})
	}
	k := linuxKernel(t)
	fileWith(t, k, "f", repeat('f', 8*pg))
	ro := mustOpen(t, k, "f", ORdOnly)
	mustMmap(t, k, aAddr, 7*pg, ProtExec, MapPrivate|MapFixed, ro, 0)
	mustOK(t, k.Mprotect(aAddr, 2*pg, ProtWrite|ProtExec), "mprotect") // VM_ACCOUNT too
	mustOK(t, k.Madvise(aAddr, 6*pg, MadvGuardInstall), "GUARD_INSTALL")
	mustOK(t, k.Mprotect(aAddr+2*pg, 5*pg, ProtWrite|ProtExec), "mprotect")
	if got := linesIn(k, Range{aAddr, aAddr + 7*pg}); got != 1 {
		t.Errorf("file mapping: got %d lines, want 1\n%s", got, k.Debug())
	}
}

// TestMadviseCollapse: MADV_COLLAPSE answers as Linux 6.18 does
// (mm/khugepaged.c madvise_collapse(), mm/huge_memory.c
// __thp_vma_allowable_orders() and thp_vma_suitable_order()), each case
// checked on the real kernel with a linuxdiff scenario: EINVAL unless the
// VMA is private anonymous memory with an anon_vma or shmem with vm_pgoff
// aligned like its address, without VM_NOHUGEPAGE, that can hold a
// PMD-aligned huge page; then 0 if round_up(start) <= round_down(end) (to
// 2 MiB), else EINVAL. Files (open for writing) are EINVAL.
func TestMadviseCollapse(t *testing.T) {
	const pmd = 2 << 20
	base := Addr(0x100000200000) // PMD aligned
	for _, c := range []struct {
		name   string
		flags  MapFlags
		length uint64 // of the mapping at base
		write  bool   // a page written, so an anon_vma
		s, e   Addr   // the advised range, from base
		want   Errno
	}{
		{"no whole PMD, from a boundary", pa, 2 * pmd, true, 0, 3 * pg, 0},
		{"one whole PMD", pa, 2 * pmd, true, 0, pmd, 0},
		{"ends on a boundary", pa, 2 * pmd, true, pmd - pg, pmd, 0},
		{"inside one PMD", pa, 2 * pmd, true, pg, 3 * pg, EINVAL},
		{"no anon_vma", pa, 2 * pmd, false, 0, pmd, EINVAL},
		{"VMA holds no aligned PMD", pa, pmd, true, pg, pmd, EINVAL},
		{"MAP_STACK (VM_NOHUGEPAGE)", pa | MapStack, 2 * pmd, true, 0, pmd, EINVAL},
		{"shmem, no anon_vma", sa, 2 * pmd, false, 0, 3 * pg, 0},
		{"shmem inside one PMD", sa, 2 * pmd, false, pg, 3 * pg, EINVAL},
		{"shmem, MAP_STACK", sa | MapStack, 2 * pmd, false, 0, 3 * pg, EINVAL},
		{"file", MapPrivate, 2 * pmd, false, 0, 3 * pg, EINVAL},
		{"file, written", MapPrivate, 2 * pmd, true, 0, 3 * pg, EINVAL},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			at := base
			if c.length == pmd {
				at += pg // [base+pg, base+pmd+pg) holds no aligned PMD
			}
			fd := -1
			if c.flags&MapAnonymous == 0 {
				fd = fileWith(t, k, "f", repeat('f', int(c.length)))
			}
			mustMmap(t, k, at, c.length, rw, c.flags|MapFixed, fd, 0)
			if c.write {
				poke(t, k, at+Addr(c.length)-pg, 1)
			}
			if got := errno(t, k.Madvise(at+c.s, uint64(c.e-c.s), MadvCollapse)); got != c.want {
				t.Errorf("got %s, want %s", res(got), res(c.want))
			}
		})
	}
	// shmem whose vm_pgoff is not aligned like its address: EINVAL
	// (anonymous memory does not care, thp_vma_suitable_order()).
	for _, c := range []struct {
		flags MapFlags
		want  Errno
	}{{sa, EINVAL}, {pa, 0}} {
		k := linuxKernel(t)
		mustMmap(t, k, base+pg, 2*pmd, rw, c.flags|MapFixed, -1, 0)
		poke(t, k, base+pmd, 1)
		if got := errno(t, k.Madvise(base+pmd, 3*pg, MadvCollapse)); got != c.want {
			t.Errorf("%v at a misaligned address: got %s, want %s", c.flags, res(got), res(c.want))
		}
	}
	// Without THP (a 32-bit host) nothing collapses.
	cfg := linuxConfig()
	cfg.NoTHP = true
	k := newKernel(t, cfg)
	mustMmap(t, k, base, 2*pmd, rw, pa|MapFixed, -1, 0)
	poke(t, k, base, 1)
	if got := errno(t, k.Madvise(base, pmd, MadvCollapse)); got != EINVAL {
		t.Errorf("NoTHP: got %s, want EINVAL", res(got))
	}
}

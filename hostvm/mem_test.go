package hostvm

import (
	"bytes"
	"runtime"
	"testing"
)

// TestAccessFaults: which accesses fault, with which si_code and address
// (linux-facts Q28; x86-64 without protection keys).
func TestAccessFaults(t *testing.T) {
	k := linuxKernel(t)
	at := func(p Prot) Addr { return mustMmap(t, k, 0, pg, p, pa, -1, 0) }
	w, x, n, r, rx := at(ProtWrite), at(ProtExec), at(ProtNone), at(ProtRead), at(ProtRead|ProtExec)
	for _, c := range []struct {
		name string
		addr Addr
		acc  Access
		want *Fault // nil: no fault
	}{
		{"read write-only", w, AccessRead, nil},
		{"write write-only", w + 5, AccessWrite, nil},
		{"read exec-only", x, AccessRead, nil},
		{"write exec-only", x + 3, AccessWrite, &Fault{SIGSEGV, SegvAccErr, x + 3, AccessWrite}},
		{"read PROT_NONE", n + 7, AccessRead, &Fault{SIGSEGV, SegvAccErr, n + 7, AccessRead}},
		{"write PROT_NONE", n, AccessWrite, &Fault{SIGSEGV, SegvAccErr, n, AccessWrite}},
		{"write PROT_READ", r, AccessWrite, &Fault{SIGSEGV, SegvAccErr, r, AccessWrite}},
		{"write PROT_READ|EXEC", rx, AccessWrite, &Fault{SIGSEGV, SegvAccErr, rx, AccessWrite}},
		{"read unmapped", freeBase + 0x5123, AccessRead, &Fault{SIGSEGV, SegvMapErr, freeBase + 0x5123, AccessRead}},
		{"write unmapped", freeBase + 0x5123, AccessWrite, &Fault{SIGSEGV, SegvMapErr, freeBase + 0x5123, AccessWrite}},
		{"NULL", 0, AccessRead, &Fault{SIGSEGV, SegvMapErr, 0, AccessRead}},
		{"TASK_SIZE", 0x7ffffffff000, AccessRead, &Fault{SIGSEGV, SegvMapErr, 0x7ffffffff000, AccessRead}},
		{"kernel half", 0xffff800000000000, AccessRead, &Fault{SIGSEGV, SegvMapErr, 0xffff800000000000, AccessRead}},
		{"vsyscall", 0xffffffffff600000, AccessRead, &Fault{SIGSEGV, SegvMapErr, 0xffffffffff600000, AccessRead}},
		{"non-canonical 1<<47", 0x800000000000, AccessRead, &Fault{SIGSEGV, SiKernel, 0, AccessRead}},
		{"non-canonical 1<<63", 0x8000000000000000, AccessWrite, &Fault{SIGSEGV, SiKernel, 0, AccessWrite}},
		{"exec PROT_READ", r, AccessExec, &Fault{SIGSEGV, SegvAccErr, r, AccessExec}},
		{"exec PROT_NONE", n, AccessExec, &Fault{SIGSEGV, SegvAccErr, n, AccessExec}},
		{"exec unmapped", freeBase, AccessExec, &Fault{SIGSEGV, SegvMapErr, freeBase, AccessExec}},
		{"exec R|X", rx + 8, AccessExec, nil},
	} {
		f := accessOne(k, c.addr, c.acc)
		if (f == nil) != (c.want == nil) || (f != nil && *f != *c.want) {
			t.Errorf("%s: got %v, want %v", c.name, f, c.want)
		}
	}
	// StrictRead makes write-only and exec-only pages unreadable.
	cfg := linuxConfig()
	cfg.StrictRead = true
	k = newKernel(t, cfg)
	wo := mustMmap(t, k, 0, pg, ProtWrite, pa, -1, 0)
	if _, f := peek(k, wo); f == nil || f.Code != SegvAccErr {
		t.Errorf("StrictRead read of write-only: %v, want SEGV_ACCERR", f)
	}
}

// TestAccessSpansPages: an access crossing into a faulting page stores the
// bytes before it and reports the first faulting byte.
func TestAccessSpansPages(t *testing.T) {
	k := linuxKernel(t)
	a := mustMmap(t, k, hAddr, 2*pg, rw, pa|MapFixed, -1, 0)
	mustOK(t, k.Mprotect(a+pg, pg, ProtRead), "mprotect")
	n, f := k.Write(a+pg-3, []byte("abcdef"))
	if n != 3 || f == nil || f.Addr != a+pg || f.Code != SegvAccErr {
		t.Errorf("write across = %d, %v; want 3 and SEGV_ACCERR at %v", n, f, a+pg)
	}
	buf := make([]byte, 3)
	if n, f := k.Read(a+pg-3, buf); n != 3 || f != nil || string(buf) != "abc" {
		t.Errorf("read back %q (%d, %v)", buf, n, f)
	}
	if f := k.Fetch(a, 2*pg); f == nil || f.Addr != a || f.Code != SegvAccErr {
		t.Errorf("fetch of rw- = %v", f)
	}
	n, f = k.Read(0xfffffffffffffffe, make([]byte, 4))
	if f == nil || f.Code != SegvMapErr {
		t.Errorf("read wrapping 2^64 = %d, %v", n, f)
	}
}

// TestStackGrowth: touching below a MAP_GROWSDOWN VMA grows it, within the
// stack rlimit and not into the guard gap of an accessible VMA below
// (linux-facts Q5). X is the 4-page stack's start.
func TestStackGrowth(t *testing.T) {
	const x = Addr(0x100010000000)
	const mib = 1 << 20
	for _, c := range []struct {
		name     string
		below    Addr // a one-page VMA to map first, or 0
		belowP   Prot
		stackP   Prot
		touch    Addr
		write    bool
		fault    string
		newStart Addr // the stack's start afterwards
	}{
		{"one page", 0, 0, rw, x - pg, false, "ok", x - pg},
		{"100 pages", 0, 0, rw, x - 100*pg, false, "ok", x - 100*pg},
		{"past the rlimit", 0, 0, rw, x + 4*pg - 8*mib - pg, false, "SIGSEGV (SEGV_MAPERR)", x},
		{"up to the rlimit", 0, 0, rw, x + 4*pg - 8*mib, false, "ok", x + 4*pg - 8*mib},
		{"rw VMA inside the gap", x - mib, rw, rw, x - pg, false, "SIGSEGV (SEGV_MAPERR)", x},
		{"rw VMA ending at X-1MiB", x - mib - pg, rw, rw, x - pg, false, "SIGSEGV (SEGV_MAPERR)", x},
		{"rw VMA ending at X-1MiB-4K", x - mib - 2*pg, rw, rw, x - pg, false, "ok", x - pg},
		{"PROT_NONE VMA below", x - 3*pg, ProtNone, rw, x - 2*pg, false, "ok", x - 2*pg},
		{"PROT_NONE stack", 0, 0, ProtNone, x - pg, false, "SIGSEGV (SEGV_ACCERR)", x - pg},
		{"PROT_READ stack written", 0, 0, ProtRead, x - pg, true, "SIGSEGV (SEGV_ACCERR)", x - pg},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			if c.below != 0 {
				mustMmap(t, k, c.below, pg, c.belowP, pa|MapFixed, -1, 0)
			}
			mustMmap(t, k, x, 4*pg, c.stackP, pa|MapFixed|MapGrowsDown, -1, 0)
			var f *Fault
			if c.write {
				_, f = k.Write(c.touch, []byte{1})
			} else {
				_, f = peek(k, c.touch)
			}
			if got := faultCode(f); got != c.fault {
				t.Errorf("touch %v: %s, want %s", c.touch, got, c.fault)
			}
			m, ok := k.Lookup(x)
			if !ok || m.Start != c.newStart || m.End != x+4*pg || !m.GrowsDown {
				t.Errorf("stack %v, want [%v, %v)", m, c.newStart, x+4*pg)
			}
		})
	}
	// A [stack] VMA from Config.StackSize grows too, and is named.
	cfg := linuxConfig()
	cfg.StackSize = 132 << 10
	k := newKernel(t, cfg)
	top := k.TaskSize()
	if m, _ := k.Lookup(top - pg); m.Name != "[stack]" || m.Start != top-132<<10 {
		t.Errorf("stack %v", m)
	}
	poke(t, k, top-200<<10, 1)
	if m, _ := k.Lookup(top - pg); m.Start != top-200<<10 || m.Name != "[stack]" {
		t.Errorf("grown stack %v", m)
	}
}

// TestStackGrowthAnonVMA: growing a stack gives it its anon_vma first
// (expand_downwards() calls anon_vma_prepare()), even on a read, so the
// pieces later cut from it share one and merge again. TestLinuxDiff
// -linuxdiff.seed=25 found it: read below the stack (through
// /proc/self/mem), mprotect a piece, write another, mprotect across both.
// A growth the stack rlimit stops leaves the anon_vma too.
func TestStackGrowthAnonVMA(t *testing.T) {
	const base = Addr(0x100002c24000)
	k := linuxKernel(t)
	mustMmap(t, k, base+0x27000, 0x8000, ProtWrite, pa|MapFixed|MapGrowsDown, -1, 0)
	if _, f := peek(k, base); f != nil {
		t.Fatalf("read below the stack: %v", f)
	}
	mustOK(t, k.Mprotect(base+0x17000, 0x4000, ProtWrite|ProtExec), "mprotect wx")
	poke(t, k, base+0x1e41c, 'x')
	mustOK(t, k.Mprotect(base+0x16000, 0x7000, ProtRead), "mprotect r")
	if got := mapsIn(k, Range{base + 0x16000, base + 0x1d000}); got != "100002c3a000-100002c41000 r--p 00000000 00:00 0 \n" {
		t.Errorf("maps:\n%s\n%s", got, k.Debug())
	}
	const x = Addr(0x100010000000)
	mustMmap(t, k, x, 4*pg, rw, pa|MapFixed|MapGrowsDown, -1, 0)
	if _, f := peek(k, x+4*pg-8<<20-pg); f == nil {
		t.Fatalf("a read past the stack rlimit did not fault")
	}
	if v, _ := k.findVMA(x); v.start != x || v.anon == 0 {
		t.Errorf("stack after a refused growth: %v anon %d, want [%v, ...) with an anon_vma", v.rng(), v.anon, x)
	}
	// A stack that grows down onto a stack below joins it (hostvm's
	// maximal merging, which Linux does not do: stack-growth-merge); the
	// one VMA keeps the lower one's (no) anon_vma, so that the lower pages
	// behave as on Linux (TestLinuxDiff -linuxdiff.seed=163).
	const y = Addr(0x100020000000)
	mustMmap(t, k, y, 4*pg, rw, pa|MapFixed|MapGrowsDown, -1, 0)
	mustMmap(t, k, y+8*pg, 4*pg, rw, pa|MapFixed|MapGrowsDown, -1, 0)
	if _, f := peek(k, y+4*pg); f != nil {
		t.Fatalf("read below the upper stack: %v", f)
	}
	if v, _ := k.findVMA(y); v.rng() != (Range{y, y + 12*pg}) || v.anon != 0 {
		t.Errorf("stacks after the upper one grew onto the lower: %v anon %d, want %v without an anon_vma", v.rng(), v.anon, Range{y, y + 12*pg})
	}
}

// TestShortFile: a 100-byte file mapped 8192 bytes (linux-facts Q29;
// hostvm's files behave as ext4's): zeros to the end of the page, SIGBUS
// beyond it, and stores past EOF never reach the file.
func TestShortFile(t *testing.T) {
	k := linuxKernel(t)
	fd := fileWith(t, k, "f", repeat('x', 100))
	sh := mustMmap(t, k, 0, 2*pg, rw, MapShared, fd, 0)
	pr := mustMmap(t, k, 0, 2*pg, rw, MapPrivate, fd, 0)
	for _, base := range []Addr{sh, pr} {
		if b := mustPeek(t, k, base+99); b != 'x' {
			t.Errorf("@99 reads %q", b)
		}
		for _, off := range []Addr{100, 200, 4095} {
			if b := mustPeek(t, k, base+off); b != 0 {
				t.Errorf("@%d reads %#x, want 0", off, b)
			}
		}
		for _, w := range []bool{false, true} {
			var f *Fault
			if w {
				_, f = k.Write(base+pg+3, []byte{1})
			} else {
				_, f = peek(k, base+pg+3)
			}
			want := Fault{SIGBUS, BusAdrErr, base + pg + 3, AccessRead}
			if w {
				want.Access = AccessWrite
			}
			if f == nil || *f != want {
				t.Errorf("@4099 write=%v: %v, want %v", w, f, want)
			}
		}
	}
	poke(t, k, sh+200, 0x5a)
	one := make([]byte, 1)
	if n, _ := k.FilePread(fd, one, 200); n != 0 {
		t.Errorf("pread(200) = %d bytes, want 0 (EOF)", n)
	}
	fifty := make([]byte, 100)
	if n, _ := k.FilePread(fd, fifty, 50); n != 50 {
		t.Errorf("pread(100 at 50) = %d, want 50", n)
	}
	if b := mustPeek(t, k, pr+200); b != 0x5a {
		t.Errorf("private (not yet copied) @200 reads %#x, want 0x5a", b)
	}
	poke(t, k, pr+300, 0x33)
	if b := mustPeek(t, k, sh+300); b != 0 {
		t.Errorf("shared @300 sees the private write: %#x", b)
	}
	// Extending the file zeroes the stores beyond the old EOF (ext4).
	mustOK(t, k.Ftruncate(fd, 2*pg), "ftruncate(8192)")
	if n, _ := k.FilePread(fd, one, 200); n != 1 || one[0] != 0 {
		t.Errorf("pread(200) after extending = %d %#x, want 1 byte 0", n, one[0])
	}
	if b := mustPeek(t, k, sh+200); b != 0 {
		t.Errorf("shared @200 after extending reads %#x, want 0", b)
	}
	if b := mustPeek(t, k, sh+pg); b != 0 {
		t.Errorf("shared @4096 after extending reads %#x, want 0", b)
	}
	if b := mustPeek(t, k, pr+200); b != 0x5a {
		t.Errorf("private @200 (copied) reads %#x, want 0x5a", b)
	}
	// Truncating back zeroes the page tail.
	poke(t, k, sh+200, 0x5b)
	mustOK(t, k.Ftruncate(fd, 100), "ftruncate(100)")
	if b := mustPeek(t, k, sh+200); b != 0 {
		t.Errorf("shared @200 after truncating to 100 reads %#x", b)
	}
	// A store past EOF, unmapped, then the file extended: zeros (ext4).
	poke(t, k, sh+300, 0x7b)
	mustOK(t, k.Munmap(sh, 2*pg), "munmap")
	mustOK(t, k.Ftruncate(fd, 2*pg), "ftruncate(8192)")
	if _, _ = k.FilePread(fd, one, 300); one[0] != 0 {
		t.Errorf("pread(300) = %#x, want 0", one[0])
	}
	// Extending with pwrite does the same.
	mustOK(t, k.Ftruncate(fd, 100), "ftruncate(100)")
	sh = mustMmap(t, k, 0, 2*pg, rw, MapShared, fd, 0)
	poke(t, k, sh+400, 0x7c)
	if _, err := k.FilePwrite(fd, []byte{1}, 1000); err != nil {
		t.Fatal(err)
	}
	if _, _ = k.FilePread(fd, one, 400); one[0] != 0 {
		t.Errorf("pread(400) after pwrite extension = %#x, want 0", one[0])
	}
}

// TestPrivateSeesFileUntilWritten: a private file mapping reads the page
// cache until its first write to a page; from then that whole page is
// frozen (linux-facts Q30).
func TestPrivateSeesFileUntilWritten(t *testing.T) {
	k := linuxKernel(t)
	fd := fileWith(t, k, "f", append(repeat('A', pg), repeat('B', pg)...))
	a := mustMmap(t, k, 0, 2*pg, rw, MapPrivate, fd, 0)
	pw := func(b byte, off int64) {
		if _, err := k.FilePwrite(fd, []byte{b}, off); err != nil {
			t.Fatal(err)
		}
	}
	pw('1', 10)
	if b := mustPeek(t, k, a+10); b != '1' {
		t.Errorf("before any write the mapping reads %q, want '1'", b)
	}
	poke(t, k, a+20, 0x77)
	pw('2', 10)
	pw('3', 30)
	pw('4', pg+10)
	for _, c := range []struct {
		off  Addr
		want byte
	}{{10, '1'}, {20, 0x77}, {30, 'A'}, {pg + 10, '4'}} {
		if b := mustPeek(t, k, a+c.off); b != c.want {
			t.Errorf("@%d reads %q, want %q", c.off, b, c.want)
		}
	}
	mustOK(t, k.Mprotect(a, 2*pg, ProtRead), "mprotect")
	pw('5', pg+11)
	if b := mustPeek(t, k, a+pg+11); b != '5' {
		t.Errorf("after mprotect page 1 reads %q, want '5'", b)
	}
}

// TestSharedPageCache: every MAP_SHARED mapping of a file, and pread and
// pwrite, see one copy of each page.
func TestSharedPageCache(t *testing.T) {
	k := linuxKernel(t)
	fd := fileWith(t, k, "f", repeat('.', 2*pg))
	a := mustMmap(t, k, 0, 2*pg, rw, MapShared, fd, 0)
	b := mustMmap(t, k, 0, pg, rw, MapShared, fd, pg) // the second page only
	poke(t, k, a+pg+1, 'a')
	if got := mustPeek(t, k, b+1); got != 'a' {
		t.Errorf("second mapping reads %q", got)
	}
	poke(t, k, b+2, 'b')
	if got := mustPeek(t, k, a+pg+2); got != 'b' {
		t.Errorf("first mapping reads %q", got)
	}
	buf := make([]byte, 3)
	if _, err := k.FilePread(fd, buf, pg); err != nil || string(buf) != ".ab" {
		t.Errorf("pread %q (%v)", buf, err)
	}
	if _, err := k.FilePwrite(fd, []byte("P"), pg); err != nil {
		t.Fatal(err)
	}
	if got := mustPeek(t, k, b); got != 'P' {
		t.Errorf("mapping after pwrite reads %q", got)
	}
	// A second descriptor on the same path shares the cache too.
	fd2 := mustOpen(t, k, "f", ORdWr)
	c := mustMmap(t, k, 0, pg, rw, MapShared, fd2, pg)
	if got := mustPeek(t, k, c); got != 'P' {
		t.Errorf("mapping through another descriptor reads %q", got)
	}
}

// TestTruncateUnderPrivate: truncation drops the private copies of the
// pages it removes; pages past EOF raise SIGBUS; re-extending reads zeros
// (linux-facts Q32).
func TestTruncateUnderPrivate(t *testing.T) {
	k := linuxKernel(t)
	fd := fileWith(t, k, "f", repeat('A', 3*pg))
	pr := mustMmap(t, k, 0, 3*pg, rw, MapPrivate, fd, 0)
	sh := mustMmap(t, k, 0, 3*pg, rw, MapShared, fd, 0)
	for i := Addr(0); i < 3; i++ {
		mustPeek(t, k, pr+i*pg)
	}
	poke(t, k, pr+2*pg, 0x99)
	mustOK(t, k.Ftruncate(fd, pg), "ftruncate(4096)")
	for _, a := range []Addr{pr + 2*pg, pr + pg, sh + pg} {
		if _, f := peek(k, a); f == nil || f.Signal != SIGBUS || f.Code != BusAdrErr {
			t.Errorf("%v: %v, want SIGBUS BUS_ADRERR", a, f)
		}
	}
	if got := mustPeek(t, k, pr); got != 'A' {
		t.Errorf("page 0 reads %q", got)
	}
	if m, _ := k.Lookup(pr); m.End-m.Start != 3*pg {
		t.Errorf("VMA shrank: %v", m)
	}
	mustOK(t, k.Ftruncate(fd, 3*pg), "ftruncate(12288)")
	if got := mustPeek(t, k, pr+2*pg); got != 0 {
		t.Errorf("private page 2 after re-extending reads %#x, want 0 (copy gone)", got)
	}

	// ftruncate(100): an uncopied page 0 reads zero past 100; a copied
	// one keeps its copy (Q32).
	k = linuxKernel(t)
	fd = fileWith(t, k, "f", repeat('A', 3*pg))
	pr = mustMmap(t, k, 0, 3*pg, rw, MapPrivate, fd, 0)
	cow := mustMmap(t, k, 0, 3*pg, rw, MapPrivate, fd, 0)
	sh = mustMmap(t, k, 0, 3*pg, rw, MapShared, fd, 0)
	poke(t, k, cow+10, 0x98)
	mustOK(t, k.Ftruncate(fd, 100), "ftruncate(100)")
	for _, c := range []struct {
		a    Addr
		want byte
	}{{pr + 200, 0}, {pr + 4095, 0}, {cow + 10, 0x98}, {cow + 200, 'A'}, {cow + 4095, 'A'}, {sh + 200, 0}} {
		if got := mustPeek(t, k, c.a); got != c.want {
			t.Errorf("%v reads %#x, want %#x", c.a, got, c.want)
		}
	}
	if _, f := peek(k, cow+pg); f == nil || f.Signal != SIGBUS {
		t.Errorf("copied mapping page 1: %v, want SIGBUS", f)
	}
}

// TestSparseMemory: reserving a terabyte and a 4 GiB writable region, and
// touching a few bytes of them, costs the Go heap almost nothing.
func TestSparseMemory(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	k := linuxKernel(t)
	big := mustMmap(t, k, 0, 1<<40, ProtNone, pa|MapNoReserve, -1, 0)
	res4g := mustMmap(t, k, 0, 4<<30, rw, pa|MapNoReserve, -1, 0)
	for i := Addr(0); i < 16; i++ {
		poke(t, k, res4g+i*(256<<20), byte(i+1)) // one byte every 256 MiB
	}
	mustOK(t, k.Mprotect(big+(1<<39), 1<<30, rw), "mprotect")
	poke(t, k, big+(1<<39)+12345, 7)
	// A 1 MiB page holding one byte costs one 4 KiB chunk.
	kb := newKernel(t, Config{PageSize: 1 << 20, AddrBits: 48})
	hp := mustMmap(t, kb, 0, 16<<20, rw, pa, -1, 0)
	for i := Addr(0); i < 16; i++ {
		poke(t, kb, hp+i<<20+777, 1)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("Go heap grew by %d bytes", grew)
	if grew >= 1<<20 {
		t.Errorf("Go heap grew by %d bytes, want less than 1 MiB", grew)
	}
	if got := mustPeek(t, k, res4g+15*(256<<20)); got != 16 {
		t.Errorf("read back %d", got)
	}
	if got := mustPeek(t, kb, hp+15<<20+777); got != 1 {
		t.Errorf("read back %d", got)
	}
	runtime.KeepAlive(k)
	runtime.KeepAlive(kb)
}

// TestLargePages: contents and faults at page sizes above 4 KiB, where a
// page is several chunks.
func TestLargePages(t *testing.T) {
	for _, ps := range []uint64{16 << 10, 64 << 10, 1 << 20} {
		k := newKernel(t, Config{PageSize: ps, AddrBits: 48})
		fd := fileWith(t, k, "f", repeat('f', 5000))
		a := mustMmap(t, k, 0, 2*ps, rw, MapPrivate, fd, 0)
		data := bytes.Repeat([]byte("0123456789"), 1000) // crosses chunks
		if n, f := k.Write(a+4090, data); n != len(data) || f != nil {
			t.Fatalf("page %#x: write = %d, %v", ps, n, f)
		}
		got := make([]byte, len(data))
		if n, f := k.Read(a+4090, got); n != len(data) || f != nil || !bytes.Equal(got, data) {
			t.Errorf("page %#x: read back differs (%d, %v)", ps, n, f)
		}
		if b := mustPeek(t, k, a+4089); b != 'f' {
			t.Errorf("page %#x: byte before the write %q, want 'f'", ps, b)
		}
		if b := mustPeek(t, k, a+Addr(ps)-1); b != 0 {
			t.Errorf("page %#x: tail of the EOF page %#x, want 0", ps, b)
		}
		if _, f := peek(k, a+Addr(ps)); f == nil || f.Signal != SIGBUS {
			t.Errorf("page %#x: second page %v, want SIGBUS", ps, f)
		}
	}
}

// TestPrepareAnonNextFirst: a VMA getting its first anon_vma reuses the
// next VMA's if the two could share one, else the previous VMA's (mm/vma.c
// find_mergeable_anon_vma(): "Try next first"). B is rwx so it merges with
// neither neighbour until mprotect makes it rw-; then it merges with the
// VMA whose anon_vma it took.
func TestPrepareAnonNextFirst(t *testing.T) {
	for _, c := range []struct {
		name       string
		prev, next bool   // written (so holding an anon_vma) neighbours
		want       string // maps after B is made rw-
	}{
		{"both offer: next", true, true,
			"100040000000-100040002000 rw-p 00000000 00:00 0 \n" +
				"100040002000-100040005000 rw-p 00000000 00:00 0 \n"},
		{"only previous offers", true, false,
			"100040000000-100040005000 rw-p 00000000 00:00 0 \n"},
		{"only next offers", false, true,
			"100040000000-100040005000 rw-p 00000000 00:00 0 \n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			mustMmap(t, k, aAddr, 2*pg, rw, pa|MapFixed, -1, 0)
			mustMmap(t, k, aAddr+3*pg, 2*pg, rw, pa|MapFixed, -1, 0)
			if c.prev {
				poke(t, k, aAddr, 'a')
			}
			if c.next {
				poke(t, k, aAddr+3*pg, 'c')
			}
			mustMmap(t, k, aAddr+2*pg, pg, rw|ProtExec, pa|MapFixed, -1, 0)
			poke(t, k, aAddr+2*pg, 'b')
			mustOK(t, k.Mprotect(aAddr+2*pg, pg, rw), "mprotect")
			if got := mapsIn(k, Range{aAddr, aAddr + 5*pg}); got != c.want {
				t.Errorf("got maps\n%s\nwant\n%s\n%s", got, c.want, k.Debug())
			}
		})
	}
}

// TestFaultBeyondEOFAnonVMA: a write fault on a private file page beyond
// end-of-file raises SIGBUS after giving the VMA an anon_vma (mm/memory.c
// do_cow_fault(): vmf_anon_prepare() before __do_fault()); a read fault
// (do_read_fault()) and a shared write fault (do_shared_fault()) do not,
// and neither does MADV_POPULATE_READ.
func TestFaultBeyondEOFAnonVMA(t *testing.T) {
	for _, c := range []struct {
		name     string
		flags    MapFlags
		access   func(k *Kernel) string // what the access raised
		want     string
		wantAnon bool
	}{
		{"private write", MapPrivate, func(k *Kernel) string {
			_, f := k.Write(aAddr, []byte{1})
			return faultCode(f)
		}, "SIGBUS (BUS_ADRERR)", true},
		{"private read", MapPrivate, func(k *Kernel) string {
			_, f := peek(k, aAddr)
			return faultCode(f)
		}, "SIGBUS (BUS_ADRERR)", false},
		{"shared write", MapShared, func(k *Kernel) string {
			_, f := k.Write(aAddr, []byte{1})
			return faultCode(f)
		}, "SIGBUS (BUS_ADRERR)", false},
		{"private populate write", MapPrivate, func(k *Kernel) string {
			return res(errno(t, k.Madvise(aAddr, 2*pg, MadvPopulateWrite)))
		}, "EFAULT", true},
		{"private populate read", MapPrivate, func(k *Kernel) string {
			return res(errno(t, k.Madvise(aAddr, 2*pg, MadvPopulateRead)))
		}, "EFAULT", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			fd := fileWith(t, k, "f", nil)
			mustMmap(t, k, aAddr, 2*pg, rw, c.flags|MapFixed, fd, 0)
			if got := c.access(k); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
			if v, _ := k.findVMA(aAddr); (v.anon != 0) != c.wantAnon {
				t.Errorf("got anon_vma %v, want %v\n%s", v.anon != 0, c.wantAnon, k.Debug())
			}
		})
	}
}

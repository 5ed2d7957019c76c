package hostvm

import (
	"strings"
	"testing"
)

// mmapCase is one mmap call on a fresh kernel, after an optional setup.
type mmapCase struct {
	name   string
	addr   Addr
	length uint64
	prot   Prot
	flags  MapFlags
	fd     int // fdFile means the test's O_RDWR file
	off    uint64
	want   Errno
}

// fdFile stands for the O_RDWR regular file runMmapCases opens.
const fdFile = -100

// runMmapCases runs each case on a fresh linuxConfig kernel holding an
// O_RDWR file and, when occupied is set, a 4-page VMA at H.
func runMmapCases(t *testing.T, cfg Config, occupied bool, cases []mmapCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := newKernel(t, cfg)
			fd := fileWith(t, k, "/tmp/probe_f", repeat('A', 2*pg))
			if occupied {
				mustMmap(t, k, hAddr, 4*pg, rw, pa|MapFixed, -1, 0)
			}
			if c.fd == fdFile {
				c.fd = fd
			}
			_, err := k.Mmap(c.addr, c.length, c.prot, c.flags, c.fd, c.off)
			if got := errno(t, err); got != c.want {
				t.Errorf("mmap(%v, %#x, %v, %v, %d, %#x) = %s, want %s",
					c.addr, c.length, c.prot, c.flags, c.fd, c.off, res(got), res(c.want))
			}
		})
	}
}

// hAddr is linux-facts' H: a free address (Q7).
const hAddr = Addr(0x100020000000)

// TestMmapCheckOrder gives mmap several faults at once: the errno is the
// first check Linux makes (linux-facts Q1, Q9, Q12).
func TestMmapCheckOrder(t *testing.T) {
	runMmapCases(t, linuxConfig(), true, []mmapCase{
		// Q1: the offset is checked first, even for anonymous memory.
		{"off 1, fd not open", 0, pg, rw, MapPrivate, 999, 1, EINVAL},
		{"off PG+1, fd not open", 0, pg, rw, MapPrivate, 999, pg + 1, EINVAL},
		{"off 1, fd -1", 0, pg, rw, MapPrivate, -1, 1, EINVAL},
		{"off 1, anonymous", 0, pg, rw, pa, -1, 1, EINVAL},
		{"off 1, anonymous, fd 999", 0, pg, rw, pa, 999, 1, EINVAL},
		// Q1: then the descriptor, before the length and the type.
		{"len 0, fd not open", 0, 0, rw, MapPrivate, 999, 0, EBADF},
		{"len 0, fd -1", 0, 0, rw, MapPrivate, -1, 0, EBADF},
		{"len 0, valid fd", 0, 0, rw, MapPrivate, fdFile, 0, EINVAL},
		{"len 0, anonymous", 0, 0, rw, pa, -1, 0, EINVAL},
		{"len 0, no map type, fd 999", 0, 0, rw, 0, 999, 0, EBADF},
		{"no map type, fd 999", 0, pg, rw, 0, 999, 0, EBADF},
		{"addr 1 fixed, fd 999", 1, pg, rw, MapPrivate | MapFixed, 999, 0, EBADF},
		{"addr 1 fixed, len 0", 1, 0, rw, pa | MapFixed, -1, 0, EINVAL},
		// Q12: MAP_HUGETLB with a descriptor: EBADF, then EINVAL.
		{"hugetlb, fd 999", 0, pg, rw, MapPrivate | MapHugeTLB, 999, 0, EBADF},
		{"hugetlb, regular file", 0, pg, rw, MapPrivate | MapHugeTLB, fdFile, 0, EINVAL},
		// Q9: MAP_FIXED_NOREPLACE's overlap test comes after the
		// argument checks and before the map type.
		{"noreplace, fd 999", hAddr, pg, rw, MapPrivate | MapFixedNoReplace, 999, 0, EBADF},
		{"noreplace, no map type, overlapping", hAddr, pg, rw, MapAnonymous | MapFixedNoReplace, -1, 0, EEXIST},
		{"noreplace, off 1", hAddr, pg, rw, pa | MapFixedNoReplace, -1, 1, EINVAL},
		{"noreplace, len wraps", hAddr, 0xFFFFFFFFFFFFF001, rw, pa | MapFixedNoReplace, -1, 0, ENOMEM},
		{"noreplace, hugetlb, overlapping", hAddr, 2 << 20, rw, pa | MapHugeTLB | MapFixedNoReplace, -1, 0, EEXIST},
		{"noreplace, file, growsdown, overlapping", hAddr, pg, rw, MapPrivate | MapFixedNoReplace | MapGrowsDown, fdFile, 0, EEXIST},
		{"noreplace and fixed, overlapping", hAddr, pg, rw, pa | MapFixedNoReplace | MapFixed, -1, 0, EEXIST},
		{"noreplace, unaligned, overlapping", hAddr + 1, pg, rw, pa | MapFixedNoReplace, -1, 0, EINVAL},
		{"noreplace, unaligned inside", hAddr + pg + 1, pg, rw, pa | MapFixedNoReplace, -1, 0, EINVAL},
		{"noreplace, unaligned, len 0", hAddr + 1, 0, rw, pa | MapFixedNoReplace, -1, 0, EINVAL},
		// The offset overflow test comes before placement.
		{"pgoff wraps", 0, 2 * pg, ProtRead, MapPrivate, fdFile, 0xfffffffffffff000, EOVERFLOW},
	})
}

// TestMmapHugeLengths: lengths that overflow or that no gap can hold
// (linux-facts Q2).
func TestMmapHugeLengths(t *testing.T) {
	runMmapCases(t, linuxConfig(), false, []mmapCase{
		{"len -1", 0, 0xFFFFFFFFFFFFFFFF, rw, pa, -1, 0, ENOMEM},
		{"len -4095", 0, 0xFFFFFFFFFFFFF001, rw, pa, -1, 0, ENOMEM},
		{"len -4096", 0, 0xFFFFFFFFFFFFF000, rw, pa, -1, 0, ENOMEM},
		{"len 1<<47 rw", 0, 1 << 47, rw, pa, -1, 0, ENOMEM},
		{"len 1<<47 none", 0, 1 << 47, ProtNone, pa, -1, 0, ENOMEM},
		{"len 1<<47 noreserve", 0, 1 << 47, rw, pa | MapNoReserve, -1, 0, ENOMEM},
		{"len task size rw", 0, 1<<47 - pg, rw, pa, -1, 0, ENOMEM},
		{"len task size none", 0, 1<<47 - pg, ProtNone, pa, -1, 0, ENOMEM},
		{"len task size noreserve", 0, 1<<47 - pg, rw, pa | MapNoReserve, -1, 0, ENOMEM},
		{"len 1<<46 none", 0, 1 << 46, ProtNone, pa, -1, 0, 0},
		{"len 1<<46 noreserve", 0, 1 << 46, rw, pa | MapNoReserve, -1, 0, 0},
	})
}

// TestMmapMapType walks the map-type field (flags & 0xf) for anonymous
// memory and for a file (linux-facts Q4).
func TestMmapMapType(t *testing.T) {
	okAnon := map[MapFlags]bool{MapShared: true, MapPrivate: true, MapDroppable: true}
	okFile := map[MapFlags]bool{MapShared: true, MapPrivate: true, MapSharedValidate: true}
	var cases []mmapCase
	for typ := MapFlags(0); typ <= 0xf; typ++ {
		want := Errno(EINVAL)
		if okAnon[typ] {
			want = 0
		}
		cases = append(cases, mmapCase{"anon type " + typ.String(), 0, pg, rw, typ | MapAnonymous, -1, 0, want})
		want = EINVAL
		if okFile[typ] {
			want = 0
		}
		cases = append(cases, mmapCase{"file type " + typ.String(), 0, pg, rw, typ, fdFile, 0, want})
	}
	cases = append(cases,
		// Q4: MAP_DROPPABLE refuses stacks, hugetlb and (by the kernel
		// source, do_mmap()) MAP_LOCKED.
		mmapCase{"droppable none", 0, 4 * pg, ProtNone, MapDroppable | MapAnonymous, -1, 0, 0},
		mmapCase{"droppable growsdown", 0, 4 * pg, rw, MapDroppable | MapAnonymous | MapGrowsDown, -1, 0, EINVAL},
		mmapCase{"droppable hugetlb", 0, 4 * pg, rw, MapDroppable | MapAnonymous | MapHugeTLB, -1, 0, EINVAL},
		mmapCase{"droppable locked", 0, 4 * pg, rw, MapDroppable | MapAnonymous | MapLocked, -1, 0, EINVAL},
	)
	runMmapCases(t, linuxConfig(), false, cases)
}

// TestMmapSharedValidate: MAP_SHARED_VALIDATE refuses flags MAP_SHARED
// ignores (linux-facts Q3). hostvm's files behave as ext4's.
func TestMmapSharedValidate(t *testing.T) {
	var cases []mmapCase
	type row struct {
		bit                    MapFlags
		validate, shared, priv Errno
	}
	for _, r := range []row{
		{0x200, EOPNOTSUPP, 0, 0},
		{0x400, EOPNOTSUPP, 0, 0},
		{0x800000, EOPNOTSUPP, 0, 0},
		{MapSync, EOPNOTSUPP, EOPNOTSUPP, EOPNOTSUPP}, // ext4 without DAX
		{MapFixedNoReplace, EOPNOTSUPP, 0, 0},
		{Map32Bit, 0, 0, 0},
		{MapUninitialized, 0, 0, 0},
	} {
		addr := Addr(0)
		if r.bit == MapFixedNoReplace {
			addr = freeBase
		}
		cases = append(cases,
			mmapCase{"validate " + r.bit.String(), addr, pg, rw, MapSharedValidate | r.bit, fdFile, 0, r.validate},
			mmapCase{"shared " + r.bit.String(), addr, pg, rw, MapShared | r.bit, fdFile, 0, r.shared},
			mmapCase{"private " + r.bit.String(), addr, pg, rw, MapPrivate | r.bit, fdFile, 0, r.priv},
		)
	}
	cases = append(cases,
		mmapCase{"validate anonymous", 0, pg, rw, MapSharedValidate | MapAnonymous, -1, 0, EINVAL},
		mmapCase{"validate anonymous sync", 0, pg, rw, MapSharedValidate | MapAnonymous | MapSync, -1, 0, EINVAL},
		mmapCase{"pa 0x200", 0, pg, rw, pa | 0x200, -1, 0, 0},
		mmapCase{"sa 0x800000", 0, pg, rw, sa | 0x800000, -1, 0, 0},
		mmapCase{"pa sync", 0, pg, rw, pa | MapSync, -1, 0, 0},
		mmapCase{"sa sync", 0, pg, rw, sa | MapSync, -1, 0, 0},
	)
	runMmapCases(t, linuxConfig(), false, cases)
}

// TestMmap32Bit: MAP_32BIT mappings go bottom-up from 1 GiB
// (linux-facts Q3: "placed at 0x40000000").
func TestMmap32Bit(t *testing.T) {
	k := linuxKernel(t)
	fd := fileWith(t, k, "f", nil)
	for i, c := range []struct {
		flags MapFlags
		fd    int
		want  Addr
	}{
		{MapPrivate | Map32Bit, fd, 0x40000000},
		{MapShared | Map32Bit, fd, 0x40001000}, // 0x40000000 is now taken
		{MapSharedValidate | Map32Bit, fd, 0x40002000},
	} {
		got, err := k.Mmap(0, pg, ProtRead, c.flags, c.fd, 0)
		if err != nil || got != c.want {
			t.Errorf("%d: mmap(%v) = %v, %v; want %v", i, c.flags, got, err, c.want)
		}
	}
	// The range [1 GiB, 2 GiB) full: no fallback.
	mustMmap(t, k, 0x40000000, 0x40000000, ProtNone, pa|MapFixed, -1, 0)
	if _, err := k.Mmap(0, pg, rw, pa|Map32Bit, -1, 0); errno(t, err) != ENOMEM {
		t.Errorf("MAP_32BIT with [1G, 2G) full = %v, want ENOMEM", err)
	}
}

// TestMmapGrowsDown: MAP_GROWSDOWN is refused for files and shared memory;
// a hint must leave the stack guard gap (256 pages) free, MAP_FIXED need not
// (linux-facts Q5).
func TestMmapGrowsDown(t *testing.T) {
	runMmapCases(t, linuxConfig(), false, []mmapCase{
		{"private file", 0, pg, rw, MapPrivate | MapGrowsDown, fdFile, 0, EINVAL},
		{"shared file", 0, pg, rw, MapShared | MapGrowsDown, fdFile, 0, EINVAL},
		{"shared anon", 0, pg, rw, sa | MapGrowsDown, -1, 0, EINVAL},
		{"private anon", 0, 4 * pg, rw, pa | MapGrowsDown, -1, 0, 0},
	})

	const x = Addr(0x100010000000)
	const n = 0x4000
	const mib = 1 << 20
	for _, c := range []struct {
		name  string
		hint  Addr
		prot  Prot
		taken bool // whether the hint is honoured
	}{
		{"ends at X", x - n, rw, false},
		{"ends at X, PROT_NONE", x - n, ProtNone, false},
		{"ends at X-1MiB", x - n - mib, rw, true},
		{"ends at X-1MiB+4K", x - n - mib + pg, rw, false},
		{"ends at X-1MiB-4K", x - n - mib - pg, rw, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			mustMmap(t, k, x, 4*pg, rw, pa|MapFixed|MapGrowsDown, -1, 0)
			got := mustMmap(t, k, c.hint, n, c.prot, pa, -1, 0)
			if (got == c.hint) != c.taken {
				t.Errorf("hint %v gave %v; want honoured=%v", c.hint, got, c.taken)
			}
		})
	}
	for _, fl := range []MapFlags{MapFixed, MapFixedNoReplace} {
		k := linuxKernel(t)
		mustMmap(t, k, x, 4*pg, rw, pa|MapFixed|MapGrowsDown, -1, 0)
		mustMmap(t, k, x-n, n, rw, pa|fl, -1, 0)
		want := "10000fffc000-100010000000 rw-p 00000000 00:00 0 \n" +
			"100010000000-100010004000 rw-p 00000000 00:00 0 \n"
		if got := k.MapsString(); got != want {
			t.Errorf("%v at X-len: maps\n%s\nwant\n%s", fl, got, want)
		}
	}
}

// TestMmapLowAddresses: mmap_min_addr for MAP_FIXED (the sysctl, EPERM
// unless privileged) and for hints (the larger LSM value, which hints are
// raised to) (linux-facts Q6).
func TestMmapLowAddresses(t *testing.T) {
	for _, c := range []struct {
		name       string
		minAddr    Addr
		privileged bool
		addr       Addr
		flags      MapFlags
		occupy     Addr // a page to map first, or 0
		want       Addr
		err        Errno
	}{
		{"fixed 0x1000", 4096, false, 0x1000, pa | MapFixed, 0, 0x1000, 0},
		{"fixed 0 root", 4096, true, 0, pa | MapFixed, 0, 0, 0},
		{"fixed 0 nobody", 4096, false, 0, pa | MapFixed, 0, 0, EPERM},
		{"noreplace 0 root", 4096, true, 0, pa | MapFixedNoReplace, 0, 0, 0},
		{"noreplace 0 nobody", 4096, false, 0, pa | MapFixedNoReplace, 0, 0, EPERM},
		{"fixed 0x2000", 4096, false, 0x2000, pa | MapFixed, 0, 0x2000, 0},
		{"fixed 0xf000", 4096, false, 0xf000, pa | MapFixed, 0, 0xf000, 0},
		{"hint 0x1000", 4096, false, 0x1000, pa, 0, 0x10000, 0},
		{"hint 0x2000", 4096, false, 0x2000, pa, 0, 0x10000, 0},
		{"hint 0xf000", 4096, false, 0xf000, pa, 0, 0x10000, 0},
		{"hint 0x10000", 4096, false, 0x10000, pa, 0, 0x10000, 0},
		{"hint 0x11000", 4096, false, 0x11000, pa, 0, 0x11000, 0},
		{"hint 0x800 rounds to no hint", 4096, false, 0x800, pa, 0, 0x7ffff7ffe000, 0},
		{"hint 0x1 rounds to no hint", 4096, false, 0x1, pa, 0, 0x7ffff7ffe000, 0},
		{"hint 0x1000, 0x10000 taken", 4096, false, 0x1000, pa, 0x10000, 0x7ffff7ffe000, 0},
		{"hint 0x1000 shared anon", 4096, false, 0x1000, sa, 0, 0x10000, 0},
		// sysctl raised to 0x20000.
		{"0x20000: fixed 0x1000 root", 0x20000, true, 0x1000, pa | MapFixed, 0, 0x1000, 0},
		{"0x20000: fixed 0x1f000 root", 0x20000, true, 0x1f000, pa | MapFixedNoReplace, 0, 0x1f000, 0},
		{"0x20000: fixed 0x1000 nobody", 0x20000, false, 0x1000, pa | MapFixed, 0, 0, EPERM},
		{"0x20000: fixed 0x10000 nobody", 0x20000, false, 0x10000, pa | MapFixed, 0, 0, EPERM},
		{"0x20000: noreplace 0x1f000 nobody", 0x20000, false, 0x1f000, pa | MapFixedNoReplace, 0, 0, EPERM},
		{"0x20000: fixed 0x20000 nobody", 0x20000, false, 0x20000, pa | MapFixed, 0, 0x20000, 0},
		{"0x20000: hint 0x1000", 0x20000, false, 0x1000, pa, 0, 0x20000, 0},
		{"0x20000: hint 0x21000", 0x20000, false, 0x21000, pa, 0, 0x21000, 0},
		{"0x20000: hint 0x1000, 0x10000 taken, root", 0x20000, true, 0x1000, pa, 0x10000, 0x20000, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := linuxConfig()
			cfg.MmapMinAddr = c.minAddr
			cfg.Privileged = c.privileged
			k := newKernel(t, cfg)
			if c.occupy != 0 {
				mustMmap(t, k, c.occupy, pg, ProtRead, pa|MapFixed, -1, 0)
			}
			got, err := k.Mmap(c.addr, pg, rw, c.flags, -1, 0)
			if e := errno(t, err); e != c.err || (e == 0 && got != c.want) {
				t.Errorf("mmap(%v, %v) = %v, %s; want %v, %s", c.addr, c.flags, got, res(e), c.want, res(c.err))
			}
		})
	}
	// A two-page hint at 0xf000 is raised whole (Q6).
	k := linuxKernel(t)
	if got := mustMmap(t, k, 0xf000, 2*pg, rw, pa, -1, 0); got != 0x10000 {
		t.Errorf("hint 0xf000 len 2pg = %v, want 0x10000", got)
	}
	// A file mapping too (Q6, last row).
	k = linuxKernel(t)
	fd := fileWith(t, k, "f", nil)
	for _, flags := range []MapFlags{MapShared, MapPrivate} {
		if got := mustMmap(t, k, 0x1000, pg, ProtRead, flags, fd, 0); got != 0x10000 {
			t.Errorf("%v file hint 0x1000 = %v, want 0x10000", flags, got)
		}
		mustOK(t, k.Munmap(0x10000, pg), "munmap")
	}
}

// TestMmapHints: a non-fixed address is rounded down and used when free,
// and otherwise ignored (linux-facts Q7). hostvm's empty space puts the
// default top-down result at mmap_base-len = 0x7ffff7ffe000 for one page.
func TestMmapHints(t *testing.T) {
	const top = Addr(0x7ffff7fff000) // mmap_base with ASLR off
	for _, c := range []struct {
		name   string
		hint   Addr
		length uint64
		want   Addr
	}{
		{"free", hAddr, pg, hAddr},
		{"unaligned +123 rounds down", hAddr + 123, pg, hAddr},
		{"unaligned +0xfff rounds down", hAddr + 0xfff, pg, hAddr},
		{"start of a VMA", hAddr + 4*pg, pg, top - pg},
		{"inside a VMA", hAddr + 5*pg, pg, top - pg},
		{"partly overlapping", hAddr + 3*pg, 2 * pg, top - 2*pg},
		{"1<<47", 1 << 47, pg, top - pg},
		{"1<<50", 1 << 50, pg, top - pg},
		{"1<<56", 1 << 56, pg, top - pg},
		{"-4096", 0xfffffffffffff000, pg, top - pg},
		{"TASK_SIZE", 0x7ffffffff000, pg, top - pg},
		{"crosses TASK_SIZE, no THP alignment", 0x7ffffff00000, 2 << 20, top - 2<<20},
		{"last page", 0x7fffffffe000, pg, 0x7fffffffe000},
		{"ends at TASK_SIZE", 0x7fffffffd000, 2 * pg, 0x7fffffffd000},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			mustMmap(t, k, hAddr+4*pg, 4*pg, rw, pa|MapFixed, -1, 0)
			if got := mustMmap(t, k, c.hint, c.length, rw, pa, -1, 0); got != c.want {
				t.Errorf("hint %v len %#x = %v, want %v", c.hint, c.length, got, c.want)
			}
		})
	}
	// Private file and shared anonymous hints round down too (Q7).
	k := linuxKernel(t)
	fd := fileWith(t, k, "f", nil)
	if got := mustMmap(t, k, hAddr+123, pg, ProtRead, MapPrivate, fd, 0); got != hAddr {
		t.Errorf("file hint H+123 = %v, want H", got)
	}
	if got := mustMmap(t, k, hAddr+pg+0xfff, pg, rw, sa, -1, 0); got != hAddr+pg {
		t.Errorf("shared hint H+PG+0xfff = %v, want H+PG", got)
	}
	// A hint adjacent to a VMA is honoured and merges with it (Q7).
	k = linuxKernel(t)
	mustMmap(t, k, hAddr, pg, rw, pa|MapFixed, -1, 0)
	if got := mustMmap(t, k, hAddr-pg, pg, rw, pa, -1, 0); got != hAddr-pg {
		t.Errorf("hint below = %v, want H-PG", got)
	}
	if got := mustMmap(t, k, hAddr+pg, pg, rw, pa, -1, 0); got != hAddr+pg {
		t.Errorf("hint above = %v, want H+PG", got)
	}
	if n := linesIn(k, Range{0, 1 << 47}); n != 1 {
		t.Errorf("%d maps lines, want 1 (merged):\n%s", n, k.MapsString())
	}
	// MAP_FIXED and MAP_FIXED_NOREPLACE over TASK_SIZE fail (Q7).
	for _, fl := range []MapFlags{MapFixed, MapFixedNoReplace} {
		if _, err := k.Mmap(0x7ffffff00000, 2<<20, rw, pa|fl, -1, 0); errno(t, err) != ENOMEM {
			t.Errorf("%v across TASK_SIZE = %v, want ENOMEM", fl, err)
		}
	}
}

// TestMmapFixed: MAP_FIXED's alignment and range checks (linux-facts Q8).
func TestMmapFixed(t *testing.T) {
	runMmapCases(t, linuxConfig(), false, []mmapCase{
		{"H+1", hAddr + 1, pg, rw, pa | MapFixed, -1, 0, EINVAL},
		{"H+0x800", hAddr + 0x800, pg, rw, pa | MapFixed, -1, 0, EINVAL},
		{"TASK_SIZE", 0x7ffffffff000, pg, rw, pa | MapFixed, -1, 0, ENOMEM},
		{"1<<47", 1 << 47, pg, rw, pa | MapFixed, -1, 0, ENOMEM},
		{"-4096", 0xfffffffffffff000, pg, rw, pa | MapFixed, -1, 0, ENOMEM},
		{"last page", 0x7fffffffe000, pg, rw, pa | MapFixed, -1, 0, 0},
		{"last page, 2pg", 0x7fffffffe000, 2 * pg, rw, pa | MapFixed, -1, 0, ENOMEM},
		{"sum 2^64", 0x7ffffffff000, 0xFFFF800000001000, rw, pa | MapFixed, -1, 0, ENOMEM},
		{"0x1000 len -4096", 0x1000, 0xfffffffffffff000, rw, pa | MapFixed, -1, 0, ENOMEM},
		{"-4096 len 2pg", 0xfffffffffffff000, 2 * pg, rw, pa | MapFixed, -1, 0, ENOMEM},
		{"H len -4096", hAddr, 0xfffffffffffff000, rw, pa | MapFixed, -1, 0, ENOMEM},
		{"H len 1<<47", hAddr, 1 << 47, rw, pa | MapFixed, -1, 0, ENOMEM},
	})
	// The last page is usable up to its last byte (Q8, ASLR on).
	k := linuxKernel(t)
	mustMmap(t, k, 0x7fffffffe000, pg, rw, pa|MapFixed, -1, 0)
	poke(t, k, 0x7fffffffefff, 7)
	if got := mustPeek(t, k, 0x7fffffffefff); got != 7 {
		t.Errorf("last byte reads %d, want 7", got)
	}
	// NOREPLACE over an occupied last page (the stack on Linux) is EEXIST;
	// two pages from there are ENOMEM (Q8).
	if _, err := k.Mmap(0x7fffffffe000, pg, rw, pa|MapFixedNoReplace, -1, 0); errno(t, err) != EEXIST {
		t.Errorf("noreplace over last page = %v, want EEXIST", err)
	}
	if _, err := k.Mmap(0x7fffffffe000, 2*pg, rw, pa|MapFixedNoReplace, -1, 0); errno(t, err) != ENOMEM {
		t.Errorf("noreplace 2pg at last page = %v, want ENOMEM", err)
	}
}

// TestMmapFixedSplits: MAP_FIXED replaces what it overlaps, splitting the
// VMAs it cuts and discarding their contents there (mmap(2): "any
// overlapping part of the existing mapping(s) will be discarded").
func TestMmapFixedSplits(t *testing.T) {
	for _, c := range []struct {
		name     string
		at, n    Addr // the new mapping, in pages from H
		want     []string
		zeroPage int // a page of the old VMA that now reads zero
	}{
		{"middle", 1, 2, []string{
			"100020000000-100020001000 rw-p 00000000 00:00 0 ",
			"100020001000-100020003000 r--p 00000000 00:00 0 ",
			"100020003000-100020004000 rw-p 00000000 00:00 0 "}, 1},
		{"start", 0, 1, []string{
			"100020000000-100020001000 r--p 00000000 00:00 0 ",
			"100020001000-100020004000 rw-p 00000000 00:00 0 "}, 0},
		{"end and beyond", 3, 2, []string{
			"100020000000-100020003000 rw-p 00000000 00:00 0 ",
			"100020003000-100020005000 r--p 00000000 00:00 0 "}, 3},
		{"whole", 0, 4, []string{
			"100020000000-100020004000 r--p 00000000 00:00 0 "}, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			mustMmap(t, k, hAddr, 4*pg, rw, pa|MapFixed, -1, 0)
			_, _ = k.Write(hAddr, repeat(0x11, 4*pg))
			mustMmap(t, k, hAddr+c.at*pg, uint64(c.n)*pg, ProtRead, pa|MapFixed, -1, 0)
			var got []string
			for _, m := range k.Maps() {
				got = append(got, m.String())
			}
			if len(got) != len(c.want) {
				t.Fatalf("maps %q, want %q", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Errorf("line %d: got %q, want %q", i, got[i], c.want[i])
				}
			}
			if b := mustPeek(t, k, hAddr+Addr(c.zeroPage)*pg); b != 0 {
				t.Errorf("replaced page reads %#x, want 0", b)
			}
		})
	}
}

// TestMmapFixedNoReplace: any overlap is EEXIST; adjacency is fine
// (linux-facts Q9, existing VMA [H, H+4pg)).
func TestMmapFixedNoReplace(t *testing.T) {
	runMmapCases(t, linuxConfig(), true, []mmapCase{
		{"same range", hAddr, 4 * pg, rw, pa | MapFixedNoReplace, -1, 0, EEXIST},
		{"inside", hAddr + pg, pg, rw, pa | MapFixedNoReplace, -1, 0, EEXIST},
		{"overlapping start", hAddr - pg, 2 * pg, rw, pa | MapFixedNoReplace, -1, 0, EEXIST},
		{"overlapping end", hAddr + 3*pg, 2 * pg, rw, pa | MapFixedNoReplace, -1, 0, EEXIST},
		{"covering", hAddr - pg, 6 * pg, rw, pa | MapFixedNoReplace, -1, 0, EEXIST},
		{"adjacent below", hAddr - pg, pg, rw, pa | MapFixedNoReplace, -1, 0, 0},
		{"adjacent above", hAddr + 4*pg, pg, rw, pa | MapFixedNoReplace, -1, 0, 0},
		{"shared file, second identical call", hAddr, pg, rw, MapShared | MapFixedNoReplace, fdFile, 0, EEXIST},
	})
}

// TestMmapFileAccessModes: a mapping needs a readable descriptor; a shared
// writable one needs a writable descriptor, and a shared mapping of a
// read-only descriptor can never become writable (linux-facts Q10).
func TestMmapFileAccessModes(t *testing.T) {
	for _, c := range []struct {
		name   string
		mode   OpenFlags
		flags  MapFlags
		prot   Prot
		want   Errno
		reprot Prot  // mprotect after a successful map, if non-zero
		rewant Errno // its result
	}{
		{"rdonly shared rw", ORdOnly, MapShared, rw, EACCES, 0, 0},
		{"rdonly shared w", ORdOnly, MapShared, ProtWrite, EACCES, 0, 0},
		{"rdonly validate rw", ORdOnly, MapSharedValidate, rw, EACCES, 0, 0},
		{"rdonly shared r, mprotect rw", ORdOnly, MapShared, ProtRead, 0, rw, EACCES},
		{"rdonly shared r, mprotect w", ORdOnly, MapShared, ProtRead, 0, ProtWrite, EACCES},
		{"rdonly shared r, mprotect rx", ORdOnly, MapShared, ProtRead, 0, ProtRead | ProtExec, 0},
		{"rdonly private rw", ORdOnly, MapPrivate, rw, 0, 0, 0},
		{"rdonly private r, mprotect rw", ORdOnly, MapPrivate, ProtRead, 0, rw, 0},
		{"wronly private r", OWrOnly, MapPrivate, ProtRead, EACCES, 0, 0},
		{"wronly private none", OWrOnly, MapPrivate, ProtNone, EACCES, 0, 0},
		{"wronly shared w", OWrOnly, MapShared, ProtWrite, EACCES, 0, 0},
		{"wronly shared none", OWrOnly, MapShared, ProtNone, EACCES, 0, 0},
		{"rdwr append shared rw", ORdWr | OAppend, MapShared, rw, 0, 0, 0},
		{"rdwr append shared r, mprotect rw", ORdWr | OAppend, MapShared, ProtRead, 0, rw, 0},
		{"wronly append shared w", OWrOnly | OAppend, MapShared, ProtWrite, EACCES, 0, 0},
		// open(2): access mode 3 gives a descriptor for neither.
		{"accmode 3 private r", OAccMode, MapPrivate, ProtRead, EACCES, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			fileWith(t, k, "/tmp/probe_f", repeat('A', pg))
			fd := mustOpen(t, k, "/tmp/probe_f", c.mode)
			a, err := k.Mmap(0, pg, c.prot, c.flags, fd, 0)
			if got := errno(t, err); got != c.want {
				t.Fatalf("mmap = %s, want %s", res(got), res(c.want))
			}
			if err != nil || c.reprot == 0 {
				return
			}
			if got := errno(t, k.Mprotect(a, pg, c.reprot)); got != c.rewant {
				t.Errorf("mprotect(%v) = %s, want %s", c.reprot, res(got), res(c.rewant))
			}
		})
	}
	// Writes through a private mapping of a read-only descriptor are
	// copy-on-write and never reach the file; through a shared O_APPEND
	// one they do (Q10).
	k := linuxKernel(t)
	fileWith(t, k, "f", repeat('A', pg))
	ro := mustOpen(t, k, "f", ORdOnly)
	a := mustMmap(t, k, 0, pg, rw, MapPrivate, ro, 0)
	poke(t, k, a, 'p')
	ap := mustOpen(t, k, "f", ORdWr|OAppend)
	b := mustMmap(t, k, 0, pg, rw, MapShared, ap, 0)
	poke(t, k, b+1, 's')
	buf := make([]byte, 2)
	if _, err := k.FilePread(ro, buf, 0); err != nil || string(buf) != "As" {
		t.Errorf("file starts %q (%v), want \"As\"", buf, err)
	}
}

// TestMmapHugeOffsets: a regular file's mapping must end below
// MAX_LFS_FILESIZE; anonymous memory ignores the offset (linux-facts Q11).
func TestMmapHugeOffsets(t *testing.T) {
	var cases []mmapCase
	for _, c := range []struct {
		off        uint64
		file, anon Errno
	}{
		{0x7ffffffffffff000, EOVERFLOW, 0},
		{0x7fffffffffffe000, EOVERFLOW, 0},
		{0x7fffffffffffd000, 0, 0},
		{0xfffffffffffff000, EOVERFLOW, 0},
		{0x8000000000000000, EOVERFLOW, 0},
		{0x100000000000, 0, 0},
		{0x10000000000000, 0, 0},
	} {
		name := Addr(c.off).String()
		cases = append(cases,
			mmapCase{"private file " + name, 0, 2 * pg, ProtRead, MapPrivate, fdFile, c.off, c.file},
			mmapCase{"shared file " + name, 0, 2 * pg, ProtRead, MapShared, fdFile, c.off, c.file},
			mmapCase{"anon " + name, 0, 2 * pg, ProtRead, pa, -1, c.off, c.anon},
			mmapCase{"shared anon " + name, 0, 2 * pg, ProtRead, sa, -1, c.off, c.anon},
		)
	}
	cases = append(cases,
		mmapCase{"file 0x7fffffffffffe000 len 1pg", 0, pg, ProtRead, MapPrivate, fdFile, 0x7fffffffffffe000, 0},
		mmapCase{"file 0x7fffffffffffe000 len 3pg", 0, 3 * pg, ProtRead, MapPrivate, fdFile, 0x7fffffffffffe000, EOVERFLOW},
	)
	runMmapCases(t, linuxConfig(), false, cases)
	// The maps offset of shared anonymous memory is 0 whatever off was.
	k := linuxKernel(t)
	a := mustMmap(t, k, 0, pg, rw, sa, -1, 0xfffffffffffff000)
	if m, _ := k.Lookup(a); m.Offset != 0 {
		t.Errorf("shared anon offset %#x, want 0", m.Offset)
	}
}

// TestMmapHugeTLB: no huge pages are reserved (vm.nr_hugepages = 0), so
// MAP_HUGETLB fails with ENOMEM after every argument check; unknown page
// sizes are EINVAL (linux-facts Q12).
func TestMmapHugeTLB(t *testing.T) {
	runMmapCases(t, linuxConfig(), false, []mmapCase{
		{"private 2MiB", 0, 2 << 20, rw, pa | MapHugeTLB, -1, 0, ENOMEM},
		{"private 4096", 0, pg, rw, pa | MapHugeTLB, -1, 0, ENOMEM},
		{"shared", 0, 2 << 20, rw, sa | MapHugeTLB, -1, 0, ENOMEM},
		{"1GB pages", 0, 2 << 20, rw, pa | MapHugeTLB | 30<<26, -1, 0, EINVAL},
		{"4MB pages", 0, 2 << 20, rw, pa | MapHugeTLB | 22<<26, -1, 0, EINVAL},
		{"2MB pages", 0, 2 << 20, rw, pa | MapHugeTLB | 21<<26, -1, 0, ENOMEM},
		{"size bits without hugetlb", 0, pg, rw, pa | 21<<26, -1, 0, 0},
		{"len 0", 0, 0, rw, pa | MapHugeTLB, -1, 0, EINVAL},
		{"fixed unaligned to 2MiB", freeBase + pg, pg, rw, pa | MapHugeTLB | MapFixed, -1, 0, EINVAL},
		{"bad map type", 0, pg, rw, MapDroppable | MapAnonymous | MapHugeTLB, -1, 0, EINVAL},
		// Known difference: Linux maps MAP_NORESERVE hugetlb memory (its
		// first touch raises SIGBUS); hostvm refuses it.
		{"noreserve", 0, 2 << 20, rw, pa | MapHugeTLB | MapNoReserve, -1, 0, ENOMEM},
	})
}

// TestMmapPlacementTHP: with no hint, anonymous mappings whose length is a
// multiple of 2 MiB, and file mappings, are placed 2 MiB aligned by
// padding the search; others take the plain top-down result
// (linux-facts Q14). The layout of the probe process is rebuilt: the
// highest gap big enough ends where libc starts, 0x7ffff7dd2000, and a
// small gap [0x7ffff7fb7000, 0x7ffff7fc0000) lies above it.
func TestMmapPlacementTHP(t *testing.T) {
	probeLayout := func(t *testing.T) (*Kernel, int) {
		k := linuxKernel(t)
		mustMmap(t, k, 0x7ffff7dd2000, 0x7ffff7fb7000-0x7ffff7dd2000, ProtRead|ProtExec, pa|MapFixed, -1, 0)
		mustMmap(t, k, 0x7ffff7fc0000, 0x7ffff7fff000-0x7ffff7fc0000, ProtRead|ProtExec, pa|MapFixed, -1, 0)
		mustMmap(t, k, 0x555555554000, 0x55555658a000-0x555555554000, ProtRead|ProtExec, pa|MapFixed, -1, 0)
		return k, fileWith(t, k, "/tmp/probe_big", nil)
	}
	const mib = 1 << 20
	for _, c := range []struct {
		name   string
		length uint64
		prot   Prot
		flags  MapFlags
		file   bool
		want   Addr
	}{
		{"4K", pg, rw, pa, false, 0x7ffff7fbf000},
		{"2M", 2 * mib, rw, pa, false, 0x7ffff7a00000},
		{"4M", 4 * mib, rw, pa, false, 0x7ffff7800000},
		{"128M none", 128 * mib, ProtNone, pa, false, 0x7fffefc00000},
		{"3M", 3 * mib, rw, pa, false, 0x7ffff7ad2000},
		{"2M+4K", 2*mib + pg, rw, pa, false, 0x7ffff7bd1000},
		{"2M-4K", 2*mib - pg, rw, pa, false, 0x7ffff7bd3000},
		{"2M shared anon", 2 * mib, rw, sa, false, 0x7ffff7bd2000},
		{"4M shared anon", 4 * mib, rw, sa, false, 0x7ffff79d2000},
		{"2M file private r", 2 * mib, ProtRead, MapPrivate, true, 0x7ffff7a00000},
		{"2M file shared rw", 2 * mib, rw, MapShared, true, 0x7ffff7a00000},
		{"4M file private", 4 * mib, ProtRead, MapPrivate, true, 0x7ffff7800000},
		{"2M stack", 2 * mib, rw, pa | MapStack, false, 0x7ffff7a00000},
		{"2M growsdown", 2 * mib, rw, pa | MapGrowsDown, false, 0x7ffff7a00000},
	} {
		t.Run(c.name, func(t *testing.T) {
			k, fd := probeLayout(t)
			if !c.file {
				fd = -1
			}
			if got := mustMmap(t, k, 0, c.length, c.prot, c.flags, fd, 0); got != c.want {
				t.Errorf("mmap(NULL, %#x, %v, %v) = %v, want %v", c.length, c.prot, c.flags, got, c.want)
			}
		})
	}

	// The sequence in one process (Q14, "Sequential").
	k, fd := probeLayout(t)
	for i, c := range []struct {
		length uint64
		prot   Prot
		file   bool
		want   Addr
	}{
		{pg, rw, false, 0x7ffff7fbf000},
		{2 * mib, rw, false, 0x7ffff7a00000},
		{4 * mib, rw, false, 0x7ffff7600000},
		{128 * mib, ProtNone, false, 0x7fffef600000},
		{pg, rw, false, 0x7ffff7fbe000},
		{3 * mib, rw, false, 0x7fffef300000},
		{2 * mib, ProtRead, true, 0x7fffef000000},
	} {
		flags, f := pa, -1
		if c.file {
			flags, f = MapPrivate, fd
		}
		if got := mustMmap(t, k, 0, c.length, c.prot, flags, f, 0); got != c.want {
			t.Errorf("#%d: mmap(NULL, %#x) = %v, want %v", i+1, c.length, got, c.want)
		}
	}
	// The final maps lines of the new mappings (Q14's dump; the file's
	// device and inode are hostvm's).
	want := []string{
		"7fffef000000-7fffef200000 r--p 00000000 00:01 1",
		"7fffef300000-7fffef600000 rw-p 00000000 00:00 0 ",
		"7fffef600000-7ffff7600000 ---p 00000000 00:00 0 ",
		"7ffff7600000-7ffff7c00000 rw-p 00000000 00:00 0 ",
	}
	got := k.MappingsIn(Range{0x7fffef000000, 0x7ffff7c00000})
	if len(got) != len(want) {
		t.Fatalf("maps:\n%s", mapsIn(k, Range{0x7fffef000000, 0x7ffff7c00000}))
	}
	for i, m := range got {
		s := m.String()
		if len(s) > len(want[i]) {
			s = s[:len(want[i])]
		}
		if s != want[i] {
			t.Errorf("line %d: got %q, want prefix %q", i, m.String(), want[i])
		}
	}
	if m, ok := k.Lookup(0x7ffff7fbe000); !ok || m.End != 0x7ffff7fc0000 || m.Start != 0x7ffff7fbe000 {
		t.Errorf("the two 4K mappings: %v, want one VMA [0x7ffff7fbe000, 0x7ffff7fc0000)", m)
	}
}

// TestMmapPlacementTHPFileHint: for a file, the padded search starts from
// the hint too, and a hint that has room for the mapping but not for the
// padding is passed over for an aligned address (__thp_get_unmapped_area()
// returns the hint only when the padded search does).
func TestMmapPlacementTHPFileHint(t *testing.T) {
	const mib = 1 << 20
	k := linuxKernel(t)
	fd := fileWith(t, k, "f", nil)
	mustMmap(t, k, freeBase+2*mib, pg, ProtRead, pa|MapFixed, -1, 0)
	got := mustMmap(t, k, freeBase, 2*mib, ProtRead, MapPrivate, fd, 0)
	if got == freeBase || got%(2*mib) != 0 {
		t.Errorf("2 MiB file at a 2 MiB hint = %v, want an aligned address elsewhere", got)
	}
	if got := mustMmap(t, k, freeBase+4*mib, 2*mib, ProtRead, MapPrivate, fd, 0); got != freeBase+4*mib {
		t.Errorf("hint with room for the padding = %v, want it honoured", got)
	}
}

// TestMmapPlacementNoTHP: NoTHP and 32-bit hosts never pad.
func TestMmapPlacementNoTHP(t *testing.T) {
	cfg := linuxConfig()
	cfg.NoTHP = true
	k := newKernel(t, cfg)
	if got := mustMmap(t, k, 0, 2<<20, rw, pa, -1, 0); got != k.MmapBase()-2<<20 {
		t.Errorf("NoTHP 2M = %v, want %v", got, k.MmapBase()-2<<20)
	}
	k = newKernel(t, Config{AddrBits: 32})
	if got := mustMmap(t, k, 0, 2<<20, rw, pa, -1, 0); got != k.MmapBase()-2<<20 {
		t.Errorf("32-bit 2M = %v, want %v", got, k.MmapBase()-2<<20)
	}
}

// TestMmapPopulateAndLocked: MAP_POPULATE on a private writable file
// mapping breaks copy-on-write at once, so later file changes stay unseen;
// read-only it does not (linux-facts Q31). MAP_NONBLOCK cancels it.
func TestMmapPopulateAndLocked(t *testing.T) {
	for _, c := range []struct {
		name    string
		prot    Prot
		flags   MapFlags
		visible bool
	}{
		{"populate rw", rw, MapPrivate | MapPopulate, false},
		{"populate r", ProtRead, MapPrivate | MapPopulate, true},
		{"plain rw", rw, MapPrivate, true},
		{"populate nonblock rw", rw, MapPrivate | MapPopulate | MapNonBlock, true},
		{"locked rw", rw, MapPrivate | MapLocked, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			fd := fileWith(t, k, "f", append(repeat('A', pg), repeat('B', 2*pg)...))
			a := mustMmap(t, k, 0, 3*pg, c.prot, c.flags, fd, 0)
			if _, err := k.FilePwrite(fd, []byte("xy"), pg); err != nil {
				t.Fatal(err)
			}
			want := byte('B')
			if c.visible {
				want = 'x'
			}
			if got := mustPeek(t, k, a+pg); got != want {
				t.Errorf("page 1 reads %q, want %q", got, want)
			}
		})
	}
}

// TestMmapIgnoresUnknownProt: mmap keeps only the access bits of prot and
// never rejects the rest (linux-facts Q16, last rows).
func TestMmapIgnoresUnknownProt(t *testing.T) {
	for _, c := range []struct {
		prot Prot
		want string
	}{
		{ProtRead | ProtSem, "r--p"},
		{ProtRead | 0x10, "r--p"},
		{ProtRead | ProtGrowsDown, "r--p"},
		{0xffffffff, "rwxp"},
	} {
		k := linuxKernel(t)
		a := mustMmap(t, k, 0, pg, c.prot, pa, -1, 0)
		if m, _ := k.Lookup(a); !strings.Contains(m.String(), " "+c.want+" ") {
			t.Errorf("prot %#x: %q, want %s", uint32(c.prot), m.String(), c.want)
		}
	}
}

// TestMmapGeometries: the argument checks scale with the page size and wrap
// at 32 bits on 32-bit hosts.
func TestMmapGeometries(t *testing.T) {
	for _, c := range []struct {
		name   string
		cfg    Config
		addr   Addr
		length uint64
		flags  MapFlags
		off    uint64
		want   Addr
		err    Errno
	}{
		{"16K: offset 4096", Config{PageSize: 16 << 10, AddrBits: 48}, 0, 1, pa, 4096, 0, EINVAL},
		{"16K: offset 16K ignored for anon", Config{PageSize: 16 << 10, AddrBits: 48}, 0x100000000, 1, pa, 16 << 10, 0x100000000, 0},
		{"16K: fixed at 4K multiple", Config{PageSize: 16 << 10, AddrBits: 48}, 0x100001000, 1, pa | MapFixed, 0, 0, EINVAL},
		{"16K: hint rounds down", Config{PageSize: 16 << 10, AddrBits: 48}, 0x100003000, 1, pa, 0, 0x100000000, 0},
		{"64K: fixed at 16K multiple", Config{PageSize: 64 << 10, AddrBits: 48}, 0x100004000, 1, pa | MapFixed, 0, 0, EINVAL},
		{"64K: fixed aligned", Config{PageSize: 64 << 10, AddrBits: 48}, 0x100010000, 1, pa | MapFixed, 0, 0x100010000, 0},
		{"16K: hint 0x8000 raised to 64K", Config{PageSize: 16 << 10, AddrBits: 48}, 0x8000, 1, pa, 0, 0x10000, 0},
		{"64K: hint 0xf000 rounds down to no hint", Config{PageSize: 64 << 10, AddrBits: 48}, 0xf000, 1, pa, 0, 0xfffff7ff0000, 0},
		{"1M: fixed at 64K multiple", Config{PageSize: 1 << 20, AddrBits: 48}, 0x10010000, 1, pa | MapFixed, 0, 0, EINVAL},
		{"1M: hint raised to PAGE_ALIGN(min)", Config{PageSize: 1 << 20, AddrBits: 48, LSMMmapMinAddr: 0x180000}, 0x100000, 1, pa, 0, 0x200000, 0},
		{"1M: offset 64K", Config{PageSize: 1 << 20, AddrBits: 48}, 0, 1, pa, 64 << 10, 0, EINVAL},
		{"32-bit 4G: len -1 wraps", Config{AddrBits: 32}, 0, 0xFFFFFFFF, pa, 0, 0, ENOMEM},
		{"32-bit 4G: len 2^32+4096 truncates", Config{AddrBits: 32}, 0x10000000, 1<<32 + pg, pa | MapFixed, 0, 0x10000000, 0},
		{"32-bit 4G: len 2^32 truncates to 0", Config{AddrBits: 32}, 0, 1 << 32, pa, 0, 0, EINVAL},
		{"32-bit 4G: addr truncates", Config{AddrBits: 32}, 0x1_1000_0000, pg, pa | MapFixed, 0, 0x10000000, 0},
		{"32-bit 4G: last page", Config{AddrBits: 32}, 0xFFFFF000, pg, pa | MapFixed, 0, 0xFFFFF000, 0},
		{"32-bit 4G: crosses 2^32", Config{AddrBits: 32}, 0xFFFFF000, 2 * pg, pa | MapFixed, 0, 0, ENOMEM},
		{"32-bit 3G: crosses 3G", Config{AddrBits: 32, TaskSize: 0xC0000000}, 0xBFFFF000, 2 * pg, pa | MapFixed, 0, 0, ENOMEM},
		{"32-bit 3G: above 3G", Config{AddrBits: 32, TaskSize: 0xC0000000}, 0xC0000000, pg, pa | MapFixed, 0, 0, ENOMEM},
		{"32-bit 3G: hint above 3G ignored", Config{AddrBits: 32, TaskSize: 0xC0000000}, 0xD0000000, pg, pa, 0, 0xB7FFF000, 0},
		{"32-bit 3G: len 3G", Config{AddrBits: 32, TaskSize: 0xC0000000}, 0, 0xC0000000, pa | MapNoReserve, 0, 0, ENOMEM},
		{"32-bit: MAP_32BIT ignored", Config{AddrBits: 32, TaskSize: 0xC0000000}, 0, pg, pa | Map32Bit, 0, 0xB7FFF000, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := newKernel(t, c.cfg)
			got, err := k.Mmap(c.addr, c.length, rw, c.flags, -1, c.off)
			if e := errno(t, err); e != c.err || (e == 0 && got != c.want) {
				t.Errorf("mmap(%v, %#x, %v, off %#x) = %v, %s; want %v, %s",
					c.addr, c.length, c.flags, c.off, got, res(e), c.want, res(c.err))
			}
		})
	}
}

// TestMmapMaxMapCount: mmap fails when the count already exceeds
// max_map_count; MAP_FIXED that must split a VMA in three needs the count
// below it (linux-facts Q13, max_map_count 1000).
func TestMmapMaxMapCount(t *testing.T) {
	for _, c := range []struct {
		name  string
		at, n Addr // in pages from T
		prot  Prot
		fixed bool
		count int // VMAs before the call
		want  Errno
		delta int
	}{
		{"fixed middle, other prot, 1000", 1, 1, ProtRead, true, 1000, ENOMEM, 0},
		{"fixed middle, other prot, 999", 1, 1, ProtRead, true, 999, 0, 2},
		{"fixed first, 1001", 0, 1, ProtRead, true, 1001, ENOMEM, 0},
		{"fixed first, 1000", 0, 1, ProtRead, true, 1000, 0, 1},
		{"fixed whole, 1001", 0, 3, ProtRead, true, 1001, ENOMEM, 0},
		{"fixed whole, 1000", 0, 3, ProtRead, true, 1000, 0, 0},
		{"fixed adjacent, same prot, 1001", 3, 1, rw, true, 1001, ENOMEM, 0},
		{"fixed adjacent, same prot, 1000", 3, 1, rw, true, 1000, 0, 0},
		{"fixed adjacent, other prot, 1000", 3, 1, ProtRead, true, 1000, 0, 1},
		{"new, 1001", 0, 1, ProtRead, false, 1001, ENOMEM, 0},
		{"new, 1000", 0, 1, ProtRead, false, 1000, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := mapCountKernel(t, c.count, nil)
			flags, addr := pa, Addr(0)
			if c.fixed {
				flags, addr = pa|MapFixed, mapCountT+c.at*pg
			}
			_, err := k.Mmap(addr, uint64(c.n)*pg, c.prot, flags, -1, 0)
			if got := errno(t, err); got != c.want {
				t.Errorf("mmap = %s, want %s", res(got), res(c.want))
			}
			checkMapCountDelta(t, k, c.count, c.delta)
		})
	}
	// The loop of Q13: alternating one-page mappings succeed until the
	// count passes max_map_count, which it may reach max+1.
	cfg := linuxConfig()
	cfg.MaxMapCount = 1000
	k := newKernel(t, cfg)
	n := 0
	for ; n < 2000; n++ {
		prot := ProtRead
		if n%2 == 1 {
			prot = rw
		}
		if _, err := k.Mmap(0, pg, prot, pa, -1, 0); err != nil {
			if errno(t, err) != ENOMEM {
				t.Fatalf("mmap #%d = %v, want ENOMEM", n+1, err)
			}
			break
		}
	}
	if n != 1001 || k.MapCount() != 1001 {
		t.Errorf("%d mmaps succeeded leaving %d VMAs; want 1001 and 1001", n, k.MapCount())
	}
}

// TestMmapNeverPanics drives mmap with argument values at the edges of
// every geometry: each call returns an address or an errno.
func TestMmapNeverPanics(t *testing.T) {
	addrs := []Addr{0, 1, pg, 0xfff, 0x10000, 0x7fffffffe000, 0x7ffffffff000, 1 << 47, 1 << 56, 1 << 57,
		0xBFFFF000, 0xC0000000, 0xFFFFF000, 1 << 32, 0xfffffffffffff000, 0xffffffffffffffff}
	lens := []uint64{0, 1, pg, 1 << 20, 0xFFFFFFFF, 1 << 32, 1<<47 - pg, 1 << 47, 1 << 57,
		0xfffffffffffff000, 0xFFFFFFFFFFFFF001, 0xffffffffffffffff}
	offs := []uint64{0, pg, 1 << 20, 0x7ffffffffffff000, 0xfffffffffffff000}
	flags := []MapFlags{pa, sa, pa | MapFixed, pa | MapFixedNoReplace, MapPrivate, MapShared | MapFixed,
		pa | MapGrowsDown, pa | MapHugeTLB, pa | Map32Bit, MapSharedValidate | 0x400, pa | MapPopulate}
	for _, cfg := range fuzzKernelConfigs {
		k := newKernel(t, cfg)
		fd := fileWith(t, k, "f", repeat('x', 3*pg))
		for _, a := range addrs {
			for _, l := range lens {
				for _, f := range flags {
					for _, o := range offs {
						d := fd
						if f&MapAnonymous != 0 {
							d = -1
						}
						got, err := k.Mmap(a, l, rw, f, d, o)
						if err == nil && (got >= k.TaskSize() || !k.g.pageAligned(uint64(got))) {
							t.Fatalf("%#v: mmap(%v, %#x, %v, off %#x) = %v", k, a, l, f, o, got)
						}
						if err == nil {
							_ = k.Munmap(got, l)
						}
					}
				}
			}
		}
		if err := k.CheckInvariants(); err != nil {
			t.Fatalf("%#v: %v", k, err)
		}
	}
}

// TestMmapMergeSameOpenFile: file VMAs merge only if they map the same open
// file description (mm/vma.c is_mergeable_vma() compares vm_file, and
// anon_vma_compatible() too); two open()s of one path make two, so their
// mappings stay apart however contiguous their offsets. mremap's copy keeps
// the VMA's file (copy_vma()), so it merges with other mappings through it.
func TestMmapMergeSameOpenFile(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(t *testing.T, k *Kernel) // maps [aAddr, aAddr+2pg) in two calls
		want  int                           // maps lines in [aAddr, aAddr+2pg)
	}{
		{"one descriptor", func(t *testing.T, k *Kernel) {
			fd := fileWith(t, k, "f", repeat('f', 2*pg))
			mustMmap(t, k, aAddr, pg, ProtRead, MapPrivate|MapFixed, fd, 0)
			mustMmap(t, k, aAddr+pg, pg, ProtRead, MapPrivate|MapFixed, fd, pg)
		}, 1},
		{"two opens of one path", func(t *testing.T, k *Kernel) {
			fd := fileWith(t, k, "f", repeat('f', 2*pg))
			ro := mustOpen(t, k, "f", ORdOnly)
			mustMmap(t, k, aAddr, pg, ProtRead, MapPrivate|MapFixed, ro, 0)
			mustMmap(t, k, aAddr+pg, pg, ProtRead, MapPrivate|MapFixed, fd, pg)
		}, 2},
		{"closed and reopened", func(t *testing.T, k *Kernel) {
			fd := fileWith(t, k, "f", repeat('f', 2*pg))
			mustMmap(t, k, aAddr, pg, ProtRead, MapShared|MapFixed, fd, 0)
			mustOK(t, k.Close(fd), "close")
			fd = mustOpen(t, k, "f", ORdWr)
			mustMmap(t, k, aAddr+pg, pg, ProtRead, MapShared|MapFixed, fd, pg)
		}, 2},
		{"moved next to a mapping through the same descriptor", func(t *testing.T, k *Kernel) {
			fd := fileWith(t, k, "f", repeat('f', 2*pg))
			mustMmap(t, k, aAddr, pg, ProtRead, MapPrivate|MapFixed, fd, 0)
			mustMmap(t, k, nAddr, pg, ProtRead, MapPrivate|MapFixed, fd, pg)
			if _, err := k.Mremap(nAddr, pg, pg, MremapMayMove|MremapFixed, aAddr+pg); err != nil {
				t.Fatal(err)
			}
		}, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			c.setup(t, k)
			if got := linesIn(k, Range{aAddr, aAddr + 2*pg}); got != c.want {
				t.Errorf("got %d lines, want %d\n%s", got, c.want, k.Debug())
			}
		})
	}
}

// TestMmapSyncExt4: hostvm's files are ext4's, which supports MAP_SYNC in
// do_mmap()'s MAP_SHARED_VALIDATE check (FOP_MMAP_SYNC), so the access
// checks come first (EACCES), and refuses it without DAX in its mmap hook
// (ext4_file_mmap_prepare()), which runs after __mmap_region() unmapped
// what MAP_FIXED replaces: the range stays a hole (vms_abort_munmap_vmas()).
// Measured on Linux 6.18 (linuxdiff). Flags ext4 does not support fail
// before anything changes.
func TestMmapSyncExt4(t *testing.T) {
	for _, c := range []struct {
		name  string
		prot  Prot
		flags MapFlags
		ro    bool // through a read-only descriptor
		want  Errno
		hole  bool // the old mapping is gone
	}{
		{"validate, read-only fd, PROT_WRITE", rw, MapSharedValidate | MapSync, true, EACCES, false},
		{"validate", ProtRead, MapSharedValidate | MapSync, false, EOPNOTSUPP, true},
		{"shared", ProtRead, MapShared | MapSync, false, EOPNOTSUPP, true},
		{"private", ProtRead, MapPrivate | MapSync, false, EOPNOTSUPP, true},
		{"validate, with an unsupported flag", ProtRead, MapSharedValidate | MapSync | 0x200, false, EOPNOTSUPP, false},
		{"validate, read-only fd, PROT_READ", ProtRead, MapSharedValidate | MapSync, true, EOPNOTSUPP, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			fd := fileWith(t, k, "f", repeat('f', 2*pg))
			if c.ro {
				fd = mustOpen(t, k, "f", ORdOnly)
			}
			mustMmap(t, k, aAddr, 2*pg, rw, pa|MapFixed, -1, 0)
			poke(t, k, aAddr, 'd')
			_, err := k.Mmap(aAddr, 2*pg, c.prot, c.flags|MapFixed, fd, 0)
			if got := errno(t, err); got != c.want {
				t.Errorf("mmap = %s, want %s", res(got), res(c.want))
			}
			_, mapped := k.Lookup(aAddr)
			if mapped == c.hole {
				t.Errorf("old mapping kept = %v, want %v\n%s", mapped, !c.hole, k.Debug())
			}
			if mapped && mustPeek(t, k, aAddr) != 'd' {
				t.Errorf("old mapping lost its contents")
			}
		})
	}
}

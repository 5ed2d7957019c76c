package hostvm

import (
	"fmt"
	"strings"
	"testing"
)

// The address and length boundaries that every call taking a range
// checks (zero, unaligned and wrapping lengths, the top of the address
// space, the bottom below mmap_min_addr, ...) are one table, run by each
// call's own test with that call's answers: the calls differ exactly there
// (madvise and munmap say EINVAL where mprotect and msync say ENOMEM; msync
// takes a length of -1 for 0; mremap finds no VMA and says EFAULT), and the
// table shows how, row by row.
//
// Each call runs on its own tests' setup (rangeCall), and every case
// checks, besides the errno:
//   - a failed call changed no mapping (each case's range starts in a hole
//     or fails its argument checks, so not even mprotect's partial work
//     applies);
//   - a successful call changed nothing outside its range, rounded to
//     pages, and did its job inside: mprotect made it read-only, munmap
//     unmapped it, mremap (to one page, in place) returned its address and
//     unmapped the rest.

// The calls, in the order of the columns of the tables.
const (
	callMadvise  = iota // MADV_DONTNEED
	callMprotect        // PROT_READ
	callMunmap
	callMsync  // MS_SYNC
	callMremap // new_len one page (4096, rounded up), no flags
	numRangeCalls
)

// answers is each call's errno for one case, in the columns' order.
type answers [numRangeCalls]Errno

// rangeCall is a call as the boundary tables run it.
type rangeCall struct {
	index int // its column
	// pages is how many private anonymous rw pages the call's own tests
	// map at hAddr (on linuxConfig), unless setup maps something else;
	// geometryPages is how many the geometry table maps at geometryBase.
	pages, geometryPages uint64
	setup                func(t *testing.T, k *Kernel)
	// call makes the call; the address is mremap's result.
	call func(k *Kernel, addr Addr, length uint64) (Addr, error)
	// done, if not nil, checks what a successful call did to
	// [start, end).
	done func(t *testing.T, k *Kernel, start, end, got Addr)
}

var madviseCall = rangeCall{index: callMadvise, pages: 2, geometryPages: 2,
	call: func(k *Kernel, addr Addr, length uint64) (Addr, error) {
		return 0, k.Madvise(addr, length, MadvDontNeed)
	},
}

var mprotectCall = rangeCall{index: callMprotect, pages: 4, geometryPages: 4,
	call: func(k *Kernel, addr Addr, length uint64) (Addr, error) {
		return 0, k.Mprotect(addr, length, ProtRead)
	},
	done: func(t *testing.T, k *Kernel, start, end, got Addr) {
		t.Helper()
		for _, m := range mappingsWithin(k, start, end) {
			if m.Start < start || m.End > end || m.Prot != ProtRead {
				t.Errorf("after mprotect(PROT_READ) of %v-%v: %v", start, end, m)
			}
		}
	},
}

var munmapCall = rangeCall{index: callMunmap, pages: 4, geometryPages: 16,
	call: func(k *Kernel, addr Addr, length uint64) (Addr, error) {
		return 0, k.Munmap(addr, length)
	},
	done: func(t *testing.T, k *Kernel, start, end, got Addr) {
		t.Helper()
		if left := mappingsWithin(k, start, end); len(left) > 0 {
			t.Errorf("after munmap of %v-%v, still mapped: %v", start, end, left)
		}
	},
}

// msyncCall runs on TestMsync's setup: [A 2 pages][hole][B 2 pages] of a
// shared file, A at hAddr.
var msyncCall = rangeCall{index: callMsync, geometryPages: 2,
	setup: func(t *testing.T, k *Kernel) {
		fd := fileWith(t, k, "/tmp/probe_f", repeat('A', 8*pg))
		mustMmap(t, k, hAddr, 2*pg, rw, MapShared|MapFixed, fd, 0)
		mustMmap(t, k, hAddr+3*pg, 2*pg, rw, MapShared|MapFixed, fd, 3*pg)
	},
	call: func(k *Kernel, addr Addr, length uint64) (Addr, error) {
		return 0, k.Msync(addr, length, MsSync)
	},
}

// mremapCall shrinks or keeps the range, in place, to one page: old_len is
// the case's length.
var mremapCall = rangeCall{index: callMremap, pages: 2, geometryPages: 2,
	call: func(k *Kernel, addr Addr, length uint64) (Addr, error) {
		return k.Mremap(addr, length, pg, 0, 0)
	},
	done: func(t *testing.T, k *Kernel, start, end, got Addr) {
		t.Helper()
		if got != start {
			t.Errorf("mremap in place returned %v, want %v", got, start)
		}
		if left := mappingsWithin(k, start+Addr(k.PageSize()), end); len(left) > 0 {
			t.Errorf("after mremap of %v-%v to one page, still mapped: %v", start, end, left)
		}
	},
}

// boundaryCase is a row of boundaryCases: a range and each call's answer.
type boundaryCase struct {
	name   string
	addr   Addr
	length uint64
	want   answers
}

// geometryCase is a row of geometryCases: a boundaryCase on a kernel of
// another geometry.
type geometryCase struct {
	name   string
	cfg    Config
	addr   Addr
	length uint64
	want   answers
}

// boundaryCases run on linuxConfig, each call on its own setup at V
// (hAddr); F (freeBase) is free. The answers are linux-facts' (Q15, Q16,
// Q17, Q25, Q26) where it has them, and every one was checked on Linux
// 6.18.44 x86-64, one process per case, except madvise(MADV_DONTNEED) and
// munmap of the whole space, which would wreck the process that asks.
var boundaryCases = func() []boundaryCase {
	const v, f = hAddr, freeBase
	const top = Addr(0x7ffffffff000) // TASK_SIZE
	return []boundaryCase{
		// answers: madvise, mprotect, munmap, msync, mremap
		{"unaligned", v + 1, pg, answers{EINVAL, EINVAL, EINVAL, EINVAL, EINVAL}},
		{"unaligned, len 0", v + 1, 0, answers{EINVAL, EINVAL, EINVAL, EINVAL, EINVAL}},
		{"len 0", v, 0, answers{0, 0, EINVAL, 0, EINVAL}},
		{"len 0, unmapped", f, 0, answers{0, 0, EINVAL, 0, EFAULT}},
		{"len 0 at TASK_SIZE", top, 0, answers{0, 0, EINVAL, 0, EFAULT}},
		{"len 1", v, 1, answers{0, 0, 0, 0, 0}},
		{"len wraps", v, 0xfffffffffffff000, answers{EINVAL, ENOMEM, EINVAL, ENOMEM, EINVAL}},
		{"len -1", v, 0xffffffffffffffff, answers{EINVAL, ENOMEM, EINVAL, 0, EINVAL}},
		{"at TASK_SIZE", top, pg, answers{ENOMEM, ENOMEM, EINVAL, ENOMEM, EFAULT}},
		{"crosses TASK_SIZE", top - pg, 2 * pg, answers{ENOMEM, ENOMEM, EINVAL, ENOMEM, EFAULT}},
		{"last page below TASK_SIZE", top - pg, pg, answers{ENOMEM, ENOMEM, 0, ENOMEM, EFAULT}},
		{"1<<47", 1 << 47, pg, answers{ENOMEM, ENOMEM, EINVAL, ENOMEM, EFAULT}},
		{"-4096 (end wraps to 0)", 0xfffffffffffff000, pg, answers{EINVAL, ENOMEM, EINVAL, ENOMEM, EFAULT}},
		{"vsyscall page", 0xffffffffff600000, pg, answers{ENOMEM, ENOMEM, EINVAL, ENOMEM, EFAULT}},
		{"0, len -4096", 0, 0xfffffffffffff000, answers{ENOMEM, ENOMEM, EINVAL, ENOMEM, EFAULT}},
		{"0 (below mmap_min_addr)", 0, pg, answers{ENOMEM, ENOMEM, 0, ENOMEM, EFAULT}},
		{"0x1000 (below the LSM's mmap_min_addr)", 0x1000, pg, answers{ENOMEM, ENOMEM, 0, ENOMEM, EFAULT}},
		{"unmapped", f, pg, answers{ENOMEM, ENOMEM, 0, ENOMEM, EFAULT}},
		{"unmapped, 16 pages", f, 16 * pg, answers{ENOMEM, ENOMEM, 0, ENOMEM, EFAULT}},
		{"whole space", 0, uint64(top), answers{ENOMEM, ENOMEM, 0, ENOMEM, EFAULT}},
	}
}()

// geometryBase is where the geometry table maps each call's pages: low on
// 32-bit kernels, above 4 GiB on the others.
func geometryBase(k *Kernel) Addr {
	if k.g.is32 {
		return 0x10000000
	}
	return 0x100000000
}

// geometryCases: page sizes round lengths and set the alignment; 32-bit
// kernels cut each argument to 32 bits and wrap their sums at 2^32 (an
// end of exactly 2^32 is 0, except where munmap and mremap unmap: the top
// page's VMA ends at 2^32), TASK_SIZE 4 GiB unless 3 GiB is said. Each
// call maps its geometryPages pages at B (geometryBase). The answers follow
// Linux's checks at the kernel's word width (do_madvise(),
// do_mprotect_pkey(), sys_msync(), do_vmi_munmap(), check_mremap_params()
// and mremap's shrink through do_vmi_munmap()); no such kernel was at hand
// to measure.
var geometryCases = func() []geometryCase {
	k16 := Config{PageSize: 16 << 10, AddrBits: 48}
	k64 := Config{PageSize: 64 << 10, AddrBits: 48}
	m1 := Config{PageSize: 1 << 20, AddrBits: 48}
	b32 := Config{AddrBits: 32}
	g3 := Config{AddrBits: 32, TaskSize: 0xC0000000}
	const b, b48 = Addr(0x10000000), Addr(0x100000000)
	return []geometryCase{
		// answers: madvise, mprotect, munmap, msync, mremap
		{"16K: 4K-aligned addr", k16, b48 + 0x1000, pg, answers{EINVAL, EINVAL, EINVAL, EINVAL, EINVAL}},
		{"16K: 4K-aligned addr, len 1", k16, b48 + 0x1000, 1, answers{EINVAL, EINVAL, EINVAL, EINVAL, EINVAL}},
		{"16K: len 1 is 16K", k16, b48, 1, answers{0, 0, 0, 0, 0}},
		{"64K: len 1 is 64K", k64, b48, 1, answers{0, 0, 0, 0, 0}},
		{"64K: len 4096 is 64K", k64, b48, pg, answers{0, 0, 0, 0, 0}},
		{"1M: len 1 is 1M", m1, b48, 1, answers{0, 0, 0, 0, 0}},
		{"1M: 64K-aligned addr", m1, b48 + 0x10000, pg, answers{EINVAL, EINVAL, EINVAL, EINVAL, EINVAL}},
		{"32-bit: len -1", b32, b, 0xFFFFFFFF, answers{EINVAL, ENOMEM, EINVAL, 0, EINVAL}},
		{"32-bit: len wraps", b32, b, 0xFFFFF000, answers{EINVAL, ENOMEM, EINVAL, ENOMEM, EINVAL}},
		{"32-bit: end is 2^32 (0)", b32, b, 0xF0000000, answers{EINVAL, ENOMEM, 0, ENOMEM, 0}},
		{"32-bit: len 2^32+1 is 1", b32, b, 1<<32 + 1, answers{0, 0, 0, 0, 0}},
		{"32-bit: len 2^32+4096 is 4096", b32, b, 1<<32 + pg, answers{0, 0, 0, 0, 0}},
		{"32-bit: addr 2^32+B is B", b32, 1<<32 + b, pg, answers{0, 0, 0, 0, 0}},
		{"32-bit: last page", b32, 0xFFFFF000, pg, answers{EINVAL, ENOMEM, 0, ENOMEM, EFAULT}},
		{"32-bit: past 2^32", b32, 0xFFFFF000, 2 * pg, answers{EINVAL, ENOMEM, EINVAL, ENOMEM, EFAULT}},
		{"32-bit 3G: at 3G", g3, 0xC0000000, pg, answers{ENOMEM, ENOMEM, EINVAL, ENOMEM, EFAULT}},
		{"32-bit 3G: len 3G", g3, 0, 0xC0000000, answers{ENOMEM, ENOMEM, 0, ENOMEM, EFAULT}},
		{"32-bit 3G: len 3G+4K", g3, 0, 0xC0001000, answers{ENOMEM, ENOMEM, EINVAL, ENOMEM, EFAULT}},
	}
}()

// runBoundaryCases runs boundaryCases for one call.
func runBoundaryCases(t *testing.T, rc rangeCall) {
	t.Helper()
	for _, c := range boundaryCases {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			if rc.setup != nil {
				rc.setup(t, k)
			} else {
				mustMmap(t, k, hAddr, rc.pages*pg, rw, pa|MapFixed, -1, 0)
			}
			checkBoundary(t, k, rc, c.addr, c.length, c.want[rc.index])
		})
	}
}

// runGeometryCases runs geometryCases for one call.
func runGeometryCases(t *testing.T, rc rangeCall) {
	t.Helper()
	for _, c := range geometryCases {
		t.Run(c.name, func(t *testing.T) {
			k := newKernel(t, c.cfg)
			mustMmap(t, k, geometryBase(k), rc.geometryPages*k.PageSize(), rw, pa|MapFixed, -1, 0)
			checkBoundary(t, k, rc, c.addr, c.length, c.want[rc.index])
		})
	}
}

// checkBoundary makes rc's call on [addr, addr+length) and checks that it
// returns want, and what it did.
func checkBoundary(t *testing.T, k *Kernel, rc rangeCall, addr Addr, length uint64, want Errno) {
	t.Helper()
	before := k.Maps()
	got, err := rc.call(k, addr, length)
	if e := errno(t, err); e != want {
		t.Fatalf("(%v, %#x) = %s, want %s", addr, length, res(e), res(want))
	}
	if want != 0 {
		if diff := mapsDiff(before, k.Maps()); diff != "" {
			t.Errorf("(%v, %#x) failed but changed the mappings:\n%s", addr, length, diff)
		}
		return
	}
	// The range as the kernel took it: the address and the length cut to
	// the argument width, the length rounded up to pages and the end
	// computed at the kernel's word width. A length of -1 rounds to 0, and
	// an end that wraps to 0 leaves nothing in the range either; but on a
	// 32-bit kernel with a 4 GiB TASK_SIZE, whose top page hostvm maps, a
	// range ending at 2^32 ends there: munmap unmaps up to the top.
	start := Addr(uint64(addr) & k.g.argMask)
	end := k.g.end(start, k.g.pageAlign(length&k.g.argMask))
	if end < start {
		end = start
	}
	if diff := mapsDiff(outside(before, start, end), outside(k.Maps(), start, end)); diff != "" {
		t.Errorf("(%v, %#x) changed the mappings outside %v-%v:\n%s", addr, length, start, end, diff)
	}
	if rc.done != nil {
		rc.done(t, k, start, end, got)
	}
}

// mappingsWithin returns the mappings overlapping [start, end), none if
// the range is empty.
func mappingsWithin(k *Kernel, start, end Addr) []Mapping {
	if start >= end {
		return nil
	}
	return k.MappingsIn(Range{start, end})
}

// outside returns the parts of maps outside [start, end).
func outside(maps []Mapping, start, end Addr) []Mapping {
	var out []Mapping
	for _, m := range maps {
		if m.Start < start {
			below := m
			below.End = min(m.End, start)
			out = append(out, below)
		}
		if m.End > end {
			above := m
			above.Start = max(m.Start, end)
			if above.Inode != 0 {
				above.Offset += uint64(above.Start - m.Start)
			}
			out = append(out, above)
		}
	}
	return out
}

// mapsDiff shows two listings where they differ, or is "".
func mapsDiff(before, after []Mapping) string {
	render := func(ms []Mapping) string {
		var b strings.Builder
		for _, m := range ms {
			fmt.Fprintf(&b, "  %v\n", m)
		}
		return b.String()
	}
	b, a := render(before), render(after)
	if b == a {
		return ""
	}
	return "before:\n" + b + "after:\n" + a
}

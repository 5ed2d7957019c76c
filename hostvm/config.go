package hostvm

import (
	"fmt"
	"math/bits"
)

// Layout is the placement direction of non-fixed mappings.
type Layout uint8

const (
	// TopDown is Linux's default layout: mappings are placed below
	// mmap_base, which sits under the stack gap, highest address first,
	// falling back to a bottom-up search when nothing fits.
	TopDown Layout = iota
	// BottomUp is the legacy layout (vm.legacy_va_layout, or an unlimited
	// stack rlimit): lowest address first, from TASK_UNMAPPED_BASE.
	BottomUp
)

func (l Layout) String() string {
	if l == BottomUp {
		return "bottom-up"
	}
	return "top-down"
}

// Config describes a simulated host. The zero value is a 4 KiB-page, 47-bit
// x86-64-like host; every zero field takes the default named in its comment.
type Config struct {
	// PageSize is the host page size in bytes: a power of two from 4 KiB
	// to 1 MiB. Default 4096.
	PageSize uint64
	// AddrBits is the user address width: 32, 39, 47, 48, 52 or 57.
	// Default 47.
	AddrBits int
	// TaskSize is the end of user space (exclusive). Default 1<<AddrBits.
	// x86-64 uses (1<<47) - PageSize; a 32-bit process on a 32-bit kernel
	// with the 3G/1G split uses 0xC0000000.
	TaskSize Addr
	// Compat makes a 32-bit address space behave as a 32-bit process on a
	// 64-bit kernel: arguments are truncated to 32 bits, then computed in
	// 64 bits (so a range past 4 GiB is out of the space, not wrapped).
	// Without it, AddrBits 32 is a 32-bit kernel, whose unsigned long
	// arithmetic wraps.
	Compat bool
	// MmapMinAddr is the vm.mmap_min_addr sysctl: MAP_FIXED below it
	// fails with EPERM unless Privileged. Default 65536.
	MmapMinAddr Addr
	// LSMMmapMinAddr is CONFIG_LSM_MMAP_MIN_ADDR. The kernel's effective
	// minimum, which lifts low hints and bounds placement, is the larger of
	// the two. Default 65536 (most distributions' kernel configuration).
	LSMMmapMinAddr Addr
	// MaxMapCount is vm.max_map_count. Default 65530.
	MaxMapCount int
	// Layout chooses top-down (default) or legacy bottom-up placement.
	Layout Layout
	// ASLR randomizes mmap_base and the program break from Seed. Off by
	// default, which makes every placement a pure function of the calls.
	ASLR bool
	// Seed drives ASLR. It is ignored when ASLR is off.
	Seed uint64
	// StackLimit is RLIMIT_STACK, which sizes the gap between the stack
	// and mmap_base and bounds stack growth. Default 8 MiB.
	StackLimit uint64
	// StackSize, when non-zero, maps a [stack] VMA (MAP_GROWSDOWN, rw)
	// of this many bytes ending at TaskSize, as a real process has.
	StackSize uint64
	// BrkStart is where the program break starts (mm->start_brk).
	// Default: two thirds of TaskSize, page aligned (where x86-64 loads a
	// PIE executable when ASLR is off).
	BrkStart Addr
	// StrictRead makes PROT_WRITE and PROT_EXEC mappings unreadable unless
	// they also have PROT_READ. By default (false) they are readable, as
	// on x86-64, whose page tables cannot express write-only or (without
	// protection keys) execute-only pages.
	StrictRead bool
	// Privileged lets MAP_FIXED go below MmapMinAddr, as CAP_SYS_RAWIO
	// does. Off by default: an ordinary user gets EPERM.
	Privileged bool
	// PKeys models an x86-64 CPU with memory protection keys ("pku" and
	// "ospke" in /proc/cpuinfo): a mapping that mmap or mprotect gives
	// exactly PROT_EXEC (no other bit, PROT_SEM included; mprotect's
	// PROT_GROWSDOWN/UP aside) takes the process's execute-only key, as
	// Linux's execute_only_pkey() and arch_override_mprotect_pkey() give
	// it; any other mprotect returns it to key 0. /proc/self/maps prints
	// such a VMA "--xp" like any other (smaps' ProtectionKey tells them
	// apart; Mapping.PKey), but the key lives in vm_flags, so it does not
	// merge with an otherwise equal neighbour that lacks it, and data
	// accesses to it fault: loads and stores raise SIGSEGV with
	// SEGV_PKUERR, and the kernel's own copies (pread into it, pwrite from
	// it) fail with EFAULT. Instruction fetches pass. Off by default: a
	// CPU without protection keys, where execute-only pages are readable.
	PKeys bool
	// NoTHP models a kernel built without CONFIG_TRANSPARENT_HUGEPAGE:
	// placement never pads mappings to align them to a PMD. By default
	// (false) 64-bit hosts align as Linux 6.18 does (see placeTHP);
	// 32-bit hosts never do.
	NoTHP bool
}

// validAddrBits are the address widths hostvm models.
var validAddrBits = map[int]bool{32: true, 39: true, 47: true, 48: true, 52: true, 57: true}

// EnsureDefaults fills zero fields with their defaults and checks the
// result, returning an error that names the bad field.
func (c *Config) EnsureDefaults() error {
	if c.PageSize == 0 {
		c.PageSize = 4096
	}
	if c.PageSize < 4096 || c.PageSize > 1<<20 || c.PageSize&(c.PageSize-1) != 0 {
		return fmt.Errorf("hostvm: page size %#x: want a power of two from 4 KiB to 1 MiB", c.PageSize)
	}
	if c.AddrBits == 0 {
		c.AddrBits = 47
	}
	if !validAddrBits[c.AddrBits] {
		return fmt.Errorf("hostvm: address width %d: want 32, 39, 47, 48, 52 or 57", c.AddrBits)
	}
	if c.TaskSize == 0 {
		c.TaskSize = Addr(1) << c.AddrBits
	}
	if c.TaskSize > Addr(1)<<c.AddrBits || uint64(c.TaskSize)%c.PageSize != 0 || c.TaskSize < Addr(16*c.PageSize) {
		return fmt.Errorf("hostvm: task size %v: want a page-aligned size of at most 1<<%d", c.TaskSize, c.AddrBits)
	}
	if c.MmapMinAddr == 0 {
		c.MmapMinAddr = 65536
	}
	if c.LSMMmapMinAddr == 0 {
		c.LSMMmapMinAddr = 65536
	}
	if c.MmapMinAddr >= c.TaskSize/2 || c.LSMMmapMinAddr >= c.TaskSize/2 {
		return fmt.Errorf("hostvm: mmap_min_addr %v: want less than half the task size", c.MmapMinAddr)
	}
	if c.MaxMapCount == 0 {
		c.MaxMapCount = 65530
	}
	if c.MaxMapCount < 1 {
		return fmt.Errorf("hostvm: max_map_count %d: want at least 1", c.MaxMapCount)
	}
	if c.Layout > BottomUp {
		return fmt.Errorf("hostvm: layout %d: want TopDown or BottomUp", c.Layout)
	}
	if c.StackLimit == 0 {
		c.StackLimit = 8 << 20
	}
	if c.StackSize != 0 {
		ss, ok := AlignUp(c.StackSize, c.PageSize)
		if !ok || ss > uint64(c.TaskSize)/4 {
			return fmt.Errorf("hostvm: stack size %#x: want at most a quarter of the task size", c.StackSize)
		}
		c.StackSize = ss
	}
	if c.BrkStart == 0 {
		c.BrkStart = Addr(AlignDown(uint64(c.TaskSize)/3*2, c.PageSize))
	}
	if c.BrkStart < c.MmapMinAddr || c.BrkStart >= c.TaskSize {
		return fmt.Errorf("hostvm: brk start %v: want an address in [mmap_min_addr, task size)", c.BrkStart)
	}
	return nil
}

// geometry is the derived, immutable shape of an address space. Every size
// in it is a run-time value: two kernels with different page sizes coexist.
type geometry struct {
	pageSize  uint64
	pageShift uint
	pageMask  uint64 // ^(pageSize-1)
	wordMask  uint64 // arithmetic: 1<<32-1 for 32-bit kernels, else all ones
	argMask   uint64 // arguments: 1<<32-1 for 32-bit processes, else all ones
	taskSize  Addr
	minAddr   Addr // vm.mmap_min_addr, for the EPERM check
	lowAddr   Addr // max(vm.mmap_min_addr, CONFIG_LSM_MMAP_MIN_ADDR): hints and placement
	maxMaps   int
	guardGap  uint64 // stack_guard_gap: 256 pages
	is32      bool
	pmdSize   uint64 // THP alignment of placements (HPAGE_PMD_SIZE); 0 when off
	hugeSize  uint64 // the one hugetlb page size (the PMD size)
	hugeShift uint   // log2(hugeSize)
}

func newGeometry(c *Config) geometry {
	g := geometry{
		pageSize:  c.PageSize,
		pageShift: uint(bits.TrailingZeros64(c.PageSize)),
		pageMask:  ^(c.PageSize - 1),
		wordMask:  ^uint64(0),
		argMask:   ^uint64(0),
		taskSize:  c.TaskSize,
		minAddr:   c.MmapMinAddr,
		lowAddr:   max(c.MmapMinAddr, c.LSMMmapMinAddr),
		maxMaps:   c.MaxMapCount,
		guardGap:  256 * c.PageSize,
		is32:      c.AddrBits == 32,
	}
	// A PMD maps a page full of 8-byte entries: 2 MiB for 4 KiB pages,
	// 32 MiB for 16 KiB, 512 MiB for 64 KiB. 32-bit x86 with PAE uses
	// 2 MiB huge pages.
	g.hugeSize = c.PageSize * (c.PageSize / 8)
	if g.is32 {
		g.argMask = 1<<32 - 1
		if !c.Compat {
			g.wordMask = 1<<32 - 1
		}
		g.hugeSize = 2 << 20
	} else if !c.NoTHP {
		g.pmdSize = g.hugeSize
	}
	g.hugeShift = uint(bits.TrailingZeros64(g.hugeSize))
	return g
}

// pageAligned reports whether v is a multiple of the page size.
func (g *geometry) pageAligned(v uint64) bool { return v&^g.pageMask == 0 }

// pageAlign is Linux's PAGE_ALIGN at the host's word width: it wraps, so
// callers test the result for zero as Linux does.
func (g *geometry) pageAlign(v uint64) uint64 {
	return (v + g.pageSize - 1) & g.pageMask & g.wordMask
}

// add is a+n wrapping at the host's word width, as C's unsigned long does.
func (g *geometry) add(a Addr, n uint64) Addr { return Addr((uint64(a) + n) & g.wordMask) }

// end is add for the end of a range that unmaps or moves VMAs: an end
// exactly at a task size of 4 GiB stays 1<<32 instead of wrapping to 0,
// since hostvm lets a 32-bit kernel map the top page (no 32-bit Linux has
// such a task size) and that VMA ends there. munmap then unmaps it, and
// mremap sees it overlap.
func (g *geometry) end(a Addr, n uint64) Addr {
	if sum := uint64(a) + n; sum == uint64(g.taskSize) && sum >= uint64(a) {
		return Addr(sum)
	}
	return g.add(a, n)
}

package hostvm

import (
	"fmt"

	"github.com/google/btree"
	"github.com/mmapsim/mmapsim/internal/cowtree"
	"github.com/mmapsim/mmapsim/internal/runs"
)

// Kernel is one simulated host: an address space, a file system and a file
// descriptor table, with Linux's memory system calls. Kernels share nothing;
// many may coexist.
//
// Concurrency: a Kernel is not safe for concurrent use, except that Clone
// and the methods that only look (Config, PageSize, TaskSize, MmapBase,
// MapCount, BrkStart, Maps, Lookup, MappingsIn, MapsString, Debug, String,
// GoString, CheckInvariants, Files, Fstat, FcntlGetFl, FilePread) may run in
// any number of goroutines at once while nothing changes the kernel. Each
// clone is then independent, for its own goroutine. Every other method
// changes the kernel, Read and Fetch included (a fault may grow a stack).
//
// The zero Kernel, and a nil *Kernel, are no kernel: every system call on
// one fails with EINVAL (Read, Write and Fetch fault with SEGV_MAPERR, Brk
// returns 0), the accessors return zero values and Clone returns nil.
// None panics. Use New.
type Kernel struct {
	cfg Config
	g   geometry

	vmas vmaTree            // the address space, by start address
	pt   *btree.BTreeG[pte] // private pages (anonymous and copy-on-write), by page number
	fs   fileSystem         // inodes, paths and descriptors
	gen  *generation        // the owner allowed to mutate shared structures in place
	// guards are the pages MADV_GUARD_INSTALL made fault, by page number.
	guards runs.Map
	// tablesGen is the generation that may change pt and guards in place.
	// A Clone shares both with k, and whichever of them changes one
	// first (gen no longer tablesGen) takes copy-on-write snapshots of
	// its own (ownTables): a kernel cloned only to be kept, as the
	// property suite keeps one before each call, never copies them.
	tablesGen *generation

	nextAnon uint32 // next anon_vma identity

	mmapBase     Addr // top of the top-down search (mm->mmap_base)
	unmappedBase Addr // bottom of the bottom-up search (TASK_UNMAPPED_BASE + rnd)
	startBrk     Addr // mm->start_brk
	brk          Addr // mm->brk

	totalVM uint64 // bytes mapped: a cached counter CheckInvariants recomputes

}

// New returns a kernel for cfg (after cfg.EnsureDefaults) with an empty
// address space, or a [stack] VMA when cfg.StackSize is set.
func New(cfg Config) (*Kernel, error) {
	if err := cfg.EnsureDefaults(); err != nil {
		return nil, err
	}
	gen := &generation{}
	k := &Kernel{
		cfg:       cfg,
		g:         newGeometry(&cfg),
		vmas:      newVMATree(gen),
		pt:        newPageTree(),
		gen:       gen,
		fs:        newFileSystem(gen),
		guards:    runs.New(),
		tablesGen: gen,
	}
	rng := splitmix64{cfg.Seed}
	var mmapRnd, brkRnd uint64
	if cfg.ASLR {
		// Compare Linux's arch_mmap_rnd() and arch_randomize_brk().
		rndBits := uint(8)
		if !k.g.is32 {
			rndBits = min(28, uint(cfg.AddrBits)-k.g.pageShift-3)
		}
		mmapRnd = (rng.next() & (1<<rndBits - 1)) << k.g.pageShift
		brkRange := uint64(1 << 30)
		if k.g.is32 {
			brkRange = 32 << 20
		}
		brkRnd = AlignDown(rng.next()%brkRange, k.g.pageSize)
	}
	task := uint64(k.g.taskSize)
	// Compare Linux's mmap_base(): the gap below the stack is the stack
	// rlimit plus the guard gap, clamped to [128 MiB, 5/6 of the space].
	gap := cfg.StackLimit + k.g.guardGap
	gap = max(gap, 128<<20)
	gap = min(gap, task/6*5)
	// TASK_UNMAPPED_BASE is PAGE_ALIGN(TASK_SIZE / 3): rounded up.
	ub, _ := AlignUp(task/3, k.g.pageSize)
	k.unmappedBase = Addr(ub + mmapRnd)
	if cfg.Layout == TopDown {
		k.mmapBase = Addr(AlignDown(task-gap-mmapRnd, k.g.pageSize))
	} else {
		k.mmapBase = k.unmappedBase
	}
	k.startBrk = cfg.BrkStart + Addr(brkRnd)
	if k.startBrk >= k.g.taskSize {
		k.startBrk = cfg.BrkStart
	}
	k.brk = k.startBrk
	if cfg.StackSize != 0 {
		v := vma{
			start: k.g.taskSize - Addr(cfg.StackSize), end: k.g.taskSize,
			prot:  ProtRead | ProtWrite,
			flags: vmMayRead | vmMayWrite | vmMayExec | vmGrowsDown | vmAccount,
		}
		v.pgoff = uint64(v.start) >> k.g.pageShift
		k.insertNew(v)
	}
	return k, nil
}

// live reports whether k is a kernel New made (not nil, not the zero
// Kernel), for the methods that only look.
func (k *Kernel) live() bool { return k != nil && k.gen != nil }

// mutable is live for a method that changes k: it first takes back, with
// unshare, what a Clone left shared.
func (k *Kernel) mutable() bool {
	if !k.live() {
		return false
	}
	if k.gen.Shared() {
		k.unshare()
	}
	return true
}

// unshare gives k a fresh generation, and fresh copy-on-write handles on
// its B-trees, after a Clone: from now on k copies every node, page and
// chunk it shares with the clones before it writes it, and every file
// table and inode (fileSystem.own, ownInode), which are of the old
// generation.
func (k *Kernel) unshare() {
	k.gen = &generation{}
	k.vmas.Adopt(k.gen)
}

// ownTables makes pt and guards writable by k: copy-on-write snapshots of
// them where k shares them with a clone (tablesGen is not k's), which
// neither k nor the clones change in place from then on. Every change to
// pt or guards goes through writablePages or writableGuards.
func (k *Kernel) ownTables() {
	if k.gen.Shared() {
		k.unshare() // as mutable does; a writer has called it already
	}
	if k.tablesGen == k.gen {
		return
	}
	k.pt = snapshotPages(k.pt)
	k.guards = k.guards.Snapshot()
	k.tablesGen = k.gen
}

// writablePages is pt, made writable by k (ownTables).
func (k *Kernel) writablePages() *btree.BTreeG[pte] {
	k.ownTables()
	return k.pt
}

// writableGuards is guards, made writable by k (ownTables).
func (k *Kernel) writableGuards() runs.Map {
	k.ownTables()
	return k.guards
}

// Config returns the configuration the kernel runs with, defaults filled.
func (k *Kernel) Config() Config {
	if !k.live() {
		return Config{}
	}
	return k.cfg
}

// PageSize is the host page size.
func (k *Kernel) PageSize() uint64 {
	if !k.live() {
		return 0
	}
	return k.g.pageSize
}

// TaskSize is the end of user space.
func (k *Kernel) TaskSize() Addr {
	if !k.live() {
		return 0
	}
	return k.g.taskSize
}

// MmapBase is where top-down placement starts searching downwards.
func (k *Kernel) MmapBase() Addr {
	if !k.live() {
		return 0
	}
	return k.mmapBase
}

// MapCount is the number of VMAs (mm->map_count).
func (k *Kernel) MapCount() int {
	if !k.live() {
		return 0
	}
	return k.vmas.Len()
}

// Clone returns an independent snapshot of k in O(1): the two kernels share
// their trees and pages copy-on-write from now on. Clone only reads k (it
// marks k's generation shared, atomically): clones of one kernel may be
// taken in several goroutines at once, as long as none changes k
// meanwhile. k itself renews its copy-on-write marks on its next change.
// The clone of a nil or zero Kernel is nil.
func (k *Kernel) Clone() *Kernel {
	if !k.live() {
		return nil
	}
	k.gen.MarkShared()
	c := *k
	c.gen = &generation{}
	c.vmas.Adopt(c.gen)
	return &c // pt and guards stay shared until one kernel changes them (ownTables)
}

// insertNew adds v, which overlaps nothing, and keeps the tree merged and
// the gaps current.
func (k *Kernel) insertNew(v vma) {
	var c cowtree.Cursor[vma]
	k.vmas.SeekLE(&c, uint64(v.start))
	k.insertAt(&c, v, true)
}

// insertAt is insertNew for a caller standing on the last VMA below v,
// which may know that the gap below v stays as it was (regap false: then
// only the gap above v is brought up to date). v joins
// the VMA below or above it where they are mergeable, and is inserted only
// if it joins neither.
// Preconditions: c stands on the last VMA starting below v.start, or
// before the first VMA if there is none; v overlaps nothing.
func (k *Kernel) insertAt(c *cowtree.Cursor[vma], v vma, regap bool) {
	k.totalVM += v.rng().Len()
	if c.Valid() && k.mergeable(c.Item(), v) {
		c.SetItem(joined(c.Item(), v))
	} else {
		c.InsertAfter(uint64(v.start), v)
	}
	k.mergeNext(c)
	if regap {
		k.regapCovered(c, v.rng())
	} else {
		k.fixGapAbove(c)
	}
}

// String renders the address space as /proc/self/maps does.
func (k *Kernel) String() string { return k.MapsString() }

// GoString describes the kernel's configuration, for test failure messages.
func (k *Kernel) GoString() string {
	if !k.live() {
		return "hostvm.Kernel{} (no kernel: not made by New)"
	}
	return fmt.Sprintf("hostvm.Kernel{page=%#x bits=%d task=%v layout=%v vmas=%d}",
		k.g.pageSize, k.cfg.AddrBits, k.g.taskSize, k.cfg.Layout, k.vmas.Len())
}

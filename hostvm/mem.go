package hostvm

import (
	"bytes"

	"github.com/google/btree"
	"github.com/mmapsim/mmapsim/internal/cowtree"
)

// Memory contents are sparse at two levels. A page that was never written
// has no entry at all (it reads as zero, or as its file's data). A page that
// exists holds its bytes in 4 KiB chunks, and a chunk never written is nil:
// a 1 MiB page with one byte stored costs one chunk, and a 4 GiB PROT_NONE
// reservation costs nothing but its VMA.
//
// Private pages (anonymous memory and copy-on-write copies of file pages)
// live in the kernel's page table, keyed by virtual page number: they belong
// to the address they are mapped at, as on Linux. File pages live in their
// inode's page cache, keyed by file page index, shared by every MAP_SHARED
// mapping and read by private mappings until they write.

const chunkSize = 4096

type chunk struct {
	gen  *generation
	data [chunkSize]byte
}

type page struct {
	gen    *generation
	chunks []*chunk // pageSize/chunkSize slots; nil reads as zeros
}

// pte is a page-tree entry: a private page by virtual page number, or a
// page-cache page by file page index.
type pte struct {
	key uint64
	p   *page
}

func pteLess(a, b pte) bool { return a.key < b.key }

// pageTreeNodes is the free list every page tree shares: a tree frees
// only nodes it owns (copy-on-write), so sharing is safe, and it spares
// each new tree (one per file) a list of its own.
var pageTreeNodes = btree.NewFreeListG[pte](btree.DefaultFreeListSize)

func newPageTree() *btree.BTreeG[pte] { return btree.NewWithFreeListG[pte](32, pteLess, pageTreeNodes) }

// snapshotPages returns a copy-on-write copy of t in O(1) without writing t
// (btree's Clone marks t shared in place, which two goroutines cloning one
// kernel would race on). t still owns the nodes the copy shares: its holder
// replaces it with a snapshot of its own before it next writes (unshare).
func snapshotPages(t *btree.BTreeG[pte]) *btree.BTreeG[pte] {
	c := *t
	return c.Clone()
}

func (k *Kernel) newPage() *page {
	return &page{gen: k.gen, chunks: make([]*chunk, k.g.pageSize/chunkSize)}
}

// copyPage returns a page of k's generation with p's contents. Chunks are
// shared until written (writeChunk copies them).
func (k *Kernel) copyPage(p *page) *page {
	c := &page{gen: k.gen, chunks: make([]*chunk, len(p.chunks))}
	copy(c.chunks, p.chunks)
	return c
}

// deepCopyPage returns a page of k's generation whose chunks are its own:
// used when a private page is made from a page-cache page of the same
// kernel, which must not share chunks with it.
func (k *Kernel) deepCopyPage(p *page) *page {
	c := k.newPage()
	for i, ch := range p.chunks {
		if ch != nil {
			n := &chunk{gen: k.gen}
			n.data = ch.data
			c.chunks[i] = n
		}
	}
	return c
}

// readPage copies len(dst) bytes at offset off of p (nil: zeros) into dst.
func readPage(p *page, off uint64, dst []byte) {
	for len(dst) > 0 {
		ci, co := off/chunkSize, off%chunkSize
		n := min(uint64(len(dst)), chunkSize-co)
		if p == nil || p.chunks[ci] == nil {
			clear(dst[:n])
		} else {
			copy(dst[:n], p.chunks[ci].data[co:co+n])
		}
		dst, off = dst[n:], off+n
	}
}

// writePage stores src at offset off of p, which k owns. Zeros stored
// into a chunk that is not there (it reads as zeros) leave it out.
func (k *Kernel) writePage(p *page, off uint64, src []byte) {
	for len(src) > 0 {
		ci, co := off/chunkSize, off%chunkSize
		n := min(uint64(len(src)), chunkSize-co)
		ch := p.chunks[ci]
		switch {
		case ch == nil && allZero(src[:n]):
			src, off = src[n:], off+n
			continue
		case ch == nil:
			ch = &chunk{gen: k.gen}
			p.chunks[ci] = ch
		case ch.gen != k.gen:
			c := &chunk{gen: k.gen}
			c.data = ch.data
			ch = c
			p.chunks[ci] = ch
		}
		copy(ch.data[co:co+n], src[:n])
		src, off = src[n:], off+n
	}
}

// zeroChunk is a chunk's worth of zeros, never written.
var zeroChunk [chunkSize]byte

// allZero reports whether b (at most a chunk) holds only zeros.
func allZero(b []byte) bool { return bytes.Equal(b, zeroChunk[:len(b)]) }

// zeroPage clears [off, off+n) of p, which k owns.
func (k *Kernel) zeroPage(p *page, off, n uint64) {
	for n > 0 {
		ci, co := off/chunkSize, off%chunkSize
		m := min(n, chunkSize-co)
		if ch := p.chunks[ci]; ch != nil {
			if m == chunkSize {
				p.chunks[ci] = nil
			} else {
				if ch.gen != k.gen {
					c := &chunk{gen: k.gen}
					c.data = ch.data
					ch = c
					p.chunks[ci] = ch
				}
				clear(ch.data[co : co+m])
			}
		}
		off, n = off+m, n-m
	}
}

func getPage(t *btree.BTreeG[pte], key uint64) *page {
	e, ok := t.Get(pte{key: key})
	if !ok {
		return nil
	}
	return e.p
}

// ownPage returns the page at key in t, made writable by k: copied if
// another generation shares it. It returns nil if there is none.
func (k *Kernel) ownPage(t *btree.BTreeG[pte], key uint64) *page {
	p := getPage(t, key)
	if p == nil || p.gen == k.gen {
		return p
	}
	p = k.copyPage(p)
	t.ReplaceOrInsert(pte{key, p})
	return p
}

// deleteKeys removes every entry with key in [lo, hi) from t.
func deleteKeys(t *btree.BTreeG[pte], lo, hi uint64) {
	var keys []uint64
	t.AscendRange(pte{key: lo}, pte{key: hi}, func(e pte) bool {
		keys = append(keys, e.key)
		return true
	})
	for _, key := range keys {
		t.Delete(pte{key: key})
	}
}

// dropPrivate discards the private pages of [r.Start, r.End).
func (k *Kernel) dropPrivate(r Range) {
	if k.pt.Len() == 0 {
		return
	}
	deleteKeys(k.writablePages(), uint64(r.Start)>>k.g.pageShift, uint64(r.End)>>k.g.pageShift)
}

// movePrivate moves the private pages (and guard markers) of
// [from, from+n) to start at to, as mremap moves page-table entries.
func (k *Kernel) movePrivate(from, to Addr, n uint64) {
	k.writableGuards().Move(uint64(from)>>k.g.pageShift, n>>k.g.pageShift, uint64(to)>>k.g.pageShift)
	lo, hi := uint64(from)>>k.g.pageShift, uint64(from+Addr(n))>>k.g.pageShift
	pt := k.writablePages()
	var moved []pte
	pt.AscendRange(pte{key: lo}, pte{key: hi}, func(e pte) bool {
		moved = append(moved, e)
		return true
	})
	for _, e := range moved {
		pt.Delete(e)
	}
	shift := int64(uint64(to)>>k.g.pageShift) - int64(lo)
	for _, e := range moved {
		e.key = uint64(int64(e.key) + shift)
		pt.ReplaceOrInsert(e)
	}
}

// Read copies memory at addr into buf, as a user-mode load would, page by
// page. It returns how many bytes it read and, if it stopped early, the
// fault the next byte raises.
func (k *Kernel) Read(addr Addr, buf []byte) (int, *Fault) {
	if !k.mutable() {
		return 0, &Fault{Signal: SIGSEGV, Code: SegvMapErr, Addr: addr, Access: AccessRead}
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("read")
	}
	return k.access(addr, buf, AccessRead)
}

// Write stores data at addr, as a user-mode store would, page by page. It
// returns how many bytes it stored (the bytes before a faulting page are
// stored, as a forward copy leaves them) and the fault that stopped it.
func (k *Kernel) Write(addr Addr, data []byte) (int, *Fault) {
	if !k.mutable() {
		return 0, &Fault{Signal: SIGSEGV, Code: SegvMapErr, Addr: addr, Access: AccessWrite}
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("write")
	}
	return k.access(addr, data, AccessWrite)
}

// Fetch checks that len bytes at addr may be executed, as an instruction
// fetch would, and returns the fault the first forbidden byte raises.
func (k *Kernel) Fetch(addr Addr, n uint64) *Fault {
	if !k.mutable() {
		return &Fault{Signal: SIGSEGV, Code: SegvMapErr, Addr: addr, Access: AccessExec}
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("fetch")
	}
	for done := uint64(0); done < n; {
		a, ok := AddLen(addr, done)
		if !ok {
			return &Fault{Signal: SIGSEGV, Code: SegvMapErr, Addr: a, Access: AccessExec}
		}
		if _, f := k.faultIn(a, AccessExec); f != nil {
			return f
		}
		done += k.g.pageSize - uint64(a)%k.g.pageSize
	}
	return nil
}

func (k *Kernel) access(addr Addr, buf []byte, acc Access) (int, *Fault) {
	if acc == AccessRead {
		return k.readRange(addr, &readSink{buf: buf})
	}
	done := 0
	for done < len(buf) {
		a, ok := AddLen(addr, uint64(done))
		if !ok {
			return done, &Fault{Signal: SIGSEGV, Code: SegvMapErr, Addr: a, Access: acc}
		}
		off := uint64(a) % k.g.pageSize
		n := int(min(uint64(len(buf)-done), k.g.pageSize-off))
		if f := k.accessPage(a, buf[done:done+n], acc); f != nil {
			return done, f
		}
		done += n
	}
	return done, nil
}

// accessPage performs an access that stays inside the page containing a.
func (k *Kernel) accessPage(a Addr, buf []byte, acc Access) *Fault {
	p, f := k.resolve(a, acc)
	if f != nil {
		return f
	}
	off := uint64(a) % k.g.pageSize
	if acc == AccessWrite {
		k.writePage(p, off, buf)
	} else {
		readPage(p, off, buf)
	}
	return nil
}

// resolve handles the page fault an access to a raises, if any, and returns
// the page that backs a: for a write, a page k owns; for a read, the page
// to read, nil meaning zeros. Compare Linux's handle_mm_fault().
func (k *Kernel) resolve(a Addr, acc Access) (*page, *Fault) {
	v, f := k.faultIn(a, acc)
	if f != nil {
		return nil, f
	}
	return k.resolveIn(v, a, acc)
}

// resolveIn is resolve once faultIn has allowed the access acc to a in v.
//
// Preconditions: v = k.faultIn(a, acc), without a fault.
func (k *Kernel) resolveIn(v vma, a Addr, acc Access) (*page, *Fault) {
	if acc == AccessWrite && !v.shared() {
		if k.guarded(a) {
			return nil, pastGuard.fault(a, acc)
		}
		return k.privatePage(v, a)
	}
	p, past := k.readablePage(v, a, acc)
	return p, past.fault(a, acc)
}

// fault is the Fault an access acc to a raises for why, nil for pastNone.
func (why pageFault) fault(a Addr, acc Access) *Fault {
	switch why {
	case pastGuard:
		return &Fault{Signal: SIGSEGV, Code: SegvMapErr, Addr: a, Access: acc}
	case pastEOF:
		return &Fault{Signal: SIGBUS, Code: BusAdrErr, Addr: a, Access: acc}
	}
	return nil
}

// guarded reports whether a lies in a guard page (MADV_GUARD_INSTALL).
func (k *Kernel) guarded(a Addr) bool {
	return k.guards.Get(uint64(a)>>k.g.pageShift) != 0
}

// pageFault is why readablePage found no page to access: none (it found
// one, or zeros), a guard page (SIGSEGV), or a file page past end-of-file
// (SIGBUS). It lets a ranged read step over a page without building the
// Fault it would raise.
type pageFault uint8

const (
	pastNone pageFault = iota
	pastGuard
	pastEOF
)

// readablePage is resolveIn for a read, or for a write to a shared
// mapping, without the Fault: the page that backs a (nil meaning zeros),
// or why the access faults.
//
// Preconditions: v = k.faultIn(a, acc), without a fault; acc is not a
// write to a private mapping (privatePage).
func (k *Kernel) readablePage(v vma, a Addr, acc Access) (*page, pageFault) {
	if k.guarded(a) {
		return nil, pastGuard
	}
	if !v.shared() {
		if p := getPage(k.pt, uint64(a)>>k.g.pageShift); p != nil {
			return p, pastNone
		}
		if v.ino == 0 {
			return nil, pastNone
		}
	}
	ind := k.fs.inodes[v.ino]
	idx := k.pageOf(v, a)
	if !k.inFile(ind, idx) {
		return nil, pastEOF
	}
	if acc == AccessWrite {
		return k.cachePage(ind, idx), pastNone
	}
	return getPage(ind.pages, idx), pastNone
}

// privatePage returns the writable private page at a in v (not shared),
// breaking copy-on-write from the file or allocating a zero page as the
// write-fault path does. The VMA gets its anon_vma first, even when the
// file page lies beyond end-of-file and the fault ends in SIGBUS. Compare
// Linux's do_anonymous_page(), do_cow_fault() (vmf_anon_prepare() before
// the file's fault handler) and wp_page_copy().
func (k *Kernel) privatePage(v vma, a Addr) (*page, *Fault) {
	vpn := uint64(a) >> k.g.pageShift
	if p := k.ownPage(k.writablePages(), vpn); p != nil {
		return p, nil
	}
	k.prepareAnon(v)
	var p *page
	if v.ino == 0 {
		p = k.newPage()
	} else {
		ind := k.fs.inodes[v.ino]
		idx := k.pageOf(v, a)
		if !k.inFile(ind, idx) {
			return nil, &Fault{Signal: SIGBUS, Code: BusAdrErr, Addr: a, Access: AccessWrite}
		}
		if src := getPage(ind.pages, idx); src != nil {
			p = k.deepCopyPage(src)
		} else {
			p = k.newPage()
		}
	}
	k.writablePages().ReplaceOrInsert(pte{vpn, p})
	return p, nil
}

// prepareAnon gives v an anon_vma identity if it has none, reusing a
// neighbour's when the two could share one: the next VMA's if it can, else
// the previous VMA's. Compare Linux's anon_vma_prepare(),
// find_mergeable_anon_vma() ("Try next first") and anon_vma_compatible().
func (k *Kernel) prepareAnon(v vma) {
	if v.anon != 0 {
		return
	}
	id := uint32(0)
	compatible := func(a, b vma) bool {
		return a.end == b.start && a.file == b.file && a.flags == b.flags &&
			a.pgoff+uint64(a.end-a.start)>>k.g.pageShift == b.pgoff
	}
	var c cowtree.Cursor[vma]
	k.vmas.SeekLE(&c, uint64(v.start)) // on v
	if c.Next() {
		if n := c.Item(); n.anon != 0 && compatible(v, n) {
			id = n.anon
		}
	}
	c.Prev()
	if c.Prev() && id == 0 {
		if p := c.Item(); p.anon != 0 && compatible(p, v) {
			id = p.anon
		}
	}
	c.Next()
	if id == 0 {
		k.nextAnon++
		id = k.nextAnon
	}
	v.anon = id
	v.gapEnd = c.Item().gapEnd
	c.SetItem(v)
	k.mergeAround(&c)
}

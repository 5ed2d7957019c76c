package replay

import "github.com/google/btree"

// addrMap maps trace address ranges to simulated ones: segment s says trace
// addresses [s.start, s.end) are at simulated address addr+s.delta (mod
// 2^64), and what the trace mapped there. Segments are ordered by start
// and never overlap; a later mapping replaces the part of any segment it
// covers, as a later mmap replaces memory. A btree keeps lookups and
// updates logarithmic in the number of segments, and Clone (for a fork)
// constant.
type addrMap struct{ segs *btree.BTreeG[addrSeg] }

type addrSeg struct {
	start, end, delta uint64
	kind              memKind
}

// memKind says what the trace mapped in a range: it decides whether a
// protection the host cannot enforce is a trap the program set
// (anonymous memory) or hardening of a file's pages (RELRO).
type memKind uint8

const (
	memAnon  memKind = iota // anonymous memory: mmap(MAP_ANONYMOUS)
	memFile                 // a file mapping
	memImage                // a placeholder for what the kernel's ELF loader mapped (the executable, ld.so)
	memHeap                 // the brk heap
)

func segLess(a, b addrSeg) bool { return a.start < b.start }

func newAddrMap() addrMap { return addrMap{segs: btree.NewG[addrSeg](16, segLess)} }

// clone returns an independent copy (copy-on-write).
func (am *addrMap) clone() addrMap { return addrMap{segs: am.segs.Clone()} }

// find returns the segment holding trace address addr.
func (am *addrMap) find(addr uint64) (addrSeg, bool) {
	var found addrSeg
	ok := false
	am.segs.DescendLessOrEqual(addrSeg{start: addr}, func(s addrSeg) bool {
		found, ok = s, s.end > addr
		return false
	})
	return found, ok
}

// lookup translates trace address addr.
func (am *addrMap) lookup(addr uint64) (uint64, bool) {
	s, ok := am.find(addr)
	if !ok {
		return 0, false
	}
	return addr + s.delta, true
}

// set records that trace range [start, end) is at simulated start+delta
// and holds memory of kind k.
func (am *addrMap) set(start, end, delta uint64, k memKind) {
	if start >= end {
		return
	}
	// The segments the new one overlaps: perhaps one starting before it,
	// and every one starting inside it.
	var hit []addrSeg
	if s, ok := am.find(start); ok && s.start < start {
		hit = append(hit, s)
	}
	am.segs.AscendRange(addrSeg{start: start}, addrSeg{start: end}, func(s addrSeg) bool {
		hit = append(hit, s)
		return true
	})
	for _, s := range hit {
		am.segs.Delete(s)
		if s.start < start {
			am.segs.ReplaceOrInsert(addrSeg{s.start, start, s.delta, s.kind})
		}
		if s.end > end {
			am.segs.ReplaceOrInsert(addrSeg{end, s.end, s.delta, s.kind})
		}
	}
	am.segs.ReplaceOrInsert(addrSeg{start, end, delta, k})
}

// len is the number of segments.
func (am *addrMap) len() int { return am.segs.Len() }

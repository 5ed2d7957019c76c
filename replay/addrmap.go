package replay

import "github.com/mmapsim/mmapsim/internal/cowtree"

// addrMap maps trace address ranges to simulated ones: segment s says trace
// addresses [s.start, s.end) are at simulated address addr+s.delta (mod
// 2^64), and what the trace mapped there. Segments are ordered by start
// and never overlap; a later mapping replaces the part of any segment it
// covers, as a later mmap replaces memory. A copy-on-write B+tree
// (internal/cowtree) keyed by start keeps lookups and updates logarithmic
// in the number of segments (set finds its place with one descent), and
// clone (for a fork) constant. An addrMap value refers to its tree.
type addrMap struct{ segs *cowtree.Tree[segTail] }

type addrSeg struct {
	start, end, delta uint64
	kind              memKind
}

// segTail is a segment in the tree, keyed by its start.
type segTail struct {
	end, delta uint64
	kind       memKind
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

func newAddrMap() addrMap {
	t := cowtree.New[segTail](&cowtree.Generation{}, nil)
	return addrMap{segs: &t}
}

// clone returns an independent copy (copy-on-write).
func (am *addrMap) clone() addrMap {
	c := am.segs.Clone()
	return addrMap{segs: &c}
}

// seg is the segment c stands on.
// Preconditions: c.Valid().
func seg(c *cowtree.Cursor[segTail]) addrSeg {
	v := c.Item()
	return addrSeg{c.Key(), v.end, v.delta, v.kind}
}

// find returns the segment holding trace address addr.
func (am *addrMap) find(addr uint64) (addrSeg, bool) {
	var c cowtree.Cursor[segTail]
	am.segs.SeekLE(&c, addr)
	if !c.Valid() {
		return addrSeg{}, false
	}
	s := seg(&c)
	return s, s.end > addr
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
	var c cowtree.Cursor[segTail]
	am.segs.SeekLT(&c, start)
	var tail segTail // the part past end of a segment that covers [start, end)
	if c.Valid() {
		if s := seg(&c); s.end > start {
			// It starts below start and reaches into the new one:
			// keep its head, and its part past end.
			if s.end > end {
				tail = segTail{s.end, s.delta, s.kind}
			}
			c.SetItem(segTail{start, s.delta, s.kind})
		}
	}
	c.Next()
	// The segments starting inside [start, end) go; the last may reach
	// past end, and keeps that part.
	for c.Valid() && c.Key() < end {
		if s := seg(&c); s.end > end {
			c.Set(end, segTail{s.end, s.delta, s.kind})
			break
		}
		c.Delete()
	}
	// c stands on the first segment at or past end: insert before it.
	c.Prev()
	c.InsertAfter(start, segTail{end, delta, k})
	if tail.end != 0 {
		c.InsertAfter(end, tail)
	}
}

// len is the number of segments.
func (am *addrMap) len() int { return am.segs.Len() }

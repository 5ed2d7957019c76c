package replay

import "sort"

// addrMap maps trace address ranges to simulated ones: segment s says trace
// addresses [s.start, s.end) are at simulated address addr+s.delta (mod 2^64).
// Segments are sorted by start and never overlap; a later mapping replaces
// the part of any segment it covers, as a later mmap replaces memory.
type addrMap struct{ segs []addrSeg }

type addrSeg struct{ start, end, delta uint64 }

// lookup translates trace address addr.
func (am *addrMap) lookup(addr uint64) (uint64, bool) {
	i := sort.Search(len(am.segs), func(i int) bool { return am.segs[i].end > addr })
	if i < len(am.segs) && am.segs[i].start <= addr {
		return addr + am.segs[i].delta, true
	}
	return 0, false
}

// set records that trace range [start, end) is at simulated start+delta.
func (am *addrMap) set(start, end, delta uint64) {
	if start >= end {
		return
	}
	out := make([]addrSeg, 0, len(am.segs)+2)
	for _, s := range am.segs {
		if s.end <= start || s.start >= end {
			out = append(out, s)
			continue
		}
		if s.start < start {
			out = append(out, addrSeg{s.start, start, s.delta})
		}
		if s.end > end {
			out = append(out, addrSeg{end, s.end, s.delta})
		}
	}
	out = append(out, addrSeg{start, end, delta})
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	am.segs = out
}

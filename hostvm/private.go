package hostvm

// PrivatePagesIn lists, in address order and merged, the parts of r
// (widened to whole pages) whose pages are private to their mapping:
// anonymous memory that was written or faulted in, copy-on-write copies of
// file pages. Every other page of a mapping holds what its mapping gives a
// page never touched (zeros, or the file's data), so a copy of a large,
// barely touched anonymous range need only read these. A nil or zero
// Kernel has none.
func (k *Kernel) PrivatePagesIn(r Range) []Range {
	var out []Range
	if !k.live() || r.End <= r.Start {
		return nil
	}
	lo, hi := uint64(r.Start)>>k.g.pageShift, (uint64(r.End)+k.g.pageSize-1)>>k.g.pageShift
	k.pt.AscendRange(pte{key: lo}, pte{key: hi}, func(e pte) bool {
		a := Addr(e.key << k.g.pageShift)
		if n := len(out); n > 0 && out[n-1].End == a {
			out[n-1].End += Addr(k.g.pageSize)
		} else {
			out = append(out, Range{Start: a, End: a + Addr(k.g.pageSize)})
		}
		return true
	})
	return out
}

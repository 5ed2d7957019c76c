package hostvm

import (
	"math/bits"
	"strconv"
)

// Addr is an address in the simulated host's address space.
//
// Ranges are half-open, [Start, End). hostvm's address spaces end at
// TaskSize, at most 1<<57, so an exclusive End never overflows; callers'
// arguments are checked with the overflow-safe helpers below before any
// range is formed from them.
type Addr uint64

// String renders a as hexadecimal with a 0x prefix, as strace does.
func (a Addr) String() string { return "0x" + strconv.FormatUint(uint64(a), 16) }

// Range is the half-open address range [Start, End).
type Range struct{ Start, End Addr }

// Len is End - Start.
func (r Range) Len() uint64 { return uint64(r.End - r.Start) }

// Contains reports whether a lies in r.
func (r Range) Contains(a Addr) bool { return r.Start <= a && a < r.End }

// Overlaps reports whether r and o share an address.
func (r Range) Overlaps(o Range) bool { return r.Start < o.End && o.Start < r.End }

// Intersect is the common part of r and o, and whether it is non-empty.
func (r Range) Intersect(o Range) (Range, bool) {
	s, e := max(r.Start, o.Start), min(r.End, o.End)
	return Range{s, e}, s < e
}

func (r Range) String() string { return r.Start.String() + "-" + r.End.String() }

// AddLen returns a+n and whether the sum did not overflow 64 bits.
func AddLen(a Addr, n uint64) (Addr, bool) {
	s, carry := bits.Add64(uint64(a), n, 0)
	return Addr(s), carry == 0
}

// AlignUp rounds v up to a multiple of the power of two align, and reports
// whether that did not overflow 64 bits.
func AlignUp(v, align uint64) (uint64, bool) {
	s, carry := bits.Add64(v, align-1, 0)
	return s &^ (align - 1), carry == 0
}

// AlignDown rounds v down to a multiple of the power of two align.
func AlignDown(v, align uint64) uint64 { return v &^ (align - 1) }

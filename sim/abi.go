package sim

import "github.com/mmapsim/mmapsim/hostvm"

// The port's arithmetic. sim ports QEMU linux-user/mmap.c as of March 2015
// (the seed, ../shared/seed/000_6589d207e1b47749.txt), function by function
// and line by line, keeping its names, its C integer widths and its control
// flow. Comments "seed NNN" give the seed's line numbers. Where a quirk is
// off, the fix replaces the seed's line in place and says so.
//
// Values typed abi_ulong in C are uint64s masked with geom.ABIWord; the end
// of a range goes through rangeEnd, which wraps like the seed's abi_ulong
// while QuirkTopPageWrap is on and otherwise keeps the carry, as later
// QEMU's inclusive "last" addresses do.

const (
	protRead  = int(hostvm.ProtRead)
	protWrite = int(hostvm.ProtWrite)
	protExec  = int(hostvm.ProtExec)
)

// minusOne is (abi_ulong)-1, the failure value of mmap_find_vma and
// target_mmap.
func (s *Sim) minusOne() uint64 { return s.geom.ABIMask }

// quirk reports whether the seed's defect k is left in.
func (s *Sim) quirk(k Quirk) bool { return s.cfg.Quirks.Has(k) }

// rangeEnd converts the end address of a range: abi_ulong wrapping in the
// seed; exact (one bit wider) once the top-page fix is in.
func (s *Sim) rangeEnd(x uint64) uint64 {
	if s.quirk(QuirkTopPageWrap) || s.geom.ABIMask == ^uint64(0) {
		return s.geom.ABIWord(x)
	}
	return x & (s.geom.ABIMask<<1 | 1)
}

// hostPageAlignEnd is HOST_PAGE_ALIGN of an end address, under rangeEnd's
// rule.
func (s *Sim) hostPageAlignEnd(x uint64) uint64 {
	return s.rangeEnd(x+s.geom.HostPageSize-1) &^ (s.geom.HostPageSize - 1)
}

// targetPageAlignEnd is TARGET_PAGE_ALIGN of an end address, under
// rangeEnd's rule.
func (s *Sim) targetPageAlignEnd(x uint64) uint64 {
	return s.rangeEnd(x+s.geom.TargetPageSize-1) &^ (s.geom.TargetPageSize - 1)
}

// errnoFrom sets errno from a function's negative result: -errno, or -1
// with errno already set.
func (s *Sim) errnoFrom(r int64) {
	if r < -1 {
		s.libc.Errno = hostvm.Errno(-r)
	}
}

package qemu11

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// The port's arithmetic. Values typed abi_ulong in the C are uint64s masked
// with geom.ABIWord; vaddr, off_t and size_t values are 64-bit, host
// pointers are masked with geom.HostMask. Later QEMU names the end of a
// range by its last byte ("last"), so the top page of a 32-bit space needs
// no 33rd bit: start + len - 1 and ROUND_UP(last, H) - 1 wrap at the guest's
// width exactly as the C computes them.

const (
	protRead  = int(hostvm.ProtRead)
	protWrite = int(hostvm.ProtWrite)
	protExec  = int(hostvm.ProtExec)
	// targetProtSem is TARGET_PROT_SEM (0x8 on most targets).
	targetProtSem = int(hostvm.ProtSem)
)

// minusOne is (abi_ulong)-1: the failure value of mmap_find_vma and, as
// abi_long -1, of target_mmap and target_mremap.
func (s *Guest) minusOne() uint64 { return s.geom.ABIMask }

// abi converts x to abi_ulong, wrapping as the C does.
func (s *Guest) abi(x uint64) uint64 { return s.geom.ABIWord(x) }

// roundUp is ROUND_UP(x, d) of an abi_ulong x: computed, and wrapping, at
// the guest's width.
//
// Preconditions: d is a power of two.
func (s *Guest) roundUp(x, d uint64) uint64 { return s.abi(x+d-1) &^ (d - 1) }

// hostPage is qemu_real_host_page_size().
func (s *Guest) hostPage() uint64 { return s.geom.HostPageSize }

// guestAddrValid is guest_addr_valid_untagged(x): x <= guest_addr_max.
func (s *Guest) guestAddrValid(x uint64) bool { return x <= s.guestAddrMax }

// guestRangeValid is guest_range_valid_untagged(start, len), with vaddr
// (64-bit) arithmetic: "len - 1 <= guest_addr_max && start <=
// guest_addr_max - len + 1". A length of 0 is invalid, but for a 64-bit
// guest at address 0, where guest_addr_max is ~0.
func (s *Guest) guestRangeValid(start, length uint64) bool {
	return length-1 <= s.guestAddrMax && start <= s.guestAddrMax-length+1
}

// h2gValid is h2g_valid(p): the host address p lies in the guest space.
func (s *Guest) h2gValid(p hostvm.Addr) bool {
	return (uint64(p)-s.geom.GuestBase)&s.geom.HostMask <= s.guestAddrMax
}

// h2g is h2g(p), which asserts h2g_valid(p).
//
// Preconditions: called inside guard (a failed assertion aborts).
func (s *Guest) h2g(p hostvm.Addr) uint64 {
	if !s.h2gValid(p) {
		base.Raise("h2g", "assertion failed: h2g_valid(%v): outside the guest space (guest_addr_max %#x)", p, s.guestAddrMax)
	}
	return s.geom.H2G(p)
}

// g2h is g2h_untagged(x): the host address of guest address x.
func (s *Guest) g2h(x uint64) hostvm.Addr { return s.geom.G2H(x) }

// hostAdd is host pointer arithmetic p + n, at the host's width.
func (s *Guest) hostAdd(p hostvm.Addr, n uint64) hostvm.Addr {
	return hostvm.Addr((uint64(p) + n) & s.geom.HostMask)
}

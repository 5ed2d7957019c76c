package base

import "github.com/mmapsim/mmapsim/hostvm"

// Geom is the geometry an emulator's arithmetic uses: page sizes, word
// widths, guest_base and RESERVED_VA, and the C macros built on them. Every
// guest value is an abi_ulong: a uint64 masked to ABIMask. Host addresses
// are unsigned longs: masked to HostMask. Nothing depends on Go's int size.
//
// Invariants (sim.New establishes them): TargetPageSize and HostPageSize
// are powers of two with TargetPageSize <= HostPageSize; ABIMask and
// HostMask are WordMask(32) or WordMask(64), ABIMask <= HostMask;
// VirtBits <= the ABI width; ReservedVA is 0 or a multiple of HostPageSize.
type Geom struct {
	TargetPageSize   uint64 // TARGET_PAGE_SIZE (T)
	HostPageSize     uint64 // qemu_host_page_size (H)
	RealHostPageSize uint64 // qemu_real_host_page_size: the host kernel's page
	ABIMask          uint64 // (abi_ulong)-1
	HostMask         uint64 // (unsigned long)-1
	VirtBits         int    // TARGET_VIRT_ADDR_SPACE_BITS
	HostBits         int    // HOST_LONG_BITS
	ReservedVA       uint64 // RESERVED_VA: 0, or the size of the reserved guest space
	GuestBase        uint64 // guest_base: the host address of guest address 0
	// ExecAsRead says the host has PROT_READ where the guest has
	// PROT_EXEC (QEMU 7.2's host_prot), not PROT_EXEC.
	ExecAsRead bool
	// WordSpace says a guest wider than 32 bits without RESERVED_VA has
	// the whole guest word as its space (GUEST_ADDR_MAX ~0ul, QEMU 5.1 and
	// later), not 1<<VirtBits; page_set_flags then asserts against it.
	WordSpace bool
}

// WordMask is the all-ones value of a bits-wide unsigned word (bits is 32
// or 64).
func WordMask(bits int) uint64 {
	if bits >= 64 {
		return ^uint64(0)
	}
	return 1<<bits - 1
}

// ABIWord converts x to abi_ulong, wrapping as the C does.
func (g *Geom) ABIWord(x uint64) uint64 { return x & g.ABIMask }

// TargetPageMask is TARGET_PAGE_MASK as an abi_ulong.
func (g *Geom) TargetPageMask() uint64 { return ^(g.TargetPageSize - 1) & g.ABIMask }

// HostPageMask is qemu_host_page_mask as an abi_ulong.
func (g *Geom) HostPageMask() uint64 { return ^(g.HostPageSize - 1) & g.ABIMask }

// TargetPageAlign is TARGET_PAGE_ALIGN, wrapping as abi_ulong.
func (g *Geom) TargetPageAlign(x uint64) uint64 {
	return (x + g.TargetPageSize - 1) & g.TargetPageMask()
}

// HostPageAlign is HOST_PAGE_ALIGN, assigned to an abi_ulong.
func (g *Geom) HostPageAlign(x uint64) uint64 { return (x + g.HostPageSize - 1) & g.HostPageMask() }

// G2H is g2h(): the host address of guest address x.
func (g *Geom) G2H(x uint64) hostvm.Addr { return hostvm.Addr((g.GuestBase + x) & g.HostMask) }

// H2G is h2g(): the guest address of host address p.
//
// Preconditions: H2GValid(p).
func (g *Geom) H2G(p hostvm.Addr) uint64 { return g.ABIWord(uint64(p) - g.GuestBase) }

// H2GValid is h2g_valid(): whether host address p lies in the guest space.
func (g *Geom) H2GValid(p uint64) bool {
	if g.HostBits <= g.VirtBits {
		return true
	}
	guest := (p - g.GuestBase) & g.HostMask
	if g.wordSpace() {
		return guest <= g.ABIMask
	}
	return guest < 1<<g.VirtBits && (g.ReservedVA == 0 || guest < g.ReservedVA)
}

// wordSpace reports whether the guest space is the whole guest word
// (WordSpace, for a 64-bit guest without RESERVED_VA).
func (g *Geom) wordSpace() bool {
	return g.WordSpace && g.ReservedVA == 0 && g.VirtBits > 32 && g.ABIMask == ^uint64(0)
}

// GuestAddrMax is the last valid guest address: RESERVED_VA-1, or the top
// of the virtual address space. Compare later QEMU's GUEST_ADDR_MAX.
func (g *Geom) GuestAddrMax() uint64 {
	if g.ReservedVA != 0 {
		return g.ReservedVA - 1
	}
	if g.VirtBits >= 64 || g.wordSpace() {
		return ^uint64(0)
	}
	return min(1<<g.VirtBits-1, g.ABIMask)
}

// GuestRangeValid is later QEMU's guest_range_valid_untagged(): the range
// [start, start+length) is non-empty and inside the guest space.
func (g *Geom) GuestRangeValid(start, length uint64) bool {
	last := g.GuestAddrMax()
	return length != 0 && length-1 <= last && start <= last-(length-1)
}

// HostRange is the host range of the guest range [start, start+length).
//
// Preconditions: the range lies in the guest space.
func (g *Geom) HostRange(start, length uint64) hostvm.Range {
	at := g.G2H(start)
	return hostvm.Range{Start: at, End: at + hostvm.Addr(length)}
}

package sim

import "fmt"

// Config describes the emulated guest and how QEMU runs it. Zero fields take
// the defaults their comments name.
type Config struct {
	// TargetPageSize is TARGET_PAGE_SIZE (T). Default 4096.
	TargetPageSize uint64
	// HostPageSize is qemu_host_page_size (H): QEMU's -p value, or the real
	// host page size when 0. It is raised to at least T, as QEMU does, and
	// may exceed the real host page size.
	HostPageSize uint64
	// ABIBits is TARGET_ABI_BITS: 32 or 64. Guest arithmetic (abi_ulong)
	// wraps at this width. Default 32.
	ABIBits int
	// VirtBits is TARGET_VIRT_ADDR_SPACE_BITS. Default 32 for 32-bit
	// guests, 47 for 64-bit ones.
	VirtBits int
	// HostBits is HOST_LONG_BITS: 64, or 32 on a 32-bit host. Default 64.
	HostBits int
	// ReservedVA is RESERVED_VA (-R): 0, or the size of the guest space
	// reserved on the host at start-up.
	ReservedVA uint64
	// GuestBase is guest_base (-B), used when ProbeGuestBase is false.
	GuestBase uint64
	// ProbeGuestBase lets start-up choose guest_base: the host address
	// where the RESERVED_VA reservation lands (or, without RESERVED_VA, 0).
	ProbeGuestBase bool
	// MmapMinAddr is QEMU's mmap_min_addr (read from the host's
	// /proc/sys/vm/mmap_min_addr). Default 65536.
	MmapMinAddr uint64
	// TaskUnmappedBase is TASK_UNMAPPED_BASE, where non-fixed placement
	// starts. Default as the seed defines it: 1<<38 for a 64-bit guest on
	// a 64-bit host, else 0x40000000.
	TaskUnmappedBase uint64
	// BrkStart is where the guest's heap begins (target_original_brk, set
	// by the ELF loader after the program's data). Default 0x10000000 for
	// 32-bit guests, 0x555555556000 for 64-bit ones.
	BrkStart uint64
	// Quirks are the seed defects (and later releases' behaviours) left
	// in. The zero value is the fixed algorithm; sim.SeedQuirks is the
	// seed.
	Quirks QuirkSet
}

// EnsureDefaults fills zero fields and checks the result against the host's
// real page size.
func (c *Config) EnsureDefaults(realHostPage uint64) error {
	pow2 := func(v uint64) bool { return v != 0 && v&(v-1) == 0 }
	if c.TargetPageSize == 0 {
		c.TargetPageSize = 4096
	}
	if !pow2(c.TargetPageSize) || c.TargetPageSize < 1024 || c.TargetPageSize > 1<<20 {
		return fmt.Errorf("sim: target page size %#x: want a power of two from 1 KiB to 1 MiB", c.TargetPageSize)
	}
	if c.HostPageSize == 0 {
		c.HostPageSize = realHostPage
	}
	if !pow2(c.HostPageSize) {
		return fmt.Errorf("sim: host page size %#x: want a power of two", c.HostPageSize)
	}
	if c.HostPageSize < c.TargetPageSize {
		c.HostPageSize = c.TargetPageSize
	}
	if c.ABIBits == 0 {
		c.ABIBits = 32
	}
	if c.ABIBits != 32 && c.ABIBits != 64 {
		return fmt.Errorf("sim: ABI width %d: want 32 or 64", c.ABIBits)
	}
	if c.VirtBits == 0 {
		c.VirtBits = 32
		if c.ABIBits == 64 {
			c.VirtBits = 47
		}
	}
	if c.VirtBits < 24 || c.VirtBits > c.ABIBits || c.VirtBits > 63 {
		return fmt.Errorf("sim: virtual address width %d: want 24..%d", c.VirtBits, min(c.ABIBits, 63))
	}
	if c.HostBits == 0 {
		c.HostBits = 64
	}
	if c.HostBits != 32 && c.HostBits != 64 {
		return fmt.Errorf("sim: host word width %d: want 32 or 64", c.HostBits)
	}
	if c.HostBits < c.ABIBits {
		return fmt.Errorf("sim: a %d-bit guest cannot run on a %d-bit host", c.ABIBits, c.HostBits)
	}
	if c.ReservedVA != 0 && (c.ReservedVA%c.HostPageSize != 0 || (c.ABIBits == 32 && c.ReservedVA > 1<<32)) {
		return fmt.Errorf("sim: reserved_va %#x: want a multiple of the host page size within the guest space", c.ReservedVA)
	}
	if c.MmapMinAddr == 0 {
		c.MmapMinAddr = 65536
	}
	if c.BrkStart == 0 {
		c.BrkStart = 0x10000000
		switch {
		case c.ABIBits == 64 && c.VirtBits >= 47:
			c.BrkStart = 0x555555556000 // after a PIE loaded at 2/3 of 128 TiB
		case c.ABIBits == 64:
			// Two thirds of a smaller space (alpha, sparc64), on a
			// target page: where Linux puts a PIE there.
			c.BrkStart = (uint64(1) << c.VirtBits) / 3 * 2 &^ (c.TargetPageSize - 1)
		}
	}
	if c.TaskUnmappedBase == 0 {
		c.TaskUnmappedBase = 0x40000000
		if c.HostBits == 64 && c.ABIBits == 64 {
			c.TaskUnmappedBase = 1 << 38
		}
	}
	return nil
}

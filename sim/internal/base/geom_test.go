package base

import "testing"

func TestGeometryMacros(t *testing.T) {
	g := Geom{TargetPageSize: 4096, HostPageSize: 65536, ABIMask: WordMask(32), HostMask: WordMask(64),
		VirtBits: 32, HostBits: 64, GuestBase: 0x1000000}
	cases := []struct {
		name      string
		got, want uint64
	}{
		{"TARGET_PAGE_ALIGN wraps at 32 bits", g.TargetPageAlign(0xfffff001), 0},
		{"TARGET_PAGE_ALIGN", g.TargetPageAlign(0x1001), 0x2000},
		{"HOST_PAGE_ALIGN wraps", g.HostPageAlign(0xffff0001), 0},
		{"HOST_PAGE_ALIGN", g.HostPageAlign(0x10001), 0x20000},
		{"g2h", uint64(g.G2H(0x1234)), 0x1001234},
		{"h2g", g.H2G(0x1001234), 0x1234},
		{"h2g truncates to abi_ulong", g.H2G(0x101001234), 0x1234},
		{"GUEST_ADDR_MAX of a 32-bit space", g.GuestAddrMax(), 0xffffffff},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: got %#x, want %#x", c.name, c.got, c.want)
		}
	}
	if !g.H2GValid(0x1000000 + 0xffffffff) {
		t.Errorf("h2g_valid(guest_base + 0xffffffff) = false, want true")
	}
	if g.H2GValid(0x1000000 + 1<<32) {
		t.Errorf("h2g_valid(guest_base + 1<<32) = true, want false")
	}
	if !g.GuestRangeValid(0xfffff000, 0x1000) || g.GuestRangeValid(0xfffff000, 0x2000) || g.GuestRangeValid(0, 0) {
		t.Errorf("guest_range_valid at the top of a 32-bit space: want the top page in, past it and empty out")
	}
	g.ReservedVA = 0xf7000000
	if g.H2GValid(0x1000000 + 0xf7000000) {
		t.Errorf("h2g_valid at RESERVED_VA = true, want false")
	}
	if got := g.GuestAddrMax(); got != 0xf6ffffff {
		t.Errorf("GUEST_ADDR_MAX under RESERVED_VA = %#x, want 0xf6ffffff", got)
	}
}

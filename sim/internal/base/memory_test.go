package base

import "testing"

// TestAccessOK checks access_ok over the page flags: every byte's page
// valid with the access's protection, the range inside the guest word
// without wrapping; n = 0 is allowed anywhere, as the guest's kernel
// allows an empty buffer.
func TestAccessOK(t *testing.T) {
	g := &Geom{TargetPageSize: 0x1000, HostPageSize: 0x1000, ABIMask: 0xffffffff}
	f := NewPageFlags(0x1000)
	f.SetPages(0x10, 0x12, PageValid|PageRead)
	f.SetPages(0x12, 0x13, PageValid|PageWrite)
	f.SetPages(0xffffe, 0x100000, PageValid|PageRead) // the top two pages
	for _, c := range []struct {
		addr, n uint64
		write   bool
		want    bool
	}{
		{0x10000, 0x2000, false, true},
		{0x10000, 0x2001, false, false}, // one byte into the write-only page
		{0x12000, 0x1000, true, true},
		{0x11fff, 2, true, false},
		{0x13000, 1, false, false},         // unmapped
		{0x13000, 0, false, true},          // nothing to access
		{0x13000, 0, true, true},           // nothing to access
		{0xfffff000, 0x2000, false, false}, // wraps the 32-bit word
		{0xfffff000, 0x1000, false, true},  // ends at the top of the word
		{0xffffe000, 0x1fff, false, true},  // ends a byte below it
	} {
		need := uint32(PageValid | PageRead)
		if c.write {
			need = PageValid | PageWrite
		}
		if got := AccessOK(&f, g, c.addr, c.n, need); got != c.want {
			t.Errorf("AccessOK(%#x, %#x, write=%v) = %v, want %v", c.addr, c.n, c.write, got, c.want)
		}
	}
}

package base

import (
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// pageSizeHost answers only PageSize; HostPageSizeOf asks nothing else.
type pageSizeHost struct {
	Host
	size uint64
}

func (h pageSizeHost) PageSize() uint64 { return h.size }

// TestHostPageSizeOf: a host whose page size is 0 (a KernelHost without a
// kernel) or not a power of two is refused, with size 0 (no caller can
// mistake a refused host's answer for a page size); a power of two is its
// size.
func TestHostPageSizeOf(t *testing.T) {
	for _, c := range []struct {
		size uint64
		ok   bool
	}{{0, false}, {3, false}, {0x3000, false}, {1 << 63, true}, {0x1000, true}, {0x10000, true}} {
		got, err := HostPageSizeOf(pageSizeHost{size: c.size})
		if (err == nil) != c.ok || c.ok && got != c.size || !c.ok && got != 0 {
			t.Errorf("HostPageSizeOf(a host of page size %#x) = %#x, %v; want ok %v", c.size, got, err, c.ok)
		}
	}
	if got, err := HostPageSizeOf(nil); err == nil || got != 0 {
		t.Errorf("HostPageSizeOf(nil) = %#x, %v; want 0 and an error", got, err)
	}
}

// TestHostCallText: the trace text of host calls, as `mmapsim show` and
// the failure messages print them (strace's form).
func TestHostCallText(t *testing.T) {
	for _, c := range []struct {
		call HostCall
		want string
	}{
		{HostCall{Op: OpMemset, Args: [6]uint64{0x40001000, 0x234}}, "memset(0x40001000, 0, 0x234)"},
		{HostCall{Op: OpMemset, Args: [6]uint64{0x40001000, 0x234}, Err: hostvm.EFAULT}, "memset(0x40001000, 0, 0x234) = fault"},
		{HostCall{Op: OpMunmap, Args: [6]uint64{0x10000, 0x2000}}, "munmap(0x10000, 0x2000) = 0"},
		{HostCall{Op: OpMunmap, Args: [6]uint64{0x10000, 0x2000}, Err: hostvm.EINVAL}, "munmap(0x10000, 0x2000) = -1 EINVAL (Invalid argument)"},
		{HostCall{Op: OpTBInvalidate, Args: [6]uint64{0x1000, 0x3000}}, "tb_invalidate_phys_range(0x1000, 0x3000)"},
		{HostCall{Op: OpBrk, Args: [6]uint64{0x8000}, Ret: 0x8000}, "brk(0x8000) = 0x8000"},
	} {
		if got := c.call.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.call, got, c.want)
		}
	}
}

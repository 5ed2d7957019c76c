package sim

import (
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// munmapFailsHost is a host whose munmap fails with a chosen errno once
// armed, as a real host's does when splitting a mapping would pass
// vm.max_map_count (ENOMEM). Everything else is passed through.
type munmapFailsHost struct {
	Host
	armed bool
	errno hostvm.Errno
}

func (h *munmapFailsHost) Munmap(addr hostvm.Addr, length uint64) error {
	if h.armed {
		return h.errno
	}
	return h.Host.Munmap(addr, length)
}

func (h *munmapFailsHost) CloneHost() Host {
	return &munmapFailsHost{Host: h.Host.CloneHost(), armed: h.armed, errno: h.errno}
}

// TestMremapReportsHostMunmapErrno: when the host's munmap fails inside
// mremap (the tail of a shrink, or the destination of MREMAP_FIXED), the
// guest sees the host's errno, on a host whose pages fit the guest's (the
// shrink handed to target_munmap) and on one whose pages do not (the
// emulated mremap of private anonymous memory).
func TestMremapReportsHostMunmapErrno(t *testing.T) {
	cases := []struct {
		name     string
		hostPage uint64
		oldLen   uint64
		newLen   uint64
		flags    hostvm.MremapFlags
		newAddr  uint64
	}{
		{"shrink, H = T", 0x1000, 0x3000, 0x1000, 0, 0},
		{"shrink, H = 16T", 0x10000, 0x23000, 0x1000, 0, 0},
		{"shrink and move, H = 16T", 0x10000, 0x23000, 0x1000, hostvm.MremapMayMove | hostvm.MremapFixed, 0x30000000},
		{"move to a fixed place, H = 16T", 0x10000, 0x3000, 0x3000, hostvm.MremapMayMove | hostvm.MremapFixed, 0x30000000},
	}
	for _, c := range cases {
		for _, errno := range []hostvm.Errno{hostvm.ENOMEM, hostvm.EINVAL} {
			k, err := hostvm.New(hostvm.Config{PageSize: c.hostPage, AddrBits: 47})
			if err != nil {
				t.Fatal(err)
			}
			host := &munmapFailsHost{Host: KernelHost{k}, errno: errno}
			s, err := New(host, Config{ProbeGuestBase: true})
			if err != nil {
				t.Fatal(err)
			}
			a := mustMmap(t, s, 0x20000000, c.oldLen, rw, anon|hostvm.MapFixed)
			host.armed = true
			got, err := s.Mremap(a, c.oldLen, c.newLen, c.flags, c.newAddr)
			if err != errno {
				t.Errorf("%s, host munmap failing with %v: mremap = %#x, %v; want the host's errno\n%s", c.name, errno, got, err, calls(s))
			}
		}
	}
}

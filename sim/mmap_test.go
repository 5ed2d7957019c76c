package sim

import (
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// TestFailedMmapGivesBackWholeHostPages: with qemu_host_page_size above
// the real host page (-p 65536 on a 4K host) and no RESERVED_VA, a
// non-fixed mmap that fails after mmap_find_vma placed it (a file opened
// write-only, EACCES) gives back all it reserved: the length in whole qemu
// host pages, not the guest's length.
func TestFailedMmapGivesBackWholeHostPages(t *testing.T) {
	s, k := newTestSim(t, 0x1000, 0x10000, 0, 0)
	fd, err := k.Open("w", hostvm.OWrOnly|hostvm.OCreat, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	before := k.MapCount()
	if _, err := s.Mmap(0, 0x3000, rw, hostvm.MapPrivate, fd, 0); err != hostvm.EACCES {
		t.Fatalf("mmap of a write-only file = %v, want EACCES\n%s", err, calls(s))
	}
	if got := k.MapCount(); got != before {
		t.Errorf("after the failed mmap the host has %d VMAs, want %d as before\n%s", got, before, calls(s))
	}
}

// TestMsyncHoleChecksFlagsFirst: msync of a range with a hole is ENOMEM
// on Linux, but only after its flags pass: an unknown bit, or MS_ASYNC
// with MS_SYNC, is EINVAL, hole or not. So it is where the fix finds the
// hole itself (msync-unmapped off) while the flags go to the host as the
// seed passes them (msync-checks on).
func TestMsyncHoleChecksFlagsFirst(t *testing.T) {
	s, _ := newTestSim(t, 0x1000, 0, 0, QuirkSet(0).With(QuirkMsyncChecks))
	a := mustMmap(t, s, 0x20000000, 0x1000, rw, anon|hostvm.MapFixed) // the page after it is a hole
	for _, c := range []struct {
		flags int
		want  hostvm.Errno
	}{
		{int(hostvm.MsSync), hostvm.ENOMEM},
		{int(hostvm.MsAsync | hostvm.MsSync), hostvm.EINVAL},
		{int(hostvm.MsSync) | 8, hostvm.EINVAL},
	} {
		if err := s.Msync(a, 0x2000, c.flags); err != c.want {
			t.Errorf("msync over a hole with flags %#x = %v, want %v", c.flags, err, c.want)
		}
	}
}

package hostvm

import "testing"

// TestMsync: flag checks, the address and length boundaries with MS_SYNC
// (boundaries_test.go), and ENOMEM for any hole in the range
// (linux-facts Q25). The setup is [A mapped 2pg][hole][B mapped 2pg] of a
// shared file.
func TestMsync(t *testing.T) {
	t.Run("boundaries", func(t *testing.T) { runBoundaryCases(t, msyncCall) })
	const a = hAddr
	const b = a + 3*pg
	for _, c := range []struct {
		name   string
		addr   Addr
		length uint64
		flags  MsyncFlags
		want   Errno
	}{
		{"async|sync", a, pg, MsAsync | MsSync, EINVAL},
		{"0x8", a, pg, 0x8, EINVAL},
		{"0x10", a, pg, 0x10, EINVAL},
		{"sync|0x8", a, pg, MsSync | 0x8, EINVAL},
		{"flags 0", a, pg, 0, 0},
		{"invalidate", a, pg, MsInvalidate, 0},
		{"invalidate|sync", a, pg, MsInvalidate | MsSync, 0},
		{"invalidate|async", a, pg, MsInvalidate | MsAsync, 0},
		{"len 0 async|sync", a, 0, MsAsync | MsSync, EINVAL},
		{"len 0 bad flags", a, 0, 0x8, EINVAL},
		{"over the hole, sync", a, 5 * pg, MsSync, ENOMEM},
		{"over the hole, async", a, 5 * pg, MsAsync, ENOMEM},
		{"over the hole, invalidate", a, 5 * pg, MsInvalidate, ENOMEM},
		{"over the hole, 0", a, 5 * pg, 0, ENOMEM},
		{"start in the hole, sync", a + 2*pg, 3 * pg, MsSync, ENOMEM},
		{"start in the hole, async", a + 2*pg, 3 * pg, MsAsync, ENOMEM},
		{"end in the hole", a, 3 * pg, MsSync, ENOMEM},
		{"in the hole", a + 2*pg, pg, MsSync, ENOMEM},
		{"unmapped async", freeBase, pg, MsAsync, ENOMEM},
		{"unmapped 0", freeBase, pg, 0, ENOMEM},
		{"B only", b, 2 * pg, MsSync, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			fd := fileWith(t, k, "/tmp/probe_f", repeat('A', 8*pg))
			mustMmap(t, k, a, 2*pg, rw, MapShared|MapFixed, fd, 0)
			mustMmap(t, k, b, 2*pg, rw, MapShared|MapFixed, fd, 3*pg)
			if got := errno(t, k.Msync(c.addr, c.length, c.flags)); got != c.want {
				t.Errorf("msync(%v, %#x, %v) = %s, want %s", c.addr, c.length, c.flags, res(got), res(c.want))
			}
		})
	}
}

// TestMsyncKinds: private anonymous memory syncs fine; MS_INVALIDATE on a
// locked VMA is EBUSY (linux-facts Q25).
func TestMsyncKinds(t *testing.T) {
	for _, c := range []struct {
		name  string
		flags MapFlags
		prot  Prot
		file  bool
		ms    MsyncFlags
		want  Errno
	}{
		{"private anon sync", pa, rw, false, MsSync, 0},
		{"private anon invalidate", pa, rw, false, MsInvalidate, 0},
		{"locked anon invalidate", pa | MapLocked, rw, false, MsInvalidate, EBUSY},
		{"locked anon sync", pa | MapLocked, rw, false, MsSync, 0},
		{"locked shared file invalidate", MapShared | MapLocked, rw, true, MsInvalidate, EBUSY},
		{"PROT_NONE shared file sync", MapShared, ProtNone, true, MsSync, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			fd := -1
			if c.file {
				fd = fileWith(t, k, "f", repeat('A', pg))
			}
			a := mustMmap(t, k, 0, pg, c.prot, c.flags, fd, 0)
			if got := errno(t, k.Msync(a, pg, c.ms)); got != c.want {
				t.Errorf("msync = %s, want %s", res(got), res(c.want))
			}
		})
	}
}

// TestMsyncGeometries: 32-bit lengths wrap at 32 bits; alignment is to the
// page size (boundaries_test.go).
func TestMsyncGeometries(t *testing.T) { runGeometryCases(t, msyncCall) }

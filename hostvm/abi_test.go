package hostvm

import "testing"

// TestErrno: Linux numbers, names and messages, and the lookup by name.
func TestErrno(t *testing.T) {
	for _, c := range []struct {
		e    Errno
		num  int
		name string
		msg  string
	}{
		{EPERM, 1, "EPERM", "Operation not permitted"},
		{EBADF, 9, "EBADF", "Bad file descriptor"},
		{EAGAIN, 11, "EAGAIN", "Resource temporarily unavailable"},
		{ENOMEM, 12, "ENOMEM", "Cannot allocate memory"},
		{EACCES, 13, "EACCES", "Permission denied"},
		{EFAULT, 14, "EFAULT", "Bad address"},
		{EBUSY, 16, "EBUSY", "Device or resource busy"},
		{EEXIST, 17, "EEXIST", "File exists"},
		{EINVAL, 22, "EINVAL", "Invalid argument"},
		{EOVERFLOW, 75, "EOVERFLOW", "Value too large for defined data type"},
		{EOPNOTSUPP, 95, "EOPNOTSUPP", "Operation not supported"},
		{Errno(200), 200, "errno 200", "Unknown error 200"},
	} {
		if int(c.e) != c.num || c.e.Name() != c.name || c.e.String() != c.name || c.e.Error() != c.msg {
			t.Errorf("errno %d: got %d %q %q, want %d %q %q", c.e, int(c.e), c.e.Name(), c.e.Error(), c.num, c.name, c.msg)
		}
		if e, ok := ErrnoByName(c.name); ok != (c.num != 200) || (ok && e != c.e) {
			t.Errorf("ErrnoByName(%q) = %v, %v", c.name, e, ok)
		}
	}
}

// TestFlagStrings: flags render as strace prints them, and the name tables
// map back.
func TestFlagStrings(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{ProtNone.FlagString(), "PROT_NONE"},
		{(ProtRead | ProtWrite | 0x40).FlagString(), "PROT_READ|PROT_WRITE|0x40"},
		{ProtRWX.String(), "rwx"},
		{ProtWrite.String(), "-w-"},
		{(pa | MapFixed).String(), "MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS"},
		{(MapSharedValidate | MapSync).String(), "MAP_SHARED_VALIDATE|MAP_SYNC"},
		{MapFlags(0).String(), "0"},
		{MapFlags(0x5).String(), "MAP_TYPE_0x5"},
		{(MapDroppable | MapAnonymous).String(), "MAP_DROPPABLE|MAP_ANONYMOUS"},
		{(MremapMayMove | MremapFixed).String(), "MREMAP_MAYMOVE|MREMAP_FIXED"},
		{(MsSync | MsInvalidate).String(), "MS_INVALIDATE|MS_SYNC"},
		{MadvDontNeed.String(), "MADV_DONTNEED"},
		{Advice(999).String(), "999"},
		{(ORdWr | OCreat | OTrunc).String(), "O_RDWR|O_CREAT|O_TRUNC"},
		{OAccMode.String(), "O_ACCMODE"},
		{SIGBUS.String(), "SIGBUS"},
		{Signal(3).String(), "signal 3"},
		{AccessExec.String(), "exec"},
		{(&Fault{SIGBUS, BusAdrErr, 0x1000, AccessRead}).Error(), "SIGBUS (BUS_ADRERR) on read at 0x1000"},
		{(&Fault{SIGSEGV, SiKernel, 0, AccessWrite}).Error(), "SIGSEGV (SI_KERNEL) on write at 0x0"},
		{Range{0x1000, 0x3000}.String(), "0x1000-0x3000"},
		{TopDown.String() + " " + BottomUp.String(), "top-down bottom-up"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	for name, want := range map[string]uint64{"PROT_EXEC": 4, "PROT_NONE": 0} {
		if got := ProtByName()[name]; got != want {
			t.Errorf("ProtByName()[%q] = %d, want %d", name, got, want)
		}
	}
	tables := []struct {
		m    map[string]uint64
		name string
		want uint64
	}{
		{MapFlagByName(), "MAP_ANON", 0x20},
		{MapFlagByName(), "MAP_FIXED_NOREPLACE", 0x100000},
		{MremapFlagByName(), "MREMAP_DONTUNMAP", 4},
		{MsyncFlagByName(), "MS_INVALIDATE", 2},
		{OpenFlagByName(), "O_CLOEXEC", 0x80000},
		{AdviceByName(), "MADV_GUARD_INSTALL", 102},
	}
	for _, c := range tables {
		if got, ok := c.m[c.name]; !ok || got != c.want {
			t.Errorf("%s = %d, %v; want %d", c.name, got, ok, c.want)
		}
	}
}

// TestRangeHelpers: overflow-checked arithmetic at the top of 64 bits.
func TestRangeHelpers(t *testing.T) {
	if _, ok := AddLen(0xfffffffffffff000, 0x1000); ok {
		t.Errorf("AddLen at 2^64 did not report overflow")
	}
	if s, ok := AddLen(0xffffffffffffe000, 0x1000); !ok || s != 0xfffffffffffff000 {
		t.Errorf("AddLen = %v, %v", s, ok)
	}
	if _, ok := AlignUp(0xfffffffffffff001, 4096); ok {
		t.Errorf("AlignUp past 2^64 did not report overflow")
	}
	if v, ok := AlignUp(0x1001, 4096); !ok || v != 0x2000 {
		t.Errorf("AlignUp = %#x, %v", v, ok)
	}
	if AlignDown(0x1fff, 4096) != 0x1000 {
		t.Errorf("AlignDown")
	}
	r := Range{0x1000, 0x3000}
	if r.Len() != 0x2000 || !r.Contains(0x2fff) || r.Contains(0x3000) || !r.Overlaps(Range{0x2fff, 0x4000}) || r.Overlaps(Range{0x3000, 0x4000}) {
		t.Errorf("Range methods")
	}
	if x, ok := r.Intersect(Range{0x2000, 0x5000}); !ok || x != (Range{0x2000, 0x3000}) {
		t.Errorf("Intersect = %v, %v", x, ok)
	}
	if _, ok := r.Intersect(Range{0x3000, 0x5000}); ok {
		t.Errorf("Intersect of adjacent ranges is not empty")
	}
}

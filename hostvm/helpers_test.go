package hostvm

import (
	"strings"
	"testing"
)

// Helpers shared by the table tests. Expected values come from
// /work/scratch/linux-facts.md (cited as "linux-facts Qn"), measured on
// Linux 6.18 x86-64; where the facts are silent a comment names the kernel
// source, man page or selftest followed instead.

const pg = 4096

// Short names as in linux-facts.md.
const (
	rw = ProtRead | ProtWrite
	pa = MapPrivate | MapAnonymous
	sa = MapShared | MapAnonymous
)

// freeBase is linux-facts' FREE_BASE: an address nothing occupies.
const freeBase = Addr(0x100000000000)

// linuxConfig is the machine linux-facts.md was measured on
// ("Environment"): 4 KiB pages, TASK_SIZE 0x7ffffffff000,
// vm.mmap_min_addr 4096 and CONFIG_LSM_MMAP_MIN_ADDR 65536.
func linuxConfig() Config {
	return Config{PageSize: 4096, AddrBits: 47, TaskSize: 1<<47 - 4096, MmapMinAddr: 4096, LSMMmapMinAddr: 65536}
}

// newKernel returns a kernel for cfg and checks its invariants when the
// test ends.
func newKernel(t testing.TB, cfg Config) *Kernel {
	t.Helper()
	k, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := k.CheckInvariants(); err != nil {
			t.Errorf("at the end of the test: %v", err)
		}
	})
	return k
}

// linuxKernel is newKernel(linuxConfig()).
func linuxKernel(t testing.TB) *Kernel {
	t.Helper()
	return newKernel(t, linuxConfig())
}

// errno turns a call's error into the Errno it must be (0 for success).
func errno(t testing.TB, err error) Errno {
	t.Helper()
	if err == nil {
		return 0
	}
	e, ok := err.(Errno)
	if !ok {
		t.Fatalf("error %v (%T) is not a bare Errno", err, err)
	}
	return e
}

// res renders an errno for messages: "OK" for success.
func res(e Errno) string {
	if e == 0 {
		return "OK"
	}
	return e.Name()
}

func mustMmap(t testing.TB, k *Kernel, addr Addr, length uint64, prot Prot, flags MapFlags, fd int, off uint64) Addr {
	t.Helper()
	a, err := k.Mmap(addr, length, prot, flags, fd, off)
	if err != nil {
		t.Fatalf("mmap(%v, %#x, %v, %v, %d, %#x) = %v, want success", addr, length, prot, flags, fd, off, err)
	}
	if flags&(MapFixed|MapFixedNoReplace) != 0 && a != addr {
		t.Fatalf("mmap fixed at %v returned %v", addr, a)
	}
	return a
}

func mustOK(t testing.TB, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v, want success", what, err)
	}
}

// mustOpen creates (or opens) path with flags and returns the descriptor.
func mustOpen(t testing.TB, k *Kernel, path string, flags OpenFlags) int {
	t.Helper()
	fd, err := k.Open(path, flags, 0o644)
	if err != nil {
		t.Fatalf("open(%q, %v) = %v", path, flags, err)
	}
	return fd
}

// fileWith creates path holding data and returns an O_RDWR descriptor.
func fileWith(t testing.TB, k *Kernel, path string, data []byte) int {
	t.Helper()
	fd := mustOpen(t, k, path, ORdWr|OCreat|OTrunc)
	if len(data) > 0 {
		if n, err := k.FilePwrite(fd, data, 0); err != nil || n != len(data) {
			t.Fatalf("pwrite(%q) = %d, %v", path, n, err)
		}
	}
	return fd
}

// repeat returns n copies of b.
func repeat(b byte, n int) []byte { return []byte(strings.Repeat(string([]byte{b}), n)) }

// peek reads the byte at a, returning the fault if there is one.
func peek(k *Kernel, a Addr) (byte, *Fault) {
	var b [1]byte
	_, f := k.Read(a, b[:])
	return b[0], f
}

// mustPeek reads the byte at a and fails the test on a fault.
func mustPeek(t testing.TB, k *Kernel, a Addr) byte {
	t.Helper()
	b, f := peek(k, a)
	if f != nil {
		t.Fatalf("read at %v: %v", a, f)
	}
	return b
}

// poke writes b at a and fails the test on a fault.
func poke(t testing.TB, k *Kernel, a Addr, b byte) {
	t.Helper()
	if _, f := k.Write(a, []byte{b}); f != nil {
		t.Fatalf("write at %v: %v", a, f)
	}
}

// faultCode is a short rendering of an access result: "ok", or the
// signal and si_code.
func faultCode(f *Fault) string {
	if f == nil {
		return "ok"
	}
	s := f.Error()
	if i := strings.Index(s, " on "); i > 0 {
		return s[:i]
	}
	return s
}

// accessOne makes a one-byte access of kind acc at a (a load, a store of
// 1, a fetch) and returns its fault.
func accessOne(k *Kernel, a Addr, acc Access) *Fault {
	switch acc {
	case AccessWrite:
		_, f := k.Write(a, []byte{1})
		return f
	case AccessExec:
		return k.Fetch(a, 1)
	}
	_, f := k.Read(a, make([]byte, 1))
	return f
}

// linesIn is how many /proc/self/maps lines overlap r.
func linesIn(k *Kernel, r Range) int { return len(k.MappingsIn(r)) }

// mapsIn renders the maps lines overlapping r, for failure messages.
func mapsIn(k *Kernel, r Range) string {
	var b strings.Builder
	for _, m := range k.MappingsIn(r) {
		b.WriteString(m.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// fillBase is where fillVMAs puts its VMAs, far from the addresses the
// max_map_count tests use.
const fillBase = Addr(0x200000000000)

// fillVMAs adds one-page PROT_READ VMAs, each with a hole above it so none
// merges, until k has n VMAs. linux-facts Q13 states thresholds as the
// process's VMA count before the call; a hostvm kernel starts empty, so
// the count is made up here.
func fillVMAs(t testing.TB, k *Kernel, n int) {
	t.Helper()
	for i := 0; k.MapCount() < n; i++ {
		mustMmap(t, k, fillBase+Addr(2*i)*pg, pg, ProtRead, pa|MapFixed, -1, 0)
	}
	if k.MapCount() != n {
		t.Fatalf("fillVMAs: %d VMAs, want %d", k.MapCount(), n)
	}
}

// The max_map_count tests (linux-facts Q13) work on T, a 3-page rw VMA at
// mapCountT, in a process of max_map_count 1000 that holds a given number
// of VMAs before the call (T and fillVMAs' among them).
const mapCountT = Addr(0x300000000000)

// mapCountKernel returns such a kernel: T mapped, then whatever extra
// maps (nil: nothing), then fillVMAs up to count VMAs.
func mapCountKernel(t *testing.T, count int, extra func(k *Kernel)) *Kernel {
	t.Helper()
	cfg := linuxConfig()
	cfg.MaxMapCount = 1000
	k := newKernel(t, cfg)
	mustMmap(t, k, mapCountT, 3*pg, rw, pa|MapFixed, -1, 0)
	if extra != nil {
		extra(k)
	}
	fillVMAs(t, k, count)
	return k
}

// checkMapCountDelta checks how a call changed the VMA count from count.
func checkMapCountDelta(t *testing.T, k *Kernel, count, delta int) {
	t.Helper()
	if d := k.MapCount() - count; d != delta {
		t.Errorf("VMA count changed by %+d, want %+d", d, delta)
	}
}

// mapCountCase is a call on page at of T with count VMAs before it: its
// errno, and how it changed the VMA count.
type mapCountCase struct {
	name  string
	at    Addr // in pages from T
	count int
	want  Errno
	delta int
}

// runMapCountCases runs a one-page call (madvise, mprotect or munmap) on
// each case's page of T, and checks that a failure left T as it was.
func runMapCountCases(t *testing.T, cases []mapCountCase, call func(k *Kernel, a Addr) error) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := mapCountKernel(t, c.count, nil)
			if got := errno(t, call(k, mapCountT+c.at*pg)); got != c.want {
				t.Errorf("= %s, want %s", res(got), res(c.want))
			}
			checkMapCountDelta(t, k, c.count, c.delta)
			if c.want != 0 {
				if got := mapsIn(k, Range{mapCountT, mapCountT + 3*pg}); got != "300000000000-300000003000 rw-p 00000000 00:00 0 \n" {
					t.Errorf("T after the failure:\n%s", got)
				}
			}
		})
	}
}

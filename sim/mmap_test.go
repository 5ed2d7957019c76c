package sim

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// TestFailedMmapGivesBackWholeHostPages: with qemu_host_page_size above
// the real host page (-p 65536 on a 4K host) and no RESERVED_VA, a
// non-fixed mmap that fails after mmap_find_vma placed it (a file opened
// write-only, EACCES) gives back all it reserved: the length in whole qemu
// host pages, not the guest's length.
func TestFailedMmapGivesBackWholeHostPages(t *testing.T) {
	s, k := newTestSim(t, 0x1000, 0x10000, 0, QuirkSet{})
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
	s, _ := newTestSim(t, 0x1000, 0, 0, QuirkSet{}.With(QuirkMsyncChecks))
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

// TestGuestRangeValid72 checks 7.2's guest_range_valid_untagged as the C
// computes it in abi_ulong: "len - 1 <= GUEST_ADDR_MAX && start <=
// GUEST_ADDR_MAX - len + 1". The whole space is a valid range from 0, and
// where the space is the whole 32-bit word, a length of 0 (len - 1 wraps
// to the largest abi_ulong) is valid at 0 only.
func TestGuestRangeValid72(t *testing.T) {
	reserved, _ := newTestSim(t, 0x1000, 0, 0xf7000000, QuirkSet{})
	word, _ := newTestSim(t, 0x1000, 0, 0, QuirkSet{})
	for _, c := range []struct {
		name          string
		s             *Sim
		start, length uint64
		want          bool
	}{
		{"reserved: the whole space", reserved, 0, 0xf7000000, true},
		{"reserved: the whole space from a page in", reserved, 0x1000, 0xf7000000, false},
		{"reserved: a page more than the space", reserved, 0, 0xf7001000, false},
		{"reserved: the top page", reserved, 0xf6fff000, 0x1000, true},
		{"word: length 0 at 0", word, 0, 0, true},
		{"word: length 0 above 0", word, 0x1000, 0, false},
		{"word: the top page", word, 0xfffff000, 0x1000, true},
	} {
		if got := c.s.guestRangeValid72(c.start, c.length); got != c.want {
			t.Errorf("%s: guestRangeValid72(%#x, %#x) = %v, want %v", c.name, c.start, c.length, got, c.want)
		}
	}
}

// TestMmapReadEmulationHostCalls: on a 64K host, a private file mapping
// whose offset is not congruent with its address within a host page
// cannot be mapped from the file; QEMU maps private anonymous memory
// there (target_mmap(start, len, prot | PROT_WRITE, MAP_FIXED |
// MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), seed lines 500-514), reads the file
// into it and puts the protection back. The host calls say exactly that:
// the anonymous mmap passes fd -1, as QEMU does.
func TestMmapReadEmulationHostCalls(t *testing.T) {
	const hp = 0x10000
	s, k := newTestSim(t, hp, 0, 0, QuirkSet{})
	fd := mustFile(t, k, "f", 2*hp)
	x := mustMmap(t, s, 0, hp, 0, anon)
	if _, err := s.Mmap(x, hp, protRead, hostvm.MapPrivate|hostvm.MapFixed, fd, 0x1000); err != nil {
		t.Fatalf("mmap of the file at offset 0x1000: %v\n%s", err, calls(s))
	}
	want := "mmap(HOST, 0x10000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = HOST\n" +
		fmt.Sprintf("pread64(%d, HOST, 0x10000, 0x1000) = 65536\n", fd) +
		"mprotect(HOST, 0x10000, PROT_READ) = 0\n"
	got := strings.ReplaceAll(calls(s), fmt.Sprintf("%#x", uint64(s.G2H(x))), "HOST")
	if got != want {
		t.Errorf("host calls of the read emulation:\n%s\nwant:\n%s", got, want)
	}
}

// TestFixedFitEINVALAtTopOfWord: with the seed's fit check
// (fixed-fit-einval) and the guest's range checked (RESERVED_VA below 4
// GiB), a MAP_FIXED range past the guest space gets EINVAL only where it
// passes the top of the 32-bit word; one that ends exactly there fits the
// seed's check and gets Linux's ENOMEM.
func TestFixedFitEINVALAtTopOfWord(t *testing.T) {
	s, _ := newTestSim(t, 0x1000, 0, 0x10000000, Quirks(QuirkFixedFitEINVAL))
	for _, c := range []struct {
		length uint64
		want   hostvm.Errno
	}{{0x1000, hostvm.ENOMEM}, {0x2000, hostvm.EINVAL}} {
		got, err := s.Mmap(0xfffff000, c.length, rw, anon|hostvm.MapFixed, -1, 0)
		if err != c.want {
			t.Errorf("mmap(0xfffff000, %#x, MAP_FIXED) = %#x, %v; want %v", c.length, got, err, c.want)
		}
	}
}

package linuxsys

import (
	"os"
	"strings"
	"testing"
)

func TestParseMapsLine(t *testing.T) {
	for _, c := range []struct {
		line string
		want MapsLine
	}{
		{"7ffff7ff7000-7ffff7fff000 rw-p 00000000 00:00 0 ",
			MapsLine{Start: 0x7ffff7ff7000, End: 0x7ffff7fff000, Perms: "rw-p", Dev: "00:00"}},
		{"555555554000-555555556000 r-xs 00002000 fd:01 1234567                    /tmp/a file",
			MapsLine{Start: 0x555555554000, End: 0x555555556000, Perms: "r-xs", Offset: 0x2000, Dev: "fd:01", Inode: 1234567, Name: "/tmp/a file"}},
		{"7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0                          [stack]",
			MapsLine{Start: 0x7ffc00000000, End: 0x7ffc00021000, Perms: "rw-p", Dev: "00:00", Name: "[stack]"}},
	} {
		got, err := ParseMapsLine(c.line)
		if err != nil || got != c.want {
			t.Errorf("ParseMapsLine(%q) = %+v, %v; want %+v", c.line, got, err, c.want)
		}
	}
	for _, bad := range []string{
		"",
		"7000 rw-p 00000000 00:00 0",
		"7000-8000 rw 00000000 00:00 0",
		"7000-800g rw-p 00000000 00:00 0",
		"7000-8000 rw-p 0000000x 00:00 0",
		"7000-8000 rw-p 00000000 00:00 inode",
	} {
		if got, err := ParseMapsLine(bad); err == nil {
			t.Errorf("ParseMapsLine(%q) = %+v, want an error", bad, got)
		}
	}
	lines, err := ParseMaps("1000-2000 r--p 00000000 00:00 0 \n\n3000-4000 ---p 00000000 00:00 0 \n")
	if err != nil || len(lines) != 2 || lines[1].Start != 0x3000 {
		t.Errorf("ParseMaps = %+v, %v; want 2 lines", lines, err)
	}
}

// TestCalls makes each call on memory of this process's own and checks the
// kernel's answers and /proc/self/maps; off Linux, that each call says
// ENOSYS.
func TestCalls(t *testing.T) {
	if !Supported {
		if _, e := Mmap(0, 4096, 3, MapPrivate|MapAnonymous, -1, 0); e != ENOSYS {
			t.Errorf("Mmap off Linux = %v, want ENOSYS", e)
		}
		for name, e := range map[string]Errno{
			"munmap": Munmap(0, 4096), "mprotect": Mprotect(0, 4096, 0),
			"madvise": Madvise(0, 4096, 0), "msync": Msync(0, 4096, 0),
		} {
			if e != ENOSYS {
				t.Errorf("%s off Linux = %v, want ENOSYS", name, e)
			}
		}
		if _, e := Mremap(0, 4096, 4096, 0, 0); e != ENOSYS {
			t.Errorf("Mremap off Linux = %v, want ENOSYS", e)
		}
		if r := KernelRelease(); r != "" {
			t.Errorf("KernelRelease off Linux = %q, want \"\"", r)
		}
		return
	}
	if KernelRelease() == "" {
		t.Error("KernelRelease is empty")
	}
	if n, err := VMSysctl("max_map_count"); err != nil || n == 0 {
		t.Errorf("VMSysctl(max_map_count) = %d, %v", n, err)
	}
	if _, err := VMSysctl("no_such_sysctl"); err == nil {
		t.Error("VMSysctl(no_such_sysctl) succeeded")
	}
	const pg = 4096
	const protRW, protR = 3, 1
	const mremapMayMove, madvDontNeed, msSync = 1, 4, 4
	a, e := Mmap(0, 4*pg, protRW, MapPrivate|MapAnonymous, -1, 0)
	if e != 0 {
		t.Fatalf("mmap: %v", e)
	}
	if e := Mprotect(a+pg, pg, protR); e != 0 {
		t.Fatalf("mprotect: %v", e)
	}
	perms := mapsPerms(t, uint64(a), uint64(a+4*pg))
	if want := "rw-p r--p rw-p"; perms != want {
		t.Errorf("after mprotect of the second page: %q, want %q", perms, want)
	}
	if e := Madvise(a, 4*pg, madvDontNeed); e != 0 {
		t.Errorf("madvise: %v", e)
	}
	if e := Msync(a, 4*pg, msSync); e != 0 {
		t.Errorf("msync: %v", e)
	}
	if e := Munmap(a+1, pg); e != Errno(22) { // EINVAL on every architecture
		t.Errorf("munmap unaligned = %v, want EINVAL", e)
	}
	if _, e := Mmap(0, pg, protRW, MapPrivate, -1, 0); e == 0 {
		t.Error("mmap of descriptor -1 without MAP_ANONYMOUS succeeded")
	}
	if ByteOffsets {
		f, err := os.CreateTemp(t.TempDir(), "linuxsys")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, e := Mmap(0, pg, protR, MapShared, int(f.Fd()), 1); e != Errno(22) {
			t.Errorf("mmap at offset 1 = %v, want EINVAL", e)
		}
	}
	if e := Mprotect(a+pg, pg, protRW); e != 0 {
		t.Fatalf("mprotect back: %v", e)
	}
	b, e := Mremap(a, 4*pg, 8*pg, mremapMayMove, 0)
	if e != 0 {
		t.Fatalf("mremap: %v", e)
	}
	if e := Munmap(b, 8*pg); e != 0 {
		t.Fatalf("munmap: %v", e)
	}
	if perms := mapsPerms(t, uint64(b), uint64(b+8*pg)); perms != "" {
		t.Errorf("after munmap: %q still mapped", perms)
	}
}

// mapsPerms lists the permissions of the /proc/self/maps lines that
// overlap [lo, hi) (the first and last may extend beyond it, merged with a
// neighbour of the Go runtime's).
func mapsPerms(t *testing.T, lo, hi uint64) string {
	t.Helper()
	lines, err := ReadMaps()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range lines {
		if m.End > lo && m.Start < hi {
			out = append(out, m.Perms)
		}
	}
	return strings.Join(out, " ")
}

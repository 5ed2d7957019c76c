package hostvm

import (
	"strings"
	"testing"
)

// TestOpen: creation, O_EXCL, O_TRUNC and the descriptor numbering of
// open(2) (lowest free number; hostvm starts at 3).
func TestOpen(t *testing.T) {
	for _, c := range []struct {
		name   string
		exists bool
		path   string
		flags  OpenFlags
		fd     int
		err    Errno
		size   int64 // the file's size afterwards, when it exists
	}{
		{"create", false, "f", ORdWr | OCreat, 3, 0, 0},
		{"missing", false, "f", ORdWr, -1, ENOENT, 0},
		{"empty path", false, "", ORdWr | OCreat, -1, ENOENT, 0},
		{"long path", false, strings.Repeat("x", 4096), ORdWr | OCreat, -1, ENAMETOOLONG, 0},
		{"excl existing", true, "f", ORdWr | OCreat | OExcl, -1, EEXIST, 5},
		{"excl new", false, "f", ORdWr | OCreat | OExcl, 3, 0, 0},
		{"excl without creat ignored", true, "f", ORdWr | OExcl, 4, 0, 5},
		{"existing", true, "f", ORdOnly, 4, 0, 5},
		{"trunc", true, "f", ORdWr | OTrunc, 4, 0, 0},
		// open(2): O_RDONLY|O_TRUNC truncates on Linux.
		{"rdonly trunc", true, "f", ORdOnly | OTrunc, 4, 0, 0},
		{"creat trunc existing", true, "f", OWrOnly | OCreat | OTrunc, 4, 0, 0},
		{"directory on a file", true, "f", ORdOnly | ODirectory, -1, ENOTDIR, 5},
		// Linux 6.4+: O_CREAT|O_DIRECTORY is EINVAL.
		{"creat|directory", false, "f", ORdWr | OCreat | ODirectory, -1, EINVAL, -1},
		// Access mode 3 opens for neither reading nor writing.
		{"accmode 3", true, "f", OAccMode, 4, 0, 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := linuxKernel(t)
			if c.exists {
				fileWith(t, k, "f", []byte("hello")) // fd 3
			}
			fd, err := k.Open(c.path, c.flags, 0o600)
			if e := errno(t, err); e != c.err || fd != c.fd {
				t.Fatalf("open(%v) = %d, %s; want %d, %s", c.flags, fd, res(e), c.fd, res(c.err))
			}
			if c.size < 0 {
				if len(k.Files()) != 0 {
					t.Errorf("files %q, want none", k.Files())
				}
				return
			}
			if c.err == 0 || c.exists {
				probe := mustOpen(t, k, "f", ORdOnly)
				st, err := k.Fstat(probe)
				if err != nil || st.Size != c.size {
					t.Errorf("size %d (%v), want %d", st.Size, err, c.size)
				}
			}
		})
	}
}

// TestOpenDescriptors: descriptors are reused lowest first, close of a
// closed descriptor is EBADF, and mappings outlive both close and unlink.
func TestOpenDescriptors(t *testing.T) {
	k := linuxKernel(t)
	a := fileWith(t, k, "a", []byte("A"))
	b := fileWith(t, k, "b", []byte("B"))
	if a != 3 || b != 4 {
		t.Fatalf("descriptors %d, %d; want 3, 4", a, b)
	}
	m := mustMmap(t, k, 0, pg, ProtRead, MapShared, a, 0)
	mustOK(t, k.Close(a), "close")
	if got := errno(t, k.Close(a)); got != EBADF {
		t.Errorf("second close = %s, want EBADF", res(got))
	}
	if got := mustOpen(t, k, "c", ORdWr|OCreat); got != 3 {
		t.Errorf("reused descriptor %d, want 3", got)
	}
	mustOK(t, k.Unlink("a"), "unlink")
	if got := errno(t, k.Unlink("a")); got != ENOENT {
		t.Errorf("second unlink = %s, want ENOENT", res(got))
	}
	if got := mustPeek(t, k, m); got != 'A' {
		t.Errorf("mapping of the closed, unlinked file reads %q", got)
	}
	if mp, _ := k.Lookup(m); mp.Name != "a (deleted)" {
		t.Errorf("unlinked file's maps name %q, want \"a (deleted)\"", mp.Name)
	}
	// A new file at the old path is another inode; the mapping stays
	// "(deleted)".
	fileWith(t, k, "a", nil)
	if mp, _ := k.Lookup(m); mp.Name != "a (deleted)" {
		t.Errorf("after re-creating the path: %q", mp.Name)
	}
	mustOK(t, k.Unlink("a"), "unlink")
	if got := strings.Join(k.Files(), ","); got != "b,c" {
		t.Errorf("files %q, want b,c", got)
	}
	// A descriptor table of 1024 (RLIMIT_NOFILE) fills up.
	for i := 0; ; i++ {
		_, err := k.Open("b", ORdOnly, 0)
		if err != nil {
			if errno(t, err) != EMFILE || i != 1024-6 {
				t.Errorf("open #%d = %v, want EMFILE after %d (descriptors 3-5 in use)", i, err, 1024-6)
			}
			break
		}
	}
}

// TestFilePreadPwrite: pread and pwrite from Go buffers: EOF, holes,
// O_APPEND (which Linux's pwrite obeys, pwrite(2) BUGS), access modes and
// rw_verify_area()'s offset checks.
func TestFilePreadPwrite(t *testing.T) {
	k := linuxKernel(t)
	fd := fileWith(t, k, "f", []byte("0123456789"))
	buf := make([]byte, 4)
	for _, c := range []struct {
		off  int64
		n    int
		want string
		err  Errno
	}{
		{0, 4, "0123", 0},
		{8, 2, "89", 0},
		{10, 0, "", 0},
		{100, 0, "", 0},
		{-1, 0, "", EINVAL},
		{1<<63 - 2, 0, "", EINVAL}, // off+count passes 2^63
	} {
		clear(buf)
		n, err := k.FilePread(fd, buf, c.off)
		if e := errno(t, err); e != c.err || n != c.n || string(buf[:n]) != c.want {
			t.Errorf("pread(off %d) = %d %q, %s; want %d %q, %s", c.off, n, buf[:n], res(e), c.n, c.want, res(c.err))
		}
	}
	// A write past EOF leaves a hole that reads as zeros.
	if n, err := k.FilePwrite(fd, []byte("xy"), 3*pg); n != 2 || err != nil {
		t.Fatalf("pwrite = %d, %v", n, err)
	}
	if st, _ := k.Fstat(fd); st.Size != 3*pg+2 {
		t.Errorf("size %d, want %d", st.Size, 3*pg+2)
	}
	hole := make([]byte, 3)
	if n, _ := k.FilePread(fd, hole, pg); n != 3 || string(hole) != "\x00\x00\x00" {
		t.Errorf("hole reads %q", hole)
	}
	if _, err := k.FilePwrite(fd, []byte("z"), -1); errno(t, err) != EINVAL {
		t.Errorf("pwrite at -1 = %v, want EINVAL", err)
	}
	if _, err := k.FilePwrite(fd, []byte("zz"), 1<<63-1); errno(t, err) != EINVAL {
		t.Errorf("pwrite past 2^63 = %v, want EINVAL", err)
	}
	if n, err := k.FilePwrite(fd, nil, 5); n != 0 || err != nil {
		t.Errorf("empty pwrite = %d, %v", n, err)
	}

	// O_APPEND: pwrite appends whatever the offset.
	ap := mustOpen(t, k, "f", OWrOnly|OAppend)
	if _, err := k.FilePwrite(ap, []byte("END"), 0); err != nil {
		t.Fatal(err)
	}
	tail := make([]byte, 5)
	if n, _ := k.FilePread(fd, tail, 3*pg); n != 5 || string(tail) != "xyEND" {
		t.Errorf("after O_APPEND pwrite the tail is %q", tail[:n])
	}
	if _, err := k.FilePread(ap, buf, 0); errno(t, err) != EBADF {
		t.Errorf("pread on O_WRONLY = %v, want EBADF", err)
	}
	ro := mustOpen(t, k, "f", ORdOnly)
	if _, err := k.FilePwrite(ro, buf, 0); errno(t, err) != EBADF {
		t.Errorf("pwrite on O_RDONLY = %v, want EBADF", err)
	}
	none := mustOpen(t, k, "f", OAccMode)
	if _, err := k.FilePread(none, buf, 0); errno(t, err) != EBADF {
		t.Errorf("pread on access mode 3 = %v, want EBADF", err)
	}
	if _, err := k.FilePread(99, buf, 0); errno(t, err) != EBADF {
		t.Errorf("pread on a bad fd = %v, want EBADF", err)
	}
	if _, err := k.FilePread(99, buf, -1); errno(t, err) != EINVAL {
		t.Errorf("pread at -1 on a bad fd = %v, want EINVAL (offset checked first)", err)
	}
}

// TestPreadPwriteMemory: the system calls that move data between a file and
// simulated memory: a fault in the buffer ends the transfer, EFAULT if
// nothing moved (read(2), write(2)).
func TestPreadPwriteMemory(t *testing.T) {
	k := linuxKernel(t)
	fd := fileWith(t, k, "f", repeat('F', 3*pg))
	buf := mustMmap(t, k, 0, 2*pg, rw, pa, -1, 0)
	ro := mustMmap(t, k, 0, pg, ProtRead, pa, -1, 0)
	for _, c := range []struct {
		name  string
		buf   Addr
		count uint64
		off   int64
		n     uint64
		err   Errno
	}{
		{"whole buffer", buf, 2 * pg, 0, 2 * pg, 0},
		{"runs off the buffer", buf + pg, 2 * pg, 0, pg, 0},
		{"read-only buffer", ro, 10, 0, 0, EFAULT},
		{"unmapped buffer", freeBase, 10, 0, 0, EFAULT},
		{"at EOF, unmapped buffer", freeBase, 10, 3 * pg, 0, 0},
		{"buffer past TASK_SIZE", 0x7ffffffff000 - 4, 10, 0, 0, EFAULT},
		{"count wraps", buf, 0xffffffffffffffff, 0, 0, EFAULT},
		{"offset -1", buf, 10, -1, 0, EINVAL},
		{"offset+count passes 2^63", buf, 10, 1<<63 - 5, 0, EINVAL},
		{"count 0", freeBase, 0, 0, 0, 0},
	} {
		n, err := k.Pread(fd, c.buf, c.count, c.off)
		if e := errno(t, err); e != c.err || n != c.n {
			t.Errorf("pread %s = %d, %s; want %d, %s", c.name, n, res(e), c.n, res(c.err))
		}
	}
	if got := mustPeek(t, k, buf+2*pg-1); got != 'F' {
		t.Errorf("buffer reads %q, want 'F'", got)
	}
	poke(t, k, buf, 'm')
	if n, err := k.Pwrite(fd, buf, 1, 5); n != 1 || err != nil {
		t.Errorf("pwrite = %d, %v", n, err)
	}
	if n, err := k.Pwrite(fd, freeBase, 1, 0); n != 0 || errno(t, err) != EFAULT {
		t.Errorf("pwrite from unmapped = %d, %v; want EFAULT", n, err)
	}
	one := make([]byte, 1)
	if _, err := k.FilePread(fd, one, 5); err != nil || one[0] != 'm' {
		t.Errorf("file byte 5 = %q, %v", one, err)
	}
	if n, err := k.Pwrite(fd, buf+pg, 2*pg, 4*pg); n != pg || err != nil {
		t.Errorf("pwrite running off the buffer = %d, %v; want %d", n, err, pg)
	}
	if st, _ := k.Fstat(fd); st.Size != 5*pg {
		t.Errorf("size %d after the short pwrite, want %d", st.Size, 5*pg)
	}
	// O_APPEND: the system call appends too.
	ap := mustOpen(t, k, "f", OWrOnly|OAppend)
	size, _ := k.Fstat(fd)
	if n, err := k.Pwrite(ap, buf, 1, 0); n != 1 || err != nil {
		t.Errorf("O_APPEND pwrite = %d, %v", n, err)
	}
	if st, _ := k.Fstat(fd); st.Size != size.Size+1 {
		t.Errorf("O_APPEND pwrite: size %d, want %d", st.Size, size.Size+1)
	}
	if n, err := k.Pwrite(ap, buf, 0, 0); n != 0 || err != nil {
		t.Errorf("pwrite of 0 bytes = %d, %v", n, err)
	}
	if _, err := k.Pwrite(ap, buf, 1, -1); errno(t, err) != EINVAL {
		t.Errorf("pwrite at -1 = %v", err)
	}
	if _, err := k.Pwrite(ap, 0x7ffffffff000-4, 10, 0); errno(t, err) != EFAULT {
		t.Errorf("pwrite from past TASK_SIZE = %v", err)
	}
	if _, err := k.Pwrite(ap, buf, 10, 1<<63-5); errno(t, err) != EINVAL {
		t.Errorf("pwrite past 2^63 = %v", err)
	}
	if _, err := k.Pwrite(mustOpen(t, k, "f", ORdOnly), buf, 10, 0); errno(t, err) != EBADF {
		t.Errorf("pwrite on O_RDONLY = %v", err)
	}
	// Descriptor checks come first.
	if _, err := k.Pread(99, freeBase, 10, 0); errno(t, err) != EBADF {
		t.Errorf("pread bad fd = %v", err)
	}
	wo := mustOpen(t, k, "f", OWrOnly)
	if _, err := k.Pread(wo, buf, 10, 0); errno(t, err) != EBADF {
		t.Errorf("pread write-only fd = %v", err)
	}
}

// TestFtruncate: argument checks and the file size (ftruncate(2)).
func TestFtruncate(t *testing.T) {
	k := linuxKernel(t)
	fd := fileWith(t, k, "f", []byte("hello"))
	ro := mustOpen(t, k, "f", ORdOnly)
	for _, c := range []struct {
		fd     int
		length int64
		err    Errno
		size   int64
	}{
		{fd, 3, 0, 3},
		{fd, 3 * pg, 0, 3 * pg},
		{fd, -1, EINVAL, 3 * pg},
		{ro, 1, EINVAL, 3 * pg},
		{99, 1, EBADF, 3 * pg},
		{99, -1, EINVAL, 3 * pg},
		{fd, 0, 0, 0},
	} {
		if got := errno(t, k.Ftruncate(c.fd, c.length)); got != c.err {
			t.Errorf("ftruncate(%d, %d) = %s, want %s", c.fd, c.length, res(got), res(c.err))
		}
		if st, _ := k.Fstat(fd); st.Size != c.size {
			t.Errorf("after ftruncate(%d, %d) size %d, want %d", c.fd, c.length, st.Size, c.size)
		}
	}
	// Growing reads back zeros, not the old bytes.
	mustOK(t, k.Ftruncate(fd, 10), "ftruncate")
	b := make([]byte, 5)
	if n, _ := k.FilePread(fd, b, 0); n != 5 || string(b) != "\x00\x00\x00\x00\x00" {
		t.Errorf("regrown file reads %q", b)
	}
}

// TestFstat: inode, mode, size, block size and allocated blocks.
func TestFstat(t *testing.T) {
	k := linuxKernel(t)
	fd, err := k.Open("f", ORdWr|OCreat, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	st, err := k.Fstat(fd)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode != 0o100640 || st.Size != 0 || st.Blksize != pg || st.Blocks != 0 || st.Ino == 0 {
		t.Errorf("fresh file: %+v", st)
	}
	if _, err := k.FilePwrite(fd, []byte("x"), 5*pg); err != nil {
		t.Fatal(err)
	}
	st, _ = k.Fstat(fd)
	if st.Size != 5*pg+1 || st.Blocks != 8 {
		t.Errorf("sparse file: size %d blocks %d; want %d and 8 (one 4 KiB block)", st.Size, st.Blocks, 5*pg+1)
	}
	if _, err := k.Fstat(99); errno(t, err) != EBADF {
		t.Errorf("fstat(99) = %v, want EBADF", err)
	}
	other := mustOpen(t, k, "f", ORdOnly)
	if st2, _ := k.Fstat(other); st2.Ino != st.Ino {
		t.Errorf("same file, inodes %d and %d", st.Ino, st2.Ino)
	}
}

package hostvm

import (
	"bytes"
	"fmt"
	"testing"
)

// cloneWorld builds a kernel with one of everything Clone must copy:
// private anonymous pages, a shared file mapping, a private file mapping
// with a copied page, shared anonymous memory, a heap, a guard page, a
// stack that grows down, open descriptors.
func cloneWorld(t *testing.T) (k *Kernel, fd int, addrs []Addr) {
	cfg := linuxConfig()
	cfg.BrkStart = brkStart
	k = newKernel(t, cfg)
	fd = fileWith(t, k, "f", repeat('F', 2*pg))
	anon := mustMmap(t, k, 0, 2*pg, rw, pa, -1, 0)
	sh := mustMmap(t, k, 0, 2*pg, rw, MapShared, fd, 0)
	pr := mustMmap(t, k, 0, 2*pg, rw, MapPrivate, fd, 0)
	shm := mustMmap(t, k, 0, 2*pg, rw, sa, -1, 0)
	poke(t, k, anon, 'a')
	poke(t, k, sh, 's')
	poke(t, k, pr, 'p')
	poke(t, k, shm, 'm')
	k.Brk(brkStart + pg)
	poke(t, k, brkStart, 'h')
	mustOK(t, k.Madvise(anon+pg, pg, MadvGuardInstall), "guard")
	stack := mustMmap(t, k, freeBase+64*pg, 4*pg, rw, pa|MapGrowsDown|MapFixed, -1, 0)
	return k, fd, []Addr{anon, anon + pg, sh, sh + pg, pr, pr + pg, shm, brkStart, stack}
}

// observe renders everything a program could see of k, for comparison.
func observe(k *Kernel, fd int, addrs []Addr) string {
	var b bytes.Buffer
	b.WriteString(k.MapsString())
	for _, a := range addrs {
		v, f := peek(k, a)
		fmt.Fprintf(&b, "%v=%q/%s ", a, v, faultCode(f))
	}
	data := make([]byte, 3*pg)
	n, err := k.FilePread(fd, data, 0)
	fmt.Fprintf(&b, "\nfile %d %v %x\n", n, err, data[:n])
	st, err := k.Fstat(fd)
	fmt.Fprintf(&b, "fstat %+v %v brk %v files %q count %d\n", st, err, k.Brk(0), k.Files(), k.MapCount())
	return b.String()
}

// cloneOp is one change of a kernel cloneWorld set up.
type cloneOp struct {
	name string
	do   func(k *Kernel, fd int, addrs []Addr) error
}

// cloneOps change everything cloneWorld set up, through every method that
// changes a kernel (Read and Fetch grow the stack); in order, they are
// mutate.
var cloneOps = []cloneOp{
	{"write anon", func(k *Kernel, fd int, a []Addr) error { return faultErr(k.Write(a[0], []byte("A"))) }},
	{"write shared", func(k *Kernel, fd int, a []Addr) error { return faultErr(k.Write(a[2]+1, []byte("S"))) }},
	{"write private", func(k *Kernel, fd int, a []Addr) error { return faultErr(k.Write(a[4]+pg, []byte("P"))) }},
	{"write shm", func(k *Kernel, fd int, a []Addr) error { return faultErr(k.Write(a[6]+pg, []byte("M"))) }},
	{"write heap", func(k *Kernel, fd int, a []Addr) error { return faultErr(k.Write(brkStart+1, []byte("H"))) }},
	{"read grows the stack", func(k *Kernel, fd int, a []Addr) error {
		return faultErr(k.Read(a[8]-pg, make([]byte, 1)))
	}},
	{"fetch grows the stack", func(k *Kernel, fd int, a []Addr) error {
		// The stack is not executable: the fetch faults, after growing it.
		if f := k.Fetch(a[8]-3*pg, 1); f == nil || f.Code != SegvAccErr {
			return fmt.Errorf("fetch: %v, want SEGV_ACCERR", f)
		}
		return nil
	}},
	{"file pwrite", func(k *Kernel, fd int, a []Addr) error { _, err := k.FilePwrite(fd, []byte("W"), 5); return err }},
	{"pread", func(k *Kernel, fd int, a []Addr) error { _, err := k.Pread(fd, a[0]+2, 3, 0); return err }},
	{"pwrite", func(k *Kernel, fd int, a []Addr) error { _, err := k.Pwrite(fd, a[7], 1, 9); return err }},
	{"msync", func(k *Kernel, fd int, a []Addr) error { return k.Msync(a[2], pg, MsSync) }},
	{"madvise", func(k *Kernel, fd int, a []Addr) error { return k.Madvise(a[0]+pg, pg, MadvGuardRemove) }},
	{"mprotect", func(k *Kernel, fd int, a []Addr) error { return k.Mprotect(a[4], pg, ProtRead) }},
	{"munmap", func(k *Kernel, fd int, a []Addr) error { return k.Munmap(a[6], pg) }},
	{"mmap", func(k *Kernel, fd int, a []Addr) error {
		_, err := k.Mmap(freeBase, pg, rw, pa|MapFixed, -1, 0)
		return err
	}},
	{"mmap reserve", func(k *Kernel, fd int, a []Addr) error { _, err := k.MmapReserve(freeBase+8*pg, pg); return err }},
	{"brk", func(k *Kernel, fd int, a []Addr) error { k.Brk(brkStart + 3*pg); return nil }},
	{"ftruncate", func(k *Kernel, fd int, a []Addr) error {
		if err := k.Ftruncate(fd, 100); err != nil {
			return err
		}
		return k.Ftruncate(fd, 3*pg)
	}},
	{"open", func(k *Kernel, fd int, a []Addr) error {
		nfd, err := k.Open("new", ORdWr|OCreat|OTrunc, 0o644)
		if err == nil {
			_, err = k.FilePwrite(nfd, []byte("n"), 0)
		}
		return err
	}},
	{"unlink", func(k *Kernel, fd int, a []Addr) error { return k.Unlink("f") }},
	{"close", func(k *Kernel, fd int, a []Addr) error { return k.Close(fd) }},
	{"mremap", func(k *Kernel, fd int, a []Addr) error {
		_, err := k.Mremap(a[2], 2*pg, 2*pg, MremapMayMove|MremapFixed, freeBase+pg)
		return err
	}},
	// The page table and the guard markers are shared until one kernel
	// changes them: a move of private pages and guards, and an unmap that
	// drops private pages, each as the first change after the Clone.
	{"mremap private pages and guard", func(k *Kernel, fd int, a []Addr) error {
		_, err := k.Mremap(a[0], 2*pg, 2*pg, MremapMayMove|MremapFixed, freeBase+16*pg)
		return err
	}},
	{"munmap private pages", func(k *Kernel, fd int, a []Addr) error { return k.Munmap(a[0], 2*pg) }},
}

// faultErr is an access's fault as an error (nil when there is none).
func faultErr(_ int, f *Fault) error {
	if f == nil {
		return nil
	}
	return f
}

// mutate changes everything cloneWorld set up (cloneOps, in order).
func mutate(t *testing.T, k *Kernel, fd int, addrs []Addr) {
	t.Helper()
	if err := mutateAll(k, fd, addrs); err != nil {
		t.Fatal(err)
	}
}

// mutateAll is mutate for any goroutine: it returns the first failure.
func mutateAll(k *Kernel, fd int, addrs []Addr) error {
	for _, op := range cloneOps {
		if err := op.do(k, fd, addrs); err != nil {
			return fmt.Errorf("%s: %v", op.name, err)
		}
	}
	return nil
}

// TestCloneIndependent: after Clone, changes to either kernel are invisible
// to the other, in both directions.
func TestCloneIndependent(t *testing.T) {
	for _, dir := range []string{"change original", "change clone"} {
		t.Run(dir, func(t *testing.T) {
			k, fd, addrs := cloneWorld(t)
			before := observe(k, fd, addrs)
			c := k.Clone()
			if got := observe(c, fd, addrs); got != before {
				t.Fatalf("clone differs at once:\n%s\nwant\n%s", got, before)
			}
			changed, kept := k, c
			if dir == "change clone" {
				changed, kept = c, k
			}
			mutate(t, changed, fd, addrs)
			if got := observe(kept, fd, addrs); got != before {
				t.Errorf("the unchanged kernel changed:\n%s\nwant\n%s", got, before)
			}
			if observe(changed, fd, addrs) == before {
				t.Errorf("mutate changed nothing")
			}
			for _, x := range []*Kernel{k, c} {
				if err := x.CheckInvariants(); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// TestCloneChain: clones of clones stay independent, and a clone can be
// cloned again after both have written.
func TestCloneChain(t *testing.T) {
	k := linuxKernel(t)
	a := mustMmap(t, k, 0, pg, rw, pa, -1, 0)
	ks := []*Kernel{k}
	for i := 1; i < 6; i++ {
		prev := ks[len(ks)-1]
		poke(t, prev, a, byte(i))
		ks = append(ks, prev.Clone())
		poke(t, ks[len(ks)-1], a+1, byte(i))
	}
	for i, x := range ks {
		want := byte(i + 1)
		if i == len(ks)-1 {
			want = byte(i)
		}
		if got := mustPeek(t, x, a); got != want {
			t.Errorf("kernel %d reads %d, want %d", i, got, want)
		}
		if err := x.CheckInvariants(); err != nil {
			t.Errorf("kernel %d: %v", i, err)
		}
	}
}

// TestCloneSharesFiles: a clone shares its file tables and inodes with the
// original until one of them writes: a write to one file copies that
// inode alone (and the tables), in the kernel that wrote it.
func TestCloneSharesFiles(t *testing.T) {
	k, fd, addrs := cloneWorld(t)
	c := k.Clone()
	if len(k.fs.inodes) < 2 {
		t.Fatalf("cloneWorld has %d inodes, want at least 2", len(k.fs.inodes))
	}
	for ino, ind := range k.fs.inodes {
		if c.fs.inodes[ino] != ind {
			t.Errorf("inode %d is copied at Clone", ino)
		}
	}
	f, _ := c.fs.file(fd)
	if _, err := c.FilePwrite(fd, []byte("clone"), 0); err != nil {
		t.Fatal(err)
	}
	for ino, ind := range k.fs.inodes {
		shared := c.fs.inodes[ino] == ind
		if want := ino != f.ino; shared != want {
			t.Errorf("after the clone wrote inode %d: inode %d shared %v, want %v", f.ino, ino, shared, want)
		}
	}
	data := make([]byte, 5)
	if _, err := k.FilePread(fd, data, 0); err != nil || string(data) != "sFFFF" {
		t.Errorf("the original's file reads %q, %v; want \"sFFFF\" (cloneWorld stored the s)", data, err)
	}
	if _, err := c.FilePread(fd, data, 0); err != nil || string(data) != "clone" {
		t.Errorf("the clone's file reads %q, %v; want \"clone\"", data, err)
	}
	// The shared anonymous memory (an inode the clone did not write)
	// still reads the same in both.
	if a, b := mustPeek(t, k, addrs[6]), mustPeek(t, c, addrs[6]); a != 'm' || b != 'm' {
		t.Errorf("shm reads %q and %q, want 'm' in both", a, b)
	}
}

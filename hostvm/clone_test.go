package hostvm

import (
	"bytes"
	"fmt"
	"testing"
)

// cloneWorld builds a kernel with one of everything Clone must copy:
// private anonymous pages, a shared file mapping, a private file mapping
// with a copied page, shared anonymous memory, a heap, a guard page, open
// descriptors.
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
	return k, fd, []Addr{anon, anon + pg, sh, sh + pg, pr, pr + pg, shm, brkStart}
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

// mutate changes everything cloneWorld set up.
func mutate(t *testing.T, k *Kernel, fd int, addrs []Addr) {
	anon, sh, pr, shm := addrs[0], addrs[2], addrs[4], addrs[6]
	poke(t, k, anon, 'A')
	poke(t, k, sh+1, 'S')
	poke(t, k, pr+pg, 'P')
	poke(t, k, shm+pg, 'M')
	poke(t, k, brkStart+1, 'H')
	if _, err := k.FilePwrite(fd, []byte("W"), 5); err != nil {
		t.Fatal(err)
	}
	mustOK(t, k.Madvise(anon+pg, pg, MadvGuardRemove), "guard remove")
	mustOK(t, k.Mprotect(pr, pg, ProtRead), "mprotect")
	mustOK(t, k.Munmap(shm, pg), "munmap")
	mustMmap(t, k, freeBase, pg, rw, pa|MapFixed, -1, 0)
	k.Brk(brkStart + 3*pg)
	mustOK(t, k.Ftruncate(fd, 100), "ftruncate")
	mustOK(t, k.Ftruncate(fd, 3*pg), "ftruncate")
	fileWith(t, k, "new", []byte("n"))
	mustOK(t, k.Close(fd), "close")
	if _, err := k.Mremap(sh, 2*pg, 2*pg, MremapMayMove|MremapFixed, freeBase+pg); err != nil {
		t.Fatal(err)
	}
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

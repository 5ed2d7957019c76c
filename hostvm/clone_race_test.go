package hostvm

import (
	"fmt"
	"sync"
	"testing"
)

// TestCloneEachChange: after a Clone, each method that changes a kernel,
// called alone on either kernel, leaves the other as it was.
func TestCloneEachChange(t *testing.T) {
	for _, op := range cloneOps {
		for _, dir := range []string{"original", "clone"} {
			t.Run(op.name+"/"+dir, func(t *testing.T) {
				k, fd, addrs := cloneWorld(t)
				before := observe(k, fd, addrs)
				c := k.Clone()
				changed, kept := k, c
				if dir == "clone" {
					changed, kept = c, k
				}
				if err := op.do(changed, fd, addrs); err != nil {
					t.Fatal(err)
				}
				if got := observe(kept, fd, addrs); got != before {
					t.Errorf("%s of the %s changed the other kernel:\n%s\nwant\n%s", op.name, dir, got, before)
				}
				for _, x := range []*Kernel{k, c} {
					if err := x.CheckInvariants(); err != nil {
						t.Error(err)
					}
				}
			})
		}
	}
}

// TestCloneConcurrently: Clone only reads the kernel it copies, so several
// goroutines may clone one kernel at once, while others read it, and then
// each change its own clone (run with -race: a write to the shared kernel
// or to what the clones share is a data race).
func TestCloneConcurrently(t *testing.T) {
	k, fd, addrs := cloneWorld(t)
	before := observe(k, fd, addrs)
	const cloners, readers = 4, 2
	var wg sync.WaitGroup
	clones := make([]*Kernel, cloners)
	errs := make([]error, cloners+readers)
	for i := 0; i < cloners; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := k.Clone()
			clones[i] = c
			errs[i] = mutateAll(c, fd, addrs)
		}(i)
	}
	for i := 0; i < readers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[cloners+i] = readAll(k, fd, addrs)
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("goroutine %d: %v", i, err)
		}
	}
	if t.Failed() {
		return
	}
	if got := observe(k, fd, addrs); got != before {
		t.Errorf("the cloned kernel changed:\n%s\nwant\n%s", got, before)
	}
	after := observe(clones[0], fd, addrs)
	if after == before {
		t.Fatalf("mutate changed nothing")
	}
	for i, c := range clones[1:] {
		if got := observe(c, fd, addrs); got != after {
			t.Errorf("clone %d differs from clone 0:\n%s\nwant\n%s", i+1, got, after)
		}
	}
	// The original, changed now, takes its copy-on-write marks back
	// without touching the clones.
	mutate(t, k, fd, addrs)
	for i, c := range clones {
		if got := observe(c, fd, addrs); got != after {
			t.Errorf("clone %d changed with the original:\n%s\nwant\n%s", i, got, after)
		}
		if err := c.CheckInvariants(); err != nil {
			t.Errorf("clone %d: %v", i, err)
		}
	}
}

// readAll calls every method that only looks at k, as Kernel's doc allows
// during Clones.
func readAll(k *Kernel, fd int, addrs []Addr) error {
	for round := 0; round < 20; round++ {
		_ = k.Config()
		_, _, _, _, _ = k.PageSize(), k.TaskSize(), k.MmapBase(), k.MapCount(), k.BrkStart()
		_, _, _ = k.Maps(), k.MapsString(), k.Debug()
		_, _ = k.String(), k.GoString()
		for _, a := range addrs {
			k.Lookup(a)
			k.MappingsIn(Range{a, a + pg})
		}
		if _, err := k.Fstat(fd); err != nil {
			return err
		}
		if _, err := k.FcntlGetFl(fd); err != nil {
			return err
		}
		if _, err := k.FilePread(fd, make([]byte, pg), 0); err != nil {
			return err
		}
		if len(k.Files()) == 0 {
			return fmt.Errorf("no files")
		}
		if err := k.CheckInvariants(); err != nil {
			return err
		}
	}
	return nil
}

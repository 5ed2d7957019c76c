package hostvm

import (
	"strings"
	"testing"
)

// TestCheckInvariantsCatches corrupts a healthy kernel's internals in one
// way at a time (white-box) and asserts CheckInvariants names the damage.
func TestCheckInvariantsCatches(t *testing.T) {
	const a = hAddr
	healthy := func(t *testing.T) *Kernel {
		k, err := New(linuxConfig())
		if err != nil {
			t.Fatal(err)
		}
		fd := fileWith(t, k, "f", repeat('f', pg))
		mustMmap(t, k, a, 2*pg, rw, pa|MapFixed, -1, 0)
		mustMmap(t, k, a+4*pg, pg, ProtRead, MapShared|MapFixed, fd, 0)
		poke(t, k, a, 1)
		if err := k.CheckInvariants(); err != nil {
			t.Fatalf("healthy kernel: %v", err)
		}
		return k
	}
	first := func(k *Kernel) vma { v, _ := k.findVMA(a); return v }
	for _, c := range []struct {
		name    string
		corrupt func(k *Kernel)
		want    string
	}{
		{"overlapping VMAs", func(k *Kernel) {
			v := first(k)
			v.start, v.end = a+pg, a+5*pg
			k.vmas.ReplaceOrInsert(v)
		}, "overlap"},
		{"unaligned VMA", func(k *Kernel) {
			v := first(k)
			k.vmas.Delete(v)
			v.end = a + pg + 1
			k.vmas.ReplaceOrInsert(v)
		}, "not page aligned"},
		{"empty VMA", func(k *Kernel) {
			v := first(k)
			k.vmas.Delete(v)
			v.end = v.start
			k.vmas.ReplaceOrInsert(v)
		}, "empty or inverted"},
		{"VMA past TASK_SIZE", func(k *Kernel) {
			k.vmas.ReplaceOrInsert(vma{start: 0x7ffffffff000, end: 0x800000000000, prot: rw})
		}, "passes the task size"},
		{"prot bits beyond rwx", func(k *Kernel) {
			v := first(k)
			v.prot |= ProtSem
			k.vmas.ReplaceOrInsert(v)
		}, "beyond rwx"},
		{"mergeable neighbours", func(k *Kernel) {
			v := first(k)
			k.vmas.Delete(v)
			lo, hi := v, v
			lo.end, hi.start, hi.pgoff = a+pg, a+pg, v.pgoff+1
			k.vmas.ReplaceOrInsert(lo)
			k.vmas.ReplaceOrInsert(hi)
		}, "mergeable but apart"},
		{"missing inode", func(k *Kernel) {
			v, _ := k.findVMA(a + 4*pg)
			v.ino = 99
			k.vmas.ReplaceOrInsert(v)
		}, "missing inode 99"},
		{"stale total_vm", func(k *Kernel) { k.totalVM += pg }, "total_vm"},
		{"stale gap", func(k *Kernel) {
			v := first(k)
			v.gapEnd += pg
			k.vmas.ReplaceOrInsert(v)
		}, "records its gap above"},
		{"private page outside VMAs", func(k *Kernel) {
			k.pt.ReplaceOrInsert(pte{uint64(freeBase) >> 12, k.newPage()})
		}, "lies in no VMA"},
		{"private page in a shared VMA", func(k *Kernel) {
			k.pt.ReplaceOrInsert(pte{uint64(a+4*pg) >> 12, k.newPage()})
		}, "in shared VMA"},
		{"page of the wrong size", func(k *Kernel) {
			k.pt.ReplaceOrInsert(pte{uint64(a) >> 12, &page{chunks: make([]*chunk, 2)}})
		}, "chunks, want 1"},
		{"cache page past EOF", func(k *Kernel) {
			k.fs.inodes[1].pages.ReplaceOrInsert(pte{7, k.newPage()})
		}, "beyond its size"},
		{"fd to a missing inode", func(k *Kernel) { k.fs.fds[9] = openFile{ino: 42} }, "missing inode 42"},
		{"guard outside VMAs", func(k *Kernel) { k.guards.Set(uint64(freeBase)>>12, uint64(freeBase)>>12+1, 1) }, "guard marker"},
		{"brk below start", func(k *Kernel) { k.brk = k.startBrk - pg }, "below start_brk"},
	} {
		t.Run(c.name, func(t *testing.T) {
			k := healthy(t)
			c.corrupt(k)
			err := k.CheckInvariants()
			if err == nil {
				t.Fatalf("CheckInvariants found nothing")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("CheckInvariants = %v\nwant it to mention %q", err, c.want)
			}
		})
	}
}

// TestCheckInvariantsAfterPanics: the invariants build tag's hook panics on
// a violation (it is a hostvm bug), naming the call.
func TestCheckInvariantsAfterPanics(t *testing.T) {
	k := linuxKernel(t)
	mustMmap(t, k, hAddr, pg, rw, pa|MapFixed, -1, 0)
	k.totalVM++
	defer func() {
		k.totalVM--
		r := recover()
		if s, ok := r.(string); !ok || !strings.HasPrefix(s, "after mmap: hostvm invariants") {
			t.Errorf("recovered %v, want a panic naming mmap", r)
		}
	}()
	k.checkInvariantsAfter("mmap")
}

// TestInvariantsHoldEverywhere runs one of each call on every fuzz
// geometry and checks the invariants after each.
func TestInvariantsHoldEverywhere(t *testing.T) {
	for _, cfg := range fuzzKernelConfigs {
		k := newKernel(t, cfg)
		ps := k.PageSize()
		fd := fileWith(t, k, "f", repeat('x', int(3*ps)))
		steps := []func() error{
			func() error { _, err := k.Mmap(0, 8*ps, rw, pa, -1, 0); return err },
			func() error { _, err := k.Mmap(0, 4*ps, rw, MapShared, fd, 0); return err },
			func() error { _, err := k.Mmap(0, 4*ps, rw, MapPrivate|MapPopulate, fd, 0); return err },
			func() error { _, err := k.Mmap(0, 4*ps, rw, sa, -1, 0); return err },
			func() error { _, err := k.Mmap(0, 4*ps, rw, pa|MapGrowsDown, -1, 0); return err },
		}
		var addrs []Addr
		for i, s := range steps {
			if err := s(); err != nil {
				t.Fatalf("%#v: step %d: %v", k, i, err)
			}
			m := k.Maps()
			addrs = append(addrs, m[0].Start)
			if err := k.CheckInvariants(); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range addrs {
			for _, op := range []func(){
				func() { _, _ = k.Write(a, repeat(1, int(ps)+3)) },
				func() { _ = k.Mprotect(a+Addr(ps), Addr(ps).toLen(), ProtRead) },
				func() { _ = k.Madvise(a, 2*ps, MadvDontNeed) },
				func() { _ = k.Madvise(a, ps, MadvDontFork) },
				func() { _ = k.Msync(a, ps, MsSync) },
				func() { _, _ = k.Mremap(a, ps, 3*ps, MremapMayMove, 0) },
				func() { _ = k.Munmap(a+Addr(ps), ps) },
				func() { _, _ = k.Read(a-Addr(ps), make([]byte, 10)) },
				func() { _ = k.Ftruncate(fd, int64(ps)) },
				func() { k.Brk(k.BrkStart() + Addr(3*ps)) },
			} {
				op()
				if err := k.CheckInvariants(); err != nil {
					t.Fatalf("%#v: %v", k, err)
				}
			}
		}
	}
}

// toLen turns an address difference into a length, for readability.
func (a Addr) toLen() uint64 { return uint64(a) }

package hostvm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/internal/runs"
)

// errNoKernel is what CheckInvariants says of a nil or zero Kernel.
var errNoKernel = errors.New("hostvm: no kernel (a nil or zero Kernel; use New)")

// CheckInvariants verifies the kernel's internal consistency: VMAs sorted,
// non-overlapping, page aligned, inside the address space and maximally
// merged; files and private pages where VMAs say they are; each VMA's
// record of the gap above it, and the tree's largest gap per subtree,
// equal to the gaps the VMAs leave; cached counters equal to a recount.
// Property tests call it after every step. It returns nil or an error
// listing every violation.
func (k *Kernel) CheckInvariants() error {
	if !k.live() {
		return errNoKernel
	}
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }

	var prev vma
	havePrev := false
	total := uint64(0)
	k.vmas.Ascend(func(v vma) bool {
		switch {
		case v.start >= v.end:
			fail("VMA %v is empty or inverted", v.rng())
		case !k.g.pageAligned(uint64(v.start)) || !k.g.pageAligned(uint64(v.end)):
			fail("VMA %v is not page aligned", v.rng())
		case v.end > k.g.taskSize:
			fail("VMA %v passes the task size %v", v.rng(), k.g.taskSize)
		}
		if v.prot&^ProtRWX != 0 {
			fail("VMA %v has prot bits %#x beyond rwx", v.rng(), uint32(v.prot))
		}
		if v.flags&vmExecOnlyKey != 0 && (!k.cfg.PKeys || v.prot != ProtExec) {
			fail("VMA %v has the execute-only key with prot %v (protection keys %v)", v.rng(), v.prot, k.cfg.PKeys)
		}
		if havePrev {
			if v.start < prev.end {
				fail("VMAs %v and %v overlap", prev.rng(), v.rng())
			} else if k.mergeable(prev, v) {
				fail("VMAs %v and %v are mergeable but apart", prev.rng(), v.rng())
			}
		}
		if (v.ino == 0) != (v.file == 0) {
			fail("VMA %v has inode %d but open file %d", v.rng(), v.ino, v.file)
		}
		if v.ino != 0 {
			if _, ok := k.fs.inodes[v.ino]; !ok {
				fail("VMA %v maps missing inode %d", v.rng(), v.ino)
			}
		}
		if havePrev {
			k.checkGapAbove(prev, v, true, fail)
		}
		total += v.rng().Len()
		prev, havePrev = v, true
		return true
	})
	if havePrev {
		k.checkGapAbove(prev, vma{}, false, fail)
	}
	if total != k.totalVM {
		fail("cached total_vm %#x, recount %#x", k.totalVM, total)
	}

	if msg, ok := k.vmas.Check("VMA"); !ok {
		fail("%s", msg)
	}
	perPage := int(k.g.pageSize / chunkSize)
	k.pt.Ascend(func(e pte) bool {
		a := Addr(e.key << k.g.pageShift)
		v, ok := k.findVMA(a)
		switch {
		case !ok:
			fail("private page at %v lies in no VMA", a)
		case v.shared():
			fail("private page at %v lies in shared VMA %v", a, v.rng())
		}
		if len(e.p.chunks) != perPage {
			fail("private page at %v has %d chunks, want %d", a, len(e.p.chunks), perPage)
		}
		return true
	})
	k.guards.Each(func(r runs.Run) bool {
		for a := Addr(r.First << k.g.pageShift); a < Addr(r.End<<k.g.pageShift); {
			v, ok := k.nextVMA(a)
			if !ok || v.start > a {
				fail("guard marker at %v lies in no VMA", a)
				return false
			}
			a = v.end
		}
		return true
	})
	for _, ind := range k.fs.inodes {
		ind.pages.Ascend(func(e pte) bool {
			if len(e.p.chunks) != perPage {
				fail("page %d of inode %d has %d chunks, want %d", e.key, ind.ino, len(e.p.chunks), perPage)
			}
			if !k.inFile(ind, e.key) {
				fail("page %d of inode %d lies beyond its size %#x", e.key, ind.ino, ind.size)
			}
			return true
		})
	}
	for fd, f := range k.fs.fds {
		if _, ok := k.fs.inodes[f.ino]; !ok {
			fail("fd %d refers to missing inode %d", fd, f.ino)
		}
	}
	if k.brk < k.startBrk {
		fail("brk %v below start_brk %v", k.brk, k.startBrk)
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("hostvm invariants:\n  %s\n%s", strings.Join(bad, "\n  "), k.Debug())
}

// checkGapAbove reports through fail a VMA v whose gapEnd is not what
// its next VMA (hasNext false: none) makes it.
func (k *Kernel) checkGapAbove(v, next vma, hasNext bool, fail func(string, ...any)) {
	if want := k.gapEndAbove(v.end, next, hasNext); v.gapEnd != want {
		fail("VMA %v records its gap above ending at %v, want %v", v.rng(), v.gapEnd, want)
	}
}

// checkInvariantsAfter is deferred by every system call when the
// invariants build tag is set; a violation is a bug in hostvm, so it
// panics. Large address spaces are skipped to keep such builds usable.
func (k *Kernel) checkInvariantsAfter(call string) {
	if k.vmas.Len() > 4096 {
		return
	}
	if err := k.CheckInvariants(); err != nil {
		panic("after " + call + ": " + err.Error())
	}
}

package box64

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/internal/runs"
)

// CheckAgreement verifies box64's own invariants: what box64 believes of
// the address space against what the host has.
//
//  1. Every host page the host maps is one box64 knows (mapallmem), but the
//     host's heap, which brk moves behind box64's back.
//  2. Every host page box64 knows is mapped on the host.
//  3. Every host page box64 mapped for the guest (MEM_MMAP) has on the host
//     the protection box64 recorded (memprot), or that with PROT_READ
//     added to PROT_WRITE, as box_mmap and the edge emulation ask the
//     host (my_mprotect's unions do not add it).
//  4. On a host with pages larger than 4K, every guest page box64 records
//     in memprot_guest with some access lies in host memory that allows
//     it: the host page's protection is the union of its guest pages'.
//
// It returns nil, or an error naming each violation (at most 20).
func (b *Box64) CheckAgreement() error {
	if b.libc.Host == nil {
		return errNotStarted
	}
	var bad []string
	fail := func(format string, args ...any) {
		if len(bad) < 20 {
			bad = append(bad, fmt.Sprintf(format, args...))
		}
	}
	p := b.pageSize()
	host := b.libc.Host
	all := host.MappingsIn(hostvm.Range{Start: 0, End: hostvm.Addr(^uint64(0))})
	heap := hostvm.Range{Start: hostvm.Addr(b.cfg.BrkStart), End: hostvm.Addr(b.prot.align(uint64(host.Brk(0))))}

	for _, m := range all { // 1
		lo, hi := uint64(m.Start), uint64(m.End)
		if m.Start >= heap.Start && m.End <= heap.End {
			continue
		}
		if a, ok := b.prot.firstMissing(lo, hi); ok {
			fail("host page %#x is mapped (%v) but box64 believes it unmapped (not in mapallmem)", a, m.Prot)
		}
	}
	b.prot.mapallmem.Each(func(r runs.Run) bool { // 2 and 3
		lo, hi := r.First*p, r.End*p
		at := hostvm.Addr(lo)
		for _, m := range host.MappingsIn(hostvm.Range{Start: at, End: hostvm.Addr(hi)}) {
			if m.Start > at {
				fail("box64 believes host pages %v-%v mapped (mapallmem) but the host has nothing there", at, m.Start)
			}
			if memKind(r.Val) == memMmap {
				b.checkRecordedProt(m, fail)
			}
			at = m.End
		}
		if at < hostvm.Addr(hi) {
			fail("box64 believes host pages %v-%#x mapped (mapallmem) but the host has nothing there", at, hi)
		}
		return len(bad) < 20
	})
	if b.prot.tracked { // 4
		for _, r := range b.prot.guest.Runs() {
			want := hostvm.Prot(r.Flags) & hostvm.ProtRWX
			if want == 0 {
				continue // a page with no access needs no host memory
			}
			at := hostvm.Addr(r.Start)
			for _, m := range host.MappingsIn(hostvm.Range{Start: at, End: hostvm.Addr(r.End)}) {
				if m.Start > at {
					fail("guest pages %v-%v are %v in box64's view but the host has nothing there", at, m.Start, want)
				}
				if m.Prot&want != want {
					fail("guest pages %v-%v are %v in box64's view but their host memory is %v",
						max(at, m.Start), m.End, want, m.Prot)
				}
				at = m.End
			}
			if at < hostvm.Addr(r.End) {
				fail("guest pages %v-%#x are %v in box64's view but the host has nothing there", at, r.End, want)
			}
			if len(bad) >= 20 {
				break
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("box64 and the host disagree:\n  %s", strings.Join(bad, "\n  "))
}

// checkRecordedProt is invariant 3 for host mapping m (clipped to host
// pages box64 mapped for the guest).
func (b *Box64) checkRecordedProt(m hostvm.Mapping, fail func(string, ...any)) {
	p := b.pageSize()
	first, end := uint64(m.Start)/p, uint64(m.End)/p
	at := first
	check := func(lo, hi uint64, recorded uint32) {
		asked := hostvm.Prot(recorded) & hostvm.ProtRWX
		if m.Prot != asked && m.Prot != hostvm.Prot(edgeHostProt(int(recorded)))&hostvm.ProtRWX {
			fail("host pages %#x-%#x are %v on the host but box64 recorded %v", lo*p, hi*p, m.Prot, asked)
		}
	}
	b.prot.memprot.EachIn(first, end, func(r runs.Run) bool {
		if r.First > at {
			check(at, r.First, 0)
		}
		check(r.First, r.End, r.Val)
		at = r.End
		return true
	})
	if at < end {
		check(at, end, 0)
	}
}

// firstMissing returns the first host page of [start, end) that box64
// does not know (mapallmem).
//
// Preconditions: start and end are host-page aligned.
func (p *protection) firstMissing(start, end uint64) (uint64, bool) {
	at := start / p.page
	last := end / p.page
	missing := false
	p.mapallmem.EachIn(at, last, func(r runs.Run) bool {
		if r.First > at {
			missing = true
			return false
		}
		at = r.End
		return true
	})
	if missing || at < last {
		return at * p.page, true
	}
	return 0, false
}

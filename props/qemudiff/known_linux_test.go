//go:build linux

package qemudiff

import (
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
)

// The known differences: where QEMU 7.2 does something no quirk of sim
// models (its own bugs, mostly fixed in later QEMU), or where the comparison
// itself cannot follow. Each has a name, the rule that recognises it, and
// whether the two sides' states may differ after it (then the rest of the
// sequence is not compared). A difference no rule names fails the test.
//
//	qemu72-eof-truncate       -p larger than the real 4K host page: 7.2 truncates a
//	                          file mapping at end-of-file whenever
//	                          qemu_real_host_page_size() < qemu_host_page_size (sim
//	                          does so only for a target page larger than the real
//	                          host page, as the seed's test reads). The pages past
//	                          EOF are left out of the mapping and its page flags
//	                          (SIGSEGV instead of SIGBUS, later mappings land
//	                          there); an offset at or past EOF makes the length
//	                          wrap: ENOMEM, EINVAL, or page_set_flags' assertion.
//	qemu72-mmap-prot-einval   7.2's validate_prot_to_pageflags makes mmap fail with
//	                          EINVAL for a protection bit it does not know; Linux
//	                          (and sim without mmap-prot-unmasked) ignores it.
//	qemu72-zero-length        7.2's guest_range_valid_untagged(start, 0) is false, so
//	                          mprotect(addr, 0) fails with ENOMEM (EINVAL with a bad
//	                          protection) where Linux returns 0.
//	qemu72-mremap-zero-size   the same check makes mremap with an old or new size of
//	                          0 fail with ENOMEM (with MREMAP_MAYMOVE and new size 0,
//	                          mmap_find_vma finds no room of size 0); Linux says
//	                          EINVAL, or duplicates a shared mapping.
//	qemu72-find-vma-zero-size a non-fixed length that wraps to 0 when host-page
//	                          aligned: 7.2's rewritten mmap_find_vma_reserved never
//	                          finds room of size 0 (ENOMEM); the seed's search (sim)
//	                          returns an address, moving mmap_next_start there, and
//	                          the host mmap fails (EINVAL).
//	qemu72-madvise-unchecked  7.2's target_madvise returns 0 for holes (Linux:
//	                          ENOMEM), unknown advice and MADV_FREE on memory that is
//	                          not private anonymous (Linux: EINVAL). Where sim
//	                          applied MADV_DONTNEED or MADV_FREE to the mapped part
//	                          first, that part's contents may differ afterwards.
//	qemu72-frag-anon-readonly 7.2's mmap_frag clears a new anonymous fragment only
//	                          when its host page ends up writable (memset under
//	                          prot_new & PROT_WRITE), and then leaves the host
//	                          page's protection alone; otherwise the fragment
//	                          keeps the old bytes (the seed's frag-anon-stale).
//	                          sim has one switch for both cases; the other case
//	                          differs (contents, and sim's mprotect of the whole
//	                          host page around its clearing).
//	frag-shared-errno         the quirk of that name, which 7.2 has: mmap_frag
//	                          refuses a writable shared file fragment without
//	                          setting errno, so the guest sees whatever errno
//	                          QEMU's C library last left (ENOENT, say), where sim
//	                          has none (and returns 0).
//	qemu72-mprotect-prot-first 7.2's target_mprotect validates the protection
//	                          before the range: EINVAL where Linux says ENOMEM
//	                          (a range that wraps or leaves the space) or returns
//	                          0 (a zero length).
//	qemu72-host-prot-exec     7.2 never gives host pages PROT_EXEC (host_prot is
//	                          PROT_READ for a guest's PROT_EXEC); the seed and sim
//	                          pass PROT_EXEC on. Host VMAs that differ only there
//	                          are one VMA under QEMU and two in sim (or the other
//	                          way round), so an mremap across them fails with
//	                          EFAULT on one side only.
//	qemu72-madvise-einval     7.2's target_madvise fails with EINVAL for a range
//	                          outside the guest space; Linux says ENOMEM.
//	qemu72-mmap-next-start    under RESERVED_VA 7.2 leaves mmap_next_start at
//	                          TASK_UNMAPPED_BASE (0x40000000): non-fixed mappings go
//	                          down from the guest's stack, and wrap to the top of the
//	                          space. The seed (and sim.New) start at RESERVED_VA.
//	                          The comparison fills the free guest space above the
//	                          start-up mappings in sim (newMachine) and keeps the
//	                          sequences below them, so the searches agree; a
//	                          non-fixed mapping that does not fit below them would
//	                          not (the generator draws none).
//	qemu72-died               QEMU itself died: an assertion failed (page_set_flags'
//	                          start < end, rcu_read_unlock's depth), it crashed
//	                          (SIGSEGV in QEMU's own code, mostly after
//	                          mremap-shrink-reserve-addr put a PROT_NONE placeholder
//	                          over live memory, QEMU's GDT among it), or it spun
//	                          forever (a host fault in mmap_frag's memset, retried).
type knownContext struct {
	m *machine

	// before the call being classified
	fileSize uint64
	fragRO   bool // the call is an anonymous mmap_frag onto a host page that stays read-only

	sawExec bool // a mapping or mprotect with PROT_EXEC succeeded

	// silent is the first known difference that may have left the two
	// states apart while both sides returned the same: later differences
	// are its consequences.
	silent string
	// tainted reports whether the final layouts may differ.
	tainted bool
	// ranges are guest ranges whose contents may differ, with the known
	// difference that made them so.
	ranges []taintRange
}

type taintRange struct {
	lo, hi uint64
	name   string
}

func newKnownContext(m *machine) *knownContext { return &knownContext{m: m} }

// before records what the rules need from the state before c runs on sim.
func (k *knownContext) before(c call) {
	k.fragRO = k.fragReadOnly(c)
	k.fileSize = 0
	if c.File >= 0 && c.File < len(k.m.fds) && k.m.fds[c.File] >= 0 {
		if st, err := k.m.k.Fstat(k.m.fds[c.File]); err == nil {
			k.fileSize = uint64(st.Size)
		}
	}
}

// fragReadOnly reports whether the MAP_FIXED anonymous mapping c has a
// fragment on a host page that other guest pages use and that stays without
// PROT_WRITE: QEMU 7.2's mmap_frag clears the fragment only when the host
// page is writable (sim clears it either way, unless frag-anon-stale is on,
// when it never does). Call before c runs.
func (k *knownContext) fragReadOnly(c call) bool {
	h := k.m.lay.H
	if c.Op != "mmap" || h == pg || c.Flags&uint64(hostvm.MapFixed|hostvm.MapAnonymous) != uint64(hostvm.MapFixed|hostvm.MapAnonymous) ||
		c.Addr%pg != 0 || c.Len == 0 {
		return false
	}
	start, end := c.Addr, c.Addr+((c.Len+pg-1)&^(pg-1))
	frag := func(hp uint64) bool {
		other := uint32(0)
		for p := hp; p < hp+h; p += pg {
			if p < start || p >= end {
				other |= k.m.sim.PageFlags(p)
			}
		}
		return other != 0 && (uint64(other)|c.Prot)&uint64(hostvm.ProtWrite) == 0
	}
	return start%h != 0 && frag(start&^(h-1)) || end%h != 0 && frag(end&^(h-1))
}

// eofTruncates reports whether QEMU 7.2 truncates the mapping c at
// end-of-file: a file mapping reaching past EOF, with -p larger than the
// real host page.
func (k *knownContext) eofTruncates(c call) bool {
	return c.Op == "mmap" && k.m.lay.H > pg && c.Flags&uint64(hostvm.MapAnonymous) == 0 && c.File >= 0 &&
		c.Off+((c.Len+pg-1)&^(pg-1)) > k.fileSize
}

// observe notes a call both sides ran the same.
func (k *knownContext) observe(c call, got, want string) {
	if got != want || !strings.HasPrefix(got, "R ") || strings.HasPrefix(got, "R E") {
		return
	}
	if (c.Op == "mmap" || c.Op == "mprotect") && c.Prot&uint64(hostvm.ProtExec) != 0 {
		k.sawExec = true
	}
	switch {
	case k.eofTruncates(c):
		k.taint("qemu72-eof-truncate")
	case k.fragRO:
		k.taint("qemu72-frag-anon-readonly")
	}
}

func (k *knownContext) taint(name string) {
	if k.silent == "" {
		k.silent = name
	}
	k.tainted = true
}

// touches returns the name of a taint range overlapping [lo, hi), or "".
func (k *knownContext) touches(lo, hi uint64) string {
	for _, r := range k.ranges {
		if lo < r.hi && r.lo < hi {
			return r.name
		}
	}
	return ""
}

func mapFailed(s string) bool { return strings.HasPrefix(s, "R E") }

// classify names the difference between QEMU's outcome want and sim's got
// of call c, and says whether the states may differ after it.
func (k *knownContext) classify(c call, want, got string) (name string, stop bool) {
	simChanged := !mapFailed(got) // sim did something QEMU did not (or differently)
	alen := (c.Len + pg - 1) &^ (pg - 1)
	switch {
	case k.eofTruncates(c):
		return "qemu72-eof-truncate", true
	case k.fragRO:
		return "qemu72-frag-anon-readonly", true
	case c.Op == "mmap" && k.m.lay.H > pg && c.File >= 0 && c.Flags&uint64(hostvm.MapType) == uint64(hostvm.MapShared) &&
		c.Prot&uint64(hostvm.ProtWrite) != 0 && mapFailed(want) && (got == "R 0" || mapFailed(got)):
		return "frag-shared-errno", false
	case c.Op == "mprotect" && c.Prot&^0xf != 0 && want == "R E 22":
		return "qemu72-mprotect-prot-first", false
	case c.Op == "mremap" && k.sawExec && (want == "R E 14") != (got == "R E 14") && (!mapFailed(want) || !mapFailed(got)):
		return "qemu72-host-prot-exec", true
	case c.Op == "mmap" && c.Prot&^0xf != 0 && want == "R E 22":
		return "qemu72-mmap-prot-einval", simChanged
	case c.Op == "mprotect" && alen == 0 && (want == "R E 12" || want == "R E 22") && got == "R 0":
		return "qemu72-zero-length", false
	case c.Op == "mremap" && (c.Len == 0 || c.NewLen == 0) && want == "R E 12":
		// Stop even where sim failed too: its mremap may have searched
		// with mmap_find_vma first, moving mmap_next_start.
		return "qemu72-mremap-zero-size", true
	case c.Op == "mmap" && c.Flags&uint64(hostvm.MapFixed) == 0 && want == "R E 12" && got == "R E 22" &&
		(c.Len+k.m.lay.H-1)&^(k.m.lay.H-1)&0xffffffff == 0:
		return "qemu72-find-vma-zero-size", true // sim's search moved mmap_next_start
	case c.Op == "madvise" && want == "R E 22" && got == "R E 12" && !k.m.inSpace(c.Addr, alen):
		return "qemu72-madvise-einval", false
	case c.Op == "madvise" && want == "R 0" && mapFailed(got):
		if c.Flags == uint64(hostvm.MadvDontNeed) || c.Flags == uint64(hostvm.MadvFree) {
			k.ranges = append(k.ranges, taintRange{c.Addr, c.Addr + alen, "qemu72-madvise-unchecked"})
		}
		return "qemu72-madvise-unchecked", false
	case (c.Op == "load" || c.Op == "store") && k.touches(c.Addr, c.Addr+c.N) != "":
		return k.touches(c.Addr, c.Addr+c.N), true
	case k.silent != "":
		return k.silent, true
	case want == "ABORT" && got != "ABORT":
		return "qemu72-died", true
	}
	return "", true
}

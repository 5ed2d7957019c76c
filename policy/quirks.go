package policy

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/sim"
)

// QuirkInfo describes one defect of the seed: what the code does wrong, how
// a guest notices, and the regression scenario (in testdata/quirks/) that
// replays it under policy=seed and shows it gone under policy=fixed.
type QuirkInfo struct {
	Quirk       sim.Quirk
	Description string // one paragraph: the defect in the code
	Symptom     string // what the guest sees
	Scenario    string // file name under testdata/quirks/
	FoundBy     string // "issue" (known when the project began) or "props" (found by the property suite)
}

// Name is the quirk's stable name.
func (q QuirkInfo) Name() string { return q.Quirk.String() }

// Quirks is the catalogue, in sim's numeric order.
var Quirks = []QuirkInfo{
	{sim.QuirkMmapLenZero,
		"target_mmap aligns the length with TARGET_PAGE_ALIGN and, when the result is 0, jumps to the_end and returns start: a length of 0, or one so large that aligning it wraps to 0, is a success that maps nothing.",
		"mmap(NULL, 0, ...) returns an address (mmap_next_start or the hint) instead of failing with EINVAL; mmap(NULL, 0xfffff001, ...) succeeds instead of failing with ENOMEM.",
		"mmap-len-zero.scn", "issue"},
	{sim.QuirkFragTailRealEnd,
		"For the host page holding the end of a MAP_FIXED mapping, target_mmap calls mmap_frag(real_end - H, real_end - H, real_end, ...): the fragment is said to cover the whole host page, so mmap_frag sees no other guest page to keep and maps a fresh host page over it.",
		"Guest pages after the new mapping, in the same host page, lose their contents (and read as the new mapping's protection) although the guest never unmapped them.",
		"frag-tail-real-end.scn", "issue"},
	{sim.QuirkFragAnonStale,
		"When an anonymous mapping covers only part of a host page that already holds other guest pages, mmap_frag keeps the existing host page and only adjusts its protection; nothing clears the bytes of the new fragment.",
		"A fresh anonymous mapping reads the old bytes of whatever was mapped there before (data of an unmapped neighbour, or of the mapping it replaced) instead of zeros.",
		"frag-anon-stale.scn", "issue"},
	{sim.QuirkMremapShrinkReserve,
		"Shrinking in place under RESERVED_VA, target_mremap calls mmap_reserve(old_addr + old_size, new_size - old_size): the address is the old end instead of the new end, and the length is negative, so it wraps to nearly the whole guest space.",
		"After mremap shrinks a mapping, a PROT_NONE host mapping is laid over the guest pages above the old mapping (and past the reservation): other mappings fault with SIGSEGV, while the shrunk tail stays accessible.",
		"mremap-shrink-reserve.scn", "issue"},
	{sim.QuirkMremapMayMoveReserve,
		"With MREMAP_MAYMOVE under RESERVED_VA, target_mremap calls mmap_reserve(old_addr, old_size) whether or not the host mremap succeeded.",
		"A failed mremap (EFAULT, EINVAL) replaces the old mapping with a PROT_NONE placeholder: the guest's data is gone and its pages fault, although its page flags still say mapped.",
		"mremap-maymove-reserve.scn", "issue"},
	{sim.QuirkFindVMAReservedZero,
		"mmap_find_vma_reserved walks down one host page at a time and only stops when the address wraps below zero, so page 0 (and everything below mmap_min_addr) is a candidate.",
		"A non-fixed mmap can return guest address 0, which the guest takes for NULL; Linux never places a mapping below mmap_min_addr.",
		"find-vma-reserved-zero.scn", "issue"},
	{sim.QuirkTopPageWrap,
		"Range ends are computed as abi_ulong start + len, which wraps to 0 for a range ending at the top of a 32-bit guest space; page_set_flags asserts start < end.",
		"Mapping the top page of a 32-bit guest aborts QEMU (the host mapping is already made); mprotect and munmap of it fail with EINVAL.",
		"top-page-wrap.scn", "props"},
	{sim.QuirkMprotectWrapEINVAL,
		"target_mprotect returns -EINVAL when start + len wraps.",
		"mprotect of a range that runs off the end of the space fails with EINVAL where Linux says ENOMEM.",
		"mprotect-wrap-einval.scn", "props"},
	{sim.QuirkMprotectBadProt,
		"target_mprotect masks prot with PROT_READ|PROT_WRITE|PROT_EXEC and ignores any other bit.",
		"mprotect with an unknown bit (0x10, say) succeeds where Linux fails with EINVAL.",
		"mprotect-bad-prot.scn", "props"},
	{sim.QuirkUncheckedRange,
		"target_mmap (MAP_FIXED), target_munmap, target_mprotect and target_mremap never check that the guest range lies inside the guest space; under RESERVED_VA the host then acts beyond the reservation.",
		"MAP_FIXED above RESERVED_VA succeeds (on host memory QEMU does not own); munmap there returns 0 where Linux (whose space ends there) says EINVAL.",
		"unchecked-range.scn", "props"},
	{sim.QuirkMprotectUnmapped,
		"target_mprotect changes host protections and page flags over the whole range, whether or not the guest pages are mapped; under RESERVED_VA the host mprotect of the placeholder succeeds.",
		"mprotect over a hole succeeds and the hole becomes accessible memory in the guest's view (page flags valid); Linux fails with ENOMEM at the first hole.",
		"mprotect-unmapped.scn", "props"},
	{sim.QuirkFragSharedErrno,
		"mmap_frag returns -1 for a writable MAP_SHARED file fragment without setting errno.",
		"The guest's mmap fails with whatever errno the previous failing call left (or returns 0 as an address if none did).",
		"frag-shared-errno.scn", "props"},
	{sim.QuirkFindVMAFirstPage,
		"mmap_find_vma_reserved checks page_get_flags() of the first guest page of each host page only.",
		"A non-fixed mmap is placed over a host page whose later guest pages are in use, and destroys them.",
		"find-vma-first-page.scn", "props"},
	{sim.QuirkNonFixedFileShort,
		"A non-fixed file mapping whose offset is not host-page aligned is mapped from the aligned-down offset with length len, not len + (offset - host_offset).",
		"The last (offset mod H) bytes of the guest's file mapping read zero instead of file data.",
		"nonfixed-file-short.scn", "props"},
	{sim.QuirkNonFixedFailUnmap,
		"When the file part of a non-fixed mapping fails, target_mmap munmaps the area even under RESERVED_VA.",
		"The reservation gets a hole that later host mappings (QEMU's own) may take.",
		"nonfixed-fail-unmap.scn", "props"},
	{sim.QuirkFixedFitEINVAL,
		"target_mmap's check that a MAP_FIXED range fits the 32-bit guest space sets errno to EINVAL.",
		"Linux reports ENOMEM for a range passing the top of the address space.",
		"fixed-fit-einval.scn", "props"},
	{sim.QuirkMsyncUnmapped,
		"target_msync passes the range to the host, which under RESERVED_VA finds it mapped (by placeholders).",
		"msync of unmapped guest memory succeeds where Linux fails with ENOMEM.",
		"msync-unmapped.scn", "props"},
	{sim.QuirkMremapMayMoveLeak,
		"Without RESERVED_VA, mmap_find_vma reserves the destination with a PROT_NONE host mapping; when the host mremap then fails, target_mremap leaves it there.",
		"A PROT_NONE host mapping that no guest page owns stays in the guest space.",
		"mremap-maymove-leak.scn", "props"},
	{sim.QuirkMremapShrinkReserveAddr,
		"Shrinking in place under RESERVED_VA reserves from old_addr + old_size (QEMU 7.2 fixed the length of QuirkMremapShrinkReserve but not the address).",
		"The freed tail of the shrunk mapping stays mapped on the host, and the placeholder lands on the guest pages after the old end.",
		"mremap-shrink-reserve-addr.scn", "props"},
	{sim.QuirkMremapFitHostAddr,
		"target_mremap's check that the result fits the guest space compares the host address ((unsigned long)host_addr + new_size) with (abi_ulong)-1.",
		"With RESERVED_VA (so a non-zero guest_base), every in-place mremap of a 32-bit guest is reverted and fails with ENOMEM.",
		"mremap-fit-host-addr.scn", "props"},
	{sim.QuirkMremapZeroOldSize,
		"target_mremap with old_size 0 calls page_set_flags(old_addr, old_addr, 0), whose assertion start < end fails.",
		"mremap(old, 0, n, MREMAP_MAYMOVE) of a shared mapping, which Linux uses to duplicate it, aborts QEMU.",
		"mremap-zero-old-size.scn", "props"},
	{sim.QuirkNoReplaceIgnored,
		"The seed era's mmap_flags_tbl has no MAP_FIXED_NOREPLACE (it did not exist): the syscall layer drops the flag.",
		"mmap(addr, ..., MAP_FIXED_NOREPLACE) over a mapping succeeds at another address instead of failing with EEXIST.",
		"noreplace-ignored.scn", "props"},
	{sim.QuirkMadviseIgnored,
		"The seed era's do_syscall answers madvise with 0 without doing anything (\"this is a hint\").",
		"MADV_DONTNEED leaves a private anonymous page's data in place; Linux makes it read zero.",
		"madvise-ignored.scn", "props"},
	{sim.QuirkEOFTruncatedFlags,
		"With a target page larger than the real host page, target_mmap truncates a file mapping's length at end-of-file (so the host does not fault inside the last target page) and then uses the truncated length for page_set_flags.",
		"The guest pages of the mapping past end-of-file are not valid: accesses raise SIGSEGV instead of SIGBUS, and later non-fixed mappings can be placed over them.",
		"eof-truncated-flags.scn", "props"},
	{sim.QuirkMremapUnchecked,
		"target_mremap checks none of mremap's rules before calling the host: it does not look at the guest's page flags for the old range, and under RESERVED_VA the host finds placeholders everywhere.",
		"mremap of unmapped guest memory succeeds (moving a placeholder) where Linux fails with EFAULT; a range spanning mappings of different protections comes out with the first one's.",
		"mremap-unchecked.scn", "props"},
	{sim.QuirkMremapHostPages,
		"target_mremap hands the guest's addresses and lengths to the host's mremap unchanged, although the host works in whole host pages.",
		"With host pages larger than guest pages, an mremap that is not host-page aligned fails with EINVAL (or resizes a whole host page, taking neighbouring guest pages with it).",
		"mremap-host-pages.scn", "props"},
	{sim.QuirkMremapGrowReserved,
		"Under RESERVED_VA the PROT_NONE placeholder that follows a mapping occupies the host range an in-place mremap needs.",
		"Growing a mapping without MREMAP_MAYMOVE always fails with ENOMEM, although the guest range after it is free.",
		"mremap-grow-reserved.scn", "props"},
	{sim.QuirkFindVMAProbe,
		"Without RESERVED_VA, mmap_find_vma reserves space by asking the host kernel with hints (mmap_next_start, then mmap_min_addr) and gives up when the host's answers fall outside the guest space.",
		"A non-fixed mmap of a 64-bit guest with a smaller address space than the host (sparc64's 44 bits on a 47-bit host) fails with ENOMEM once low memory is taken, although the guest space has room.",
		"find-vma-probe.scn", "props"},
	{sim.QuirkFragSharedLeak,
		"mmap_frag allocates a fresh host page for a fragment when no other guest page uses its host page, and only then refuses a writable MAP_SHARED file fragment with -1.",
		"The failed mmap leaves a host page mapped in the guest space that no guest page owns (under RESERVED_VA, a hole in the reservation's PROT_NONE instead).",
		"frag-shared-leak.scn", "props"},
	{sim.QuirkMsyncChecks,
		"target_msync returns 0 for an empty range before looking at the flags, and -EINVAL for a range that wraps.",
		"msync(addr, 0, MS_SYNC|MS_ASYNC) succeeds where Linux fails with EINVAL; msync of a range that wraps fails with EINVAL where Linux says ENOMEM.",
		"msync-checks.scn", "props"},
	{sim.QuirkMmapProtUnmasked,
		"target_mmap passes prot on as the guest gave it: the host's mmap ignores unknown bits, but mmap_frag's mprotect rejects them, and page_set_flags stores them (0x10 is PAGE_WRITE_ORG).",
		"mmap with an unknown protection bit succeeds where it covers whole host pages and misbehaves on fragments; Linux ignores the bit.",
		"mmap-prot-unmasked.scn", "props"},
	{sim.QuirkMremapMayMoveMoves,
		"target_mremap's MREMAP_MAYMOVE branch always asks mmap_find_vma for a new place and moves there with MREMAP_FIXED.",
		"A shrink or an in-place-possible growth with MREMAP_MAYMOVE returns a new address; Linux keeps the old one. A shrink of a range spanning mappings even fails (EFAULT) where Linux succeeds.",
		"mremap-maymove-moves.scn", "props"},
	{sim.QuirkMremapProtFirstPage,
		"After a successful mremap, target_mremap reads page_get_flags(old_addr) and sets the whole new range to it.",
		"Shrinking a range that spans mappings of different protections gives them all the first one's protection in the guest's view, disagreeing with the host.",
		"mremap-prot-first-page.scn", "props"},
	{sim.QuirkFragSharedHostPage,
		"mmap_frag keeps an existing host page for a new fragment whatever backs it; when that host page is a MAP_SHARED file mapping, the pread of the new fragment's file data (or, in the fix of frag-anon-stale, its zeroing) writes into the shared file. When the shared file is read-only, the mprotect that should make the host page writable fails, and mmap_frag ignores the failure.",
		"Mapping a private file fragment next to a shared mapping of another file (or the same file at another offset) corrupts that file: the guest kernel's file keeps its data, QEMU's does not. Next to a shared mapping of a read-only file, the guest's page flags say writable while the host page is not.",
		"frag-shared-host-page.scn", "props"},
	{sim.QuirkMremapDontUnmapReserve,
		"Under RESERVED_VA, target_mremap calls mmap_reserve(old_addr, old_size) after every successful move; the seed predates MREMAP_DONTUNMAP (Linux 5.7), which keeps the old range mapped.",
		"After mremap(MREMAP_MAYMOVE|MREMAP_DONTUNMAP) the old range is a PROT_NONE placeholder on the host while the guest's page flags still say mapped: loads there fault where Linux reads zeros (private anonymous) or the same pages (shared).",
		"mremap-dontunmap-reserve.scn", "props"},
	{sim.QuirkFragFileHostPage,
		"mmap_frag writes a new fragment's bytes (zeros, or file data read with pread) into the existing host page whatever backs it; when that host page is a private mapping of a file and lies past the file's end, the write faults: QEMU itself takes SIGBUS.",
		"Mapping anonymous memory with MAP_FIXED over part of a host page whose file mapping reaches past the end of its file kills QEMU on a host with larger pages; the guest kernel maps it. The fix first replaces a privately mapped file host page with anonymous memory holding the same bytes, so a guest's anonymous page never lives in file memory (which a later truncation of the file would also take away).",
		"frag-file-host-page.scn", "props"},
}

// QuirkInfoFor returns the catalogue entry of q.
func QuirkInfoFor(q sim.Quirk) (QuirkInfo, bool) {
	for _, qi := range Quirks {
		if qi.Quirk == q {
			return qi, true
		}
	}
	return QuirkInfo{}, false
}

// Variant is a named algorithm variant: a set of quirks.
type Variant struct {
	Name        string
	Description string
	Quirks      sim.QuirkSet
}

// Variants are the named variants.
var Variants = []Variant{
	{"seed", "QEMU linux-user/mmap.c as of March 2015, every known defect in", sim.AllQuirks},
	{"fixed", "the seed with every known defect fixed", 0},
	{"qemu-7.2", "QEMU 7.2's linux-user/mmap.c (Debian 12's qemu-user): the defects 7.2 still has (see qemu72.go)", Qemu72},
}

// ParsePolicy reads a policy as scenarios and flags spell it: "seed",
// "fixed", a variant name, "fixed-except=QUIRK,QUIRK" (fixed with those
// quirks left in), "seed-except=QUIRK,..." (the seed with those fixed), or
// "quirks=QUIRK,..." (exactly those).
func ParsePolicy(s string) (sim.QuirkSet, error) {
	for _, v := range Variants {
		if s == v.Name {
			return v.Quirks, nil
		}
	}
	name, list, ok := strings.Cut(s, "=")
	if !ok {
		return 0, fmt.Errorf("unknown policy %q (want %s, fixed-except=Q,..., seed-except=Q,... or quirks=Q,...)", s, variantNames())
	}
	var set sim.QuirkSet
	for _, n := range strings.Split(list, ",") {
		if n == "" {
			continue
		}
		q, ok := sim.QuirkByName(n)
		if !ok {
			return 0, fmt.Errorf("unknown quirk %q in policy %q (run mmapsim presets for the list)", n, s)
		}
		set = set.With(q)
	}
	switch name {
	case "fixed-except", "quirks":
		return set, nil
	case "seed-except":
		return sim.AllQuirks &^ set, nil
	}
	return 0, fmt.Errorf("unknown policy form %q in %q", name, s)
}

func variantNames() string {
	var n []string
	for _, v := range Variants {
		n = append(n, v.Name)
	}
	return strings.Join(n, ", ")
}

// PolicyString spells set as ParsePolicy reads it: a variant name when one
// matches, else the shortest of fixed-except= and seed-except=.
func PolicyString(set sim.QuirkSet) string {
	for _, v := range Variants {
		if v.Quirks == set {
			return v.Name
		}
	}
	off := sim.AllQuirks &^ set
	if off.Len() < set.Len() {
		return "seed-except=" + off.String()
	}
	return "fixed-except=" + set.String()
}

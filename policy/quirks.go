package policy

import "github.com/mmapsim/mmapsim/sim"

// QuirkInfo is one defect of the seed as a user meets it: the quirk (whose
// name, seed lines and description of the code are sim's, Quirk.Desc), what
// the guest sees, who found it, and the regression scenario that replays
// it: it fails under policy=fixed-except=<quirk> (and policy=seed) and
// passes under policy=fixed.
type QuirkInfo struct {
	Quirk    sim.Quirk
	FoundBy  string // FoundByIssue, FoundByProps or FoundByQEMUDiff
	Scenario string // file name under policy/testdata/quirks/
	Symptom  string // what the guest sees
	// Needs are the quirks the scenario needs beside this one, for a
	// behaviour that shows only in a state the fixed algorithm never
	// reaches (a host page that disagrees with the guest's page flags,
	// say). The scenario then passes under fixed-except=<Needs>, its
	// invariants unchecked (those quirks break them), and fails with this
	// quirk added.
	Needs []sim.Quirk
}

// Who found a quirk.
const (
	FoundByIssue    = "issue"    // known when the project began
	FoundByProps    = "props"    // found by the property suite (package props)
	FoundByQEMUDiff = "qemudiff" // found comparing sim with QEMU 7.2 (package props/qemudiff)
	FoundByReplay   = "replay"   // found replaying a real trace whose program runs under QEMU 7.2 (replay's TestVerdictQEMU72)
)

// Name is the quirk's stable name.
func (q QuirkInfo) Name() string { return q.Quirk.String() }

// Description says what the seed's code does wrong (sim's QuirkDesc.Doc).
func (q QuirkInfo) Description() string { return q.Quirk.Desc().Doc }

// SeedLines are the seed's lines the quirk keeps (sim's QuirkDesc.SeedLines).
func (q QuirkInfo) SeedLines() string { return q.Quirk.Desc().SeedLines }

// Quirks is the catalogue, in sim's numeric order.
var Quirks = []QuirkInfo{
	{
		Quirk:    sim.QuirkMmapLenZero,
		FoundBy:  FoundByIssue,
		Scenario: "mmap-len-zero.scn",
		Symptom:  "mmap(NULL, 0, ...) returns an address (mmap_next_start or the hint) instead of failing with EINVAL; mmap(NULL, 0xfffff001, ...) succeeds instead of failing with ENOMEM.",
	},
	{
		Quirk:    sim.QuirkFragTailRealEnd,
		FoundBy:  FoundByIssue,
		Scenario: "frag-tail-real-end.scn",
		Symptom:  "Guest pages after the new mapping, in the same host page, lose their contents (and read as the new mapping's protection) although the guest never unmapped them.",
	},
	{
		Quirk:    sim.QuirkFragAnonStale,
		FoundBy:  FoundByIssue,
		Scenario: "frag-anon-stale.scn",
		Symptom:  "A fresh anonymous mapping reads the old bytes of whatever was mapped there before (data of an unmapped neighbour, or of the mapping it replaced) instead of zeros.",
	},
	{
		Quirk:    sim.QuirkMremapShrinkReserve,
		FoundBy:  FoundByIssue,
		Scenario: "mremap-shrink-reserve.scn",
		Symptom:  "After mremap shrinks a mapping, a PROT_NONE host mapping is laid over the guest pages above the old mapping (and past the reservation): other mappings fault with SIGSEGV, while the shrunk tail stays accessible.",
	},
	{
		Quirk:    sim.QuirkMremapMayMoveReserve,
		FoundBy:  FoundByIssue,
		Scenario: "mremap-maymove-reserve.scn",
		Symptom:  "A failed mremap (EFAULT, EINVAL) replaces the old mapping with a PROT_NONE placeholder: the guest's data is gone and its pages fault, although its page flags still say mapped.",
	},
	{
		Quirk:    sim.QuirkFindVMAReservedZero,
		FoundBy:  FoundByIssue,
		Scenario: "find-vma-reserved-zero.scn",
		Symptom:  "A non-fixed mmap can return guest address 0, which the guest takes for NULL; Linux never places a mapping below mmap_min_addr.",
	},
	{
		Quirk:    sim.QuirkTopPageWrap,
		FoundBy:  FoundByProps,
		Scenario: "top-page-wrap.scn",
		Symptom:  "Mapping the top page of a 32-bit guest aborts QEMU (the host mapping is already made); mprotect and munmap of it fail with EINVAL.",
	},
	{
		Quirk:    sim.QuirkMprotectWrapEINVAL,
		FoundBy:  FoundByProps,
		Scenario: "mprotect-wrap-einval.scn",
		Symptom:  "mprotect of a range that runs off the end of the space fails with EINVAL where Linux says ENOMEM.",
	},
	{
		Quirk:    sim.QuirkMprotectBadProt,
		FoundBy:  FoundByProps,
		Scenario: "mprotect-bad-prot.scn",
		Symptom:  "mprotect with an unknown bit (0x10, say) succeeds where Linux fails with EINVAL.",
	},
	{
		Quirk:    sim.QuirkUncheckedRange,
		FoundBy:  FoundByProps,
		Scenario: "unchecked-range.scn",
		Symptom:  "MAP_FIXED above RESERVED_VA succeeds (on host memory QEMU does not own); munmap there returns 0 where Linux (whose space ends there) says EINVAL.",
	},
	{
		Quirk:    sim.QuirkMprotectUnmapped,
		FoundBy:  FoundByProps,
		Scenario: "mprotect-unmapped.scn",
		Symptom:  "mprotect over a hole succeeds and the hole becomes accessible memory in the guest's view (page flags valid); Linux fails with ENOMEM at the first hole.",
	},
	{
		Quirk:    sim.QuirkFragSharedErrno,
		FoundBy:  FoundByProps,
		Scenario: "frag-shared-errno.scn",
		Symptom:  "The guest's mmap fails with whatever errno the previous failing call left (or returns 0 as an address if none did).",
	},
	{
		Quirk:    sim.QuirkFindVMAFirstPage,
		FoundBy:  FoundByProps,
		Scenario: "find-vma-first-page.scn",
		Symptom:  "A non-fixed mmap is placed over a host page whose later guest pages are in use, and destroys them.",
	},
	{
		Quirk:    sim.QuirkNonFixedFileShort,
		FoundBy:  FoundByProps,
		Scenario: "nonfixed-file-short.scn",
		Symptom:  "The last (offset mod H) bytes of the guest's file mapping read zero instead of file data.",
	},
	{
		Quirk:    sim.QuirkNonFixedFailUnmap,
		FoundBy:  FoundByProps,
		Scenario: "nonfixed-fail-unmap.scn",
		Symptom:  "The reservation gets a hole that later host mappings (QEMU's own) may take.",
	},
	{
		Quirk:    sim.QuirkFixedFitEINVAL,
		FoundBy:  FoundByProps,
		Scenario: "fixed-fit-einval.scn",
		Symptom:  "Linux reports ENOMEM for a range passing the top of the address space.",
	},
	{
		Quirk:    sim.QuirkMsyncUnmapped,
		FoundBy:  FoundByProps,
		Scenario: "msync-unmapped.scn",
		Symptom:  "msync of unmapped guest memory succeeds where Linux fails with ENOMEM.",
	},
	{
		Quirk:    sim.QuirkMremapMayMoveLeak,
		FoundBy:  FoundByProps,
		Scenario: "mremap-maymove-leak.scn",
		Symptom:  "A PROT_NONE host mapping that no guest page owns stays in the guest space.",
	},
	{
		Quirk:    sim.QuirkMremapShrinkReserveAddr,
		FoundBy:  FoundByProps,
		Scenario: "mremap-shrink-reserve-addr.scn",
		Symptom:  "The freed tail of the shrunk mapping stays mapped on the host, and the placeholder lands on the guest pages after the old end.",
	},
	{
		Quirk:    sim.QuirkMremapFitHostAddr,
		FoundBy:  FoundByProps,
		Scenario: "mremap-fit-host-addr.scn",
		Symptom:  "With RESERVED_VA (so a non-zero guest_base), every in-place mremap of a 32-bit guest is reverted and fails with ENOMEM.",
	},
	{
		Quirk:    sim.QuirkMremapZeroOldSize,
		FoundBy:  FoundByProps,
		Scenario: "mremap-zero-old-size.scn",
		Symptom:  "mremap(old, 0, n, MREMAP_MAYMOVE) of a shared mapping, which Linux uses to duplicate it, aborts QEMU.",
	},
	{
		Quirk:    sim.QuirkNoReplaceIgnored,
		FoundBy:  FoundByProps,
		Scenario: "noreplace-ignored.scn",
		Symptom:  "mmap(addr, ..., MAP_FIXED_NOREPLACE) over a mapping succeeds at another address instead of failing with EEXIST.",
	},
	{
		Quirk:    sim.QuirkMadviseIgnored,
		FoundBy:  FoundByProps,
		Scenario: "madvise-ignored.scn",
		Symptom:  "MADV_DONTNEED leaves a private anonymous page's data in place; Linux makes it read zero.",
	},
	{
		Quirk:    sim.QuirkEOFTruncatedFlags,
		FoundBy:  FoundByProps,
		Scenario: "eof-truncated-flags.scn",
		Symptom:  "The guest pages of the mapping past end-of-file are not valid: accesses raise SIGSEGV instead of SIGBUS, and later non-fixed mappings can be placed over them.",
	},
	{
		Quirk:    sim.QuirkMremapUnchecked,
		FoundBy:  FoundByProps,
		Scenario: "mremap-unchecked.scn",
		Symptom:  "mremap of unmapped guest memory succeeds (moving a placeholder) where Linux fails with EFAULT; a range spanning mappings of different protections comes out with the first one's.",
	},
	{
		Quirk:    sim.QuirkMremapHostPages,
		FoundBy:  FoundByProps,
		Scenario: "mremap-host-pages.scn",
		Symptom:  "With host pages larger than guest pages, an mremap that is not host-page aligned fails with EINVAL (or resizes a whole host page, taking neighbouring guest pages with it).",
	},
	{
		Quirk:    sim.QuirkMremapGrowReserved,
		FoundBy:  FoundByProps,
		Scenario: "mremap-grow-reserved.scn",
		Symptom:  "Growing a mapping without MREMAP_MAYMOVE always fails with ENOMEM, although the guest range after it is free.",
	},
	{
		Quirk:    sim.QuirkFindVMAProbe,
		FoundBy:  FoundByProps,
		Scenario: "find-vma-probe.scn",
		Symptom:  "A non-fixed mmap of a 64-bit guest with a smaller address space than the host (sparc64's 44 bits on a 47-bit host) fails with ENOMEM once low memory is taken, although the guest space has room.",
	},
	{
		Quirk:    sim.QuirkFragSharedLeak,
		FoundBy:  FoundByProps,
		Scenario: "frag-shared-leak.scn",
		Symptom:  "The failed mmap leaves a host page mapped in the guest space that no guest page owns (under RESERVED_VA, a hole in the reservation's PROT_NONE instead).",
	},
	{
		Quirk:    sim.QuirkMsyncChecks,
		FoundBy:  FoundByProps,
		Scenario: "msync-checks.scn",
		Symptom:  "msync(addr, 0, MS_SYNC|MS_ASYNC) succeeds where Linux fails with EINVAL; msync of a range that wraps fails with EINVAL where Linux says ENOMEM.",
	},
	{
		Quirk:    sim.QuirkMmapProtUnmasked,
		FoundBy:  FoundByProps,
		Scenario: "mmap-prot-unmasked.scn",
		Symptom:  "mmap with an unknown protection bit succeeds where it covers whole host pages and misbehaves on fragments; Linux ignores the bit.",
	},
	{
		Quirk:    sim.QuirkMremapMayMoveMoves,
		FoundBy:  FoundByProps,
		Scenario: "mremap-maymove-moves.scn",
		Symptom:  "A shrink or an in-place-possible growth with MREMAP_MAYMOVE returns a new address; Linux keeps the old one. A shrink of a range spanning mappings even fails (EFAULT) where Linux succeeds.",
	},
	{
		Quirk:    sim.QuirkMremapProtFirstPage,
		FoundBy:  FoundByProps,
		Scenario: "mremap-prot-first-page.scn",
		Symptom:  "Shrinking a range that spans mappings of different protections gives them all the first one's protection in the guest's view, disagreeing with the host.",
	},
	{
		Quirk:    sim.QuirkFragSharedHostPage,
		FoundBy:  FoundByProps,
		Scenario: "frag-shared-host-page.scn",
		Symptom:  "Mapping a private file fragment next to a shared mapping of another file (or the same file at another offset) corrupts that file: the guest kernel's file keeps its data, QEMU's does not. Next to a shared mapping of a read-only file, the guest's page flags say writable while the host page is not.",
	},
	{
		Quirk:    sim.QuirkMremapDontUnmapReserve,
		FoundBy:  FoundByProps,
		Scenario: "mremap-dontunmap-reserve.scn",
		Symptom:  "After mremap(MREMAP_MAYMOVE|MREMAP_DONTUNMAP) the old range is a PROT_NONE placeholder on the host while the guest's page flags still say mapped: loads there fault where Linux reads zeros (private anonymous) or the same pages (shared).",
	},
	{
		Quirk:    sim.QuirkFragFileHostPage,
		FoundBy:  FoundByProps,
		Scenario: "frag-file-host-page.scn",
		Symptom:  "Mapping anonymous memory with MAP_FIXED over part of a host page whose file mapping reaches past the end of its file kills QEMU on a host with larger pages; the guest kernel maps it. The fix first replaces a privately mapped file host page with anonymous memory holding the same bytes, so a guest's anonymous page never lives in file memory (which a later truncation of the file would also take away).",
	},
	{
		Quirk:    sim.QuirkFileModeUnchecked,
		FoundBy:  FoundByProps,
		Scenario: "file-mode-unchecked.scn",
		Symptom:  "A MAP_FIXED file mapping of a file opened write-only (or, writable and shared, of a file opened read-only) fails with EBADF or EINVAL instead of EACCES where it has fragments, and can leave a fresh host page mapped that no guest page owns.",
	},
	{
		Quirk:    sim.QuirkNoPageAnon,
		FoundBy:  FoundByProps,
		Scenario: "no-page-anon.scn",
		Symptom:  "madvise(MADV_DONTNEED) of a private file mapping QEMU filled with pread (its offset not congruent with its address modulo the host page) makes it read zeros instead of the file's data, and MADV_FREE of it succeeds where Linux fails with EINVAL. With the fixed mremap, a resize or move of private anonymous memory that does not fill whole host pages fails with EINVAL.",
	},
	{
		Quirk:    sim.QuirkMinAddrUnchecked,
		FoundBy:  FoundByProps,
		Scenario: "min-addr-unchecked.scn",
		Symptom:  "Without RESERVED_VA (guest_base 0), a MAP_FIXED mapping that starts below the host's mmap_min_addr fails with EPERM only after its tail fragment is in place: the guest pages it would have replaced in a host page the guest uses read zero afterwards, and a host page that was free stays mapped with no guest page in it.",
	},
	{
		Quirk:    sim.QuirkMmapHostLenWrap,
		FoundBy:  FoundByIssue,
		Scenario: "mmap-host-len-wrap.scn",
		Symptom:  "On a 64K host, an i386 guest's mmap(NULL, 0xfffff000, PROT_READ, MAP_PRIVATE, fd, 0xfffff000) succeeds where Linux fails with ENOMEM: one host page is mapped, and the guest's page flags say 4 GiB are valid, up to 0x1f6ffe000, past the top of the 32-bit space.",
	},
	{
		Quirk:    sim.QuirkMmapOffsetOverflow,
		FoundBy:  FoundByIssue,
		Scenario: "mmap-offset-overflow.scn",
		Symptom:  "A 64-bit guest's MAP_FIXED file mapping at an offset past the largest file offset (0x7ffffffffffff000 + 0x3000) fails with EINVAL instead of EOVERFLOW where its offset is not congruent with its address on a larger host page, and leaves anonymous memory mapped there, readable and writable: a failed mmap must leave nothing mapped.",
	},
	{
		Quirk:    sim.QuirkNonFixedFailLeak,
		FoundBy:  FoundByIssue,
		Scenario: "nonfixed-fail-leak.scn",
		Symptom:  "Without RESERVED_VA, every non-fixed mmap that fails after the search for room (no map type: EINVAL; a bad fd on a guest whose pages are larger than the host's: EBADF) leaves a PROT_NONE host mapping behind: the host's address space fills with placeholders no guest page owns.",
	},
	{
		Quirk:    sim.QuirkMmapAnonOffset,
		FoundBy:  FoundByIssue,
		Scenario: "mmap-anon-offset.scn",
		Symptom:  "A non-fixed anonymous mmap with a page-aligned offset that is not host-page aligned (mmap(NULL, 0x9000, PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x8000) on a 64K host) leaves an extra host page mapped after the mapping with no guest page in it, and the mapping is placed one host page lower than it needs.",
	},
	{
		Quirk:    sim.QuirkMremapFailFlags,
		FoundBy:  FoundByIssue,
		Scenario: "mremap-fail-flags.scn",
		Symptom:  "mremap(old, 0x10000, 0x1000, MREMAP_MAYMOVE|MREMAP_FIXED, 0x1000) fails with EPERM (the destination is below mmap_min_addr) after the host has unmapped the old range's tail, as Linux does; the guest's page flags still show the tail mapped (it faults), and the call records tb_invalidate_phys_range(-1, 0xfff).",
	},
	{
		Quirk:    sim.QuirkMmapFlagsUnchecked,
		FoundBy:  FoundByProps,
		Scenario: "mmap-flags-unchecked.scn",
		Symptom:  "mmap with a bad fd fails with ENOMEM, EINVAL or EACCES where Linux says EBADF; a MAP_FIXED file mapping without a map type (or with an invalid one) succeeds where it has fragments or needs pread; MAP_SHARED_VALIDATE with an unknown flag succeeds where Linux says EOPNOTSUPP, and a non-fixed MAP_SHARED_VALIDATE mapping fails with EINVAL.",
	},
	{
		Quirk:    sim.QuirkBrkHostPages,
		FoundBy:  FoundByProps,
		Scenario: "brk-host-pages.scn",
		Symptom:  "On a host with larger pages the heap grows by whole host pages: guest pages past the break are mapped (MAP_FIXED_NOREPLACE there fails with EEXIST, a load reads zeros instead of faulting), a shrunk heap keeps its pages, and the heap grows right up to the next mapping where Linux keeps a page free.",
	},
	{
		Quirk:    sim.QuirkFindVMAHintMinAddr,
		FoundBy:  FoundByProps,
		Scenario: "find-vma-hint-min-addr.scn",
		Symptom:  "With a guest_base and no RESERVED_VA, mmap(0x3000, ...) without MAP_FIXED returns 0x3000, below the guest's mmap_min_addr (mmap(1, ...) returns 0, which the guest takes for NULL); Linux raises such a hint to mmap_min_addr.",
	},
	{
		Quirk:    sim.QuirkFindVMAZeroSize,
		FoundBy:  FoundByQEMUDiff,
		Scenario: "find-vma-zero-size.scn",
		Symptom:  "With -p larger than the target page, mmap(NULL, 0xfffff000, ...) fails with EINVAL instead of ENOMEM, and the next non-fixed mmap lands below the first page in use rather than where the previous one left off.",
		Needs:    []sim.Quirk{sim.QuirkMmapHostLenWrap}, // the fix refuses the wrapped host length first
	},
	{
		Quirk:    sim.QuirkFixedAlignFirst,
		FoundBy:  FoundByQEMUDiff,
		Scenario: "fixed-align-first.scn",
		Symptom:  "A MAP_FIXED mmap at an address that is not page aligned and runs past the end of the space fails with EINVAL where Linux says ENOMEM.",
	},
	{
		Quirk:    sim.QuirkMsyncHostPage,
		FoundBy:  FoundByQEMUDiff,
		Scenario: "msync-host-page.scn",
		Symptom:  "With -p larger than the real host page, msync of mapped guest pages fails with ENOMEM where the guest pages before them, in the same qemu_host_page_size page, are not mapped on the host (after mremap-host-pages moved them away).",
		Needs:    []sim.Quirk{sim.QuirkMremapHostPages},
	},
	{
		Quirk:    sim.QuirkFindVMATargetAlign,
		FoundBy:  FoundByReplay,
		Scenario: "find-vma-target-align.scn",
		Symptom:  "Without RESERVED_VA and with -p larger than the real host page, a non-fixed mapping the host placed off a qemu_host_page_size boundary starts in the middle of a host page: a later mprotect (or munmap, or MAP_FIXED mmap) of its first pages acts on the whole host page, part of which is not mapped, and fails with ENOMEM (node's heap set-up, under QEMU 7.2 -p 65536 on a 4K host, where real QEMU runs it).",
	},
	{
		Quirk:    sim.QuirkAccessOKWriteRead,
		FoundBy:  FoundByProps,
		Scenario: "access-ok-write-read.scn",
		Symptom:  "A system call that writes into a buffer in a write-only mapping (pread64 into memory mapped PROT_WRITE alone) fails with EFAULT, where Linux fills the buffer.",
	},
	{
		Quirk:    sim.QuirkFixedFailLeak,
		FoundBy:  FoundByProps,
		Scenario: "fixed-fail-leak.scn",
		Symptom:  "A MAP_FIXED mmap on a host with larger pages that the host refuses part way (ENOMEM: out of memory, or of vm.max_map_count) leaves what it did: a read-only neighbour in the same host page becomes writable (a store to it succeeds where it should fault), a host page stays mapped with no guest page in it (a later MAP_FIXED_NOREPLACE there fails, and it counts against the map limit), or the mapping it was to replace stays in the page flags over host pages that changed. A brk that grows the heap (the fixed do_brk maps with MAP_FIXED) leaves the same behind.",
	},
	{
		Quirk:    sim.QuirkMprotectFailPartial,
		FoundBy:  FoundByProps,
		Scenario: "mprotect-fail-partial.scn",
		Symptom:  "An mprotect the host refuses part way (max_map_count reached) fails with ENOMEM but leaves some of the range's host pages changed while the page flags say the old protection: a store to a page still writable in the guest's view faults (or a page said read-only is writable on the host).",
	},
	{
		Quirk:    sim.QuirkMadvisePassthrough,
		FoundBy:  FoundByQEMUDiff,
		Scenario: "madvise-passthrough.scn",
		Symptom:  "madvise returns 0 for ranges with holes (Linux: ENOMEM), for unknown advice and for MADV_FREE of file memory (Linux: EINVAL), and EINVAL for a range outside the guest space (Linux: ENOMEM). MADV_DONTNEED discards only whole host pages that target_mmap mapped straight from the host: fragments and file pages QEMU filled with pread keep their data, and pread-filled private file pages that fill whole host pages read zeros afterwards instead of the file's data.",
	},
	{
		Quirk:    sim.QuirkMmapProtEINVAL,
		FoundBy:  FoundByQEMUDiff,
		Scenario: "mmap-prot-einval.scn",
		Symptom:  "mmap with a protection bit Linux does not know (0x10, say) fails with EINVAL; Linux maps, ignoring the bit.",
	},
	{
		Quirk:    sim.QuirkMprotectProtFirst,
		FoundBy:  FoundByQEMUDiff,
		Scenario: "mprotect-prot-first.scn",
		Symptom:  "mprotect with an unknown protection bit fails with EINVAL even for an empty range (Linux: 0), or for a range that wraps (Linux: ENOMEM).",
	},
	{
		Quirk:    sim.QuirkZeroLenRange,
		FoundBy:  FoundByQEMUDiff,
		Scenario: "zero-len-range.scn",
		Symptom:  "mprotect(addr, 0, prot) fails with ENOMEM where Linux returns 0; mremap with an old or new size of 0 fails with ENOMEM where Linux says EINVAL, or duplicates a shared mapping.",
	},
	{
		Quirk:    sim.QuirkEOFTruncateHostPage,
		FoundBy:  FoundByQEMUDiff,
		Scenario: "eof-truncate-host-page.scn",
		Symptom:  "With -p larger than the real host page, a file mapping that reaches past end-of-file is shorter than asked: its pages past the last real host page of the file read zeros (or fault with SIGSEGV, or are taken by later mappings) where Linux faults with SIGBUS; an offset at or past end-of-file makes QEMU map gigabytes and abort in page_set_flags.",
		Needs:    []sim.Quirk{sim.QuirkEOFTruncatedFlags},
	},
	{
		Quirk:    sim.QuirkFragClearWritable,
		FoundBy:  FoundByQEMUDiff,
		Scenario: "frag-clear-writable.scn",
		Symptom:  "With -p larger than the target page, a fresh anonymous mapping into part of a host page that stays read-only reads the old bytes of what was there; where the host cannot make the page writable, QEMU faults in its own memset and hangs or aborts.",
	},
	{
		Quirk:    sim.QuirkHostProtNoExec,
		FoundBy:  FoundByQEMUDiff,
		Scenario: "host-prot-no-exec.scn",
		Symptom:  "Host mappings of guest memory that differ only in PROT_EXEC are one host VMA, so an mremap that hands a range across them to the host succeeds where the guest kernel's (two VMAs) fails with EFAULT; mappings whose host pages differ only there split.",
		Needs:    []sim.Quirk{sim.QuirkMremapUnchecked, sim.QuirkMremapHostPages},
	},
	{
		Quirk:    sim.QuirkNextStartUnmappedBase,
		FoundBy:  FoundByQEMUDiff,
		Scenario: "next-start-unmapped-base.scn",
		Symptom:  "Under RESERVED_VA the first non-fixed mapping lands at 0x40000000 and later ones below it, not at the top of the space: an i386 program's stack starts at 0x40000000 and its mappings fill the space down towards the heap.",
	},
	{
		Quirk:    sim.QuirkWriteFaultSpin,
		FoundBy:  FoundByQEMUDiff,
		Scenario: "write-fault-spin.scn",
		Symptom:  "A store to a page the guest mapped writable, whose host page another mapping replaced read-only, makes QEMU spin forever instead of delivering SIGSEGV.",
		Needs:    []sim.Quirk{sim.QuirkFindVMAFirstPage},
	},
	{
		Quirk:    sim.QuirkGuestSpaceWord,
		FoundBy:  FoundByQEMUDiff,
		Scenario: "guest-space-word.scn",
		Symptom:  "An x86-64 guest's calls past 1<<47 are not refused by QEMU's range checks: they reach the host, whose own answer (often another errno) the guest gets, or succeed doing nothing (madvise).",
	},
	{
		Quirk:    sim.QuirkPreadMprotectAssert,
		FoundBy:  FoundByQEMUDiff,
		Scenario: "pread-mprotect-assert.scn",
		Symptom:  "A MAP_FIXED file mapping without PROT_WRITE, whose offset and address disagree within a host page, aborts QEMU (assertion ret == 0 in target_mmap) where the host refuses the final mprotect; the seed returned -errno as the address.",
		Needs:    []sim.Quirk{sim.QuirkFragSharedHostPage},
	},
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

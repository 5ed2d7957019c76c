package sim

// quirkTable describes every quirk, indexed by Quirk: its stable name, the
// lines of the seed (linux-user/mmap.c of March 2015, as numbered in
// ../shared/seed/) it keeps, and what the seed's code does wrong. package
// policy adds what a guest sees, who found it, and a scenario that replays
// it (policy.Quirks).
var quirkTable = [...]QuirkDesc{
	{
		Quirk:     QuirkMmapLenZero,
		Name:      "mmap-len-zero",
		SeedLines: "408-410",
		Doc:       "target_mmap aligns the length with TARGET_PAGE_ALIGN and, when the result is 0, jumps to the_end and returns start: a length of 0, or one so large that aligning it wraps to 0, is a success that maps nothing.",
	},
	{
		Quirk:     QuirkFragTailRealEnd,
		Name:      "frag-tail-real-end",
		SeedLines: "545-549",
		Doc:       "For the host page holding the end of a MAP_FIXED mapping, target_mmap calls mmap_frag(real_end - H, real_end - H, real_end, ...): the fragment is said to cover the whole host page, so mmap_frag sees no other guest page to keep and maps a fresh host page over it.",
	},
	{
		Quirk:     QuirkFragAnonStale,
		Name:      "frag-anon-stale",
		SeedLines: "187-191",
		Doc:       "When an anonymous mapping covers only part of a host page that already holds other guest pages, mmap_frag keeps the existing host page and only adjusts its protection; nothing clears the bytes of the new fragment.",
	},
	{
		Quirk:     QuirkMremapShrinkReserve,
		Name:      "mremap-shrink-reserve",
		SeedLines: "737-738",
		Doc:       "Shrinking in place under RESERVED_VA, target_mremap calls mmap_reserve(old_addr + old_size, new_size - old_size): the address is the old end instead of the new end, and the length is negative, so it wraps to nearly the whole guest space.",
	},
	{
		Quirk:     QuirkMremapMayMoveReserve,
		Name:      "mremap-maymove-reserve",
		SeedLines: "721-722",
		Doc:       "With MREMAP_MAYMOVE under RESERVED_VA, target_mremap calls mmap_reserve(old_addr, old_size) whether or not the host mremap succeeded.",
	},
	{
		Quirk:     QuirkFindVMAReservedZero,
		Name:      "find-vma-reserved-zero",
		SeedLines: "229-247",
		Doc:       "mmap_find_vma_reserved walks down one host page at a time and only stops when the address wraps below zero, so page 0 (and everything below mmap_min_addr) is a candidate.",
	},
	{
		Quirk:     QuirkTopPageWrap,
		Name:      "top-page-wrap",
		SeedLines: "86, 487, 570, 642, 681",
		Doc:       "Range ends are computed as abi_ulong start + len, which wraps to 0 for a range ending at the top of a 32-bit guest space; page_set_flags asserts start < end.",
	},
	{
		Quirk:     QuirkMprotectWrapEINVAL,
		Name:      "mprotect-wrap-einval",
		SeedLines: "86-88",
		Doc:       "target_mprotect returns -EINVAL when start + len wraps.",
	},
	{
		Quirk:     QuirkMprotectBadProt,
		Name:      "mprotect-bad-prot",
		SeedLines: "89",
		Doc:       "target_mprotect masks prot with PROT_READ|PROT_WRITE|PROT_EXEC and ignores any other bit.",
	},
	{
		Quirk:     QuirkUncheckedRange,
		Name:      "unchecked-range",
		SeedLines: "83-91, 482-488, 636-641, 695-697",
		Doc:       "target_mmap (MAP_FIXED), target_munmap, target_mprotect and target_mremap never check that the guest range lies inside the guest space; under RESERVED_VA the host then acts beyond the reservation.",
	},
	{
		Quirk:     QuirkMprotectUnmapped,
		Name:      "mprotect-unmapped",
		SeedLines: "93-131",
		Doc:       "target_mprotect changes host protections and page flags over the whole range, whether or not the guest pages are mapped; under RESERVED_VA the host mprotect of the placeholder succeeds.",
	},
	{
		Quirk:     QuirkFragSharedErrno,
		Name:      "frag-shared-errno",
		SeedLines: "172-174",
		Doc:       "mmap_frag returns -1 for a writable MAP_SHARED file fragment without setting errno.",
	},
	{
		Quirk:     QuirkFindVMAFirstPage,
		Name:      "find-vma-first-page",
		SeedLines: "239-242",
		Doc:       "mmap_find_vma_reserved checks page_get_flags() of the first guest page of each host page only.",
	},
	{
		Quirk:     QuirkNonFixedFileShort,
		Name:      "nonfixed-file-short",
		SeedLines: "473-474",
		Doc:       "A non-fixed file mapping whose offset is not host-page aligned is mapped from the aligned-down offset with length len, not len + (offset - host_offset).",
	},
	{
		Quirk:     QuirkNonFixedFailUnmap,
		Name:      "nonfixed-fail-unmap",
		SeedLines: "475-477",
		Doc:       "When the file part of a non-fixed mapping fails, target_mmap munmaps the area even under RESERVED_VA.",
	},
	{
		Quirk:     QuirkFixedFitEINVAL,
		Name:      "fixed-fit-einval",
		SeedLines: "495-497",
		Doc:       "target_mmap's check that a MAP_FIXED range fits the 32-bit guest space sets errno to EINVAL.",
	},
	{
		Quirk:     QuirkMsyncUnmapped,
		Name:      "msync-unmapped",
		SeedLines: "779-780",
		Doc:       "target_msync passes the range to the host, which under RESERVED_VA finds it mapped (by placeholders).",
	},
	{
		Quirk:     QuirkMremapMayMoveLeak,
		Name:      "mremap-maymove-leak",
		SeedLines: "717-724",
		Doc:       "Without RESERVED_VA, mmap_find_vma reserves the destination with a PROT_NONE host mapping; when the host mremap then fails, target_mremap leaves it there.",
	},
	{
		Quirk:     QuirkMremapShrinkReserveAddr,
		Name:      "mremap-shrink-reserve-addr",
		SeedLines: "738",
		Doc:       "Shrinking in place under RESERVED_VA reserves from old_addr + old_size (QEMU 7.2 fixed the length of QuirkMremapShrinkReserve but not the address).",
	},
	{
		Quirk:     QuirkMremapFitHostAddr,
		Name:      "mremap-fit-host-addr",
		SeedLines: "744-750",
		Doc:       "target_mremap's check that the result fits the guest space compares the host address ((unsigned long)host_addr + new_size) with (abi_ulong)-1.",
	},
	{
		Quirk:     QuirkMremapZeroOldSize,
		Name:      "mremap-zero-old-size",
		SeedLines: "758",
		Doc:       "target_mremap with old_size 0 calls page_set_flags(old_addr, old_addr, 0), whose assertion start < end fails.",
	},
	{
		Quirk:     QuirkNoReplaceIgnored,
		Name:      "noreplace-ignored",
		SeedLines: "none: syscall.c's mmap_flags_tbl",
		Doc:       "The seed era's mmap_flags_tbl has no MAP_FIXED_NOREPLACE (it did not exist): the syscall layer drops the flag.",
	},
	{
		Quirk:     QuirkMadviseIgnored,
		Name:      "madvise-ignored",
		SeedLines: "none: syscall.c's do_syscall",
		Doc:       "The seed era's do_syscall answers madvise with 0 without doing anything (\\\"this is a hint\\\").",
	},
	{
		Quirk:     QuirkEOFTruncatedFlags,
		Name:      "eof-truncated-flags",
		SeedLines: "438-453, 570",
		Doc:       "With a target page larger than the real host page, target_mmap truncates a file mapping's length at end-of-file (so the host does not fault inside the last target page) and then uses the truncated length for page_set_flags.",
	},
	{
		Quirk:     QuirkMremapUnchecked,
		Name:      "mremap-unchecked",
		SeedLines: "695-752",
		Doc:       "target_mremap checks none of mremap's rules before calling the host: it does not look at the guest's page flags for the old range, and under RESERVED_VA the host finds placeholders everywhere.",
	},
	{
		Quirk:     QuirkMremapHostPages,
		Name:      "mremap-host-pages",
		SeedLines: "698-701, 717-720, 736",
		Doc:       "target_mremap hands the guest's addresses and lengths to the host's mremap unchanged, although the host works in whole host pages.",
	},
	{
		Quirk:     QuirkMremapGrowReserved,
		Name:      "mremap-grow-reserved",
		SeedLines: "726-736",
		Doc:       "Under RESERVED_VA the PROT_NONE placeholder that follows a mapping occupies the host range an in-place mremap needs.",
	},
	{
		Quirk:     QuirkFindVMAProbe,
		Name:      "find-vma-probe",
		SeedLines: "284-366",
		Doc:       "Without RESERVED_VA, mmap_find_vma reserves space by asking the host kernel with hints (mmap_next_start, then mmap_min_addr) and gives up when the host's answers fall outside the guest space.",
	},
	{
		Quirk:     QuirkFragSharedLeak,
		Name:      "frag-shared-leak",
		SeedLines: "158-174",
		Doc:       "mmap_frag allocates a fresh host page for a fragment when no other guest page uses its host page, and only then refuses a writable MAP_SHARED file fragment with -1.",
	},
	{
		Quirk:     QuirkMsyncChecks,
		Name:      "msync-checks",
		SeedLines: "770-777",
		Doc:       "target_msync returns 0 for an empty range before looking at the flags, and -EINVAL for a range that wraps.",
	},
	{
		Quirk:     QuirkMmapProtUnmasked,
		Name:      "mmap-prot-unmasked",
		SeedLines: "189-190, 570",
		Doc:       "target_mmap passes prot on as the guest gave it: the host's mmap ignores unknown bits, but mmap_frag's mprotect rejects them, and page_set_flags stores them (0x10 is PAGE_WRITE_ORG).",
	},
	{
		Quirk:     QuirkMremapMayMoveMoves,
		Name:      "mremap-maymove-moves",
		SeedLines: "708-724",
		Doc:       "target_mremap's MREMAP_MAYMOVE branch always asks mmap_find_vma for a new place and moves there with MREMAP_FIXED.",
	},
	{
		Quirk:     QuirkMremapProtFirstPage,
		Name:      "mremap-prot-first-page",
		SeedLines: "757-759",
		Doc:       "After a successful mremap, target_mremap reads page_get_flags(old_addr) and sets the whole new range to it.",
	},
	{
		Quirk:     QuirkFragSharedHostPage,
		Name:      "frag-shared-host-page",
		SeedLines: "158-191",
		Doc:       "mmap_frag keeps an existing host page for a new fragment whatever backs it; when that host page is a MAP_SHARED file mapping, the pread of the new fragment's file data (or, in the fix of frag-anon-stale, its zeroing) writes into the shared file. When the shared file is read-only, the mprotect that should make the host page writable fails, and mmap_frag ignores the failure.",
	},
	{
		Quirk:     QuirkMremapDontUnmapReserve,
		Name:      "mremap-dontunmap-reserve",
		SeedLines: "703-706, 721-722",
		Doc:       "Under RESERVED_VA, target_mremap calls mmap_reserve(old_addr, old_size) after every successful move; the seed predates MREMAP_DONTUNMAP (Linux 5.7), which keeps the old range mapped.",
	},
	{
		Quirk:     QuirkFragFileHostPage,
		Name:      "frag-file-host-page",
		SeedLines: "158-186",
		Doc:       "mmap_frag writes a new fragment's bytes (zeros, or file data read with pread) into the existing host page whatever backs it; when that host page is a private mapping of a file and lies past the file's end, the write faults: QEMU itself takes SIGBUS.",
	},
	{
		Quirk:     QuirkFileModeUnchecked,
		Name:      "file-mode-unchecked",
		SeedLines: "528-566",
		Doc:       "target_mmap never looks at the file's open mode: a MAP_FIXED file mapping that does not fill its host pages maps its fragments first (a fresh host page, then pread, which fails with EBADF on a write-only file; or mmap_frag's refusal of a writable shared fragment), and only the host's mmap of the middle checks the mode (EACCES), after the fragments are in place.",
	},
	{
		Quirk:     QuirkNoPageAnon,
		Name:      "no-page-anon",
		SeedLines: "569-570",
		Doc:       "The seed keeps no PAGE_ANON flag (page_set_flags(start, start + len, prot | PAGE_VALID) for every mapping), so nothing can tell private anonymous guest memory from a private file mapping QEMU emulated with anonymous host pages and pread. The fixed madvise then judges by the host memory, which is anonymous in both cases, and the fixed mremap, which may emulate a move only for memory it knows to be private anonymous, knows none.",
	},
	{
		Quirk:     QuirkMinAddrUnchecked,
		Name:      "min-addr-unchecked",
		SeedLines: "544-566",
		Doc:       "target_mmap maps a MAP_FIXED request's fragments (the tail's first) before the host's mmap of the middle, which the host refuses with EPERM below its mmap_min_addr: nothing checks the first host page against mmap_min_addr before the fragments are in place.",
	},
}

package policy

import "github.com/mmapsim/mmapsim/sim"

// Qemu72 is the quirk set of QEMU 7.2's linux-user (Debian 12's qemu-user,
// 1:7.2+dfsg-7+deb12u18, whose stable patches up to 7.2.22 leave
// linux-user/mmap.c as v7.2.0 has it): the defects of the seed that 7.2
// still has, and the behaviours 7.2 has that the seed did not (the quirks
// whose QuirkDesc.Release is "7.2"). Line numbers are v7.2.0's
// linux-user/mmap.c ("mmap.c:NNN", as in ../shared/reference/qemu-v7.2);
// other files are named.
//
// "Runs" are a props/qemudiff campaign (go test ./props/qemudiff
// -qemudiff.seed 3 -qemudiff.quirks: 240 random sequences of 40 calls, 40
// each under qemu-i386 and qemu-x86_64 with -p 4096, 16384 and 65536),
// each sequence's first run replayed on sim with this set and with the one
// quirk flipped: how many sequences agree with QEMU longer (more calls
// before the first differing one) each way, and how many calls come before
// the first difference in all (10050 as here: every sequence agrees to its
// end). The source decides; the runs confirm it: flipping any quirk makes
// no sequence agree longer. A quirk that cannot show in these runs (an
// i386 guest under RESERVED_VA, an x86-64 guest without it, a 4K host)
// shows 0 and 0; so do the 7.2 behaviours that need a state the other
// quirks make rarely (seeds 1, 11, 29, 1234 and 99991 met each of them).
//
// The set starts from the seed (every defect of the seed on) and names
// each quirk, so a defect of the seed added to sim later is on here, and a
// later release's behaviour off, until a campaign and the source say
// otherwise.
var Qemu72 = sim.SeedQuirks.
	// Fixed: mmap.c:442 "if (!len) { errno = EINVAL" and :455 ENOMEM when
	// TARGET_PAGE_ALIGN(len) wraps to 0 (the seed jumped to the_end).
	// Runs: 138 sequences agree longer with it off, 0 with it on
	// (10050 and 6658 calls before the first difference).
	Without(sim.QuirkMmapLenZero).
	// Fixed: mmap.c:613 passes end, not real_end, as the tail fragment's
	// end (the seed's line 546 has real_end).
	// Runs: 6 sequences agree longer with it off, 0 with it on
	// (10050 and 9969 calls before the first difference).
	Without(sim.QuirkFragTailRealEnd).
	// Fixed, differently: mmap.c:240-246 clears the new anonymous fragment
	// (memset) only when its host page ends up writable: frag-clear-writable.
	// Runs: 0 sequences agree longer with it off, 0 with it on
	// (10050 and 10050 calls before the first difference).
	Without(sim.QuirkFragAnonStale).
	// Fixed: the length (mmap.c:838 "old_size - new_size", "linux-user/mmap.c:
	// fix integer underflow in target_mremap", Jonathan Marler, May 2020,
	// LP#1876373) but not the address: see mremap-shrink-reserve-addr.
	// Runs: 7 sequences agree longer with it off, 0 with it on
	// (10050 and 9923 calls before the first difference).
	Without(sim.QuirkMremapShrinkReserve).
	// Still there: the MREMAP_MAYMOVE branch calls mmap_reserve(old_addr,
	// old_size) whether or not the host's mremap succeeded (mmap.c:811-813).
	// Runs: 1 sequence agree longer with it on, 0 with it off
	// (10050 and 10016 calls before the first difference).
	With(sim.QuirkMremapMayMoveReserve).
	// Fixed in 7.2's rewritten mmap_find_vma_reserved: mmap.c:307 "addr &&
	// addr + size == end_addr" never returns 0. It does not honour
	// mmap_min_addr either, which only matters where mmap_min_addr exceeds
	// the host page.
	// Runs: 0 sequences agree longer with it off, 0 with it on
	// (10050 and 10050 calls before the first difference).
	Without(sim.QuirkFindVMAReservedZero).
	// Still there, but cannot show: 7.2's page_set_flags(start, end) wraps
	// at the top of a 32-bit space as the seed's does (fixed in 8.0 with
	// "last"), and MAX_RESERVED_VA (main.c:111, 0xfffff000) keeps the top
	// page out of an i386 guest's space.
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (10050 and 10050 calls before the first difference).
	With(sim.QuirkTopPageWrap).
	// Fixed: target_mprotect checks guest_range_valid_untagged and says
	// ENOMEM (mmap.c:133).
	// Runs: 7 sequences agree longer with it off, 0 with it on
	// (10050 and 9908 calls before the first difference).
	Without(sim.QuirkMprotectWrapEINVAL).
	// Fixed: validate_prot_to_pageflags (mmap.c:113) rejects unknown bits
	// with EINVAL (before the range: mprotect-prot-first).
	// Runs: 0 sequences agree longer with it off, 0 with it on
	// (10050 and 10050 calls before the first difference).
	Without(sim.QuirkMprotectBadProt).
	// Fixed: guest_range_valid_untagged in target_mmap (mmap.c:564),
	// target_munmap (:722), target_mprotect (:133) and target_mremap (:781).
	// Runs: 98 sequences agree longer with it off, 0 with it on
	// (10050 and 7991 calls before the first difference).
	Without(sim.QuirkUncheckedRange).
	// Still there: target_mprotect (mmap.c:126-186) changes the host and the
	// page flags over holes.
	// Runs: 133 sequences agree longer with it on, 0 with it off
	// (10050 and 6666 calls before the first difference).
	With(sim.QuirkMprotectUnmapped).
	// Still there: mmap_frag returns -1 for a writable shared file fragment
	// (mmap.c:227) without setting errno; the guest gets the errno QEMU's
	// thread last had (ENOENT from start-up here, or a failed pwrite's).
	// Runs: 2 sequences agree longer with it on, 0 with it off
	// (10050 and 9982 calls before the first difference).
	With(sim.QuirkFragSharedErrno).
	// Still there: mmap_find_vma_reserved tests page_get_flags(addr) of the
	// first guest page of each host page only (mmap.c:303).
	// Runs: 68 sequences agree longer with it on, 0 with it off
	// (10050 and 8676 calls before the first difference).
	With(sim.QuirkFindVMAFirstPage).
	// Still there: the non-fixed file mapping is mapped with len from the
	// aligned-down offset (mmap.c:540).
	// Runs: 29 sequences agree longer with it on, 0 with it off
	// (10050 and 9404 calls before the first difference).
	With(sim.QuirkNonFixedFileShort).
	// Still there: a failed non-fixed file mapping is munmapped, reservation
	// or not (mmap.c:543).
	// Runs: 4 sequences agree longer with it on, 0 with it off
	// (10050 and 9934 calls before the first difference).
	With(sim.QuirkNonFixedFailUnmap).
	// Fixed: a MAP_FIXED range past the space is ENOMEM (mmap.c:564-565).
	// Runs: 27 sequences agree longer with it off, 0 with it on
	// (10050 and 9347 calls before the first difference).
	Without(sim.QuirkFixedFitEINVAL).
	// Still there: do_syscall calls the host's msync on g2h(addr)
	// (syscall.c), which finds RESERVED_VA's placeholders mapped.
	// Runs: 60 sequences agree longer with it on, 0 with it off
	// (10050 and 8871 calls before the first difference).
	With(sim.QuirkMsyncUnmapped).
	// Still there, without RESERVED_VA (x86-64): the MREMAP_MAYMOVE branch
	// does not give back what mmap_find_vma reserved when mremap fails
	// (mmap.c:800-813).
	// Runs: 10 sequences agree longer with it on, 0 with it off
	// (10050 and 9871 calls before the first difference).
	With(sim.QuirkMremapMayMoveLeak).
	// Still there: mmap.c:838 reserves from old_addr + old_size, over the
	// guest's own pages above a shrunk mapping: QEMU's IDT or GDT among
	// them, it dies at the next system call or signal (props/qemudiff's
	// machine.checkTables).
	// Runs: 2 sequences agree longer with it on, 0 with it off
	// (10050 and 10037 calls before the first difference).
	With(sim.QuirkMremapShrinkReserveAddr).
	// Fixed: the check is guest_range_valid_untagged(h2g(host_addr),
	// new_size) (mmap.c:831).
	// Runs: 0 sequences agree longer with it off, 0 with it on
	// (10050 and 10050 calls before the first difference).
	Without(sim.QuirkMremapFitHostAddr).
	// Fixed, differently: old_size 0 fails guest_range_valid_untagged
	// (mmap.c:779) with ENOMEM before page_set_flags can abort:
	// zero-len-range.
	// Runs: 0 sequences agree longer with it off, 0 with it on
	// (10050 and 10050 calls before the first difference).
	Without(sim.QuirkMremapZeroOldSize).
	// Still there: 7.2's mmap_flags_tbl (syscall.c) has no
	// MAP_FIXED_NOREPLACE, so the flag is dropped and the call is a hint.
	// Runs: 85 sequences agree longer with it on, 0 with it off
	// (10050 and 8074 calls before the first difference).
	With(sim.QuirkNoReplaceIgnored).
	// Fixed, differently: 7.2's do_syscall calls target_madvise (mmap.c:
	// 877-926): madvise-passthrough.
	// Runs: 19 sequences agree longer with it off, 0 with it on
	// (10050 and 9729 calls before the first difference).
	Without(sim.QuirkMadviseIgnored).
	// Still there, and wider: 7.2 truncates file mappings at end-of-file
	// whenever qemu_real_host_page_size() < qemu_host_page_size
	// (mmap.c:506, eof-truncate-host-page) and sets the page flags for the
	// truncated length (mmap.c:642-653).
	// Runs: 69 sequences agree longer with it on, 0 with it off
	// (10050 and 8400 calls before the first difference).
	With(sim.QuirkEOFTruncatedFlags).
	// Still there: target_mremap checks only guest_range_valid_untagged
	// (mmap.c:779-786), none of Linux's rules.
	// Runs: 175 sequences agree longer with it on, 0 with it off
	// (10050 and 6028 calls before the first difference).
	With(sim.QuirkMremapUnchecked).
	// Still there: guest ranges go to the host's mremap unchanged
	// (mmap.c:793, 808, 826).
	// Runs: 147 sequences agree longer with it on, 0 with it off
	// (10050 and 6254 calls before the first difference).
	With(sim.QuirkMremapHostPages).
	// Still there: the in-place growth meets the PROT_NONE placeholder
	// (mmap.c:815-827) and the host says ENOMEM.
	// Runs: 14 sequences agree longer with it on, 0 with it off
	// (10050 and 9780 calls before the first difference).
	With(sim.QuirkMremapGrowReserved).
	// Still there, without RESERVED_VA (x86-64): mmap_find_vma probes the
	// host with hints (mmap.c:350-430); these runs never exhaust the space.
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (10050 and 10050 calls before the first difference).
	With(sim.QuirkFindVMAProbe).
	// Still there: mmap_frag maps a fresh host page (mmap.c:211-217) before
	// refusing a writable shared file fragment (mmap.c:227).
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (10050 and 10050 calls before the first difference).
	With(sim.QuirkFragSharedLeak).
	// Fixed by the way: msync goes straight to the host (syscall.c), whose
	// checks are Linux's.
	// Runs: 4 sequences agree longer with it off, 0 with it on
	// (10050 and 9988 calls before the first difference).
	Without(sim.QuirkMsyncChecks).
	// Fixed, differently: unknown bits fail with EINVAL (mmap.c:446-450):
	// mmap-prot-einval.
	// Runs: 0 sequences agree longer with it off, 0 with it on
	// (10050 and 10050 calls before the first difference).
	Without(sim.QuirkMmapProtUnmasked).
	// Still there: the MREMAP_MAYMOVE branch always moves (mmap.c:801-813).
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (10050 and 10050 calls before the first difference).
	With(sim.QuirkMremapMayMoveMoves).
	// Still there: mmap.c:851-854 gives the new range the flags of the old
	// range's first page.
	// Runs: 40 sequences agree longer with it on, 0 with it off
	// (10050 and 9361 calls before the first difference).
	With(sim.QuirkMremapProtFirstPage).
	// Still there: mmap_frag keeps any existing host page, shared or not
	// (mmap.c:211-247).
	// Runs: 37 sequences agree longer with it on, 0 with it off
	// (10050 and 9294 calls before the first difference).
	With(sim.QuirkFragSharedHostPage).
	// Still there: mmap_reserve(old_addr, old_size) after every move
	// (mmap.c:797, 812), MREMAP_DONTUNMAP or not.
	// Runs: 1 sequence agree longer with it on, 0 with it off
	// (10050 and 10019 calls before the first difference).
	With(sim.QuirkMremapDontUnmapReserve).
	// Still there: mmap_frag writes into whatever host page is there
	// (mmap.c:211-247), a private file mapping's too.
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (10050 and 10050 calls before the first difference).
	With(sim.QuirkFragFileHostPage).
	// Still there: target_mmap's MAP_FIXED branch checks the alignment and
	// the range (mmap.c:552-567), never the file's open mode; mmap_frag
	// maps a fresh host page (mmap.c:211-217) and preads into it
	// (mmap.c:234) before the host's mmap of the middle (mmap.c:621-635)
	// would refuse the mode with EACCES.
	// Runs: 15 sequences agree longer with it on, 0 with it off
	// (10050 and 9719 calls before the first difference).
	With(sim.QuirkFileModeUnchecked).
	// Fixed in part, differently: 7.2 records PAGE_ANON (mmap.c:638-639)
	// but nothing in mmap.c reads it; what tells memory target_mmap mapped
	// straight from the host is PAGE_PASSTHROUGH (mmap.c:642-653), which
	// madvise-passthrough records and reads.
	// Runs: 0 sequences agree longer with it off, 0 with it on
	// (10050 and 10050 calls before the first difference).
	Without(sim.QuirkNoPageAnon).
	// Still there, but cannot show: mmap.c has no mmap_min_addr check for
	// MAP_FIXED (only mmap_find_vma's hint, mmap.c:422); the tail fragment
	// (mmap.c:610-619) is mapped before the middle (mmap.c:621-635), which
	// the host refuses below its mmap_min_addr. guest_base puts an i386
	// guest's space above it, and the runs keep an x86-64 guest's away.
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (10050 and 10050 calls before the first difference).
	With(sim.QuirkMinAddrUnchecked).
	// The quirks below were added after the campaign (issue 12's hostile
	// inputs and the widened props); each is decided from the source
	// alone, so no runs are counted.
	//
	// Still there: host_len is an abi_ulong (mmap.c:435), and len + offset
	// - host_offset wraps a 32-bit guest's word (mmap.c:484-485, 525-526)
	// before mmap_find_vma looks for room.
	With(sim.QuirkMmapHostLenWrap).
	// Still there: target_mmap checks the length, the protection and the
	// offset's page alignment (mmap.c:442-466), never that offset + len
	// fits a file offset; nothing returns EOVERFLOW.
	With(sim.QuirkMmapOffsetOverflow).
	// Still there: fail: only unlocks (mmap.c:666-668); the PROT_NONE
	// host mapping mmap_find_vma kept (mmap.c:340-430) stays when the
	// host's mmap of the mapping itself fails (mmap.c:532-535).
	With(sim.QuirkNonFixedFailLeak).
	// Still there: host_offset and host_len come from the offset for an
	// anonymous mapping too (mmap.c:478-485, 525-526).
	With(sim.QuirkMmapAnonOffset).
	// Still there: when the host's mremap fails target_mremap leaves the
	// page flags as they were (mmap.c:846-847), whatever the host unmapped
	// before failing.
	With(sim.QuirkMremapFailFlags).
	// Still there: 7.2's syscall.c translates the flags with
	// mmap_flags_tbl and checks neither the map type nor unknown bits
	// (as no-replace-ignored); mmap.c does not either.
	With(sim.QuirkMmapFlagsUnchecked).
	// Still there: 7.2's do_brk (syscall.c) grows and shrinks the heap in
	// qemu_host_page_size pages (HOST_PAGE_ALIGN of the break).
	With(sim.QuirkBrkHostPages).
	// Still there: mmap_find_vma hands the hint to the host (mmap.c:
	// 355-361), which raises only a host address below its own
	// mmap_min_addr; with a guest_base a guest hint below the guest's
	// mmap_min_addr is well above it.
	With(sim.QuirkFindVMAHintMinAddr).
	// Still there: the MAP_FIXED branch's fragments (mmap_frag, mmap.c:
	// 594-619) are mapped before the middle (mmap.c:621-632), and fail:
	// only unlocks (mmap.c:666-668).
	With(sim.QuirkFixedFailLeak).
	// Fixed: 7.2's mmap_find_vma_reserved finds no room of size 0
	// (mmap.c:307 tests "addr + size == end_addr" only on a free page,
	// after stepping below end_addr): ENOMEM, as the fix.
	// Runs: 19 sequences agree longer with it off, 0 with it on
	// (10050 and 9733 calls before the first difference).
	Without(sim.QuirkFindVMAZeroSize).
	// Still there: target_mmap tests the MAP_FIXED start's alignment
	// (mmap.c:551-554) before the range (mmap.c:564-566).
	// Runs: 1 sequence agree longer with it on, 0 with it off
	// (10050 and 10015 calls before the first difference).
	With(sim.QuirkFixedAlignFirst).
	// Fixed by the way: do_syscall calls the host's msync on g2h(addr)
	// with the guest's length (syscall.c), not target_msync's start
	// rounded down to qemu_host_page_size; on a 4K host that is the fix's
	// start rounded down to the real host page. (Seen at seeds 11, 1234.)
	// Runs: 0 sequences agree longer with it off, 0 with it on
	// (10050 and 10050 calls before the first difference).
	Without(sim.QuirkMsyncHostPage).
	// Fixed: mmap_find_vma takes the host's answer only when it is aligned
	// to align = MAX(align, qemu_host_page_size) (mmap.c:330, 373), and
	// realigns to it (mmap.c:387, 392), not to the target page (the
	// seed's line 311). Found replaying node under -p 65536 (replay's
	// TestVerdictQEMU72), where real QEMU 7.2 runs it. The runs cannot
	// tell: their x86-64 guests' hints are free, so the host's answers are
	// aligned either way.
	// Runs: 0 sequences agree longer with it off, 0 with it on
	// (10050 and 10050 calls before the first difference).
	Without(sim.QuirkFindVMATargetAlign).
	// Still there: 7.2's linux-user/qemu.h defines VERIFY_WRITE as
	// PAGE_READ | PAGE_WRITE (the seed era's "implies read access"), and
	// lock_user checks every buffer a system call writes with it.
	// Runs: not measured (qemudiff's guests pass no buffer of their
	// mappings to a system call).
	With(sim.QuirkAccessOKWriteRead).
	// Still there: target_mprotect returns at the first host mprotect
	// that fails (mmap.c:155-182, goto error), undoing none before it.
	// Runs: not measured (qemudiff's host never refuses an mprotect).
	With(sim.QuirkMprotectFailPartial).
	// 7.2's own: target_madvise (mmap.c:877-926) with PAGE_PASSTHROUGH
	// (mmap.c:642-653, 860-875).
	// Runs: 179 sequences agree longer with it on, 0 with it off
	// (10050 and 5138 calls before the first difference).
	With(sim.QuirkMadvisePassthrough).
	// 7.2's own: validate_prot_to_pageflags in target_mmap (mmap.c:447-450).
	// Runs: 63 sequences agree longer with it on, 0 with it off
	// (10050 and 8674 calls before the first difference).
	With(sim.QuirkMmapProtEINVAL).
	// 7.2's own: target_mprotect validates the protection first
	// (mmap.c:127-130).
	// Runs: 1 sequence agree longer with it on, 0 with it off
	// (10050 and 10034 calls before the first difference).
	With(sim.QuirkMprotectProtFirst).
	// 7.2's own: guest_range_valid_untagged(start, 0) is false
	// (include/exec/cpu_ldst.h; mmap.c:133, 779-786).
	// Runs: 67 sequences agree longer with it on, 0 with it off
	// (10050 and 8849 calls before the first difference).
	With(sim.QuirkZeroLenRange).
	// 7.2's own: the EOF truncation's test is qemu_real_host_page_size() <
	// qemu_host_page_size (mmap.c:506); it shows with eof-truncated-flags,
	// hence the same counts.
	// Runs: 69 sequences agree longer with it on, 0 with it off
	// (10050 and 8400 calls before the first difference).
	With(sim.QuirkEOFTruncateHostPage).
	// 7.2's own: mmap_frag's memset only under PROT_WRITE (mmap.c:240-246),
	// and QEMU's death where it faults. (Seen at seed 1.)
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (10050 and 10050 calls before the first difference).
	With(sim.QuirkFragClearWritable).
	// 7.2's own: host_prot never has PROT_EXEC (mmap.c:86-87).
	// Runs: 1 sequence agree longer with it on, 0 with it off
	// (10050 and 10049 calls before the first difference).
	With(sim.QuirkHostProtNoExec).
	// 7.2's own: mmap_next_start starts at TASK_UNMAPPED_BASE under
	// RESERVED_VA too (mmap.c:264; main.c no longer moves it): qemu-i386
	// places the stack at 0x40000000. The runs copy mmap_next_start from
	// QEMU's start-up, so they cannot tell.
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (10050 and 10050 calls before the first difference).
	With(sim.QuirkNextStartUnmappedBase).
	// 7.2's own: page_unprotect retries a write fault on a page whose flags
	// say writable forever (accel/tcg/translate-all.c). (Seen at seed 1.)
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (10050 and 10050 calls before the first difference).
	With(sim.QuirkWriteFaultSpin).
	// 7.2's own: GUEST_ADDR_MAX is ~0ul for a 64-bit guest without
	// RESERVED_VA (include/exec/cpu-all.h).
	// Runs: 12 sequences agree longer with it on, 0 with it off
	// (10050 and 9778 calls before the first difference).
	With(sim.QuirkGuestSpaceWord).
	// 7.2's own: target_mmap asserts that the pread emulation's
	// target_mprotect succeeded (mmap.c:584-587). (Seen at seeds 1, 11,
	// 29 and 99991.)
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (10050 and 10050 calls before the first difference).
	With(sim.QuirkPreadMprotectAssert)

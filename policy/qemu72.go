package policy

import "github.com/mmapsim/mmapsim/sim"

// Qemu72 is the quirk set of QEMU 7.2's linux-user (Debian 12's qemu-user,
// 1:7.2+dfsg-7+deb12u18, whose stable patches up to 7.2.22 leave
// linux-user/mmap.c as v7.2.0 has it): the defects of the seed that 7.2
// still has. Line numbers are v7.2.0's linux-user/mmap.c ("mmap.c:NNN") and
// syscall.c.
//
// "Runs" are a props/qemudiff campaign (go test ./props/qemudiff
// -qemudiff.seed 3 -qemudiff.quirks: 120 random sequences of 40 calls, 40
// each under qemu-i386 -p 4096, 16384 and 65536), replayed on sim with
// this set and with the one quirk flipped: how many sequences agree with
// QEMU longer (more calls before the first differing one) each way, and
// how many calls agree in all. The source decides; the runs confirm it, or
// the comment says why they do not. A quirk that cannot show in an i386
// guest under RESERVED_VA (where 7.2 runs it) shows 0 and 0.
//
// The set starts from the seed (every quirk on) and names each quirk, so a
// quirk added to sim later is on here until a campaign and the source say
// otherwise.
//
// Where 7.2 fixed a defect only in part, or differently, the quirk is off
// (the half 7.2 fixed), and props/qemudiff names the rest as a known
// difference (known_linux_test.go): qemu72-frag-anon-readonly,
// qemu72-madvise-unchecked, qemu72-mremap-zero-size, qemu72-mmap-prot-einval.
var Qemu72 = sim.SeedQuirks.
	// Fixed: mmap.c:442 "if (!len) { errno = EINVAL" and :455 ENOMEM when
	// TARGET_PAGE_ALIGN(len) wraps to 0 (the seed jumped to the_end).
	// Runs: 31 sequences agree longer with it off, 0 with it on
	// (2794 and 1934 agreeing calls).
	Without(sim.QuirkMmapLenZero).
	// Fixed: mmap.c:613 passes end, not real_end, as the tail fragment's
	// end (the seed's line 546 has real_end). The two sequences that agree
	// longer with it on end at a known difference (qemu72-eof-truncate,
	// qemu72-frag-anon-readonly) after which the states are apart anyway:
	// flipping changes sim's answer there by chance.
	// Runs: 0 sequences agree longer with it off, 2 with it on
	// (2794 and 2770 agreeing calls).
	Without(sim.QuirkFragTailRealEnd).
	// Fixed in part: mmap.c:244-246 clears the new anonymous fragment
	// (memset) only when its host page ends up writable. Off (clear
	// always) is that half; the read-only half is the known difference
	// qemu72-frag-anon-readonly, where the comparison stops either way.
	// Runs: 0 sequences agree longer with it off, 0 with it on
	// (2794 and 2794 agreeing calls).
	Without(sim.QuirkFragAnonStale).
	// Fixed: the length (mmap.c:838 "old_size - new_size", "linux-user/mmap.c:
	// fix integer underflow in target_mremap", Jonathan Marler, May 2020,
	// LP#1876373) but not the address: see mremap-shrink-reserve-addr.
	// Runs: 1 sequence agrees longer with it off, 0 with it on
	// (2794 and 2771 agreeing calls).
	Without(sim.QuirkMremapShrinkReserve).
	// Still there: the MREMAP_MAYMOVE branch calls mmap_reserve(old_addr,
	// old_size) whether or not the host's mremap succeeded (mmap.c:811-813).
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (2794 and 2794 agreeing calls).
	With(sim.QuirkMremapMayMoveReserve).
	// Fixed in 7.2's rewritten mmap_find_vma_reserved: mmap.c:307 "addr &&
	// addr + size == end_addr" never returns 0. It does not honour
	// mmap_min_addr either, which only matters where mmap_min_addr exceeds
	// the host page (not on this host, vm.mmap_min_addr 4096).
	// Runs: 0 sequences agree longer with it off, 0 with it on
	// (2794 and 2794 agreeing calls).
	Without(sim.QuirkFindVMAReservedZero).
	// Still there, but cannot show: 7.2's page_set_flags(start, end) wraps
	// at the top of a 32-bit space as the seed's does (fixed in 8.0 with
	// "last"), and MAX_RESERVED_VA (main.c:111, 0xfffff000) keeps the top
	// page out of an i386 guest's space.
	// Runs: 1 sequence agrees longer with it on, 0 with it off
	// (2794 and 2793 agreeing calls).
	With(sim.QuirkTopPageWrap).
	// Fixed: target_mprotect checks guest_range_valid_untagged and says
	// ENOMEM (mmap.c:133).
	// Runs: 1 sequence agrees longer with it off, 0 with it on
	// (2794 and 2727 agreeing calls).
	Without(sim.QuirkMprotectWrapEINVAL).
	// Fixed: validate_prot_to_pageflags (mmap.c:113) rejects unknown bits
	// with EINVAL (it checks them before the range: qemu72-mprotect-prot-
	// first).
	// Runs: 1 sequence agrees longer with it off, 0 with it on
	// (2794 and 2759 agreeing calls).
	Without(sim.QuirkMprotectBadProt).
	// Fixed: guest_range_valid_untagged in target_mmap (mmap.c:564),
	// target_munmap (:722), target_mprotect (:133) and target_mremap (:781).
	// Runs: 11 sequences agree longer with it off, 0 with it on
	// (2794 and 2395 agreeing calls).
	Without(sim.QuirkUncheckedRange).
	// Still there: target_mprotect (mmap.c:126-186) changes the host and the
	// page flags over holes.
	// Runs: 48 sequences agree longer with it on, 0 with it off
	// (2794 and 1369 agreeing calls).
	With(sim.QuirkMprotectUnmapped).
	// Still there: mmap_frag returns -1 for a writable shared file fragment
	// (mmap.c:227) without setting errno; the guest gets QEMU's stale errno.
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (2794 and 2793 agreeing calls).
	With(sim.QuirkFragSharedErrno).
	// Still there: mmap_find_vma_reserved tests page_get_flags(addr) of the
	// first guest page of each host page only (mmap.c:303).
	// Runs: 27 sequences agree longer with it on, 0 with it off
	// (2794 and 2288 agreeing calls).
	With(sim.QuirkFindVMAFirstPage).
	// Still there: the non-fixed file mapping is mapped with len from the
	// aligned-down offset (mmap.c:540). The two sequences that agree longer
	// with it off are the ones where QEMU died (page_set_flags) mapping a
	// file with a length that 7.2's EOF truncation wrapped
	// (qemu72-eof-truncate): off, sim aborts there too, by another path.
	// Runs: 2 sequences agree longer with it on, 2 with it off
	// (2794 and 2838 agreeing calls).
	With(sim.QuirkNonFixedFileShort).
	// Still there: a failed non-fixed file mapping is munmapped, reservation
	// or not (mmap.c:543).
	// Runs: 1 sequence agrees longer with it on, 0 with it off
	// (2794 and 2756 agreeing calls).
	With(sim.QuirkNonFixedFailUnmap).
	// Fixed: a MAP_FIXED range past the space is ENOMEM (mmap.c:564-565).
	// Runs: 9 sequences agree longer with it off, 0 with it on
	// (2794 and 2523 agreeing calls).
	Without(sim.QuirkFixedFitEINVAL).
	// Still there: do_syscall calls the host's msync on g2h(addr)
	// (syscall.c:10129), which finds RESERVED_VA's placeholders mapped.
	// Runs: 18 sequences agree longer with it on, 0 with it off
	// (2794 and 2308 agreeing calls).
	With(sim.QuirkMsyncUnmapped).
	// Still there, without RESERVED_VA only: the MREMAP_MAYMOVE branch does
	// not give back what mmap_find_vma reserved when mremap fails
	// (mmap.c:800-813).
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (2794 and 2794 agreeing calls).
	With(sim.QuirkMremapMayMoveLeak).
	// Still there: mmap.c:838 reserves from old_addr + old_size. QEMU 7.2
	// then runs on with a PROT_NONE placeholder over live guest memory; in
	// the runs it later crashed or spun (known difference qemu72-died).
	// Runs: 1 sequence agrees longer with it on, 0 with it off
	// (2794 and 2771 agreeing calls).
	With(sim.QuirkMremapShrinkReserveAddr).
	// Fixed: the check is guest_range_valid_untagged(h2g(host_addr),
	// new_size) (mmap.c:831).
	// Runs: 11 sequences agree longer with it off, 0 with it on
	// (2794 and 2515 agreeing calls).
	Without(sim.QuirkMremapFitHostAddr).
	// Fixed, differently: old_size 0 fails guest_range_valid_untagged
	// (mmap.c:781) with ENOMEM before page_set_flags can abort; sim has no
	// switch for that (known difference qemu72-mremap-zero-size).
	// Runs: 0 sequences agree longer with it off, 0 with it on
	// (2794 and 2794 agreeing calls).
	Without(sim.QuirkMremapZeroOldSize).
	// Still there: 7.2's mmap_flags_tbl (syscall.c:6017) has no
	// MAP_FIXED_NOREPLACE, so the flag is dropped and the call is a hint.
	// Runs: 25 sequences agree longer with it on, 0 with it off
	// (2794 and 2334 agreeing calls).
	With(sim.QuirkNoReplaceIgnored).
	// Fixed in part: target_madvise (mmap.c:885-926) checks the start,
	// length and range and passes MADV_DONTNEED to the host where every
	// page is PAGE_PASSTHROUGH and the range is host-page aligned;
	// elsewhere it returns 0. On (return 0 for everything) agrees longer in
	// 51 sequences, because 7.2 reports no ENOMEM for holes (the known
	// difference qemu72-madvise-unchecked, counted as a difference); off
	// agrees in more calls, because 7.2 does reject a misaligned start or a
	// range outside the space, and does discard private anonymous pages
	// (which sim's fix would too, but for the bug sim-madvise-dontneed).
	// Runs: 1 sequence agrees longer with it off, 51 with it on
	// (2794 and 2799 agreeing calls).
	Without(sim.QuirkMadviseIgnored).
	// Still there in another form: 7.2 truncates file mappings at EOF when
	// qemu_real_host_page_size() < qemu_host_page_size (mmap.c:506) and sets
	// the page flags for the truncated length; for an i386 guest (target
	// page = real host page) sim never truncates, so the difference shows
	// only with -p > 4096 (known difference qemu72-eof-truncate).
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (2794 and 2794 agreeing calls).
	With(sim.QuirkEOFTruncatedFlags).
	// Still there: target_mremap checks only guest_range_valid_untagged
	// (mmap.c:779-786), none of Linux's rules.
	// Runs: 34 sequences agree longer with it on, 0 with it off
	// (2794 and 1723 agreeing calls).
	With(sim.QuirkMremapUnchecked).
	// Still there: guest ranges go to the host's mremap unchanged
	// (mmap.c:793, 808, 826).
	// Runs: 24 sequences agree longer with it on, 1 with it off
	// (2794 and 2224 agreeing calls).
	With(sim.QuirkMremapHostPages).
	// Still there: the in-place growth meets the PROT_NONE placeholder
	// (mmap.c:815-827) and the host says ENOMEM.
	// Runs: 6 sequences agree longer with it on, 0 with it off
	// (2794 and 2672 agreeing calls).
	With(sim.QuirkMremapGrowReserved).
	// Still there, without RESERVED_VA only: mmap_find_vma probes the host
	// with hints (mmap.c:350-430).
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (2794 and 2794 agreeing calls).
	With(sim.QuirkFindVMAProbe).
	// Still there: mmap_frag maps a fresh host page (mmap.c:211-217) before
	// refusing a writable shared file fragment (mmap.c:227).
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (2794 and 2794 agreeing calls).
	With(sim.QuirkFragSharedLeak).
	// Fixed by the way: msync goes straight to the host (syscall.c:10129),
	// whose checks are Linux's.
	// Runs: 0 sequences agree longer with it off, 0 with it on
	// (2794 and 2747 agreeing calls).
	Without(sim.QuirkMsyncChecks).
	// Fixed, differently: unknown bits fail with EINVAL (mmap.c:446-450);
	// Linux ignores them, as sim does with the quirk off (known difference
	// qemu72-mmap-prot-einval).
	// Runs: 0 sequences agree longer with it off, 0 with it on
	// (2794 and 2794 agreeing calls).
	Without(sim.QuirkMmapProtUnmasked).
	// Still there: the MREMAP_MAYMOVE branch always moves (mmap.c:801-813).
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (2794 and 2794 agreeing calls).
	With(sim.QuirkMremapMayMoveMoves).
	// Still there: mmap.c:851-854 gives the new range the flags of the old
	// range's first page.
	// Runs: 13 sequences agree longer with it on, 0 with it off
	// (2794 and 2352 agreeing calls).
	With(sim.QuirkMremapProtFirstPage).
	// Still there: mmap_frag keeps any existing host page, shared or not
	// (mmap.c:211-247). The sequence that agrees longer with it off has an mmap
	// with an unknown protection bit (qemu72-mmap-prot-einval) onto a
	// shared host page: flipped, sim refuses it with EINVAL for the other
	// reason and agrees by chance.
	// Runs: 6 sequences agree longer with it on, 1 with it off
	// (2794 and 2697 agreeing calls).
	With(sim.QuirkFragSharedHostPage).
	// Still there: mmap_reserve(old_addr, old_size) after every move
	// (mmap.c:797, 812), MREMAP_DONTUNMAP or not.
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (2794 and 2794 agreeing calls).
	With(sim.QuirkMremapDontUnmapReserve).
	// Still there: mmap_frag writes into whatever host page is there
	// (mmap.c:211-247), a private file mapping's too. The sequence that
	// agrees longer with it off ends at a known difference that leaves the
	// states apart (as under frag-tail-real-end).
	// Runs: 0 sequences agree longer with it on, 1 with it off
	// (2794 and 2804 agreeing calls).
	With(sim.QuirkFragFileHostPage).
	// Still there: target_mmap's MAP_FIXED branch checks the alignment and
	// the range (mmap.c:552-567), never the file's open mode; mmap_frag
	// maps a fresh host page (mmap.c:211-217) and preads into it
	// (mmap.c:234) before the host's mmap of the middle (mmap.c:621-635)
	// would refuse the mode with EACCES.
	// Runs: 2 sequences agree longer with it on, 0 with it off
	// (2794 and 2779 agreeing calls).
	With(sim.QuirkFileModeUnchecked).
	// Fixed in part, differently: 7.2 records PAGE_ANON (mmap.c:638-639)
	// but nothing in mmap.c reads it; what tells a private file mapping it
	// filled with pread from anonymous memory is PAGE_PASSTHROUGH, which
	// only the host-mapped part gets (mmap.c:642-653; the pread path's
	// "goto the_end", mmap.c:591, skips it), so MADV_DONTNEED leaves the
	// emulated file pages alone (can_passthrough_madv_dontneed,
	// mmap.c:860-875), as sim does with the quirk off. That MADV_FREE of
	// them returns 0 is 7.2's madvise ignoring every other advice
	// (mmap.c:915-923), the known difference qemu72-madvise-unchecked: the
	// sequence that agrees longer with it on stops, with it off, at a
	// MADV_FREE of file memory emulated with anonymous pages (sim says
	// EINVAL, as Linux; 7.2 says 0), which with it on sim lets through.
	// Runs: 0 sequences agree longer with it off, 1 with it on
	// (2794 and 2796 agreeing calls).
	Without(sim.QuirkNoPageAnon).
	// Still there, but cannot show: mmap.c has no mmap_min_addr check for
	// MAP_FIXED (only mmap_find_vma's hint, mmap.c:422); the tail fragment
	// (mmap.c:610-619) is mapped before the middle (mmap.c:621-635), which
	// the host refuses below its mmap_min_addr. Under RESERVED_VA, where
	// 7.2 runs an i386 guest, guest_base puts the guest space far above it.
	// Runs: 0 sequences agree longer with it on, 0 with it off
	// (2794 and 2794 agreeing calls).
	With(sim.QuirkMinAddrUnchecked).
	// Fixed: 7.2's mmap_find_vma_reserved finds no room of size 0
	// (mmap.c:307, "addr + size == end_addr" is tested only on a free
	// page after stepping below end_addr): ENOMEM, as the fix.
	Without(sim.QuirkFindVMAZeroSize).
	// 7.2's own: see each quirk's QuirkDesc.ReleaseLines.
	With(sim.QuirkMadvisePassthrough).
	With(sim.QuirkMmapProtEINVAL).
	With(sim.QuirkMprotectProtFirst).
	With(sim.QuirkZeroLenRange).
	With(sim.QuirkEOFTruncateHostPage).
	With(sim.QuirkFragClearWritable).
	With(sim.QuirkHostProtNoExec).
	With(sim.QuirkNextStartUnmappedBase).
	With(sim.QuirkWriteFaultSpin).
	With(sim.QuirkGuestSpaceWord).
	With(sim.QuirkPreadMprotectAssert).
	// Fixed by the way: do_syscall calls the host's msync on g2h(addr)
	// with the guest's length (syscall.c), not target_msync's start
	// rounded down to qemu_host_page_size; on a 4K host that is the fix's
	// start rounded down to the real host page.
	Without(sim.QuirkMsyncHostPage).
	// Still there: target_mmap tests the MAP_FIXED start's alignment
	// (mmap.c:551-554) before the range (mmap.c:564-566).
	With(sim.QuirkFixedAlignFirst)

package sim

import (
	"fmt"
	"math/bits"
	"strings"
)

// Quirk names one defect of the seed (QEMU's linux-user/mmap.c of March
// 2015) that later QEMU fixed. sim runs the seed's code with the quirk on
// and the corrected code with it off; package policy describes each quirk
// (what goes wrong, how it shows, a scenario that replays it) and decides
// which are on.
type Quirk uint8

// The quirks. Each comment gives the seed's behaviour; the fix is the
// behaviour later QEMU adopted (or, where QEMU never fixed it, what Linux
// does).
const (
	// QuirkMmapLenZero: target_mmap with length 0, or a length that wraps
	// to 0 when page-aligned, returns success with nothing mapped.
	QuirkMmapLenZero Quirk = iota
	// QuirkFragTailRealEnd: the tail fragment of a MAP_FIXED mapping is
	// passed real_end instead of end, so guest pages after the mapping in
	// the same host page are overwritten.
	QuirkFragTailRealEnd
	// QuirkFragAnonStale: an anonymous fragment mapped into a host page
	// that already exists keeps the old bytes instead of reading zero.
	QuirkFragAnonStale
	// QuirkMremapShrinkReserve: target_mremap shrinking under RESERVED_VA
	// reserves at old_addr+old_size with length new_size-old_size.
	QuirkMremapShrinkReserve
	// QuirkMremapMayMoveReserve: target_mremap with MREMAP_MAYMOVE
	// re-reserves the old range even when the host mremap failed.
	QuirkMremapMayMoveReserve
	// QuirkFindVMAReservedZero: mmap_find_vma_reserved can return guest
	// address 0 (and anything below mmap_min_addr).
	QuirkFindVMAReservedZero

	// QuirkTopPageWrap: range ends are abi_ulong and wrap to 0 at the top
	// of a 32-bit guest space, so the top page cannot be mapped, changed
	// or unmapped (page_set_flags asserts start < end and QEMU aborts).
	QuirkTopPageWrap
	// QuirkMprotectWrapEINVAL: target_mprotect reports a range that wraps
	// as EINVAL; Linux says ENOMEM.
	QuirkMprotectWrapEINVAL
	// QuirkMprotectBadProt: target_mprotect drops unknown protection bits
	// instead of failing with EINVAL.
	QuirkMprotectBadProt
	// QuirkUncheckedRange: target_mmap, target_munmap, target_mprotect and
	// target_mremap do not check that the guest range lies inside the guest
	// space (below RESERVED_VA), so the host acts outside it.
	QuirkUncheckedRange
	// QuirkMprotectUnmapped: target_mprotect of a range with unmapped guest
	// pages succeeds and marks them valid; Linux fails with ENOMEM at the
	// first hole.
	QuirkMprotectUnmapped
	// QuirkFragSharedErrno: mmap_frag refuses a writable shared file
	// fragment with -1 but leaves errno as it was.
	QuirkFragSharedErrno
	// QuirkFindVMAFirstPage: mmap_find_vma_reserved tests only the first
	// guest page of each host page, so it hands out host pages whose other
	// guest pages are in use.
	QuirkFindVMAFirstPage
	// QuirkNonFixedFileShort: a non-fixed file mapping at an offset that is
	// not host-page aligned maps len bytes from the aligned-down offset, so
	// the last (offset mod H) bytes of the guest mapping read zero.
	QuirkNonFixedFileShort
	// QuirkNonFixedFailUnmap: when the file part of a non-fixed mapping
	// fails, the seed munmaps the area, punching a hole in the RESERVED_VA
	// reservation.
	QuirkNonFixedFailUnmap
	// QuirkFixedFitEINVAL: a MAP_FIXED range passing the top of a 32-bit
	// space fails with EINVAL; Linux says ENOMEM.
	QuirkFixedFitEINVAL
	// QuirkMsyncUnmapped: target_msync of unmapped guest pages succeeds
	// under RESERVED_VA (the placeholders are mapped on the host); Linux
	// fails with ENOMEM.
	QuirkMsyncUnmapped
	// QuirkMremapMayMoveLeak: when the host mremap of an MREMAP_MAYMOVE
	// fails, the PROT_NONE space mmap_find_vma reserved stays mapped.
	QuirkMremapMayMoveLeak
	// QuirkMremapShrinkReserveAddr: target_mremap shrinking under
	// RESERVED_VA reserves at old_addr+old_size (QEMU 7.2 has this half of
	// QuirkMremapShrinkReserve: the length was fixed, the address not).
	QuirkMremapShrinkReserveAddr
	// QuirkMremapFitHostAddr: target_mremap checks that the host address,
	// not the guest address, fits the guest space, so with a non-zero
	// guest_base every in-place mremap of a 32-bit guest is reverted and
	// fails with ENOMEM.
	QuirkMremapFitHostAddr
	// QuirkMremapZeroOldSize: target_mremap with old_size 0 (duplicating a
	// shared mapping) calls page_set_flags(old, old, 0) and QEMU aborts.
	QuirkMremapZeroOldSize

	// QuirkNoReplaceIgnored: the seed era's syscall layer drops
	// MAP_FIXED_NOREPLACE (unknown then), so the call becomes a hint and
	// maps elsewhere instead of failing with EEXIST.
	QuirkNoReplaceIgnored

	// QuirkMadviseIgnored: the seed era's syscall layer answers every
	// madvise with 0 and does nothing, so MADV_DONTNEED leaves the data.
	QuirkMadviseIgnored

	// QuirkEOFTruncatedFlags: with a target page larger than the real host
	// page, target_mmap truncates a file mapping's length at end-of-file and
	// then sets the page flags for the truncated length only, so the guest
	// pages past end-of-file read as unmapped (SIGSEGV) instead of SIGBUS,
	// and later mappings may be placed over them.
	QuirkEOFTruncatedFlags

	// QuirkMremapUnchecked: target_mremap checks none of Linux's mremap
	// rules: an unmapped old range "succeeds" under RESERVED_VA (the host
	// moves the placeholder), a range spanning mappings of different
	// protections gets the first page's, bad flags reach the host.
	QuirkMremapUnchecked
	// QuirkMremapHostPages: target_mremap passes guest ranges to the host's
	// mremap unchanged, so with host pages larger than guest pages most
	// mremaps fail with EINVAL or act on whole host pages.
	QuirkMremapHostPages
	// QuirkMremapGrowReserved: under RESERVED_VA the PROT_NONE placeholder
	// after a mapping stops the host's mremap from growing it in place, so
	// growing without MREMAP_MAYMOVE always fails with ENOMEM.
	QuirkMremapGrowReserved

	// QuirkFindVMAProbe: without RESERVED_VA, mmap_find_vma only asks the
	// host kernel (with the default start, then low memory as hints) and
	// gives up when neither answer lies in the guest space, although the
	// guest space may have room elsewhere.
	QuirkFindVMAProbe

	// QuirkFragSharedLeak: mmap_frag maps a fresh host page before it
	// refuses a writable shared file fragment, and leaves it mapped.
	QuirkFragSharedLeak
	// QuirkMsyncChecks: target_msync returns 0 for a zero length before
	// checking the flags, which Linux checks first, and reports a range
	// that wraps as EINVAL where Linux says ENOMEM.
	QuirkMsyncChecks

	// QuirkMmapProtUnmasked: target_mmap keeps protection bits beyond
	// read, write and exec: the host's mprotect of a fragment rejects them,
	// and they land in the page flags (0x10 is PAGE_WRITE_ORG).
	QuirkMmapProtUnmasked
	// QuirkMremapMayMoveMoves: with MREMAP_MAYMOVE the seed always moves
	// the mapping to a new place, even to shrink it or when it could grow
	// in place; Linux moves only when it must.
	QuirkMremapMayMoveMoves
	// QuirkMremapProtFirstPage: after a successful mremap the seed gives
	// the whole new range the flags of the old range's first page, though
	// a shrink may span mappings of different protections.
	QuirkMremapProtFirstPage

	// QuirkFragSharedHostPage: mmap_frag maps a private fragment into an
	// existing host page even when that host page is a MAP_SHARED mapping
	// (of a file, or shared memory), and then writes the fragment's bytes
	// into it: file data read with pread lands in the other file. When the
	// shared file is read-only, the mprotect that would make the host page
	// writable fails, and mmap_frag ignores that.
	QuirkFragSharedHostPage
	// QuirkMremapDontUnmapReserve: under RESERVED_VA, target_mremap puts
	// the PROT_NONE placeholder over the old range after every successful
	// move, also after MREMAP_DONTUNMAP (a flag younger than the seed),
	// which leaves the old range mapped.
	QuirkMremapDontUnmapReserve
	// QuirkFragFileHostPage: mmap_frag writes a new fragment's bytes (zeros
	// or file data) into a host page that maps a file privately. Where that
	// host page lies past the end of its file, the write takes SIGBUS
	// inside QEMU; where the file later shrinks, the fragment faults.
	QuirkFragFileHostPage

	numQuirks
)

// quirkNames are the quirks' stable names, as scenarios and flags spell them.
var quirkNames = [...]string{
	QuirkMmapLenZero:             "mmap-len-zero",
	QuirkFragTailRealEnd:         "frag-tail-real-end",
	QuirkFragAnonStale:           "frag-anon-stale",
	QuirkMremapShrinkReserve:     "mremap-shrink-reserve",
	QuirkMremapMayMoveReserve:    "mremap-maymove-reserve",
	QuirkFindVMAReservedZero:     "find-vma-reserved-zero",
	QuirkTopPageWrap:             "top-page-wrap",
	QuirkMprotectWrapEINVAL:      "mprotect-wrap-einval",
	QuirkMprotectBadProt:         "mprotect-bad-prot",
	QuirkUncheckedRange:          "unchecked-range",
	QuirkMprotectUnmapped:        "mprotect-unmapped",
	QuirkFragSharedErrno:         "frag-shared-errno",
	QuirkFindVMAFirstPage:        "find-vma-first-page",
	QuirkNonFixedFileShort:       "nonfixed-file-short",
	QuirkNonFixedFailUnmap:       "nonfixed-fail-unmap",
	QuirkFixedFitEINVAL:          "fixed-fit-einval",
	QuirkMsyncUnmapped:           "msync-unmapped",
	QuirkMremapMayMoveLeak:       "mremap-maymove-leak",
	QuirkMremapShrinkReserveAddr: "mremap-shrink-reserve-addr",
	QuirkMremapFitHostAddr:       "mremap-fit-host-addr",
	QuirkMremapZeroOldSize:       "mremap-zero-old-size",
	QuirkNoReplaceIgnored:        "noreplace-ignored",
	QuirkMadviseIgnored:          "madvise-ignored",
	QuirkEOFTruncatedFlags:       "eof-truncated-flags",
	QuirkMremapUnchecked:         "mremap-unchecked",
	QuirkMremapHostPages:         "mremap-host-pages",
	QuirkMremapGrowReserved:      "mremap-grow-reserved",
	QuirkFindVMAProbe:            "find-vma-probe",
	QuirkFragSharedLeak:          "frag-shared-leak",
	QuirkMsyncChecks:             "msync-checks",
	QuirkMmapProtUnmasked:        "mmap-prot-unmasked",
	QuirkMremapMayMoveMoves:      "mremap-maymove-moves",
	QuirkMremapProtFirstPage:     "mremap-prot-first-page",
	QuirkFragSharedHostPage:      "frag-shared-host-page",
	QuirkMremapDontUnmapReserve:  "mremap-dontunmap-reserve",
	QuirkFragFileHostPage:        "frag-file-host-page",
}

// NumQuirks is how many quirks there are; they are numbered 0..NumQuirks-1.
const NumQuirks = int(numQuirks)

func (q Quirk) String() string {
	if int(q) < len(quirkNames) {
		return quirkNames[q]
	}
	return fmt.Sprintf("quirk(%d)", uint8(q))
}

// QuirkByName returns the quirk called name.
func QuirkByName(name string) (Quirk, bool) {
	for i, n := range quirkNames {
		if n == name {
			return Quirk(i), true
		}
	}
	return 0, false
}

// QuirkSet is a set of quirks. The zero value is the empty set: the fixed
// algorithm.
type QuirkSet uint64

// AllQuirks is the seed: every quirk on.
const AllQuirks = QuirkSet(1<<numQuirks - 1)

// Has reports whether q is in the set.
func (s QuirkSet) Has(q Quirk) bool { return s&(1<<q) != 0 }

// With returns the set plus q.
func (s QuirkSet) With(q Quirk) QuirkSet { return s | 1<<q }

// Without returns the set minus q.
func (s QuirkSet) Without(q Quirk) QuirkSet { return s &^ (1 << q) }

// Len is the number of quirks in the set.
func (s QuirkSet) Len() int { return bits.OnesCount64(uint64(s)) }

// List returns the quirks in the set, in numeric order.
func (s QuirkSet) List() []Quirk {
	var out []Quirk
	for q := Quirk(0); q < numQuirks; q++ {
		if s.Has(q) {
			out = append(out, q)
		}
	}
	return out
}

// String lists the set's names joined by commas, "none" when empty.
func (s QuirkSet) String() string {
	if s == 0 {
		return "none"
	}
	var names []string
	for _, q := range s.List() {
		names = append(names, q.String())
	}
	return strings.Join(names, ",")
}

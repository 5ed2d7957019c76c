package props

import (
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
)

// qemu111Rules recognise QEMU 11.1's behaviours (and two divergences it
// meets in more ways than the reference: host-vma-split, host-space-end),
// point by point. At each point the rules naming a more specific cause come
// first: a range past the guest's space, then the call's own failure modes,
// then what the defect leaves behind.
var qemu111Rules = []Rule{
	// At access_ok for a load's or store's range (accessOKOutcome).
	{Name: "access-ok-write-read", Then: countOnly,
		Doc: "access_ok refuses a buffer a call would write, which the guest kernel's mappings allow for writing but not for reading",
		Match: on(func(s *System, o *accessOKOutcome) bool {
			return o.write && o.kernel && !o.qemu && !s.refAllows(o.addr, o.n, hostvm.ProtRead|hostvm.ProtWrite)
		})},
	// At a load or store that got further on one side (accessOutcome).
	{Name: "eof-anonymous", Then: taintPages,
		Doc: "an access goes further under QEMU where the guest kernel says SIGBUS, on a target page wholly past end-of-file (QEMU: anonymous memory)",
		Match: on(func(s *System, o *accessOutcome) bool {
			return o.qemuN > o.kernelN && o.kernelFault != nil && o.kernelFault.Signal == hostvm.SIGBUS && s.wholePagePastEOF(o.parted)
		}),
		Unknown: unknownOn(func(s *System, o *accessOutcome) []span {
			return s.accessTail(o, o.parted, o.qemuN)
		})},
	{Name: "shared-anon-pieces", Then: taintPages,
		Doc: "QEMU faults first, with SIGBUS, on a page the guest kernel has shared anonymous memory: the host's piece of it ends there",
		Match: on(func(s *System, o *accessOutcome) bool {
			return o.qemuN < o.kernelN && s.sharedAnonBus(o.parted, o.qemuFault)
		}),
		Unknown: unknownOn(func(s *System, o *accessOutcome) []span {
			return s.accessTail(o, o.parted, o.kernelN)
		})},
	{Name: "frag-file-host-page", Then: taintPages,
		Doc: "QEMU faults first, with SIGBUS, on a page the guest kernel has anonymous: mmap_frag put it in a host page of a file mapping, past the file's end",
		Match: on(func(s *System, o *accessOutcome) bool {
			return o.qemuN < o.kernelN && s.anonInFileHostPage(o.parted, o.qemuFault)
		}),
		Unknown: unknownOn(func(s *System, o *accessOutcome) []span {
			return s.accessTail(o, o.parted, o.kernelN)
		})},
	// At a byte both sides read, that differs (byteOutcome).
	{Name: "frag-shared-host-page", Then: stopRun,
		Doc:   "a byte read differs where a file differs between QEMU's host and the guest kernel, or where QEMU's page lives in a host page of a shared file mapping that the guest kernel does not map there",
		Match: on(func(s *System, o *byteOutcome) bool { return s.sharedFileMixup(o.at) })},
	{Name: "eof-fill-stale", Then: countOnly,
		Doc:   "a byte read where QEMU has anonymous memory past end-of-file and the guest kernel the file, which has grown",
		Match: on(func(s *System, o *byteOutcome) bool { return s.eofFillStale(o.at) })},
	// At a page whose contents differ after an operation (pageOutcome).
	{Name: "mremap-host-pages", Then: taintPages,
		Doc:     "after an mremap QEMU made whose address or sizes are not host-page aligned, a page reads differently: the host resized or moved whole host pages, a neighbour's guest pages with them",
		Match:   on(func(s *System, o *pageOutcome) bool { return s.misalignedMremapMade(s.current()) }),
		Unknown: unknownOn(func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} })},
	{Name: "shared-anon-pieces", Then: taintPages,
		Doc:     "QEMU faults with SIGBUS on a page the guest kernel has shared anonymous memory: the host's piece of it ends there",
		Match:   on(func(s *System, o *pageOutcome) bool { return s.sharedAnonBus(o.page, o.qemuFault) }),
		Unknown: unknownOn(func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} })},
	{Name: "frag-file-host-page", Then: taintPages,
		Doc:     "QEMU faults with SIGBUS on a page the guest kernel has anonymous: mmap_frag put it in a host page of a file mapping, past the file's end",
		Match:   on(func(s *System, o *pageOutcome) bool { return s.anonInFileHostPage(o.page, o.qemuFault) }),
		Unknown: unknownOn(func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} })},
	{Name: "frag-shared-host-page", Then: stopRun,
		Doc:   "a page differs where a file differs between QEMU's host and the guest kernel, or where QEMU's page lives in a host page of a shared file mapping that the guest kernel does not map there",
		Match: on(func(s *System, o *pageOutcome) bool { return s.sharedFileMixup(o.page) })},
	{Name: "eof-fill-stale", Then: taintPages,
		Doc:     "a page where QEMU has anonymous memory past end-of-file and the guest kernel the file, which has grown",
		Match:   on(func(s *System, o *pageOutcome) bool { return o.qemuFault == nil && s.eofFillStale(o.page) }),
		Unknown: unknownOn(func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} })},
	{Name: "madvise-host-pages", Then: taintPages,
		Doc: "after a MADV_DONTNEED QEMU passed to the host, a page after its range, in the same host page, reads zero",
		Match: on(func(s *System, o *pageOutcome) bool {
			op := s.current()
			if op.Kind != OpMadvise || advices[int(op.Advice)%len(advices)] != hostvm.MadvDontNeed || s.qemuErr != nil {
				return false
			}
			addr, _ := s.resolve(op.At)
			end := addr + s.length(op.Pages, op.Extra)
			h := s.sim.Host().PageSize()
			return o.page >= end && o.page < (end+h-1)&^(h-1)
		}),
		Unknown: unknownOn(func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} })},
	{Name: "mmap-fixed-late-failure", Then: taintPages,
		Doc: "after a fixed mmap QEMU failed, a page of its range reads differently: mmap_frag had filled it",
		Match: on(func(s *System, o *pageOutcome) bool {
			op := s.current()
			addr, _ := s.resolve(op.At)
			return op.Kind == OpMmap && op.Place >= PlaceFixed && s.qemuErr != nil &&
				o.page >= addr&^(s.targetPage-1) && o.page < addr+s.length(op.Pages, op.Extra)
		}),
		Unknown: unknownOn(func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} })},
	{Name: "madvise-dontneed-ignored", Then: taintPages,
		Doc: "after a MADV_DONTNEED that did not reach the host (a page of the range is not PAGE_PASSTHROUGH), a page in its range keeps its data",
		Match: on(func(s *System, o *pageOutcome) bool {
			op := s.current()
			if op.Kind != OpMadvise || advices[int(op.Advice)%len(advices)] != hostvm.MadvDontNeed || o.qemuFault != nil {
				return false
			}
			addr, _ := s.resolve(op.At)
			length := s.length(op.Pages, op.Extra)
			return o.page >= addr&^(s.targetPage-1) && o.page < addr+length && !s.allPassthrough(addr, length)
		}),
		Unknown: unknownOn(func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} })},
	// At a non-fixed mapping placed where the guest kernel cannot map it (placementOutcome).
	{Name: "guest-space-unbounded", Then: stopRun,
		Doc:   "the host placed a 64-bit guest's non-fixed mapping (no RESERVED_VA) past the end of the guest's space",
		Match: on(func(s *System, o *placementOutcome) bool { return s.pastUnbounded(o.addr, o.length, 0, 0) })},
	{Name: "eof-anonymous", Then: stopRun,
		Doc: "QEMU placed (as anonymous memory) a file mapping wholly past end-of-file that the guest kernel refuses for the file's open mode",
		Match: on(func(s *System, o *placementOutcome) bool {
			return o.kernelErr == hostvm.EACCES && s.wholeMappingPastEOF(o.op)
		})},
	{Name: "mmap-hint-below-min", Then: stopRun,
		Doc: "QEMU placed a non-fixed mapping with a hint below mmap_min_addr",
		Match: on(func(s *System, o *placementOutcome) bool {
			return o.belowMin && o.op.Place == PlaceHint && s.cfg.ReservedVA != 0
		})},
	// At an mmap's outcomes (mmapOutcome).
	{Name: "guest-space-unbounded", Then: stopRun,
		Doc: "the errnos differ for a fixed mapping that passes the end of a 64-bit guest's space without RESERVED_VA",
		Match: on(func(s *System, o *mmapOutcome) bool {
			return o.qemuErr != o.kernelErr && !o.nonFixed && s.pastUnbounded(o.addr, o.length, 0, 0)
		})},
	{Name: "mmap-prot-einval", Then: keepQEMU,
		Doc: "QEMU refuses with EINVAL an mmap whose protection has an unknown bit; the guest kernel ignores the bit",
		Match: on(func(s *System, o *mmapOutcome) bool {
			return o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL && o.op.Prot&^uint8(hostvm.ProtRWX|hostvm.ProtSem) != 0
		})},
	{Name: "mmap-check-order", Then: countOnly,
		Doc: "a non-fixed mapping under RESERVED_VA QEMU finds no room for (ENOMEM), which the guest kernel refuses first for the file's open mode (EACCES)",
		Match: on(func(s *System, o *mmapOutcome) bool {
			return o.qemuErr == hostvm.ENOMEM && o.kernelErr == hostvm.EACCES && o.nonFixed && s.cfg.ReservedVA != 0
		})},
	{Name: "mmap-check-order", Then: countOnly,
		Doc: "a fixed mmap at a misaligned address past the end of the space: EINVAL under QEMU, ENOMEM on the guest kernel",
		Match: on(func(s *System, o *mmapOutcome) bool {
			return o.qemuErr == hostvm.EINVAL && o.kernelErr == hostvm.ENOMEM && !o.nonFixed && o.addr%s.targetPage != 0
		})},
	{Name: "noreplace-fragment", Then: countOnly,
		Doc: "without RESERVED_VA, a MAP_FIXED_NOREPLACE mapping over a mapped range that QEMU refuses first for its fragment (EINVAL: writable, shared and from a file); the guest kernel says EEXIST",
		Match: on(func(s *System, o *mmapOutcome) bool {
			return o.op.Place == PlaceNoReplace && o.qemuErr == hostvm.EINVAL && o.kernelErr == hostvm.EEXIST && s.cfg.ReservedVA == 0
		})},
	{Name: "noreplace-fragment", Then: stopRun,
		Doc: "without RESERVED_VA, a MAP_FIXED_NOREPLACE mapping the guest kernel refuses (EEXIST) succeeds under QEMU",
		Match: on(func(s *System, o *mmapOutcome) bool {
			return o.op.Place == PlaceNoReplace && o.qemuErr == nil && o.kernelErr == hostvm.EEXIST && s.cfg.ReservedVA == 0
		})},
	{Name: "frag-file-host-page", Then: stopRun,
		Doc: "QEMU fails a fixed file mapping with EFAULT: mmap_frag's pread into a host page mapped from a file past its end",
		Match: on(func(s *System, o *mmapOutcome) bool {
			return o.qemuErr == hostvm.EFAULT && o.op.File >= 0 && !o.nonFixed && o.kernelErr != hostvm.EFAULT
		})},
	{Name: "shared-misaligned-einval", Then: keepQEMU,
		Doc: "QEMU refuses with EINVAL a fixed MAP_SHARED file mapping whose offset is not congruent with its address modulo the host page; the guest kernel maps it (or refuses it for the file's mode)",
		Match: on(func(s *System, o *mmapOutcome) bool {
			h := s.sim.Host().PageSize()
			return o.qemuErr == hostvm.EINVAL && (o.kernelErr == nil || o.kernelErr == hostvm.EACCES) && !o.nonFixed &&
				o.op.Shared && o.op.File >= 0 && (o.addr^o.offset)%h != 0
		})},
	{Name: "eof-anonymous", Then: stopRun,
		Doc: "QEMU maps (as anonymous memory) a file mapping wholly past end-of-file that the guest kernel refuses for the file's open mode",
		Match: on(func(s *System, o *mmapOutcome) bool {
			return o.qemuErr == nil && o.kernelErr == hostvm.EACCES && s.wholeMappingPastEOF(o.op)
		})},
	{Name: "find-vma-split-search", Then: keepQEMU,
		Doc: "a non-fixed mmap QEMU finds no room for (ENOMEM) under RESERVED_VA, where the only free ranges span the point its search started from",
		Match: on(func(s *System, o *mmapOutcome) bool {
			return o.qemuErr == hostvm.ENOMEM && o.nonFixed && o.kernelErr == nil && s.cfg.ReservedVA != 0 && s.splitSearchMisses(o)
		})},
	{Name: "mmap-fixed-late-failure", Then: stopRun,
		Doc: "a fixed mmap QEMU failed leaves its guest and host views disagreeing",
		Match: on(func(s *System, o *mmapOutcome) bool {
			return o.qemuErr != nil && !o.nonFixed && s.sim.CheckAgreement() != nil
		})},
	{Name: "host-space-end", Then: countOnly,
		Doc: "both refuse a fixed mapping that passes the end of the host's space, with different errnos (the host's ENOMEM first)",
		Match: on(func(s *System, o *mmapOutcome) bool {
			return o.qemuErr == hostvm.ENOMEM && o.kernelErr != nil && !o.nonFixed && s.pastHostEnd(o.addr, o.length)
		})},

	// At the two views after a call (viewsOutcome).
	{Name: "mremap-fixed-failure", Then: stopRun,
		Doc:   "after an MREMAP_FIXED the host failed",
		Match: on(func(s *System, o *viewsOutcome) bool { return s.fixedMremapFailed(o.op) })},
	{Name: "guest-space-unbounded", Then: stopRun,
		Doc:   "after a call on a range that passes the end of a 64-bit guest's space without RESERVED_VA",
		Match: on(func(s *System, o *viewsOutcome) bool { return s.opPastUnbounded(o.op) })},
	{Name: "mremap-dontunmap-reserve", Then: stopRun,
		Doc:   "after an mremap with MREMAP_DONTUNMAP that QEMU made: QEMU's page flags dropped the old range, the guest kernel keeps it",
		Match: on(func(s *System, o *viewsOutcome) bool { return s.dontUnmapMade(o.op) })},
	{Name: "mremap-host-pages", Then: stopRun,
		Doc:   "after an mremap QEMU made whose address or sizes are not host-page aligned",
		Match: on(func(s *System, o *viewsOutcome) bool { return s.misalignedMremapMade(o.op) })},
	{Name: "mremap-prot-first-page", Then: stopRun,
		Doc:   "after an mremap QEMU made, its page flags differ from the guest kernel's mappings",
		Match: on(func(s *System, o *viewsOutcome) bool { return o.op.Kind == OpMremap && s.qemuErr == nil })},
	{Name: "mprotect-past-space", Then: stopRun,
		Doc: "after an mprotect QEMU refused (ENOMEM) because its range passes the end of the guest space; the guest kernel changed what lay before the end",
		Match: on(func(s *System, o *viewsOutcome) bool {
			addr, _ := s.resolve(o.op.At)
			return o.op.Kind == OpMprotect && s.qemuErr == hostvm.ENOMEM && !s.inSpace(addr, s.length(o.op.Pages, o.op.Extra))
		})},
	{Name: "mprotect-unmapped", Then: stopRun,
		Doc:   "after an mprotect over a hole (without RESERVED_VA: the host changed what precedes the hole, QEMU's page flags did not change)",
		Match: on(func(s *System, o *viewsOutcome) bool { return s.mprotectOverHole(o.op) })},
	{Name: "mprotect-partial-failure", Then: stopRun,
		Doc:   "after an mprotect QEMU failed (the host's mprotect stopped part way)",
		Match: on(func(s *System, o *viewsOutcome) bool { return o.op.Kind == OpMprotect && s.qemuErr != nil })},
	// At the page flags and the host's mappings after a call (agreementOutcome).
	{Name: "mremap-fixed-failure", Then: stopRun,
		Doc:   "after an MREMAP_FIXED the host failed",
		Match: on(func(s *System, o *agreementOutcome) bool { return s.fixedMremapFailed(o.op) })},
	{Name: "guest-space-unbounded", Then: stopRun,
		Doc:   "after a call on a range that passes the end of a 64-bit guest's space without RESERVED_VA",
		Match: on(func(s *System, o *agreementOutcome) bool { return s.opPastUnbounded(o.op) })},
	{Name: "mremap-dontunmap-reserve", Then: stopRun,
		Doc:   "after an mremap with MREMAP_DONTUNMAP that QEMU made without RESERVED_VA: the host keeps the old range mapped, QEMU's page flags dropped it",
		Match: on(func(s *System, o *agreementOutcome) bool { return s.dontUnmapMade(o.op) })},
	{Name: "mremap-host-pages", Then: stopRun,
		Doc:   "after an mremap QEMU made whose address or sizes are not host-page aligned",
		Match: on(func(s *System, o *agreementOutcome) bool { return s.misalignedMremapMade(o.op) })},
	{Name: "mremap-prot-first-page", Then: stopRun,
		Doc:   "after an mremap QEMU made, its page flags disagree with the host's mappings",
		Match: on(func(s *System, o *agreementOutcome) bool { return o.op.Kind == OpMremap && s.qemuErr == nil })},
	{Name: "mprotect-unmapped", Then: stopRun,
		Doc:   "after an mprotect over a hole, the host's protection before the hole changed and QEMU's page flags did not",
		Match: on(func(s *System, o *agreementOutcome) bool { return s.mprotectOverHole(o.op) })},
	{Name: "mprotect-partial-failure", Then: stopRun,
		Doc:   "after an mprotect QEMU failed (the host's mprotect stopped part way): host protections changed, QEMU's page flags did not",
		Match: on(func(s *System, o *agreementOutcome) bool { return o.op.Kind == OpMprotect && s.qemuErr != nil })},
	// At QEMU's abort (abortOutcome).
	{Name: "frag-shared-host-page", Then: stopRun,
		Doc: "QEMU died of a SIGSEGV in mmap_frag's own memset or pread: the host page belongs to a mapping that may not be written (a shared mapping of a read-only file)",
		Match: on(func(s *System, o *abortOutcome) bool {
			return (o.abort.Func == "mmap_frag" || o.abort.Func == "mmap_pread") && strings.Contains(o.abort.Reason, "SIGSEGV")
		})},
	{Name: "find-vma-zero-size", Then: stopRun,
		Doc: "QEMU aborted in page_find_range_empty: len != 0",
		Match: on(func(s *System, o *abortOutcome) bool {
			return o.abort.Func == "page_find_range_empty" && strings.Contains(o.abort.Reason, "len != 0")
		})},
	{Name: "frag-file-host-page", Then: stopRun,
		Doc: "QEMU died of a SIGBUS in its own memset or pread of a fragment (mmap_frag)",
		Match: on(func(s *System, o *abortOutcome) bool {
			return (o.abort.Func == "mmap_frag" || o.abort.Func == "mmap_pread") && strings.Contains(o.abort.Reason, "SIGBUS")
		})},
	// At an mremap's outcomes (mremapOutcome).
	{Name: "guest-space-unbounded", Then: stopRun,
		Doc: "the errnos differ, and the old range, the grown range or the destination passes the end of a 64-bit guest's space without RESERVED_VA",
		Match: on(func(s *System, o *mremapOutcome) bool {
			return o.qemuErr != o.kernelErr && s.pastUnbounded(o.addr, max(o.oldLen, o.newLen), o.to, o.newLen)
		})},
	{Name: "mremap-range-einval", Then: stopRun,
		Doc: "mremap without MREMAP_MAYMOVE whose old range at its new size passes the end of the guest space: EINVAL under QEMU, another answer on the guest kernel",
		Match: on(func(s *System, o *mremapOutcome) bool {
			return o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL && o.flags&hostvm.MremapMayMove == 0 &&
				!s.inSpace(o.addr, o.newLen)
		})},
	{Name: "mremap-zero-old-size-einval", Then: stopRun,
		Doc: "mremap with old_size 0 without MREMAP_MAYMOVE: EINVAL under QEMU, another answer on the guest kernel",
		Match: on(func(s *System, o *mremapOutcome) bool {
			return o.oldLen == 0 && o.flags&hostvm.MremapMayMove == 0 && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL
		})},
	{Name: "mremap-maymove-moves", Then: stopRun,
		Doc: "a MREMAP_MAYMOVE shrink the guest kernel makes in place fails under QEMU, which tried to move it",
		Match: on(func(s *System, o *mremapOutcome) bool {
			return o.flags&(hostvm.MremapMayMove|hostvm.MremapFixed|hostvm.MremapDontUnmap) == hostvm.MremapMayMove &&
				o.newLen <= o.oldLen && o.oldLen != 0 && o.kernelErr == nil && o.qemuErr != nil
		})},
	{Name: "host-vma-split", Then: stopRun,
		Doc: "QEMU says EFAULT where the host has more mappings than the guest kernel (file data up to its end, anonymous memory after), and the guest kernel refuses for another reason",
		Match: on(func(s *System, o *mremapOutcome) bool {
			return o.qemuErr == hostvm.EFAULT && o.kernelErr != hostvm.EFAULT && s.hostSplits(o.addr, min(o.oldLen, o.newLen))
		})},
	{Name: "mremap-grow-reserved", Then: stopRun,
		Doc: "growing in place under RESERVED_VA: ENOMEM under QEMU (the placeholder), success on the guest kernel",
		Match: on(func(s *System, o *mremapOutcome) bool {
			return o.flags&(hostvm.MremapMayMove|hostvm.MremapFixed) == 0 && o.newLen > o.oldLen && s.cfg.ReservedVA != 0 &&
				o.qemuErr == hostvm.ENOMEM && o.kernelErr == nil
		})},
	{Name: "mremap-maymove-leak", Then: stopRun,
		Doc: "a MREMAP_MAYMOVE move QEMU failed without RESERVED_VA leaves mmap_find_vma's reservation on the host",
		Match: on(func(s *System, o *mremapOutcome) bool {
			return o.qemuErr != nil && o.flags&(hostvm.MremapMayMove|hostvm.MremapFixed) == hostvm.MremapMayMove &&
				s.cfg.ReservedVA == 0 && s.sim.CheckAgreement() != nil
		})},
	{Name: "mremap-maymove-reserve", Then: stopRun,
		Doc: "a MREMAP_MAYMOVE move QEMU failed under RESERVED_VA leaves the old range's page flags valid over a host placeholder",
		Match: on(func(s *System, o *mremapOutcome) bool {
			return o.qemuErr != nil && o.flags&(hostvm.MremapMayMove|hostvm.MremapFixed) == hostvm.MremapMayMove &&
				s.cfg.ReservedVA != 0 && o.oldLen != 0 && s.sim.CheckAgreement() != nil
		})},
	{Name: "mremap-host-pages", Then: keepQEMU,
		Doc: "QEMU's host refused with EINVAL an mremap whose address or sizes are not host-page aligned, before changing anything",
		Match: on(func(s *System, o *mremapOutcome) bool {
			return o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL && s.sim.CheckAgreement() == nil &&
				s.mremapMisaligned(o.addr, o.oldLen, o.newLen, o.flags, o.to)
		})},
	{Name: "mremap-host-pages", Then: stopRun,
		Doc: "the answers differ for an mremap whose address or sizes are not host-page aligned: the host's mremap said EINVAL, or resized whole host pages",
		Match: on(func(s *System, o *mremapOutcome) bool {
			return o.qemuErr != o.kernelErr && s.mremapMisaligned(o.addr, o.oldLen, o.newLen, o.flags, o.to)
		})},
	{Name: "mremap-unchecked", Then: adoptQEMU,
		Doc: "under RESERVED_VA QEMU moved or resized unmapped memory (a placeholder) where the guest kernel refuses: the new range becomes PROT_NONE memory QEMU's page flags call mapped, which the guest kernel is given too",
		Match: on(func(s *System, o *mremapOutcome) bool {
			return o.qemuErr == nil && o.kernelErr != nil && s.cfg.ReservedVA != 0 && o.oldLen != 0 &&
				len(o.before.MappingsIn(hostvm.Range{Start: hostvm.Addr(o.addr), End: hostvm.Addr(o.addr + o.oldLen)})) == 0
		}),
		Adopt: adoptOn(func(s *System, o *mremapOutcome) error { return s.adoptPlaceholderMove(o) })},
	{Name: "mremap-unchecked", Then: stopRun,
		Doc: "the guest kernel refuses the mremap (EFAULT, EINVAL) and QEMU does not, or says another errno: the host's mremap decided",
		Match: on(func(s *System, o *mremapOutcome) bool {
			return o.kernelErr != nil && o.qemuErr != o.kernelErr && o.kernelErr != hostvm.ENOMEM
		})},
	// At a munmap, mprotect, msync or madvise (callOutcome).
	{Name: "guest-space-unbounded", Then: stopRun,
		Doc: "the errnos differ for a range that passes the end of a 64-bit guest's space without RESERVED_VA",
		Match: on(func(s *System, o *callOutcome) bool {
			return o.qemuErr != o.kernelErr && s.pastUnbounded(o.addr, o.length, 0, 0)
		})},
	{Name: "mprotect-past-space", Then: stopRun,
		Doc: "mprotect of a range past the end of the guest space: ENOMEM under QEMU before anything, another answer (EACCES at a mapping before the end) on the guest kernel",
		Match: on(func(s *System, o *callOutcome) bool {
			return o.name == "mprotect" && o.qemuErr == hostvm.ENOMEM && o.kernelErr != hostvm.ENOMEM && !s.inSpace(o.addr, o.length)
		})},
	{Name: "mprotect-prot-first", Then: countOnly,
		Doc: "mprotect with an unknown protection bit: EINVAL under QEMU before the length and range are looked at; the guest kernel returns 0 (length 0) or ENOMEM first",
		Match: on(func(s *System, o *callOutcome) bool {
			return o.name == "mprotect" && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL &&
				s.current().Prot&^uint8(hostvm.ProtRWX|hostvm.ProtSem) != 0 && (o.kernelErr != nil || o.length == 0)
		})},
	{Name: "eof-anonymous", Then: stopRun,
		Doc: "mprotect to PROT_WRITE of a shared mapping of a read-only file is not refused under QEMU, which made it anonymous memory (wholly past end-of-file); the guest kernel says EACCES",
		Match: on(func(s *System, o *callOutcome) bool {
			return o.name == "mprotect" && o.qemuErr != hostvm.EACCES && o.kernelErr == hostvm.EACCES && s.eofAnonymousIn(o.addr, o.length)
		})},
	{Name: "madvise-range-einval", Then: taintPages,
		Doc: "madvise of a range past the end of the guest space: EINVAL under QEMU, ENOMEM (after applying the advice) on the guest kernel",
		Match: on(func(s *System, o *callOutcome) bool {
			return o.name == "madvise" && o.qemuErr == hostvm.EINVAL && o.kernelErr == hostvm.ENOMEM && !s.inSpace(o.addr, o.length)
		}),
		Unknown: unknownOn(func(s *System, o *callOutcome) []span { return []span{{o.addr, s.spaceEnd}} })},
	{Name: "madvise-host-pages", Then: taintPages,
		Doc: "QEMU passes MADV_DONTNEED to the host at an address that is not host-page aligned: EINVAL, where the guest kernel discards the pages",
		Match: on(func(s *System, o *callOutcome) bool {
			return o.name == "madvise" && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL &&
				advices[int(s.current().Advice)%len(advices)] == hostvm.MadvDontNeed && o.addr%s.sim.Host().PageSize() != 0
		}),
		Unknown: unknownOn(func(s *System, o *callOutcome) []span { return []span{{o.addr, o.addr + o.length}} })},
	{Name: "msync-host-pages", Then: countOnly,
		Doc: "msync says EINVAL under QEMU (the host's) for an address not aligned to the host page, where the guest kernel says otherwise",
		Match: on(func(s *System, o *callOutcome) bool {
			return o.name == "msync" && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL &&
				o.addr%s.sim.Host().PageSize() != 0
		})},
	{Name: "msync-unmapped", Then: countOnly,
		Doc: "msync succeeds under QEMU over a hole (RESERVED_VA's placeholders) where the guest kernel says ENOMEM",
		Match: on(func(s *System, o *callOutcome) bool {
			return o.name == "msync" && o.qemuErr == nil && o.kernelErr == hostvm.ENOMEM && s.refHole(o.addr, o.length)
		})},
	{Name: "madvise-unchecked", Then: taintPages,
		Doc: "madvise succeeds under QEMU where the guest kernel finds a hole (ENOMEM) or refuses MADV_FREE (EINVAL); what the guest kernel did to the mapped part is unknown to QEMU",
		Match: on(func(s *System, o *callOutcome) bool {
			return o.name == "madvise" && o.qemuErr == nil && (o.kernelErr == hostvm.ENOMEM && s.refHole(o.addr, o.length) ||
				o.kernelErr == hostvm.EINVAL && (advices[int(s.current().Advice)%len(advices)] == hostvm.MadvFree || o.length == 0))
		}),
		Unknown: unknownOn(func(s *System, o *callOutcome) []span { return []span{{o.addr, o.addr + o.length}} })},
	{Name: "mprotect-unmapped", Then: adoptQEMU,
		Doc: "under RESERVED_VA, mprotect succeeds under QEMU where the guest kernel finds a hole (ENOMEM): QEMU made the holes zero-filled memory of the new protection, which the guest kernel is given too",
		Match: on(func(s *System, o *callOutcome) bool {
			return o.name == "mprotect" && o.qemuErr == nil && o.kernelErr == hostvm.ENOMEM && s.cfg.ReservedVA != 0 &&
				s.inSpace(o.addr, o.length) && s.refHole(o.addr, o.length)
		}),
		Adopt: adoptOn(func(s *System, o *callOutcome) error { return s.adoptMprotectOverHoles(o) })},
	{Name: "mprotect-unmapped", Then: stopRun,
		Doc: "mprotect succeeds under QEMU (or fails on a neighbour's host page) where the guest kernel finds a hole (ENOMEM)",
		Match: on(func(s *System, o *callOutcome) bool {
			return o.name == "mprotect" && o.qemuErr != hostvm.ENOMEM && o.kernelErr == hostvm.ENOMEM &&
				s.inSpace(o.addr, o.length) && s.refHole(o.addr, o.length)
		})},
}

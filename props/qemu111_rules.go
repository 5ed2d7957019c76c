package props

import (
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
)

// qemu111Rules allow QEMU 11.1's behaviours, point by point. At each
// point the rules naming a more specific cause come first: a range past the
// guest's space, then the call's own failure modes, then what the defect
// leaves behind.
var qemu111Rules = ruleSet{
	access: []rule[*accessOutcome]{
		{name: "eof-anonymous", then: taintPages,
			doc: "an access goes further under QEMU where the guest kernel says SIGBUS, on a target page wholly past end-of-file (QEMU: anonymous memory)",
			when: func(s *System, o *accessOutcome) bool {
				return o.qemuN > o.kernelN && o.kernelFault != nil && o.kernelFault.Signal == hostvm.SIGBUS && s.wholePagePastEOF(o.parted)
			},
			unknown: func(s *System, o *accessOutcome) []span {
				return []span{{o.parted, s.word(o.addr + uint64(o.qemuN))}}
			}},
		{name: "shared-anon-pieces", then: taintPages,
			doc: "QEMU faults first, with SIGBUS, on a page the guest kernel has shared anonymous memory: the host's piece of it ends there",
			when: func(s *System, o *accessOutcome) bool {
				return o.qemuN < o.kernelN && s.sharedAnonBus(o.parted, o.qemuFault)
			},
			unknown: func(s *System, o *accessOutcome) []span {
				return []span{{o.parted, s.word(o.addr + uint64(o.kernelN))}}
			}},
		{name: "frag-file-host-page", then: taintPages,
			doc: "QEMU faults first, with SIGBUS, on a page the guest kernel has anonymous: mmap_frag put it in a host page of a file mapping, past the file's end",
			when: func(s *System, o *accessOutcome) bool {
				return o.qemuN < o.kernelN && s.anonInFileHostPage(o.parted, o.qemuFault)
			},
			unknown: func(s *System, o *accessOutcome) []span {
				return []span{{o.parted, s.word(o.addr + uint64(o.kernelN))}}
			}},
	},
	bytes: []rule[*byteOutcome]{
		{name: "frag-shared-host-page", then: stopRun,
			doc:  "a byte read differs where a file differs between QEMU's host and the guest kernel, or where QEMU's page lives in a host page of a shared file mapping that the guest kernel does not map there",
			when: func(s *System, o *byteOutcome) bool { return s.sharedFileMixup(o.at) }},
		{name: "eof-fill-stale", then: countOnly,
			doc:  "a byte read where QEMU has anonymous memory past end-of-file and the guest kernel the file, which has grown",
			when: func(s *System, o *byteOutcome) bool { return s.eofFillStale(o.at) }},
	},
	page: []rule[*pageOutcome]{
		{name: "mremap-host-pages", then: taintPages,
			doc:     "after an mremap QEMU made whose address or sizes are not host-page aligned, a page reads differently: the host resized or moved whole host pages, a neighbour's guest pages with them",
			when:    func(s *System, o *pageOutcome) bool { return s.misalignedMremapMade(s.current()) },
			unknown: func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} }},
		{name: "shared-anon-pieces", then: taintPages,
			doc:     "QEMU faults with SIGBUS on a page the guest kernel has shared anonymous memory: the host's piece of it ends there",
			when:    func(s *System, o *pageOutcome) bool { return s.sharedAnonBus(o.page, o.qemuFault) },
			unknown: func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} }},
		{name: "frag-file-host-page", then: taintPages,
			doc:     "QEMU faults with SIGBUS on a page the guest kernel has anonymous: mmap_frag put it in a host page of a file mapping, past the file's end",
			when:    func(s *System, o *pageOutcome) bool { return s.anonInFileHostPage(o.page, o.qemuFault) },
			unknown: func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} }},
		{name: "frag-shared-host-page", then: stopRun,
			doc:  "a page differs where a file differs between QEMU's host and the guest kernel, or where QEMU's page lives in a host page of a shared file mapping that the guest kernel does not map there",
			when: func(s *System, o *pageOutcome) bool { return s.sharedFileMixup(o.page) }},
		{name: "eof-fill-stale", then: taintPages,
			doc:     "a page where QEMU has anonymous memory past end-of-file and the guest kernel the file, which has grown",
			when:    func(s *System, o *pageOutcome) bool { return o.qemuFault == nil && s.eofFillStale(o.page) },
			unknown: func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} }},
		{name: "madvise-host-pages", then: taintPages,
			doc: "after a MADV_DONTNEED QEMU passed to the host, a page after its range, in the same host page, reads zero",
			when: func(s *System, o *pageOutcome) bool {
				op := s.current()
				if op.Kind != OpMadvise || advices[int(op.Advice)%len(advices)] != hostvm.MadvDontNeed || s.qemuErr != nil {
					return false
				}
				addr, _ := s.resolve(op.At)
				end := addr + s.length(op.Pages, op.Extra)
				h := s.sim.Host().PageSize()
				return o.page >= end && o.page < (end+h-1)&^(h-1)
			},
			unknown: func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} }},
		{name: "mmap-fixed-late-failure", then: taintPages,
			doc: "after a fixed mmap QEMU failed, a page of its range reads differently: mmap_frag had filled it",
			when: func(s *System, o *pageOutcome) bool {
				op := s.current()
				addr, _ := s.resolve(op.At)
				return op.Kind == OpMmap && op.Place >= PlaceFixed && s.qemuErr != nil &&
					o.page >= addr&^(s.targetPage-1) && o.page < addr+s.length(op.Pages, op.Extra)
			},
			unknown: func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} }},
		{name: "madvise-dontneed-ignored", then: taintPages,
			doc: "after a MADV_DONTNEED that did not reach the host (a page of the range is not PAGE_PASSTHROUGH), a page in its range keeps its data",
			when: func(s *System, o *pageOutcome) bool {
				op := s.current()
				if op.Kind != OpMadvise || advices[int(op.Advice)%len(advices)] != hostvm.MadvDontNeed || o.qemuFault != nil {
					return false
				}
				addr, _ := s.resolve(op.At)
				length := s.length(op.Pages, op.Extra)
				return o.page >= addr&^(s.targetPage-1) && o.page < addr+length && !s.allPassthrough(addr, length)
			},
			unknown: func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} }},
	},
	placement: []rule[*placementOutcome]{
		{name: "guest-space-unbounded", then: stopRun,
			doc:  "the host placed a 64-bit guest's non-fixed mapping (no RESERVED_VA) past the end of the guest's space",
			when: func(s *System, o *placementOutcome) bool { return s.pastUnbounded(o.addr, o.length, 0, 0) }},
		{name: "eof-anonymous", then: stopRun,
			doc: "QEMU placed (as anonymous memory) a file mapping wholly past end-of-file that the guest kernel refuses for the file's open mode",
			when: func(s *System, o *placementOutcome) bool {
				return o.kernelErr == hostvm.EACCES && s.wholeMappingPastEOF(o.op)
			}},
		{name: "mmap-hint-below-min", then: stopRun,
			doc: "QEMU placed a non-fixed mapping with a hint below mmap_min_addr",
			when: func(s *System, o *placementOutcome) bool {
				return o.belowMin && o.op.Place == PlaceHint && s.cfg.ReservedVA != 0
			}},
	},
	mmap: []rule[*mmapOutcome]{
		{name: "guest-space-unbounded", then: stopRun,
			doc: "the errnos differ for a fixed mapping that passes the end of a 64-bit guest's space without RESERVED_VA",
			when: func(s *System, o *mmapOutcome) bool {
				return o.qemuErr != o.kernelErr && !o.nonFixed && s.pastUnbounded(o.addr, o.length, 0, 0)
			}},
		{name: "mmap-prot-einval", then: keepQEMU,
			doc: "QEMU refuses with EINVAL an mmap whose protection has an unknown bit; the guest kernel ignores the bit",
			when: func(s *System, o *mmapOutcome) bool {
				return o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL && o.op.Prot&^uint8(hostvm.ProtRWX|hostvm.ProtSem) != 0
			}},
		{name: "mmap-check-order", then: countOnly,
			doc: "a non-fixed mapping under RESERVED_VA QEMU finds no room for (ENOMEM), which the guest kernel refuses first for the file's open mode (EACCES)",
			when: func(s *System, o *mmapOutcome) bool {
				return o.qemuErr == hostvm.ENOMEM && o.kernelErr == hostvm.EACCES && o.nonFixed && s.cfg.ReservedVA != 0
			}},
		{name: "mmap-check-order", then: countOnly,
			doc: "a fixed mmap at a misaligned address past the end of the space: EINVAL under QEMU, ENOMEM on the guest kernel",
			when: func(s *System, o *mmapOutcome) bool {
				return o.qemuErr == hostvm.EINVAL && o.kernelErr == hostvm.ENOMEM && !o.nonFixed && o.addr%s.targetPage != 0
			}},
		{name: "noreplace-fragment", then: countOnly,
			doc: "without RESERVED_VA, a MAP_FIXED_NOREPLACE mapping over a mapped range that QEMU refuses first for its fragment (EINVAL: writable, shared and from a file); the guest kernel says EEXIST",
			when: func(s *System, o *mmapOutcome) bool {
				return o.op.Place == PlaceNoReplace && o.qemuErr == hostvm.EINVAL && o.kernelErr == hostvm.EEXIST && s.cfg.ReservedVA == 0
			}},
		{name: "noreplace-fragment", then: stopRun,
			doc: "without RESERVED_VA, a MAP_FIXED_NOREPLACE mapping the guest kernel refuses (EEXIST) succeeds under QEMU",
			when: func(s *System, o *mmapOutcome) bool {
				return o.op.Place == PlaceNoReplace && o.qemuErr == nil && o.kernelErr == hostvm.EEXIST && s.cfg.ReservedVA == 0
			}},
		{name: "frag-file-host-page", then: stopRun,
			doc: "QEMU fails a fixed file mapping with EFAULT: mmap_frag's pread into a host page mapped from a file past its end",
			when: func(s *System, o *mmapOutcome) bool {
				return o.qemuErr == hostvm.EFAULT && o.op.File >= 0 && !o.nonFixed && o.kernelErr != hostvm.EFAULT
			}},
		{name: "shared-misaligned-einval", then: keepQEMU,
			doc: "QEMU refuses with EINVAL a fixed MAP_SHARED file mapping whose offset is not congruent with its address modulo the host page; the guest kernel maps it (or refuses it for the file's mode)",
			when: func(s *System, o *mmapOutcome) bool {
				h := s.sim.Host().PageSize()
				return o.qemuErr == hostvm.EINVAL && (o.kernelErr == nil || o.kernelErr == hostvm.EACCES) && !o.nonFixed &&
					o.op.Shared && o.op.File >= 0 && (o.addr^o.offset)%h != 0
			}},
		{name: "eof-anonymous", then: stopRun,
			doc: "QEMU maps (as anonymous memory) a file mapping wholly past end-of-file that the guest kernel refuses for the file's open mode",
			when: func(s *System, o *mmapOutcome) bool {
				return o.qemuErr == nil && o.kernelErr == hostvm.EACCES && s.wholeMappingPastEOF(o.op)
			}},
		{name: "find-vma-split-search", then: keepQEMU,
			doc: "a non-fixed mmap QEMU finds no room for (ENOMEM) under RESERVED_VA, where the only free ranges span the point its search started from",
			when: func(s *System, o *mmapOutcome) bool {
				return o.qemuErr == hostvm.ENOMEM && o.nonFixed && o.kernelErr == nil && s.cfg.ReservedVA != 0 && s.splitSearchMisses(o)
			}},
		{name: "mmap-fixed-late-failure", then: stopRun,
			doc: "a fixed mmap QEMU failed leaves its guest and host views disagreeing",
			when: func(s *System, o *mmapOutcome) bool {
				return o.qemuErr != nil && !o.nonFixed && s.sim.CheckAgreement() != nil
			}},
	},
	views: []rule[*viewsOutcome]{
		{name: "mremap-fixed-failure", then: stopRun,
			doc:  "after an MREMAP_FIXED the host failed",
			when: func(s *System, o *viewsOutcome) bool { return s.fixedMremapFailed(o.op) }},
		{name: "guest-space-unbounded", then: stopRun,
			doc:  "after a call on a range that passes the end of a 64-bit guest's space without RESERVED_VA",
			when: func(s *System, o *viewsOutcome) bool { return s.opPastUnbounded(o.op) }},
		{name: "mremap-dontunmap-reserve", then: stopRun,
			doc:  "after an mremap with MREMAP_DONTUNMAP that QEMU made: QEMU's page flags dropped the old range, the guest kernel keeps it",
			when: func(s *System, o *viewsOutcome) bool { return s.dontUnmapMade(o.op) }},
		{name: "mremap-host-pages", then: stopRun,
			doc:  "after an mremap QEMU made whose address or sizes are not host-page aligned",
			when: func(s *System, o *viewsOutcome) bool { return s.misalignedMremapMade(o.op) }},
		{name: "mremap-prot-first-page", then: stopRun,
			doc:  "after an mremap QEMU made, its page flags differ from the guest kernel's mappings",
			when: func(s *System, o *viewsOutcome) bool { return o.op.Kind == OpMremap && s.qemuErr == nil }},
		{name: "mprotect-past-space", then: stopRun,
			doc: "after an mprotect QEMU refused (ENOMEM) because its range passes the end of the guest space; the guest kernel changed what lay before the end",
			when: func(s *System, o *viewsOutcome) bool {
				addr, _ := s.resolve(o.op.At)
				return o.op.Kind == OpMprotect && s.qemuErr == hostvm.ENOMEM && !s.inSpace(addr, s.length(o.op.Pages, o.op.Extra))
			}},
		{name: "mprotect-unmapped", then: stopRun,
			doc:  "after an mprotect over a hole (without RESERVED_VA: the host changed what precedes the hole, QEMU's page flags did not change)",
			when: func(s *System, o *viewsOutcome) bool { return s.mprotectOverHole(o.op) }},
		{name: "mprotect-partial-failure", then: stopRun,
			doc:  "after an mprotect QEMU failed (the host's mprotect stopped part way)",
			when: func(s *System, o *viewsOutcome) bool { return o.op.Kind == OpMprotect && s.qemuErr != nil }},
	},
	agreement: []rule[*agreementOutcome]{
		{name: "mremap-fixed-failure", then: stopRun,
			doc:  "after an MREMAP_FIXED the host failed",
			when: func(s *System, o *agreementOutcome) bool { return s.fixedMremapFailed(o.op) }},
		{name: "guest-space-unbounded", then: stopRun,
			doc:  "after a call on a range that passes the end of a 64-bit guest's space without RESERVED_VA",
			when: func(s *System, o *agreementOutcome) bool { return s.opPastUnbounded(o.op) }},
		{name: "mremap-dontunmap-reserve", then: stopRun,
			doc:  "after an mremap with MREMAP_DONTUNMAP that QEMU made without RESERVED_VA: the host keeps the old range mapped, QEMU's page flags dropped it",
			when: func(s *System, o *agreementOutcome) bool { return s.dontUnmapMade(o.op) }},
		{name: "mremap-host-pages", then: stopRun,
			doc:  "after an mremap QEMU made whose address or sizes are not host-page aligned",
			when: func(s *System, o *agreementOutcome) bool { return s.misalignedMremapMade(o.op) }},
		{name: "mremap-prot-first-page", then: stopRun,
			doc:  "after an mremap QEMU made, its page flags disagree with the host's mappings",
			when: func(s *System, o *agreementOutcome) bool { return o.op.Kind == OpMremap && s.qemuErr == nil }},
		{name: "mprotect-unmapped", then: stopRun,
			doc:  "after an mprotect over a hole, the host's protection before the hole changed and QEMU's page flags did not",
			when: func(s *System, o *agreementOutcome) bool { return s.mprotectOverHole(o.op) }},
		{name: "mprotect-partial-failure", then: stopRun,
			doc:  "after an mprotect QEMU failed (the host's mprotect stopped part way): host protections changed, QEMU's page flags did not",
			when: func(s *System, o *agreementOutcome) bool { return o.op.Kind == OpMprotect && s.qemuErr != nil }},
	},
	abort: []rule[*abortOutcome]{
		{name: "frag-shared-host-page", then: stopRun,
			doc: "QEMU died of a SIGSEGV in mmap_frag's own memset or pread: the host page belongs to a mapping that may not be written (a shared mapping of a read-only file)",
			when: func(s *System, o *abortOutcome) bool {
				return (o.abort.Func == "mmap_frag" || o.abort.Func == "mmap_pread") && strings.Contains(o.abort.Reason, "SIGSEGV")
			}},
		{name: "find-vma-zero-size", then: stopRun,
			doc: "QEMU aborted in page_find_range_empty: len != 0",
			when: func(s *System, o *abortOutcome) bool {
				return o.abort.Func == "page_find_range_empty" && strings.Contains(o.abort.Reason, "len != 0")
			}},
		{name: "frag-file-host-page", then: stopRun,
			doc: "QEMU died of a SIGBUS in its own memset or pread of a fragment (mmap_frag)",
			when: func(s *System, o *abortOutcome) bool {
				return (o.abort.Func == "mmap_frag" || o.abort.Func == "mmap_pread") && strings.Contains(o.abort.Reason, "SIGBUS")
			}},
	},
	mremap: []rule[*mremapOutcome]{
		{name: "guest-space-unbounded", then: stopRun,
			doc: "the errnos differ, and the old range, the grown range or the destination passes the end of a 64-bit guest's space without RESERVED_VA",
			when: func(s *System, o *mremapOutcome) bool {
				return o.qemuErr != o.kernelErr && s.pastUnbounded(o.addr, max(o.oldLen, o.newLen), o.to, o.newLen)
			}},
		{name: "mremap-range-einval", then: stopRun,
			doc: "mremap without MREMAP_MAYMOVE whose old range at its new size passes the end of the guest space: EINVAL under QEMU, another answer on the guest kernel",
			when: func(s *System, o *mremapOutcome) bool {
				return o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL && o.flags&hostvm.MremapMayMove == 0 &&
					!s.inSpace(o.addr, o.newLen)
			}},
		{name: "mremap-zero-old-size-einval", then: stopRun,
			doc: "mremap with old_size 0 without MREMAP_MAYMOVE: EINVAL under QEMU, another answer on the guest kernel",
			when: func(s *System, o *mremapOutcome) bool {
				return o.oldLen == 0 && o.flags&hostvm.MremapMayMove == 0 && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL
			}},
		{name: "mremap-maymove-moves", then: stopRun,
			doc: "a MREMAP_MAYMOVE shrink the guest kernel makes in place fails under QEMU, which tried to move it",
			when: func(s *System, o *mremapOutcome) bool {
				return o.flags&(hostvm.MremapMayMove|hostvm.MremapFixed|hostvm.MremapDontUnmap) == hostvm.MremapMayMove &&
					o.newLen <= o.oldLen && o.oldLen != 0 && o.kernelErr == nil && o.qemuErr != nil
			}},
		{name: "host-vma-split", then: stopRun,
			doc: "QEMU says EFAULT where the host has more mappings than the guest kernel (file data up to its end, anonymous memory after), and the guest kernel refuses for another reason",
			when: func(s *System, o *mremapOutcome) bool {
				return o.qemuErr == hostvm.EFAULT && o.kernelErr != hostvm.EFAULT && s.hostSplits(o.addr, min(o.oldLen, o.newLen))
			}},
		{name: "mremap-grow-reserved", then: stopRun,
			doc: "growing in place under RESERVED_VA: ENOMEM under QEMU (the placeholder), success on the guest kernel",
			when: func(s *System, o *mremapOutcome) bool {
				return o.flags&(hostvm.MremapMayMove|hostvm.MremapFixed) == 0 && o.newLen > o.oldLen && s.cfg.ReservedVA != 0 &&
					o.qemuErr == hostvm.ENOMEM && o.kernelErr == nil
			}},
		{name: "mremap-maymove-leak", then: stopRun,
			doc: "a MREMAP_MAYMOVE move QEMU failed without RESERVED_VA leaves mmap_find_vma's reservation on the host",
			when: func(s *System, o *mremapOutcome) bool {
				return o.qemuErr != nil && o.flags&(hostvm.MremapMayMove|hostvm.MremapFixed) == hostvm.MremapMayMove &&
					s.cfg.ReservedVA == 0 && s.sim.CheckAgreement() != nil
			}},
		{name: "mremap-maymove-reserve", then: stopRun,
			doc: "a MREMAP_MAYMOVE move QEMU failed under RESERVED_VA leaves the old range's page flags valid over a host placeholder",
			when: func(s *System, o *mremapOutcome) bool {
				return o.qemuErr != nil && o.flags&(hostvm.MremapMayMove|hostvm.MremapFixed) == hostvm.MremapMayMove &&
					s.cfg.ReservedVA != 0 && o.oldLen != 0 && s.sim.CheckAgreement() != nil
			}},
		{name: "mremap-host-pages", then: keepQEMU,
			doc: "QEMU's host refused with EINVAL an mremap whose address or sizes are not host-page aligned, before changing anything",
			when: func(s *System, o *mremapOutcome) bool {
				return o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL && s.sim.CheckAgreement() == nil &&
					s.mremapMisaligned(o.addr, o.oldLen, o.newLen, o.flags, o.to)
			}},
		{name: "mremap-host-pages", then: stopRun,
			doc: "the answers differ for an mremap whose address or sizes are not host-page aligned: the host's mremap said EINVAL, or resized whole host pages",
			when: func(s *System, o *mremapOutcome) bool {
				return o.qemuErr != o.kernelErr && s.mremapMisaligned(o.addr, o.oldLen, o.newLen, o.flags, o.to)
			}},
		{name: "mremap-unchecked", then: adoptQEMU,
			doc: "under RESERVED_VA QEMU moved or resized unmapped memory (a placeholder) where the guest kernel refuses: the new range becomes PROT_NONE memory QEMU's page flags call mapped, which the guest kernel is given too",
			when: func(s *System, o *mremapOutcome) bool {
				return o.qemuErr == nil && o.kernelErr != nil && s.cfg.ReservedVA != 0 && o.oldLen != 0 &&
					len(o.before.MappingsIn(hostvm.Range{Start: hostvm.Addr(o.addr), End: hostvm.Addr(o.addr + o.oldLen)})) == 0
			},
			adopt: func(s *System, o *mremapOutcome) error { return s.adoptPlaceholderMove(o) }},
		{name: "mremap-unchecked", then: stopRun,
			doc: "the guest kernel refuses the mremap (EFAULT, EINVAL) and QEMU does not, or says another errno: the host's mremap decided",
			when: func(s *System, o *mremapOutcome) bool {
				return o.kernelErr != nil && o.qemuErr != o.kernelErr && o.kernelErr != hostvm.ENOMEM
			}},
	},
	call: []rule[*callOutcome]{
		{name: "guest-space-unbounded", then: stopRun,
			doc: "the errnos differ for a range that passes the end of a 64-bit guest's space without RESERVED_VA",
			when: func(s *System, o *callOutcome) bool {
				return o.qemuErr != o.kernelErr && s.pastUnbounded(o.addr, o.length, 0, 0)
			}},
		{name: "mprotect-past-space", then: stopRun,
			doc: "mprotect of a range past the end of the guest space: ENOMEM under QEMU before anything, another answer (EACCES at a mapping before the end) on the guest kernel",
			when: func(s *System, o *callOutcome) bool {
				return o.name == "mprotect" && o.qemuErr == hostvm.ENOMEM && o.kernelErr != hostvm.ENOMEM && !s.inSpace(o.addr, o.length)
			}},
		{name: "mprotect-prot-first", then: countOnly,
			doc: "mprotect with an unknown protection bit: EINVAL under QEMU before the length and range are looked at; the guest kernel returns 0 (length 0) or ENOMEM first",
			when: func(s *System, o *callOutcome) bool {
				return o.name == "mprotect" && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL &&
					s.current().Prot&^uint8(hostvm.ProtRWX|hostvm.ProtSem) != 0 && (o.kernelErr != nil || o.length == 0)
			}},
		{name: "eof-anonymous", then: stopRun,
			doc: "mprotect to PROT_WRITE of a shared mapping of a read-only file is not refused under QEMU, which made it anonymous memory (wholly past end-of-file); the guest kernel says EACCES",
			when: func(s *System, o *callOutcome) bool {
				return o.name == "mprotect" && o.qemuErr != hostvm.EACCES && o.kernelErr == hostvm.EACCES && s.eofAnonymousIn(o.addr, o.length)
			}},
		{name: "madvise-range-einval", then: taintPages,
			doc: "madvise of a range past the end of the guest space: EINVAL under QEMU, ENOMEM (after applying the advice) on the guest kernel",
			when: func(s *System, o *callOutcome) bool {
				return o.name == "madvise" && o.qemuErr == hostvm.EINVAL && o.kernelErr == hostvm.ENOMEM && !s.inSpace(o.addr, o.length)
			},
			unknown: func(s *System, o *callOutcome) []span { return []span{{o.addr, s.spaceEnd}} }},
		{name: "madvise-host-pages", then: taintPages,
			doc: "QEMU passes MADV_DONTNEED to the host at an address that is not host-page aligned: EINVAL, where the guest kernel discards the pages",
			when: func(s *System, o *callOutcome) bool {
				return o.name == "madvise" && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL &&
					advices[int(s.current().Advice)%len(advices)] == hostvm.MadvDontNeed && o.addr%s.sim.Host().PageSize() != 0
			},
			unknown: func(s *System, o *callOutcome) []span { return []span{{o.addr, o.addr + o.length}} }},
		{name: "msync-host-pages", then: countOnly,
			doc: "msync says EINVAL under QEMU (the host's) for an address not aligned to the host page, where the guest kernel says otherwise",
			when: func(s *System, o *callOutcome) bool {
				return o.name == "msync" && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL &&
					o.addr%s.sim.Host().PageSize() != 0
			}},
		{name: "msync-unmapped", then: countOnly,
			doc: "msync succeeds under QEMU over a hole (RESERVED_VA's placeholders) where the guest kernel says ENOMEM",
			when: func(s *System, o *callOutcome) bool {
				return o.name == "msync" && o.qemuErr == nil && o.kernelErr == hostvm.ENOMEM && s.refHole(o.addr, o.length)
			}},
		{name: "madvise-unchecked", then: taintPages,
			doc: "madvise succeeds under QEMU where the guest kernel finds a hole (ENOMEM) or refuses MADV_FREE (EINVAL); what the guest kernel did to the mapped part is unknown to QEMU",
			when: func(s *System, o *callOutcome) bool {
				return o.name == "madvise" && o.qemuErr == nil && (o.kernelErr == hostvm.ENOMEM && s.refHole(o.addr, o.length) ||
					o.kernelErr == hostvm.EINVAL && (advices[int(s.current().Advice)%len(advices)] == hostvm.MadvFree || o.length == 0))
			},
			unknown: func(s *System, o *callOutcome) []span { return []span{{o.addr, o.addr + o.length}} }},
		{name: "mprotect-unmapped", then: adoptQEMU,
			doc: "under RESERVED_VA, mprotect succeeds under QEMU where the guest kernel finds a hole (ENOMEM): QEMU made the holes zero-filled memory of the new protection, which the guest kernel is given too",
			when: func(s *System, o *callOutcome) bool {
				return o.name == "mprotect" && o.qemuErr == nil && o.kernelErr == hostvm.ENOMEM && s.cfg.ReservedVA != 0 &&
					s.inSpace(o.addr, o.length) && s.refHole(o.addr, o.length)
			},
			adopt: func(s *System, o *callOutcome) error { return s.adoptMprotectOverHoles(o) }},
		{name: "mprotect-unmapped", then: stopRun,
			doc: "mprotect succeeds under QEMU (or fails on a neighbour's host page) where the guest kernel finds a hole (ENOMEM)",
			when: func(s *System, o *callOutcome) bool {
				return o.name == "mprotect" && o.qemuErr != hostvm.ENOMEM && o.kernelErr == hostvm.ENOMEM &&
					s.inSpace(o.addr, o.length) && s.refHole(o.addr, o.length)
			}},
	},
}

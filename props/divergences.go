package props

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
)

// Divergences are the named divergences, by name: what differs, and why
// QEMU cannot do better. The rules below say when each is allowed.
var Divergences = map[string]string{
	"shared-file-fragment":    "a writable MAP_SHARED file mapping whose ends do not fill host pages (or whose offset is not congruent): QEMU refuses it with EINVAL, as it cannot keep a copy coherent with the file",
	"mremap-shared-fragment":  "mremap of shared or file memory in pieces smaller than a host page: QEMU refuses (EINVAL), since the host would move the neighbours along",
	"mixed-host-page":         "one host page holds guest pages of mappings with different backings (a shared mapping, a file past its end): what one of them needs (growth, a move, a fault) the host page cannot give",
	"eof-host-page":           "past end-of-file the guest kernel faults per target page, the host per host page: QEMU reads zeros (or faults) where the guest kernel does not",
	"protection-union":        "a host page's protection is the union of its guest pages': an access the guest page forbids goes through",
	"protection-union-shared": "as protection-union, where the store reached a shared mapping's file or memory (its effect is everywhere that file is seen)",
	"emulated-file-mode":      "QEMU emulated a file mapping with a private copy (pread) and no longer knows the file's open mode: mprotect and madvise answer for the copy",
	"file-snapshot":           "QEMU emulated a private file mapping with a copy (or the host copied a whole host page on a write): later changes to the file do not reach it, and after MREMAP_DONTUNMAP the emptied old range reads zeros where the guest kernel reads the file again",
	"vma-boundaries":          "the guest kernel has two VMAs where QEMU's page flags show one run (madvise flags, different backings): mremap across them succeeds under QEMU",
	"host-vma-split":          "QEMU backs one guest mapping with several host mappings (file data up to its end, anonymous memory after): the host refuses to move across them",
	"host-space-end":          "the guest space passes the end of the host's (x86-64 Linux ends one page short of 128 TiB)",
	"host-owned-range":        "without RESERVED_VA and with guest_base 0, QEMU's own memory (stack, heap, binary) lies in the guest space: QEMU refuses to map over it",
	"placement-room":          "the guest kernel finds no room for a non-fixed mapping, QEMU's search does, and the call then fails for a reason the guest kernel never reached",
	"placement-host-pages":    "QEMU places a non-fixed mapping on whole free host pages; when only partly used host pages have room, it finds none where the guest kernel does",
	"mmap-min-addr":           "below mmap_min_addr the answer depends on where guest_base puts the range on the host",
	"file-offset-limit":       "a file mapping that ends in the last host page below the largest file offset (2^63): the guest kernel maps it, the host, whose pages are larger, refuses it (EOVERFLOW)",
}

// A rule allows one named divergence at one comparison point: when its
// condition holds for the outcome of type O the two systems produced
// there, the difference is that divergence, and the run does what the
// rule's effect says. At each point the rules are tried in order and the
// first that holds decides; where none holds, the difference is a failure.
type rule[O outcome] struct {
	name string // the divergence: a key of Divergences
	doc  string // the condition, in words
	then effect
	when func(s *System, o O) bool
	// unknown are the guest ranges a taintPages rule leaves unknown; each
	// counts as one occurrence of the divergence.
	unknown func(s *System, o O) []span
}

// An effect is what a run does about an allowed divergence. Every effect
// counts it in System.Divergences.
type effect uint8

const (
	// countOnly: both systems are in the same state again (both refused
	// the call, for different reasons); nothing else changes.
	countOnly effect = iota
	// keepQEMU: the run goes on from QEMU's outcome: the guest kernel is
	// put back as it was before the call, and the call's expectation
	// becomes QEMU's result.
	keepQEMU
	// taintPages: the guest pages the rule's unknown ranges cover may
	// differ from now on; they are not compared again.
	taintPages
	// stopRun: the two states differ for good; the rest of the run is not
	// compared.
	stopRun
	// adoptQEMU (a catalogue's rules only): the run goes on from the
	// algorithm's outcome of a call it made where the guest kernel
	// refused: the rule's Adopt does to the guest kernel what the
	// algorithm did, and makes the call's expectation its result (where it
	// cannot, the run stops).
	adoptQEMU
)

// span is the guest range [start, end).
type span struct{ start, end uint64 }

// accessTail is the span from lo to the end of access o's first n bytes
// (lo at or after its start, in the guest's arithmetic): two spans where a
// 32-bit guest's access wraps to 0 at the top of its word, and one ending
// at 2^32, not 0, where it ends there.
func (s *System) accessTail(o *accessOutcome, lo uint64, n int) []span {
	end, top := o.addr+uint64(n), s.wordMask+1
	switch {
	case top == 0 || end <= top:
		return []span{{lo, end}}
	case lo < o.addr: // lo is past the wrap
		return []span{{lo, end - top}}
	}
	return []span{{lo, top}, {0, end - top}}
}

// An outcome is what the two systems did at one comparison point; each
// point has its own type.
type outcome interface {
	// undo says how keepQEMU takes back the guest kernel's side of the
	// call, or is nil at a point without a call to take back.
	undo() *undo
}

// undo is how keepQEMU puts a call's guest kernel side back.
type undo struct {
	before *hostvm.Kernel // the guest kernel before the call; nil when its call changed nothing
	shown  string         // the expectation the call's scenario line shows
	qemu   string         // QEMU's result, as an expectation
}

// allow tries, at one comparison point, the rules of the run's catalogue
// (catalogue.go), then, unless they settle it, rules in order on o; it
// applies the first that holds and reports whether one did.
//
// Preconditions: o has every field its point's rules read; for a point
// with keepQEMU rules, the call's line is the last of the run's text.
func allow[O outcome](s *System, rules []rule[O], o O) bool {
	s.outcome = o
	if allowed, final := s.allowNamed(o); allowed || final {
		return allowed
	}
	for i := range rules {
		r := &rules[i]
		if !r.when(s, o) {
			continue
		}
		s.apply(r.name, r.then, o, func() []span { return r.unknown(s, o) }, nil)
		return true
	}
	return false
}

// apply carries out effect then of the allowed divergence (or named
// behaviour) name at outcome o; unknown lists the guest ranges a
// taintPages effect leaves unknown, adopt does an adoptQEMU effect.
//
// Preconditions: as allow's.
func (s *System) apply(name string, then effect, o outcome, unknown func() []span, adopt func() error) {
	switch then {
	case countOnly:
		s.Divergences[name]++
	case keepQEMU:
		u := o.undo()
		if u == nil {
			panic(fmt.Sprintf("props: rule %q keeps QEMU's outcome where there is no call to undo", name))
		}
		s.Divergences[name]++
		if u.before != nil {
			s.ref = u.before
		}
		s.reexpect(u.shown, u.qemu)
	case taintPages:
		for _, sp := range unknown() {
			s.diverge(name, sp.start, sp.end)
		}
	case stopRun:
		s.stop(name)
	case adoptQEMU:
		if err := adopt(); err != nil {
			s.stop(name)
			break
		}
		s.Divergences[name]++
	}
}

// The rules, by comparison point.

// mmapRules classify an mmap's outcomes (before they are compared).
var mmapRules = []rule[*mmapOutcome]{
	{name: "shared-file-fragment", then: keepQEMU,
		doc: "QEMU refuses with EINVAL a writable shared file mapping it would have to emulate in part; the guest kernel maps it",
		when: func(s *System, o *mmapOutcome) bool {
			return o.qemuErr == hostvm.EINVAL && o.kernelErr == nil && s.sharedFileFragment(o, o.kernelAddr)
		}},
	{name: "shared-file-fragment", then: countOnly,
		doc: "the same refusal, made before the file's open mode is seen: the guest kernel says EACCES",
		when: func(s *System, o *mmapOutcome) bool {
			return o.qemuErr == hostvm.EINVAL && o.kernelErr == hostvm.EACCES && s.sharedFileFragment(o, o.kernelAddr)
		}},
	{name: "mixed-host-page", then: stopRun,
		doc: "QEMU fails (EFAULT reading a file, EACCES, EINVAL) where its host pages hold other mappings: it read the file into a host page whose other backing refuses the write (a file past EOF)",
		when: func(s *System, o *mmapOutcome) bool {
			return (o.qemuErr == hostvm.EFAULT && o.op.File >= 0 || o.qemuErr == hostvm.EACCES || o.qemuErr == hostvm.EINVAL) &&
				o.kernelErr == nil && s.touchesOtherRange(o.before, o.landing(o.qemuAddr), o.length)
		}},
	{name: "host-owned-range", then: keepQEMU,
		doc: "a fixed mapping QEMU refuses over host memory it did not map for the guest (its stack, heap, binary), or past the end of the host's space",
		when: func(s *System, o *mmapOutcome) bool {
			return o.qemuErr != nil && o.kernelErr == nil && !o.nonFixed && s.hostOwned(o.addr, o.length)
		}},
	{name: "placement-room", then: keepQEMU,
		doc: "a non-fixed mapping the guest kernel finds no room for (ENOMEM); QEMU's search did, and it failed for another reason",
		when: func(s *System, o *mmapOutcome) bool {
			return o.qemuErr != nil && o.nonFixed && o.kernelErr == hostvm.ENOMEM && o.qemuErr != hostvm.ENOMEM
		}},
	{name: "placement-host-pages", then: keepQEMU,
		doc: "a non-fixed mapping QEMU finds no room for (ENOMEM) where no whole free host pages are left for it (with a file offset that is not host-page aligned, for its length plus the offset's place in its host page); the guest kernel maps it, or refuses it for a reason it checks after placing it",
		when: func(s *System, o *mmapOutcome) bool {
			need := o.length
			if o.flags&hostvm.MapAnonymous == 0 {
				need += o.offset % s.hostPage
			}
			return o.qemuErr == hostvm.ENOMEM && o.kernelErr != hostvm.ENOMEM && o.nonFixed && !s.freeHostRange(o.before, need)
		}},
	{name: "file-offset-limit", then: keepQEMU,
		doc: "QEMU says EOVERFLOW for a file mapping that ends within a host page of the largest file offset, which the guest kernel maps",
		when: func(s *System, o *mmapOutcome) bool {
			end := o.offset + (o.length+s.targetPage-1)&^(s.targetPage-1)
			return o.qemuErr == hostvm.EOVERFLOW && o.kernelErr == nil && o.flags&hostvm.MapAnonymous == 0 &&
				end > 1<<63-s.host.PageSize() && end <= 1<<63
		}},
	{name: "mmap-min-addr", then: stopRun,
		doc: "either system says EPERM for an address below mmap_min_addr",
		when: func(s *System, o *mmapOutcome) bool {
			return (o.qemuErr == hostvm.EPERM || o.kernelErr == hostvm.EPERM) && o.addr < s.cfg.MmapMinAddr
		}},
	{name: "host-space-end", then: keepQEMU,
		doc: "a non-fixed mapping QEMU finds no room for (ENOMEM) where the guest kernel places it past the end of the host's space",
		when: func(s *System, o *mmapOutcome) bool {
			return o.qemuErr == hostvm.ENOMEM && o.kernelErr == nil && o.nonFixed && s.pastHostEnd(o.kernelAddr, o.length)
		}},
	{name: "host-space-end", then: keepQEMU,
		doc: "a non-fixed mapping the host kernel's own search finds no room for: QEMU finds none (ENOMEM), the guest kernel finds room and refuses it for another reason",
		when: func(s *System, o *mmapOutcome) bool {
			return o.qemuErr == hostvm.ENOMEM && o.kernelErr != nil && o.kernelErr != hostvm.ENOMEM && o.nonFixed &&
				!s.hostHasRoom(o.length)
		}},
}

// mremapRules classify an mremap's outcomes (before they are compared).
// Each stops the run.
var mremapRules = []rule[*mremapOutcome]{
	{name: "placement-host-pages", then: stopRun,
		doc: "a move QEMU places (MREMAP_MAYMOVE) finds no room (ENOMEM) where no whole free host pages are left for it",
		when: func(s *System, o *mremapOutcome) bool {
			return o.qemuErr == hostvm.ENOMEM && o.kernelErr == nil && o.flags&hostvm.MremapMayMove != 0 &&
				o.flags&hostvm.MremapFixed == 0 && !s.freeHostRange(o.before, o.newLen)
		}},
	{name: "placement-room", then: stopRun,
		doc: "a move QEMU places (MREMAP_MAYMOVE) into a range the guest kernel had free, where the guest kernel's own search found no room (ENOMEM)",
		when: func(s *System, o *mremapOutcome) bool {
			return o.qemuErr == nil && o.kernelErr == hostvm.ENOMEM && o.flags&hostvm.MremapMayMove != 0 &&
				o.flags&hostvm.MremapFixed == 0 && o.qemuAddr != o.addr && o.qemuAddr+o.newLen <= s.spaceEnd &&
				len(o.before.MappingsIn(hostvm.Range{Start: hostvm.Addr(o.qemuAddr), End: hostvm.Addr(o.qemuAddr + o.newLen)})) == 0
		}},
	{name: "mremap-shared-fragment", then: stopRun,
		doc: "QEMU refuses with EINVAL to move shared or file memory in pieces that are not whole host pages",
		when: func(s *System, o *mremapOutcome) bool {
			h := s.hostPage
			return o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL && o.sharedOld &&
				(o.addr%h != 0 || o.oldLen%h != 0 || o.newLen%h != 0 || o.to%h != 0 || s.partialPieces(o.before, o.addr, o.oldLen))
		}},
	{name: "mmap-min-addr", then: stopRun,
		doc: "either system says EPERM for a destination below mmap_min_addr",
		when: func(s *System, o *mremapOutcome) bool {
			return (o.qemuErr == hostvm.EPERM || o.kernelErr == hostvm.EPERM) && o.to < s.cfg.MmapMinAddr
		}},
	{name: "host-space-end", then: stopRun,
		doc: "the errnos differ and the old range, the grown range or the destination passes the end of the host's space",
		when: func(s *System, o *mremapOutcome) bool {
			return o.qemuErr != o.kernelErr &&
				(s.pastHostEnd(o.addr, o.oldLen) || s.pastHostEnd(o.to, o.newLen) || s.pastHostEnd(o.addr, o.newLen))
		}},
	{name: "host-vma-split", then: stopRun,
		doc: "QEMU says EFAULT where the host has more mappings than the guest kernel (file data up to its end, anonymous memory after)",
		when: func(s *System, o *mremapOutcome) bool {
			return o.qemuErr == hostvm.EFAULT && o.kernelErr == nil && s.hostSplits(o.addr, min(o.oldLen, o.newLen))
		}},
	{name: "vma-boundaries", then: stopRun,
		doc: "the guest kernel says EFAULT across two VMAs that differ only in what QEMU does not record (madvise flags, backing): QEMU's flags showed one run",
		when: func(s *System, o *mremapOutcome) bool {
			return o.qemuErr != o.kernelErr && o.kernelErr == hostvm.EFAULT && o.oneRun
		}},
	{name: "mixed-host-page", then: stopRun,
		doc: "QEMU refuses with EINVAL a destination (MREMAP_FIXED, MREMAP_DONTUNMAP) whose host pages hold other mappings (for a move of several VMAs, those of any piece's destination)",
		when: func(s *System, o *mremapOutcome) bool {
			return o.qemuErr == hostvm.EINVAL && o.kernelErr == nil && o.flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) != 0 &&
				(s.touchesOtherRange(o.before, o.to, o.newLen) ||
					o.flags&hostvm.MremapFixed != 0 && o.oldLen == o.newLen && s.piecesTouchOtherRange(o.before, o.addr, o.oldLen, o.to))
		}},
	{name: "mixed-host-page", then: stopRun,
		doc: "QEMU cannot grow in place (ENOMEM) into host pages that hold other mappings",
		when: func(s *System, o *mremapOutcome) bool {
			return o.qemuErr == hostvm.ENOMEM && o.kernelErr == nil && o.flags&hostvm.MremapMayMove == 0 && o.newLen > o.oldLen &&
				s.touchesOtherRange(o.before, o.addr+o.oldLen, o.newLen-o.oldLen)
		}},
}

// callRules classify munmap, mprotect, msync and madvise (whether or not
// their errnos differ). Each stops the run.
var callRules = []rule[*callOutcome]{
	{name: "emulated-file-mode", then: stopRun,
		doc: "mprotect says EACCES, or madvise EINVAL, on the guest kernel for pages QEMU emulated with a copy: QEMU changes the copy",
		when: func(s *System, o *callOutcome) bool {
			return (o.name == "mprotect" && o.kernelErr == hostvm.EACCES ||
				o.name == "madvise" && o.kernelErr == hostvm.EINVAL && o.qemuErr != o.kernelErr) &&
				s.snapshotIn(o.addr, o.length)
		}},
	{name: "host-space-end", then: stopRun,
		doc: "the errnos differ and the range passes the end of the host's space",
		when: func(s *System, o *callOutcome) bool {
			return o.qemuErr != o.kernelErr && s.pastHostEnd(o.addr, o.length)
		}},
	{name: "host-space-end", then: stopRun,
		doc: "the range reaches the top page of a 32-bit host with a 4 GiB space, which the host cannot change (its mprotect, madvise and msync compute the range's end as 0), where the guest kernel computes it exactly",
		when: func(s *System, o *callOutcome) bool {
			return (o.qemuErr != o.kernelErr || o.kernelErr != nil) && s.hostTopPage(o.addr, o.length)
		}},
	{name: "eof-host-page", then: stopRun,
		doc: "madvise(MADV_POPULATE_*) meets a page past end-of-file on the guest kernel (EFAULT) that QEMU backs with a copy of the file, with anonymous memory, or with a host page holding end-of-file, and goes on",
		when: func(s *System, o *callOutcome) bool {
			return o.name == "madvise" && o.kernelErr == hostvm.EFAULT && o.qemuErr != hostvm.EFAULT &&
				(s.hostPage > s.targetPage || s.snapshotIn(o.addr, o.length))
		}},
}

// brkRules classify a brk whose breaks differ.
var brkRules = []rule[*brkOutcome]{
	{name: "host-space-end", then: keepQEMU,
		doc: "QEMU cannot grow the heap past the end of the host's space, where the guest kernel grows it",
		when: func(s *System, o *brkOutcome) bool {
			return o.qemuBrk == o.old && o.kernelBrk > o.old && s.pastHostEnd(o.old, o.kernelBrk-o.old)
		}},
	{name: "mixed-host-page", then: stopRun,
		doc: "QEMU cannot grow the heap into host pages that hold shared or file memory, where the guest kernel grows it",
		when: func(s *System, o *brkOutcome) bool {
			h := s.hostPage
			lo, hi := o.old&^(h-1), (o.kernelBrk+h-1)&^(h-1)
			return o.qemuBrk == o.old && o.kernelBrk > o.old && hi > lo && s.sharedOrFile(lo, hi-lo)
		}},
}

// accessRules classify a load or a store where the two systems got
// different distances or stopped differently.
var accessRules = []rule[*accessOutcome]{
	// Before protection-union, which it narrows.
	{name: "protection-union-shared", then: stopRun,
		doc: "a store goes further under QEMU past a page the guest forbids, into a shared host mapping",
		when: func(s *System, o *accessOutcome) bool {
			return s.protectionUnion(o) && o.kind == "store" && s.sharedHostMapping(o.parted)
		}},
	{name: "protection-union", then: taintPages,
		doc:  "an access goes further under QEMU past a page the guest forbids (the guest kernel says SIGSEGV)",
		when: func(s *System, o *accessOutcome) bool { return s.protectionUnion(o) },
		unknown: func(s *System, o *accessOutcome) []span {
			spans := []span{{o.parted, o.parted + 1}}
			if o.kind == "store" {
				spans = append(spans, s.accessTail(o, o.parted&^(s.targetPage-1), o.qemuN)...)
			}
			return spans
		}},
	{name: "eof-host-page", then: taintPages,
		doc: "an access goes further under QEMU where the guest kernel says SIGBUS (past end-of-file)",
		when: func(s *System, o *accessOutcome) bool {
			return o.qemuN > o.kernelN && o.kernelFault != nil && o.kernelFault.Signal == hostvm.SIGBUS
		},
		unknown: func(s *System, o *accessOutcome) []span {
			return s.accessTail(o, o.parted, o.qemuN)
		}},
	{name: "protection-union", then: taintPages,
		doc: "both fault at a page the guest forbids, with different signals: its host page's other backing decides",
		when: func(s *System, o *accessOutcome) bool {
			return o.qemuN == o.kernelN && o.qemuFault != nil && o.kernelFault != nil && s.guestForbids(o.parted, o.kind)
		},
		unknown: func(s *System, o *accessOutcome) []span { return []span{{o.parted, o.parted + 1}} }},
	{name: "mixed-host-page", then: taintPages,
		doc: "QEMU faults first, on a host page shared with a mapping of another backing (a file past end-of-file, say)",
		when: func(s *System, o *accessOutcome) bool {
			return o.qemuN < o.kernelN && s.faultsOnMixedHostPage(o.parted, o.qemuFault)
		},
		unknown: func(s *System, o *accessOutcome) []span {
			return s.accessTail(o, o.parted, o.kernelN)
		}},
	{name: "eof-host-page", then: taintPages,
		doc: "QEMU faults first with SIGBUS on a host with smaller pages (a target page past end-of-file)",
		when: func(s *System, o *accessOutcome) bool {
			return o.qemuN < o.kernelN && s.busPastSmallHostPage(o.qemuFault)
		},
		unknown: func(s *System, o *accessOutcome) []span {
			return s.accessTail(o, o.parted, o.kernelN)
		}},
}

// byteRules classify a load's first differing byte.
// accessOKRules classify an access_ok() answer that differs from the guest
// kernel's mappings: none, as QEMU's page flags hold the guest's own
// protections (the reference's access_ok is the guest kernel's).
var accessOKRules []rule[*accessOKOutcome]

var byteRules = []rule[*byteOutcome]{
	{name: "file-snapshot", then: countOnly,
		doc:  "the byte is on a page already known to differ: a snapshot of a changed file, or tainted",
		when: func(s *System, o *byteOutcome) bool { return s.unknownPage(o.at) }},
}

// pageRules classify a page whose contents differ after an operation.
var pageRules = []rule[*pageOutcome]{
	{name: "mixed-host-page", then: taintPages,
		doc: "QEMU faults on a page whose host page it shares with a mapping of another backing",
		when: func(s *System, o *pageOutcome) bool {
			return s.faultsOnMixedHostPage(o.page, o.qemuFault)
		},
		unknown: func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} }},
	{name: "eof-host-page", then: taintPages,
		doc:     "QEMU faults with SIGBUS on a host with smaller pages: a target page past end-of-file (the file grew since it was mapped)",
		when:    func(s *System, o *pageOutcome) bool { return s.busPastSmallHostPage(o.qemuFault) },
		unknown: func(s *System, o *pageOutcome) []span { return []span{{o.page, o.page + s.targetPage}} }},
}

// storeRules classify a store that wrote something (on either system),
// whatever the comparison found.
var storeRules = []rule[*storeOutcome]{
	{name: "shared-file-fragment", then: stopRun,
		doc: "the store reached pages the guest kernel maps shared from a file and QEMU emulated with a copy: the guest kernel's reaches the file, QEMU's stays in the copy",
		when: func(s *System, o *storeOutcome) bool {
			return s.sharedSnapshot(o.addr, o.n)
		}},
}

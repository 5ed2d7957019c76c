package sim

import (
	"fmt"
	"math/bits"
	"strings"
)

// Quirk names one defect of the seed (QEMU's linux-user/mmap.c of March
// 2015, and the syscall layer of its era), or one behaviour a later QEMU
// release introduced that differs from what Linux does (QuirkDesc.Release).
// sim runs the seed's (or that release's) code with the quirk on and the
// fix with it off: the code later QEMU adopted, or, where QEMU never fixed
// it, what Linux does. package policy says which are on, and describes what
// a guest sees of each.
type Quirk uint8

// The quirks, in the order they were found. Each one's name, the seed lines
// it keeps and what it does are in its QuirkDesc (quirk_table.go,
// Quirk.Desc).
const (
	QuirkMmapLenZero Quirk = iota
	QuirkFragTailRealEnd
	QuirkFragAnonStale
	QuirkMremapShrinkReserve
	QuirkMremapMayMoveReserve
	QuirkFindVMAReservedZero
	QuirkTopPageWrap
	QuirkMprotectWrapEINVAL
	QuirkMprotectBadProt
	QuirkUncheckedRange
	QuirkMprotectUnmapped
	QuirkFragSharedErrno
	QuirkFindVMAFirstPage
	QuirkNonFixedFileShort
	QuirkNonFixedFailUnmap
	QuirkFixedFitEINVAL
	QuirkMsyncUnmapped
	QuirkMremapMayMoveLeak
	QuirkMremapShrinkReserveAddr
	QuirkMremapFitHostAddr
	QuirkMremapZeroOldSize
	QuirkNoReplaceIgnored
	QuirkMadviseIgnored
	QuirkEOFTruncatedFlags
	QuirkMremapUnchecked
	QuirkMremapHostPages
	QuirkMremapGrowReserved
	QuirkFindVMAProbe
	QuirkFragSharedLeak
	QuirkMsyncChecks
	QuirkMmapProtUnmasked
	QuirkMremapMayMoveMoves
	QuirkMremapProtFirstPage
	QuirkFragSharedHostPage
	QuirkMremapDontUnmapReserve
	QuirkFragFileHostPage
	QuirkFileModeUnchecked
	QuirkNoPageAnon
	QuirkMinAddrUnchecked
	QuirkMmapHostLenWrap
	QuirkMmapOffsetOverflow
	QuirkNonFixedFailLeak
	QuirkMmapAnonOffset
	QuirkMremapFailFlags
	QuirkMmapFlagsUnchecked
	QuirkBrkHostPages
	QuirkFindVMAHintMinAddr
	QuirkFindVMAZeroSize
	QuirkFixedAlignFirst
	QuirkMsyncHostPage
	QuirkFindVMATargetAlign
	QuirkAccessOKWriteRead
	QuirkFixedFailLeak
	QuirkMprotectFailPartial

	// Behaviours QEMU 7.2 introduced, which the seed does not have (their
	// QuirkDesc.Release is "7.2"): props/qemudiff found them comparing
	// sim with a real qemu-i386 and qemu-x86_64 7.2.
	QuirkMadvisePassthrough
	QuirkMmapProtEINVAL
	QuirkMprotectProtFirst
	QuirkZeroLenRange
	QuirkEOFTruncateHostPage
	QuirkFragClearWritable
	QuirkHostProtNoExec
	QuirkNextStartUnmappedBase
	QuirkWriteFaultSpin
	QuirkGuestSpaceWord
	QuirkPreadMprotectAssert

	numQuirks
)

// QuirkDesc describes one quirk.
type QuirkDesc struct {
	Quirk Quirk
	// Name is the quirk's stable name, as scenarios, policies and flags
	// spell it ("frag-tail-real-end").
	Name string
	// SeedLines are the lines of the seed (linux-user/mmap.c of March 2015,
	// numbered as in the project's copy) the quirk keeps: "545-549",
	// "86, 487, 570". A quirk of the seed era's syscall layer says
	// "none: " and where it lies.
	SeedLines string
	// Doc says what the seed's code does wrong, in terms of the C.
	Doc string
	// Release is "" for a defect of the seed. For a behaviour a later QEMU
	// release introduced, which the seed does not have, it names that
	// release ("7.2"); SeedLines then say "none", and ReleaseLines give the
	// release's lines ("mmap.c:446-450", or another file and line).
	Release      string
	ReleaseLines string
}

// NumQuirks is how many quirks there are; they are numbered 0..NumQuirks-1.
const NumQuirks = int(numQuirks)

// Desc returns the quirk's description; a zero QuirkDesc for a number that
// is no quirk.
func (q Quirk) Desc() QuirkDesc {
	if q < numQuirks {
		return quirkTable[q]
	}
	return QuirkDesc{}
}

func (q Quirk) String() string {
	if q < numQuirks {
		return quirkTable[q].Name
	}
	return fmt.Sprintf("quirk(%d)", uint8(q))
}

// QuirkDescs returns the descriptions of all quirks, in numeric order.
func QuirkDescs() []QuirkDesc { return quirkTable[:] }

// QuirkByName returns the quirk called name.
func QuirkByName(name string) (Quirk, bool) {
	for _, d := range quirkTable {
		if d.Name == name {
			return d.Quirk, true
		}
	}
	return 0, false
}

// QuirkSet is a set of quirks, one bit per quirk in as many words as
// there are quirks. The zero value is the empty set: the fixed algorithm.
// Sets are values: == compares them.
type QuirkSet struct{ words [quirkWords]uint64 }

// quirkWords is the number of 64-bit words a QuirkSet holds.
const quirkWords = (int(numQuirks) + 63) / 64

// AllQuirks is every quirk on: the seed's defects and the behaviours later
// releases introduced (SeedQuirks is the seed).
var AllQuirks = allQuirks()

func allQuirks() QuirkSet {
	var s QuirkSet
	for q := Quirk(0); q < numQuirks; q++ {
		s = s.With(q)
	}
	return s
}

// SeedQuirks is the seed: every defect it has, none of the behaviours a
// later release introduced.
var SeedQuirks = seedQuirks()

func seedQuirks() QuirkSet {
	var s QuirkSet
	for _, d := range quirkTable {
		if d.Release == "" {
			s = s.With(d.Quirk)
		}
	}
	return s
}

// Quirks returns the set of the quirks listed.
func Quirks(qs ...Quirk) QuirkSet {
	var s QuirkSet
	for _, q := range qs {
		s = s.With(q)
	}
	return s
}

// Has reports whether q is in the set.
func (s QuirkSet) Has(q Quirk) bool {
	return q < numQuirks && s.words[q/64]&(1<<(q%64)) != 0
}

// With returns the set plus q.
func (s QuirkSet) With(q Quirk) QuirkSet {
	if q < numQuirks {
		s.words[q/64] |= 1 << (q % 64)
	}
	return s
}

// Without returns the set minus q.
func (s QuirkSet) Without(q Quirk) QuirkSet {
	if q < numQuirks {
		s.words[q/64] &^= 1 << (q % 64)
	}
	return s
}

// Flip returns the set with q switched: added if absent, removed if present.
func (s QuirkSet) Flip(q Quirk) QuirkSet {
	if s.Has(q) {
		return s.Without(q)
	}
	return s.With(q)
}

// Minus returns the quirks in s and not in o.
func (s QuirkSet) Minus(o QuirkSet) QuirkSet {
	for i := range s.words {
		s.words[i] &^= o.words[i]
	}
	return s
}

// Empty reports whether the set has no quirk.
func (s QuirkSet) Empty() bool { return s == QuirkSet{} }

// Len is the number of quirks in the set.
func (s QuirkSet) Len() int {
	n := 0
	for _, w := range s.words {
		n += bits.OnesCount64(w)
	}
	return n
}

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
	if s.Empty() {
		return "none"
	}
	var names []string
	for _, q := range s.List() {
		names = append(names, q.String())
	}
	return strings.Join(names, ",")
}

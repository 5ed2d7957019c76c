package props

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// Kind is an operation's kind.
type Kind uint8

// Operation kinds.
const (
	OpMmap Kind = iota
	OpMunmap
	OpMprotect
	OpMremap
	OpMsync
	OpMadvise
	OpLoad
	OpStore
	OpFileWrite
	OpFtruncate
	numKinds
)

// Place is how an mmap chooses its address.
type Place uint8

// Placements.
const (
	PlaceAny       Place = iota // addr NULL
	PlaceHint                   // addr as a hint
	PlaceFixed                  // MAP_FIXED
	PlaceNoReplace              // MAP_FIXED_NOREPLACE
)

// Where names an address relative to something the run has: an earlier
// mapping (by handle, resolved when the operation runs, because generation
// cannot see results) or a landmark of the guest space.
type Where struct {
	Base uint8 // < baseLow: handle number (modulo the handles there are); else a landmark
	End  bool  // from the end of the handle's mapping (as it was made), not its start
	Page int32 // guest pages from the base
	Byte uint32
}

// Landmarks.
const (
	baseLow uint8 = 200 + iota // mmap_min_addr
	baseTop                    // the end of the guest space
	baseMid                    // TASK_UNMAPPED_BASE (or the middle of a small space)
)

// Op is one generated operation. Lengths are in guest pages, plus Extra
// bytes for unaligned lengths.
type Op struct {
	Kind     Kind
	At       Where
	Pages    uint32
	Extra    uint32
	Prot     uint8
	Place    Place
	Shared   bool
	File     int8 // -1: anonymous; else one of the files (fd 3+File)
	FilePage uint32
	NewPages uint32 // mremap
	Remap    uint8  // mremap flag choice
	To       Where  // mremap destination
	Advice   uint8
	Byte     byte   // store value
	N        uint16 // load/store bytes
}

// Source is a stream of random numbers: gopter's generator, or fuzz input.
type Source interface {
	Uint64() uint64
}

func pick(src Source, n int) int { return int(src.Uint64() % uint64(n)) }

// genWhere draws an address near an earlier mapping most of the time.
func genWhere(src Source, handles int) Where {
	w := Where{Page: int32(pick(src, 48)) - 16}
	switch r := pick(src, 20); {
	case r < 15 && handles > 0:
		w.Base = uint8(pick(src, handles))
		if pick(src, 4) == 0 {
			// Just after (or before) its end: adjacent mappings, and
			// ranges that run from one mapping into the next.
			w.End = true
			w.Page = int32(pick(src, 9)) - 4
		}
	case r < 16:
		w.Base = baseLow
	case r < 18:
		w.Base = baseTop
		w.Page = -int32(pick(src, 40)) - 1
	default:
		w.Base = baseMid
	}
	if pick(src, 16) == 0 {
		w.Byte = uint32(pick(src, 8192))
	}
	return w
}

// GenOp draws one operation, given how many handles exist so far.
func GenOp(src Source, handles int) Op {
	op := Op{File: -1}
	k := pick(src, 100)
	switch {
	case k < 30 || handles == 0 && k < 60:
		op.Kind = OpMmap
	case k < 40:
		op.Kind = OpMunmap
	case k < 50:
		op.Kind = OpMprotect
	case k < 58:
		op.Kind = OpMremap
	case k < 61:
		op.Kind = OpMsync
	case k < 65:
		op.Kind = OpMadvise
	case k < 80:
		op.Kind = OpLoad
	case k < 93:
		op.Kind = OpStore
	case k < 97:
		op.Kind = OpFileWrite
	default:
		op.Kind = OpFtruncate
	}
	op.At = genWhere(src, handles)
	switch r := pick(src, 20); {
	case r < 14:
		op.Pages = uint32(pick(src, 8) + 1)
	case r < 18:
		op.Pages = uint32(pick(src, 40) + 1)
	case r < 19:
		op.Pages = 0
	default:
		op.Pages = uint32(pick(src, 1<<20))
	}
	if pick(src, 12) == 0 {
		op.Extra = uint32(pick(src, 8192))
	}
	op.Prot = uint8(pick(src, 8))
	if pick(src, 30) == 0 {
		op.Prot |= 0x10 // an unknown bit
	}
	op.Place = Place(pick(src, 4))
	if pick(src, 3) == 0 {
		op.File = int8(pick(src, len(files)))
		op.FilePage = uint32(pick(src, 24))
	}
	op.Shared = pick(src, 3) == 0
	op.NewPages = uint32(pick(src, 12) + 1)
	if pick(src, 10) == 0 {
		op.NewPages = 0
	}
	op.Remap = uint8(pick(src, 6))
	op.To = genWhere(src, handles)
	op.Advice = uint8(pick(src, len(advices)))
	op.Byte = byte(src.Uint64())
	op.N = uint16(pick(src, 64) + 1)
	if pick(src, 8) == 0 {
		op.N = uint16(pick(src, 20000) + 1)
	}
	return op
}

var advices = []hostvm.Advice{hostvm.MadvDontNeed, hostvm.MadvDontNeed, hostvm.MadvWillNeed, hostvm.MadvNormal,
	hostvm.MadvRandom, hostvm.MadvFree, hostvm.Advice(5)}

var remapFlags = []hostvm.MremapFlags{0, hostvm.MremapMayMove, hostvm.MremapMayMove,
	hostvm.MremapMayMove | hostvm.MremapFixed, hostvm.MremapMayMove | hostvm.MremapFixed, hostvm.MremapMayMove | hostvm.MremapDontUnmap}

var msyncFlags = []hostvm.MsyncFlags{hostvm.MsSync, hostvm.MsAsync, hostvm.MsInvalidate, hostvm.MsAsync | hostvm.MsSync}

// call is an operation resolved against a run: concrete arguments, and how
// to write them in a scenario.
type call struct {
	addr, length uint64
	addrText     string
	lenText      string
}

func hexText(v uint64) string { return fmt.Sprintf("%#x", v) }

// resolve turns w into a guest address and its scenario spelling.
func (s *System) resolve(w Where) (uint64, string) {
	t := s.t
	var base uint64
	var text string
	switch {
	case w.Base < baseLow && len(s.handles) > 0:
		h := int(w.Base) % len(s.handles)
		base, text = s.handles[h], fmt.Sprintf("$m%d", h)
	case w.Base == baseTop:
		base = s.spaceEnd
	case w.Base == baseMid:
		base = min(s.cfg.TaskUnmappedBase, s.spaceEnd/2) &^ (t - 1)
	default:
		base = max(s.cfg.MmapMinAddr, t)
	}
	off := int64(w.Page)*int64(t) + int64(w.Byte)
	if w.End && w.Base < baseLow && len(s.handles) > 0 {
		off += int64(s.handleLens[int(w.Base)%len(s.handles)])
	}
	a := s.word(base + uint64(off))
	if text == "" {
		return a, hexText(a)
	}
	switch {
	case off > 0:
		text += "+" + hexText(uint64(off))
	case off < 0:
		text += "-" + hexText(uint64(-off))
	}
	return a, text
}

func (s *System) length(pages, extra uint32) uint64 {
	return s.word(uint64(pages)*s.t + uint64(extra))
}

// scenario spellings.

func protText(p uint8) string { return hostvm.Prot(p).FlagString() }

func mapFlagsText(f hostvm.MapFlags) string { return f.String() }

func fdText(file int8) string {
	if file < 0 {
		return "-1"
	}
	return fmt.Sprint(3 + int(file))
}

func quote(b []byte) string { return syntax.Quote(b) }

// expectText renders an outcome as a scenario expectation.
func expectText(v uint64, err error) string {
	if err != nil {
		if e, ok := err.(hostvm.Errno); ok {
			return fmt.Sprintf("-1 %s (%s)", e.Name(), e.Error())
		}
		return "?"
	}
	if v >= 0x1000 {
		return hexText(v)
	}
	return fmt.Sprint(v)
}

func faultText(f *hostvm.Fault) string { return f.Signal.String() }

// String renders op compactly, for gopter's reports.
func (op Op) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v", [...]string{"mmap", "munmap", "mprotect", "mremap", "msync", "madvise", "load", "store", "pwrite", "ftruncate"}[op.Kind])
	fmt.Fprintf(&b, "{at=%d%+dp%+d pages=%d+%d prot=%d place=%d file=%d@%d shared=%v new=%d remap=%d to=%d%+d adv=%d n=%d}",
		op.At.Base, op.At.Page, op.At.Byte, op.Pages, op.Extra, op.Prot, op.Place, op.File, op.FilePage, op.Shared,
		op.NewPages, op.Remap, op.To.Base, op.To.Page, op.Advice, op.N)
	return b.String()
}

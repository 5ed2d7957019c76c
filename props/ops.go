package props

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
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
	OpBrk
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
	Back uint32 // bytes below that: an access that ends at (or runs past) the base
}

// Landmarks.
const (
	baseLow  uint8 = 200 + iota // mmap_min_addr
	baseTop                     // the end of the guest space
	baseMid                     // TASK_UNMAPPED_BASE (or the middle of a small space)
	baseZero                    // address 0
	baseWord                    // the end of the guest's word (2^32 or 2^64, which is 0 there): ranges from below it wrap
	baseBrk                     // the current program break
)

// Size is a length or a file offset named relative to a boundary of the
// argument space, resolved when the operation runs, where the setup's
// boundaries are known: the size of the guest space, the guest's word, the
// sign bit (2^63 is where the largest file offset ends), a file's size.
type Size struct {
	From  SizeBase
	Pages int32  // target pages from the base (negative: below it)
	Byte  int32  // bytes from there
	Raw   uint64 // for sizeRaw: the value itself
}

// SizeBase is what a Size counts from.
type SizeBase uint8

// Size bases.
const (
	sizeNone   SizeBase = iota // not given: the operation's page fields say
	sizeZero                   // 0
	sizeSpace                  // the size of the guest space
	sizeWord                   // 2^32 or 2^64 (0 at the guest's width)
	sizeHalf                   // 2^31 or 2^63
	sizeFile                   // the size of the file the operation maps (the first file's for an anonymous one)
	sizeRaw                    // Raw, at the guest's width
	sizeHandle                 // the length of the mapping the operation's address names (as it was made)
	sizeTop                    // from the operation's address to the end of the guest space
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

	// The argument space beyond the common shapes: boundaries of each
	// argument, invalid values and unknown bits. The zero values leave
	// the fields above in charge.
	Len      Size   // the length (of the old range, for mremap), when given
	NewLen   Size   // mremap's new length, when given
	Off      Size   // the file offset (also passed to anonymous mappings), when given
	MapType  uint8  // mmap: 0 as Shared says, else mapTypes[MapType]
	MapExtra uint8  // mmap: mapExtras[MapExtra] added to the flags
	Fd       uint8  // mmap: fdChoices[Fd] (0: as File says)
	ProtBits uint32 // prot bits added beyond Prot's eight (PROT_GROWSDOWN, unknown ones)
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
		if pick(src, 3) == 0 {
			w.Base = baseZero // below mmap_min_addr, and page 0
			w.Page = int32(pick(src, 20))
		}
	case r < 18:
		w.Base = baseTop
		w.Page = -int32(pick(src, 40)) - 1
		if pick(src, 4) == 0 {
			w.Page = int32(pick(src, 5)) - 2 // the top page, and past the end
		}
	case r < 19 && pick(src, 2) == 0:
		w.Base = baseWord // the top of the word: ranges from here wrap
		w.Page = -int32(pick(src, 4)) - 1
	default:
		w.Base = baseMid
	}
	if pick(src, 16) == 0 {
		w.Byte = uint32(pick(src, 8192))
	}
	return w
}

// genSize draws a length or an offset at a boundary of the argument
// space: near 0, the size of the guest space, the end of the word, the
// sign bit, the file's size, or anything.
func genSize(src Source) Size {
	z := Size{Pages: int32(pick(src, 5)) - 2}
	switch pick(src, 12) {
	case 0, 1:
		z.From = sizeSpace
	case 2, 3, 4:
		z.From = sizeWord
		z.Pages = -int32(pick(src, 3)) // up to the end of the word, or just below
	case 5, 6:
		z.From = sizeHalf
	case 7:
		z.From = sizeFile
		z.Pages = int32(pick(src, 6)) - 1
	case 8:
		z.From = sizeTop // up to the top of the space, or just past it
	case 9:
		z.From = sizeRaw
		z.Raw = src.Uint64()
	default:
		z.From = sizeZero
		z.Pages = int32(pick(src, 4))
	}
	switch pick(src, 6) {
	case 0:
		z.Byte = int32(pick(src, 8192)) // not on a page
	case 1:
		z.Byte = -1
	}
	return z
}

// GenOp draws one operation, given how many handles exist so far:
// genOp's, with the edges of the argument space (withEdges).
func GenOp(src Source, handles int) Op { return withEdges(genOp(src, handles)) }

// genOp draws one operation of the common shapes and the argument space's
// boundaries, given how many handles exist so far.
func genOp(src Source, handles int) Op {
	op := Op{File: -1}
	k := pick(src, 100)
	switch {
	case k < 30 || handles == 0 && k < 60:
		op.Kind = OpMmap
	case k < 38:
		op.Kind = OpMunmap
	case k < 47:
		op.Kind = OpMprotect
	case k < 61:
		op.Kind = OpMremap
	case k < 64:
		op.Kind = OpMsync
	case k < 68:
		op.Kind = OpMadvise
	case k < 81:
		op.Kind = OpLoad
	case k < 93:
		op.Kind = OpStore
	case k < 96:
		op.Kind = OpFileWrite
	case k < 98:
		op.Kind = OpFtruncate
	default:
		op.Kind = OpBrk
	}
	op.At = genWhere(src, handles)
	if op.Kind == OpBrk {
		op.At = Where{Base: baseBrk, Page: int32(pick(src, 48)) - 16}
		switch r := pick(src, 10); {
		case r == 0:
			op.At = Where{Base: baseZero} // brk(0) reads the break
		case r == 1:
			op.At = genWhere(src, handles) // into (or below) other mappings
		case r < 4:
			op.At.Byte = uint32(pick(src, 8192))
		}
	}
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
	// Programs map mostly read-write and read-only memory: neighbours
	// with the same protection, which QEMU's page flags show as one run
	// where the guest kernel has two mappings.
	switch r := pick(src, 20); {
	case r < 8:
		op.Prot = uint8(hostvm.ProtRead | hostvm.ProtWrite)
	case r < 11:
		op.Prot = uint8(hostvm.ProtRead)
	default:
		op.Prot = uint8(pick(src, 8))
	}
	if pick(src, 30) == 0 {
		op.Prot |= 0x10 // an unknown bit
	}
	if pick(src, 40) == 0 {
		op.ProtBits = protExtras[pick(src, len(protExtras))]
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
	op.Remap = uint8(pick(src, len(remapFlags)))
	// The argument space's boundaries, invalid values and unknown bits,
	// each now and then.
	if pick(src, 14) == 0 {
		op.Len = genSize(src)
	}
	if op.Kind != OpMmap && op.Kind != OpBrk && op.At.Base < baseLow && handles > 0 && pick(src, 5) == 0 {
		// A whole earlier mapping, as programs give them back, protect
		// and resize them; or a little more, into the next one.
		op.At = Where{Base: op.At.Base}
		op.Len = Size{From: sizeHandle}
		if pick(src, 2) == 0 {
			op.Len.Pages = int32(pick(src, 6)) - 1
		}
	}
	if pick(src, 14) == 0 {
		op.NewLen = genSize(src)
	}
	if pick(src, 10) == 0 {
		op.Off = genSize(src)
	}
	if pick(src, 25) == 0 {
		op.MapType = uint8(1 + pick(src, len(mapTypes)-1))
	}
	if pick(src, 16) == 0 {
		op.MapExtra = uint8(1 + pick(src, len(mapExtras)-1))
	}
	if pick(src, 20) == 0 {
		op.Fd = uint8(1 + pick(src, len(fdChoices)-1))
	}
	op.To = genWhere(src, handles)
	op.Advice = uint8(pick(src, len(advices)))
	op.Byte = byte(src.Uint64())
	op.N = uint16(pick(src, 64) + 1)
	if pick(src, 8) == 0 {
		op.N = uint16(pick(src, 20000) + 1)
	}
	return op
}

// withEdges turns some operations into edges of the argument space:
// accesses up to and across the top of the guest's word, empty ones,
// mappings of the top pages. They are drawn from fields the operation's
// kind does not use, so they take no random numbers of their own and the
// stream (every other operation of a sequence) stays as it was.
func withEdges(op Op) Op {
	if (op.Kind == OpLoad || op.Kind == OpStore) && op.Remap%8 == 0 {
		switch op.Advice % 4 {
		case 0:
			op.N = 0 // an empty access: access_ok's length 0
		case 1:
			op.At = Where{Base: baseWord, Back: uint32(op.N)} // ending at the top of the word
		default:
			// Across the top of the guest's word: a 32-bit guest's
			// access wraps to 0 there, a 64-bit guest's ends.
			op.At = Where{Base: baseWord, Back: 1 + uint32(op.NewPages)*97%uint32(op.N)}
		}
	}
	if op.Kind == OpMmap && op.Advice == 0 && op.Remap%2 == 0 {
		// The top pages of the guest's word, mapped where they are in
		// the guest space, for the accesses that reach them.
		op.At, op.Place = Where{Base: baseWord, Page: -int32(op.NewPages%4) - 1}, PlaceFixed
	}
	return op
}

// advices are madvise's advice: the ones that change contents, hints,
// the populating ones, and invalid values. Not MADV_REMOVE (hole punching)
// or the advice that depend on locked memory: QEMU's page flags do not
// record mlock, nor the emulation model a file's holes.
var advices = []hostvm.Advice{hostvm.MadvDontNeed, hostvm.MadvDontNeed, hostvm.MadvWillNeed, hostvm.MadvNormal,
	hostvm.MadvRandom, hostvm.MadvFree, hostvm.Advice(5), hostvm.MadvDontNeed, hostvm.MadvSequential,
	hostvm.MadvDontFork, hostvm.MadvDontNeedLocked, hostvm.MadvPopulateRead, hostvm.MadvPopulateWrite,
	hostvm.Advice(1000)}

// remapFlags are mremap's flags: every combination of the three, the
// common ones more often, and an unknown bit.
var remapFlags = []hostvm.MremapFlags{0, hostvm.MremapMayMove, hostvm.MremapMayMove,
	hostvm.MremapMayMove | hostvm.MremapFixed, hostvm.MremapMayMove | hostvm.MremapFixed, hostvm.MremapMayMove | hostvm.MremapDontUnmap,
	0, hostvm.MremapMayMove, hostvm.MremapMayMove | hostvm.MremapFixed, hostvm.MremapMayMove | hostvm.MremapDontUnmap,
	hostvm.MremapFixed, hostvm.MremapDontUnmap, hostvm.MremapFixed | hostvm.MremapDontUnmap,
	hostvm.MremapFixed | hostvm.MremapDontUnmap | hostvm.MremapMayMove, hostvm.MremapMayMove | 8}

var msyncFlags = []hostvm.MsyncFlags{hostvm.MsSync, hostvm.MsAsync, hostvm.MsInvalidate, hostvm.MsAsync | hostvm.MsSync,
	hostvm.MsSync, hostvm.MsAsync, 0, hostvm.MsInvalidate | hostvm.MsSync, hostvm.MsInvalidate | hostvm.MsAsync, hostvm.MsSync | 8}

// mapTypes are the map types an mmap may ask for instead of MAP_PRIVATE or
// MAP_SHARED (entry 0): none, MAP_SHARED_VALIDATE, and invalid ones.
var mapTypes = []hostvm.MapFlags{0, 0, hostvm.MapShared | hostvm.MapPrivate, 0x4, 0xf}

// mapExtras are flags an mmap may add: ones QEMU translates, ones it
// drops, and unknown bits. Not MAP_HUGETLB or MAP_SYNC: QEMU cannot give a
// guest huge pages or a DAX file, and neither the emulation nor the guest
// kernel's model has them; not MAP_LOCKED or MAP_GROWSDOWN, which QEMU's
// page flags do not record (madvise and mprotect then answer differently,
// and a growing stack is the host's).
var mapExtras = []hostvm.MapFlags{0, hostvm.MapPopulate, hostvm.MapNoReserve,
	hostvm.MapStack, hostvm.MapDenyWrite, hostvm.MapFixed | hostvm.MapFixedNoReplace, 0x200000, 0x80000000}

// fdChoices are the fds an mmap may pass instead of the one its file (or
// anonymity) implies: -1 for a file mapping, an fd that is not open, and
// an open file's fd with MAP_ANONYMOUS (which ignores it).
var fdChoices = []int{0, -1, 9, 4}

// protExtras are protection bits beyond PROT_READ|PROT_WRITE|PROT_EXEC.
var protExtras = []uint32{uint32(hostvm.ProtSem), uint32(hostvm.ProtGrowsDown), uint32(hostvm.ProtGrowsUp), 0x100}

// resolve turns w into a guest address and its scenario spelling (made
// when the run's text is read).
func (s *System) resolve(w Where) (uint64, addrText) {
	page := s.targetPage
	var base uint64
	handle := -1
	switch {
	case w.Base < baseLow && len(s.handles) > 0:
		handle = int(w.Base) % len(s.handles)
		base = s.handles[handle]
	case w.Base == baseTop:
		base = s.spaceEnd
	case w.Base == baseMid:
		base = min(s.cfg.TaskUnmappedBase, s.spaceEnd/2) &^ (page - 1)
	case w.Base == baseZero:
		base = 0
	case w.Base == baseWord:
		base = s.wordMask + 1 // 0 for a 64-bit guest: pages below it wrap to the top
	case w.Base == baseBrk:
		base = s.brk
	default:
		base = max(s.cfg.MmapMinAddr, page)
	}
	off := int64(w.Page)*int64(page) + int64(w.Byte) - int64(w.Back)
	if w.End && w.Base < baseLow && len(s.handles) > 0 {
		off += int64(s.handleLens[int(w.Base)%len(s.handles)])
	}
	addr := s.word(base + uint64(off))
	if handle < 0 {
		return addr, addrText{handle: -1, addr: addr}
	}
	return addr, addrText{handle: handle, off: off}
}

// length is pages guest pages plus extra bytes, at the guest's width.
func (s *System) length(pages, extra uint32) uint64 {
	return s.word(uint64(pages)*s.targetPage + uint64(extra))
}

// size resolves z at the guest's width, for an operation at at that maps
// file (-1: none).
func (s *System) size(z Size, at Where, file int8) uint64 {
	var base uint64
	switch z.From {
	case sizeSpace:
		base = s.spaceEnd
	case sizeWord:
		base = s.wordMask + 1
	case sizeHalf:
		base = (s.wordMask >> 1) + 1
	case sizeFile:
		base = fileSizeOf(files[max(file, 0)].pages, s.targetPage)
	case sizeRaw:
		return s.word(z.Raw)
	case sizeHandle:
		if len(s.handles) > 0 && at.Base < baseLow {
			base = s.handleLens[int(at.Base)%len(s.handles)]
		}
	case sizeTop:
		addr, _ := s.resolve(at)
		base = s.spaceEnd - addr
	}
	return s.word(base + uint64(int64(z.Pages)*int64(s.targetPage)+int64(z.Byte)))
}

// opLen is op's length: its Len when given, else its pages and extra
// bytes.
func (s *System) opLen(op Op) uint64 {
	if op.Len.From != sizeNone {
		return s.size(op.Len, op.At, op.File)
	}
	return s.length(op.Pages, op.Extra)
}

// opNewLen is mremap's new length: op's NewLen when given, else its new
// pages.
func (s *System) opNewLen(op Op) uint64 {
	if op.NewLen.From != sizeNone {
		return s.size(op.NewLen, op.At, op.File)
	}
	return s.length(op.NewPages, 0)
}

// String renders op compactly, for gopter's reports.
func (op Op) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v", [...]string{"mmap", "munmap", "mprotect", "mremap", "msync", "madvise", "load", "store", "pwrite", "ftruncate", "brk"}[op.Kind])
	fmt.Fprintf(&b, "{at=%d%+dp%+d pages=%d+%d prot=%d place=%d file=%d@%d shared=%v new=%d remap=%d to=%d%+d adv=%d n=%d}",
		op.At.Base, op.At.Page, op.At.Byte, op.Pages, op.Extra, op.Prot, op.Place, op.File, op.FilePage, op.Shared,
		op.NewPages, op.Remap, op.To.Base, op.To.Page, op.Advice, op.N)
	if op.At.Back != 0 {
		fmt.Fprintf(&b, "{back=%d}", op.At.Back)
	}
	if op.Len != (Size{}) || op.NewLen != (Size{}) || op.Off != (Size{}) {
		fmt.Fprintf(&b, "{len=%+v newlen=%+v off=%+v}", op.Len, op.NewLen, op.Off)
	}
	if op.MapType|op.MapExtra|op.Fd != 0 || op.ProtBits != 0 {
		fmt.Fprintf(&b, "{type=%d extra=%d fd=%d protbits=%#x}", op.MapType, op.MapExtra, op.Fd, op.ProtBits)
	}
	return b.String()
}

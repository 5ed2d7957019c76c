package hostvm

import (
	"strconv"
	"strings"
)

// This file holds the user-visible constants of the simulated kernel, with
// the values of Linux's x86-64 (and generic) ABI. They are mmapsim's own, so
// they are the same whatever OS runs the simulator.

// Prot is a protection: PROT_READ, PROT_WRITE, PROT_EXEC or'ed together.
type Prot uint32

// Protection bits (include/uapi/asm-generic/mman-common.h).
const (
	ProtNone      Prot = 0
	ProtRead      Prot = 0x1
	ProtWrite     Prot = 0x2
	ProtExec      Prot = 0x4
	ProtSem       Prot = 0x8
	ProtGrowsDown Prot = 0x01000000
	ProtGrowsUp   Prot = 0x02000000

	// ProtRWX is the mask of the three access bits.
	ProtRWX = ProtRead | ProtWrite | ProtExec
)

// String renders the access bits as /proc/self/maps does: "r-x".
func (p Prot) String() string {
	b := []byte("---")
	if p&ProtRead != 0 {
		b[0] = 'r'
	}
	if p&ProtWrite != 0 {
		b[1] = 'w'
	}
	if p&ProtExec != 0 {
		b[2] = 'x'
	}
	return string(b)
}

// FlagString renders p as strace does: "PROT_READ|PROT_WRITE", "PROT_NONE".
func (p Prot) FlagString() string {
	if p == 0 {
		return "PROT_NONE"
	}
	return flagString(uint64(p), protNames)
}

// MapFlags are mmap's flags argument.
type MapFlags uint32

// mmap flags (x86-64 values; include/uapi/asm-generic/mman*.h and
// include/uapi/linux/mman.h).
const (
	MapShared         MapFlags = 0x01
	MapPrivate        MapFlags = 0x02
	MapSharedValidate MapFlags = 0x03
	MapDroppable      MapFlags = 0x08
	MapType           MapFlags = 0x0f
	MapFixed          MapFlags = 0x10
	MapAnonymous      MapFlags = 0x20
	Map32Bit          MapFlags = 0x40
	MapGrowsDown      MapFlags = 0x100
	MapDenyWrite      MapFlags = 0x800
	MapExecutable     MapFlags = 0x1000
	MapLocked         MapFlags = 0x2000
	MapNoReserve      MapFlags = 0x4000
	MapPopulate       MapFlags = 0x8000
	MapNonBlock       MapFlags = 0x10000
	MapStack          MapFlags = 0x20000
	MapHugeTLB        MapFlags = 0x40000
	MapSync           MapFlags = 0x80000
	MapFixedNoReplace MapFlags = 0x100000
	MapUninitialized  MapFlags = 0x4000000
	MapHugeMask       MapFlags = 0x3f << 26

	// legacyMapMask is Linux's LEGACY_MAP_MASK: the flags MAP_SHARED
	// accepts silently and MAP_SHARED_VALIDATE accepts at all.
	legacyMapMask = MapShared | MapPrivate | MapFixed | MapAnonymous |
		MapDenyWrite | MapExecutable | MapUninitialized | MapGrowsDown |
		MapLocked | MapNoReserve | MapPopulate | MapNonBlock | MapStack |
		MapHugeTLB | Map32Bit | MapHugeMask
)

// String renders f as strace does: "MAP_PRIVATE|MAP_ANONYMOUS".
func (f MapFlags) String() string {
	var parts []string
	switch f & MapType {
	case MapShared:
		parts = append(parts, "MAP_SHARED")
	case MapPrivate:
		parts = append(parts, "MAP_PRIVATE")
	case MapSharedValidate:
		parts = append(parts, "MAP_SHARED_VALIDATE")
	case MapDroppable:
		parts = append(parts, "MAP_DROPPABLE")
	case 0:
	default:
		parts = append(parts, "MAP_TYPE_0x"+strconv.FormatUint(uint64(f&MapType), 16))
	}
	if rest := uint64(f &^ MapType); rest != 0 {
		parts = append(parts, flagString(rest, mapNames))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}

// MremapFlags are mremap's flags argument.
type MremapFlags uint32

// mremap flags (include/uapi/linux/mman.h).
const (
	MremapMayMove   MremapFlags = 1
	MremapFixed     MremapFlags = 2
	MremapDontUnmap MremapFlags = 4
)

// String renders f as strace does.
func (f MremapFlags) String() string { return flagString(uint64(f), mremapNames) }

// MsyncFlags are msync's flags argument.
type MsyncFlags uint32

// msync flags.
const (
	MsAsync      MsyncFlags = 1
	MsInvalidate MsyncFlags = 2
	MsSync       MsyncFlags = 4
)

// String renders f as strace does.
func (f MsyncFlags) String() string { return flagString(uint64(f), msyncNames) }

// Advice is madvise's advice argument.
type Advice int32

// madvise advice values (include/uapi/asm-generic/mman-common.h).
const (
	MadvNormal         Advice = 0
	MadvRandom         Advice = 1
	MadvSequential     Advice = 2
	MadvWillNeed       Advice = 3
	MadvDontNeed       Advice = 4
	MadvFree           Advice = 8
	MadvRemove         Advice = 9
	MadvDontFork       Advice = 10
	MadvDoFork         Advice = 11
	MadvMergeable      Advice = 12
	MadvUnmergeable    Advice = 13
	MadvHugePage       Advice = 14
	MadvNoHugePage     Advice = 15
	MadvDontDump       Advice = 16
	MadvDoDump         Advice = 17
	MadvWipeOnFork     Advice = 18
	MadvKeepOnFork     Advice = 19
	MadvCold           Advice = 20
	MadvPageOut        Advice = 21
	MadvPopulateRead   Advice = 22
	MadvPopulateWrite  Advice = 23
	MadvDontNeedLocked Advice = 24
	MadvCollapse       Advice = 25
	MadvGuardInstall   Advice = 102
	MadvGuardRemove    Advice = 103
	MadvHwPoison       Advice = 100
	MadvSoftOffline    Advice = 101
)

// String renders a as strace does: "MADV_DONTNEED".
func (a Advice) String() string {
	if n, ok := adviceNames[a]; ok {
		return n
	}
	return strconv.Itoa(int(a))
}

// OpenFlags are open's flags argument (x86-64 values).
type OpenFlags uint32

// open flags.
const (
	ORdOnly    OpenFlags = 0
	OWrOnly    OpenFlags = 1
	ORdWr      OpenFlags = 2
	OAccMode   OpenFlags = 3
	OCreat     OpenFlags = 0x40
	OExcl      OpenFlags = 0x80
	ONoCtty    OpenFlags = 0x100
	OTrunc     OpenFlags = 0x200
	OAppend    OpenFlags = 0x400
	ONonBlock  OpenFlags = 0x800
	ODirectory OpenFlags = 0x10000
	ONoFollow  OpenFlags = 0x20000
	OCloExec   OpenFlags = 0x80000
	OLargeFile OpenFlags = 0x8000
)

// String renders f as strace does: "O_RDWR|O_CREAT".
func (f OpenFlags) String() string {
	var acc string
	switch f & OAccMode {
	case ORdOnly:
		acc = "O_RDONLY"
	case OWrOnly:
		acc = "O_WRONLY"
	case ORdWr:
		acc = "O_RDWR"
	default:
		acc = "O_ACCMODE"
	}
	if rest := uint64(f &^ OAccMode); rest != 0 {
		return acc + "|" + flagString(rest, openNames)
	}
	return acc
}

// Signal numbers and si_code values of the faults memory access can raise.
type Signal uint8

// Signals.
const (
	SIGBUS  Signal = 7
	SIGSEGV Signal = 11
)

func (s Signal) String() string {
	switch s {
	case SIGBUS:
		return "SIGBUS"
	case SIGSEGV:
		return "SIGSEGV"
	}
	return "signal " + strconv.Itoa(int(s))
}

// SigCode is a fault's si_code.
type SigCode uint8

// si_code values (include/uapi/asm-generic/siginfo.h).
const (
	SegvMapErr SigCode = 1 // SEGV_MAPERR: no mapping at the address
	SegvAccErr SigCode = 2 // SEGV_ACCERR: mapping forbids the access
	SegvPkuErr SigCode = 4 // SEGV_PKUERR: the protection key forbids the access (Config.PKeys)
	BusAdrErr  SigCode = 2 // BUS_ADRERR: object has no page there (beyond EOF)
	// SiKernel (SI_KERNEL) is the si_code of the SIGSEGV a general
	// protection fault raises on x86-64, e.g. for a non-canonical
	// address; si_addr is then 0.
	SiKernel SigCode = 128
)

type flagName struct {
	bit  uint64
	name string
}

var (
	protNames = []flagName{{1, "PROT_READ"}, {2, "PROT_WRITE"}, {4, "PROT_EXEC"},
		{8, "PROT_SEM"}, {0x01000000, "PROT_GROWSDOWN"}, {0x02000000, "PROT_GROWSUP"}}
	mapNames = []flagName{
		{0x08, "MAP_DROPPABLE"},
		{0x10, "MAP_FIXED"}, {0x20, "MAP_ANONYMOUS"}, {0x40, "MAP_32BIT"},
		{0x100, "MAP_GROWSDOWN"}, {0x800, "MAP_DENYWRITE"}, {0x1000, "MAP_EXECUTABLE"},
		{0x2000, "MAP_LOCKED"}, {0x4000, "MAP_NORESERVE"}, {0x8000, "MAP_POPULATE"},
		{0x10000, "MAP_NONBLOCK"}, {0x20000, "MAP_STACK"}, {0x40000, "MAP_HUGETLB"},
		{0x80000, "MAP_SYNC"}, {0x100000, "MAP_FIXED_NOREPLACE"},
		{0x4000000, "MAP_UNINITIALIZED"}}
	mremapNames = []flagName{{1, "MREMAP_MAYMOVE"}, {2, "MREMAP_FIXED"}, {4, "MREMAP_DONTUNMAP"}}
	msyncNames  = []flagName{{1, "MS_ASYNC"}, {2, "MS_INVALIDATE"}, {4, "MS_SYNC"}}
	openNames   = []flagName{{0x40, "O_CREAT"}, {0x80, "O_EXCL"}, {0x100, "O_NOCTTY"},
		{0x200, "O_TRUNC"}, {0x400, "O_APPEND"}, {0x800, "O_NONBLOCK"},
		{0x8000, "O_LARGEFILE"}, {0x10000, "O_DIRECTORY"}, {0x20000, "O_NOFOLLOW"},
		{0x80000, "O_CLOEXEC"}}
	adviceNames = map[Advice]string{
		MadvNormal: "MADV_NORMAL", MadvRandom: "MADV_RANDOM", MadvSequential: "MADV_SEQUENTIAL",
		MadvWillNeed: "MADV_WILLNEED", MadvDontNeed: "MADV_DONTNEED", MadvFree: "MADV_FREE",
		MadvRemove: "MADV_REMOVE", MadvDontFork: "MADV_DONTFORK", MadvDoFork: "MADV_DOFORK",
		MadvMergeable: "MADV_MERGEABLE", MadvUnmergeable: "MADV_UNMERGEABLE",
		MadvHugePage: "MADV_HUGEPAGE", MadvNoHugePage: "MADV_NOHUGEPAGE",
		MadvDontDump: "MADV_DONTDUMP", MadvDoDump: "MADV_DODUMP",
		MadvWipeOnFork: "MADV_WIPEONFORK", MadvKeepOnFork: "MADV_KEEPONFORK",
		MadvCold: "MADV_COLD", MadvPageOut: "MADV_PAGEOUT",
		MadvPopulateRead: "MADV_POPULATE_READ", MadvPopulateWrite: "MADV_POPULATE_WRITE",
		MadvDontNeedLocked: "MADV_DONTNEED_LOCKED", MadvCollapse: "MADV_COLLAPSE",
		MadvHwPoison: "MADV_HWPOISON", MadvSoftOffline: "MADV_SOFT_OFFLINE",
		MadvGuardInstall: "MADV_GUARD_INSTALL", MadvGuardRemove: "MADV_GUARD_REMOVE",
	}
)

// flagString joins the names of the bits of v, in table order, with a
// trailing hexadecimal remainder for unnamed bits, as strace prints them.
func flagString(v uint64, names []flagName) string {
	var parts []string
	for _, n := range names {
		if v&n.bit != 0 {
			parts = append(parts, n.name)
			v &^= n.bit
		}
	}
	if v != 0 {
		parts = append(parts, "0x"+strconv.FormatUint(v, 16))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, "|")
}

// Name tables for parsers: each maps a flag name as strace prints it to its
// value. They are copies; callers may not change hostvm through them.

// ProtByName maps "PROT_READ" and friends to their bits.
func ProtByName() map[string]uint64 { return nameTable(protNames, map[string]uint64{"PROT_NONE": 0}) }

// MapFlagByName maps "MAP_PRIVATE" and friends to their bits.
func MapFlagByName() map[string]uint64 {
	return nameTable(mapNames, map[string]uint64{"MAP_SHARED": 1, "MAP_PRIVATE": 2,
		"MAP_SHARED_VALIDATE": 3, "MAP_ANON": 0x20, "MAP_FILE": 0})
}

// MremapFlagByName maps "MREMAP_MAYMOVE" and friends to their bits.
func MremapFlagByName() map[string]uint64 { return nameTable(mremapNames, nil) }

// MsyncFlagByName maps "MS_SYNC" and friends to their bits.
func MsyncFlagByName() map[string]uint64 { return nameTable(msyncNames, nil) }

// OpenFlagByName maps "O_RDWR" and friends to their bits.
func OpenFlagByName() map[string]uint64 {
	return nameTable(openNames, map[string]uint64{"O_RDONLY": 0, "O_WRONLY": 1, "O_RDWR": 2})
}

// AdviceByName maps "MADV_DONTNEED" and friends to their values.
func AdviceByName() map[string]uint64 {
	m := make(map[string]uint64, len(adviceNames))
	for v, n := range adviceNames {
		m[n] = uint64(v)
	}
	return m
}

func nameTable(names []flagName, extra map[string]uint64) map[string]uint64 {
	m := make(map[string]uint64, len(names)+len(extra))
	for _, n := range names {
		m[n.name] = n.bit
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

package base

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
)

// Host is what an emulator needs of the host kernel: the calls its mapping
// code makes, the user-mode loads and stores guest memory accesses turn
// into, the host's mappings (QEMU reads them from /proc/self/maps; the
// fixed algorithms and the agreement check need them), and a snapshot.
// *hostvm.Kernel has every method but CloneHost; sim.KernelHost adapts it.
//
// Every method is part of the interface, none optional: a wrapper that
// embeds a Host (to trace calls or inject faults) passes all of them
// through, so an algorithm gives the same results over the wrapper as over
// what it wraps.
type Host interface {
	PageSize() uint64
	Mmap(addr hostvm.Addr, length uint64, prot hostvm.Prot, flags hostvm.MapFlags, fd int, off uint64) (hostvm.Addr, error)
	// MmapReserve is Mmap(addr, length, PROT_NONE, ReserveFlags, -1, 0)
	// with the same result, errno and effect (hostvm.Kernel.MmapReserve,
	// which skips the decoding these arguments do not need): the
	// placeholder QEMU's mmap_reserve() puts back under RESERVED_VA. A
	// wrapper that changes what Mmap does (injects faults) must change
	// this call alike; one that embeds a Host and overrides neither passes
	// both through.
	MmapReserve(addr hostvm.Addr, length uint64) (hostvm.Addr, error)
	Munmap(addr hostvm.Addr, length uint64) error
	Mprotect(addr hostvm.Addr, length uint64, prot hostvm.Prot) error
	Mremap(old hostvm.Addr, oldLen, newLen uint64, flags hostvm.MremapFlags, newAddr hostvm.Addr) (hostvm.Addr, error)
	Msync(addr hostvm.Addr, length uint64, flags hostvm.MsyncFlags) error
	Madvise(addr hostvm.Addr, length uint64, advice hostvm.Advice) error
	Pread(fd int, buf hostvm.Addr, count uint64, off int64) (uint64, error)
	Fstat(fd int) (hostvm.Stat, error)
	// FcntlGetFl is fcntl(fd, F_GETFL): the file's open mode, which the
	// fixed algorithms check as Linux's mmap does. Not recorded.
	FcntlGetFl(fd int) (hostvm.OpenFlags, error)
	Read(addr hostvm.Addr, buf []byte) (int, *hostvm.Fault)
	Write(addr hostvm.Addr, data []byte) (int, *hostvm.Fault)
	// MappingsIn lists the host mappings overlapping r, in address order,
	// clipped to r: the host's /proc/self/maps. Not recorded.
	MappingsIn(r hostvm.Range) []hostvm.Mapping
	// PrivatePagesIn lists the parts of r whose pages hold private
	// copies (anonymous memory written or faulted in, copy-on-write file
	// pages), so a copy of a large anonymous range reads only those (QEMU
	// would read /proc/self/pagemap). Not recorded.
	PrivatePagesIn(r hostvm.Range) []hostvm.Range
	// Brk is brk(2): box64 passes the guest's brk to the host unchanged.
	Brk(newBrk hostvm.Addr) hostvm.Addr
	// FilePread reads a file into the emulator's own memory, not guest
	// memory (box64's is_pe_file reads a header). Not recorded.
	FilePread(fd int, p []byte, off int64) (int, error)
	// CloneHost returns an independent snapshot of the host.
	CloneHost() Host
}

// HostOp names a host call.
type HostOp uint8

// Host calls, and the tb_invalidate_phys_range event.
const (
	OpMmap HostOp = iota
	OpMunmap
	OpMprotect
	OpMremap
	OpMsync
	OpPread
	OpFstat
	OpMadvise
	OpTBInvalidate // tb_invalidate_phys_range(start, end): not a host call, an event
	OpBrk          // brk(addr)
	OpMemset       // memset(addr, 0, n): the emulator's own store into host memory, an event
)

var hostOpNames = [...]string{"mmap", "munmap", "mprotect", "mremap", "msync", "pread", "fstat", "madvise",
	"tb_invalidate_phys_range", "brk", "memset"}

func (o HostOp) String() string {
	if int(o) < len(hostOpNames) {
		return hostOpNames[o]
	}
	return fmt.Sprintf("hostop(%d)", uint8(o))
}

// HostCall is one host call a guest call made, with its result.
type HostCall struct {
	Op   HostOp
	Args [6]uint64
	Ret  uint64       // the returned address or count; 0 for calls returning int
	Err  hostvm.Errno // 0 on success
}

// String renders the call as strace would: "mmap(0x10000, 0x10000,
// PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x10000".
func (c HostCall) String() string {
	a := c.Args
	var b strings.Builder
	hex := func(v uint64) string { return fmt.Sprintf("%#x", v) }
	switch c.Op {
	case OpMmap:
		fmt.Fprintf(&b, "mmap(%s, %s, %s, %s, %d, %s)", hex(a[0]), hex(a[1]),
			hostvm.Prot(a[2]).FlagString(), hostvm.MapFlags(a[3]), int64(a[4]), hex(a[5]))
	case OpMunmap:
		fmt.Fprintf(&b, "munmap(%s, %s)", hex(a[0]), hex(a[1]))
	case OpMprotect:
		fmt.Fprintf(&b, "mprotect(%s, %s, %s)", hex(a[0]), hex(a[1]), hostvm.Prot(a[2]).FlagString())
	case OpMremap:
		fmt.Fprintf(&b, "mremap(%s, %s, %s, %s, %s)", hex(a[0]), hex(a[1]), hex(a[2]), hostvm.MremapFlags(a[3]), hex(a[4]))
	case OpMsync:
		fmt.Fprintf(&b, "msync(%s, %s, %s)", hex(a[0]), hex(a[1]), hostvm.MsyncFlags(a[2]))
	case OpPread:
		fmt.Fprintf(&b, "pread64(%d, %s, %s, %s)", int64(a[0]), hex(a[1]), hex(a[2]), hex(a[3]))
	case OpFstat:
		fmt.Fprintf(&b, "fstat(%d)", int64(a[0]))
	case OpMadvise:
		fmt.Fprintf(&b, "madvise(%s, %s, %s)", hex(a[0]), hex(a[1]), hostvm.Advice(a[2]))
	case OpTBInvalidate:
		return fmt.Sprintf("tb_invalidate_phys_range(%s, %s)", hex(a[0]), hex(a[1]))
	case OpBrk:
		return fmt.Sprintf("brk(%s) = %s", hex(a[0]), hex(c.Ret))
	case OpMemset:
		fmt.Fprintf(&b, "memset(%s, 0, %s)", hex(a[0]), hex(a[1]))
		if c.Err != 0 {
			b.WriteString(" = fault")
		}
		return b.String()
	default:
		return c.Op.String()
	}
	switch {
	case c.Err != 0:
		fmt.Fprintf(&b, " = -1 %s (%s)", c.Err.Name(), c.Err.Error())
	case c.Op == OpMmap || c.Op == OpMremap:
		fmt.Fprintf(&b, " = %s", hex(c.Ret))
	default:
		fmt.Fprintf(&b, " = %d", c.Ret)
	}
	return b.String()
}

// HostPageSizeOf asks host for its page size, refusing a host that has
// none: nil, a wrapper whose first call panics (around a nil Host), or one
// that answers 0 or a size that is not a power of two (a KernelHost
// without a kernel).
func HostPageSizeOf(host Host) (size uint64, err error) {
	if host == nil {
		return 0, fmt.Errorf("no host")
	}
	defer func() {
		if r := recover(); r != nil {
			size, err = 0, fmt.Errorf("host %T cannot say its page size: %v", host, r)
		}
	}()
	size = host.PageSize()
	if size == 0 || size&(size-1) != 0 {
		return 0, fmt.Errorf("host %T has page size %#x (a KernelHost without a kernel?)", host, size)
	}
	return size, nil
}

// mappingsAppender is a Host that lists its mappings into the caller's
// buffer (hostvm.Kernel's AppendMappingsIn, which KernelHost promotes).
type mappingsAppender interface {
	AppendMappingsIn(dst []hostvm.Mapping, r hostvm.Range) []hostvm.Mapping
}

// appendMappingsIn appends host.MappingsIn(r) to dst, without a slice of
// its own where the host can fill dst.
func appendMappingsIn(host Host, dst []hostvm.Mapping, r hostvm.Range) []hostvm.Mapping {
	if a, ok := host.(mappingsAppender); ok {
		return a.AppendMappingsIn(dst, r)
	}
	return append(dst, host.MappingsIn(r)...)
}

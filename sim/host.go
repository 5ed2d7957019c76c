package sim

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
)

// Host is what sim needs of the host kernel: the calls the seed makes, the
// user-mode loads and stores guest memory accesses turn into, and a
// snapshot. *hostvm.Kernel implements it; a wrapper may trace the calls or
// inject faults.
type Host interface {
	PageSize() uint64
	Mmap(addr hostvm.Addr, length uint64, prot hostvm.Prot, flags hostvm.MapFlags, fd int, off uint64) (hostvm.Addr, error)
	Munmap(addr hostvm.Addr, length uint64) error
	Mprotect(addr hostvm.Addr, length uint64, prot hostvm.Prot) error
	Mremap(old hostvm.Addr, oldLen, newLen uint64, flags hostvm.MremapFlags, newAddr hostvm.Addr) (hostvm.Addr, error)
	Msync(addr hostvm.Addr, length uint64, flags hostvm.MsyncFlags) error
	Madvise(addr hostvm.Addr, length uint64, advice hostvm.Advice) error
	Pread(fd int, buf hostvm.Addr, count uint64, off int64) (uint64, error)
	Fstat(fd int) (hostvm.Stat, error)
	// FcntlGetFl is fcntl(fd, F_GETFL); sim uses it to check a file's
	// open mode as Linux's mmap does, and does not record it.
	FcntlGetFl(fd int) (hostvm.OpenFlags, error)
	Read(addr hostvm.Addr, buf []byte) (int, *hostvm.Fault)
	Write(addr hostvm.Addr, data []byte) (int, *hostvm.Fault)
	// CloneHost returns an independent snapshot of the host.
	CloneHost() Host
}

// KernelHost adapts *hostvm.Kernel to Host.
type KernelHost struct{ *hostvm.Kernel }

// CloneHost snapshots the kernel.
func (h KernelHost) CloneHost() Host { return KernelHost{h.Kernel.Clone()} }

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
)

var hostOpNames = [...]string{"mmap", "munmap", "mprotect", "mremap", "msync", "pread", "fstat", "madvise", "tb_invalidate_phys_range"}

func (o HostOp) String() string { return hostOpNames[o] }

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

func errnoOf(err error) hostvm.Errno {
	if err == nil {
		return 0
	}
	if e, ok := err.(hostvm.Errno); ok {
		return e
	}
	return hostvm.EIO
}

// The seed's host calls. Each is recorded, and a failure sets s.errno as
// the C library sets errno.

func (s *Sim) hostMmap(addr hostvm.Addr, length uint64, prot int, flags hostvm.MapFlags, fd int, off uint64) (hostvm.Addr, bool) {
	p, err := s.host.Mmap(addr, length, hostvm.Prot(prot), flags, fd, off)
	s.record(HostCall{Op: OpMmap, Args: [6]uint64{uint64(addr), length, uint64(prot), uint64(flags),
		uint64(int64(fd)), off}, Ret: uint64(p), Err: errnoOf(err)})
	return p, s.setErrno(err)
}

func (s *Sim) hostMunmap(addr hostvm.Addr, length uint64) bool {
	err := s.host.Munmap(addr, length)
	s.record(HostCall{Op: OpMunmap, Args: [6]uint64{uint64(addr), length}, Err: errnoOf(err)})
	return s.setErrno(err)
}

func (s *Sim) hostMprotect(addr hostvm.Addr, length uint64, prot int) bool {
	err := s.host.Mprotect(addr, length, hostvm.Prot(prot))
	s.record(HostCall{Op: OpMprotect, Args: [6]uint64{uint64(addr), length, uint64(prot)}, Err: errnoOf(err)})
	return s.setErrno(err)
}

func (s *Sim) hostMremap(old hostvm.Addr, oldLen, newLen uint64, flags hostvm.MremapFlags, newAddr hostvm.Addr) (hostvm.Addr, bool) {
	p, err := s.host.Mremap(old, oldLen, newLen, flags, newAddr)
	s.record(HostCall{Op: OpMremap, Args: [6]uint64{uint64(old), oldLen, newLen, uint64(flags), uint64(newAddr)},
		Ret: uint64(p), Err: errnoOf(err)})
	return p, s.setErrno(err)
}

func (s *Sim) hostMsync(addr hostvm.Addr, length uint64, flags int) bool {
	err := s.host.Msync(addr, length, hostvm.MsyncFlags(flags))
	s.record(HostCall{Op: OpMsync, Args: [6]uint64{uint64(addr), length, uint64(flags)}, Err: errnoOf(err)})
	return s.setErrno(err)
}

func (s *Sim) hostPread(fd int, buf hostvm.Addr, count uint64, off uint64) bool {
	n, err := s.host.Pread(fd, buf, count, int64(off))
	s.record(HostCall{Op: OpPread, Args: [6]uint64{uint64(int64(fd)), uint64(buf), count, off}, Ret: n, Err: errnoOf(err)})
	return s.setErrno(err)
}

func (s *Sim) hostFstat(fd int) (hostvm.Stat, bool) {
	st, err := s.host.Fstat(fd)
	s.record(HostCall{Op: OpFstat, Args: [6]uint64{uint64(int64(fd))}, Ret: uint64(st.Size), Err: errnoOf(err)})
	return st, s.setErrno(err)
}

func (s *Sim) hostMadvise(addr hostvm.Addr, length uint64, advice hostvm.Advice) bool {
	err := s.host.Madvise(addr, length, advice)
	s.record(HostCall{Op: OpMadvise, Args: [6]uint64{uint64(addr), length, uint64(advice)}, Err: errnoOf(err)})
	return s.setErrno(err)
}

// tbInvalidatePhysRange records QEMU's discard of translated code.
func (s *Sim) tbInvalidatePhysRange(start, end uint64) {
	s.record(HostCall{Op: OpTBInvalidate, Args: [6]uint64{start, end}})
}

func (s *Sim) record(c HostCall) {
	if s.recording {
		s.calls = append(s.calls, c)
	}
}

// setErrno stores a failed call's errno and reports success.
func (s *Sim) setErrno(err error) bool {
	if err != nil {
		s.errno = errnoOf(err)
		return false
	}
	return true
}

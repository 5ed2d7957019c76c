package sim

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// Host is what sim needs of the host kernel: the calls QEMU makes (mmap,
// munmap, mprotect, mremap, msync, madvise, pread, fstat, fcntl F_GETFL),
// the user-mode loads and stores guest memory accesses turn into, the
// host's mappings (MappingsIn, QEMU's /proc/self/maps), and a snapshot
// (CloneHost). KernelHost adapts a *hostvm.Kernel.
//
// Every method belongs to the interface; none is optional. A wrapper that
// embeds a Host, to trace the calls or inject faults, therefore passes
// everything through, and a guest call gives the same result over the
// wrapper as over the host it wraps.
type Host = base.Host

// KernelHost adapts *hostvm.Kernel to Host. The zero value (no kernel) is
// not a usable host: New refuses it.
type KernelHost struct{ *hostvm.Kernel }

// PageSize is the kernel's page size, or 0 without a kernel.
func (h KernelHost) PageSize() uint64 {
	if h.Kernel == nil {
		return 0
	}
	return h.Kernel.PageSize()
}

// CloneHost snapshots the kernel.
func (h KernelHost) CloneHost() Host {
	if h.Kernel == nil {
		return KernelHost{}
	}
	return KernelHost{h.Kernel.Clone()}
}

// HostOp names a host call.
type HostOp = base.HostOp

// Host calls, and the tb_invalidate_phys_range event.
const (
	OpMmap         = base.OpMmap
	OpMunmap       = base.OpMunmap
	OpMprotect     = base.OpMprotect
	OpMremap       = base.OpMremap
	OpMsync        = base.OpMsync
	OpPread        = base.OpPread
	OpFstat        = base.OpFstat
	OpMadvise      = base.OpMadvise
	OpTBInvalidate = base.OpTBInvalidate // tb_invalidate_phys_range(start, end): not a host call, an event
)

// HostCall is one host call a guest call made, with its result. Its String
// renders it as strace would.
type HostCall = base.HostCall

// Abort is the outcome where QEMU itself would have called abort(): a
// failed assertion (in page_set_flags, say) or mmap_fork_start with the
// lock held. The guest process is dead; every later call returns the same
// Abort.
type Abort = base.Abort

// hostMapping returns the host mapping at guest address a.
func (s *Sim) hostMapping(a uint64) (hostvm.Mapping, bool) {
	return s.libc.HostMapping(s.geom.HostRange(a, 1))
}

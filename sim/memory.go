package sim

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// Guest memory, as the guest's CPU reaches it (through the host's pages:
// base.Load and base.Store) and as QEMU's access_ok() judges it (the page
// flags: base.AccessOK).

// Fault is a guest memory fault: the host's fault, with the guest address.
type Fault = hostvm.Fault

// Load reads guest memory at addr into buf as the guest's CPU would. It
// returns the bytes read and the fault that stopped it, if any.
func (s *Sim) Load(addr uint64, buf []byte) (int, *Fault) {
	if f := s.deadFault(addr); f != nil {
		return 0, f
	}
	return base.Load(s.libc.Host, &s.geom, addr, buf)
}

// LoadSparse is Load for a caller that compares guest memory: over a host
// that is a plain kernel (KernelHost, not a wrapper, whose Read may differ),
// the kernel's ReadSparse leaves out the blocks of block bytes that hold
// memory never written (written[i] false: they read as zeros, buf's block
// is left as it was). It reports false, having read nothing, where it
// cannot (another host, a range that wraps the guest's word): the caller
// uses Load.
//
// Preconditions: block > 0; len(written) >= (len(buf)+block-1)/block.
func (s *Sim) LoadSparse(addr uint64, buf []byte, block uint64, written []bool) (int, *Fault, bool) {
	kh, ok := s.libc.Host.(KernelHost)
	if !ok || kh.Kernel == nil {
		return 0, nil, false
	}
	if f := s.deadFault(addr); f != nil {
		clear(written[:(uint64(len(buf))+block-1)/block])
		return 0, f, true
	}
	return base.LoadSparse(kh.Kernel, &s.geom, addr, buf, block, written)
}

// Store writes data to guest memory at addr as the guest's CPU would.
func (s *Sim) Store(addr uint64, data []byte) (int, *Fault) {
	if f := s.deadFault(addr); f != nil {
		return 0, f
	}
	n, f := base.Store(s.libc.Host, &s.geom, addr, data)
	if f != nil && s.quirk(QuirkWriteFaultSpin) {
		s.writeFaultSpin(f)
	}
	return n, f
}

// deadFault is the fault of every access once the process is gone (or
// never started), nil while it runs.
func (s *Sim) deadFault(addr uint64) *Fault {
	if s.abortGuard.Aborted == nil && s.libc.Host != nil {
		return nil
	}
	return &Fault{Signal: hostvm.SIGSEGV, Code: hostvm.SegvMapErr, Addr: hostvm.Addr(s.geom.ABIWord(addr))}
}

// AccessOK reports whether the guest's page flags allow an access of n
// bytes at addr: every page valid and readable (writable for a write;
// readable and writable under QuirkAccessOKWriteRead, VERIFY_WRITE
// "implies read access"). Compare QEMU's access_ok() and
// page_check_range().
func (s *Sim) AccessOK(addr, n uint64, write bool) bool {
	need := uint32(PageValid | PageRead)
	if write {
		need = PageValid | PageWrite
		if s.quirk(QuirkAccessOKWriteRead) {
			need |= PageRead
		}
	}
	return base.AccessOK(&s.flags, &s.geom, addr, n, need)
}

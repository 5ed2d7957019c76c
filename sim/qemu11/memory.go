package qemu11

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// Guest memory, as the guest's CPU reaches it (through the host's pages:
// base.Load and base.Store) and as QEMU's access_ok() judges it (the page
// flags).

// Load reads guest memory at addr into buf as the guest's CPU would. It
// returns the bytes read and the fault that stopped it, if any.
func (s *Guest) Load(addr uint64, buf []byte) (int, *sim.Fault) {
	if f := s.deadFault(addr); f != nil {
		return 0, f
	}
	return base.Load(s.libc.Host, &s.geom, addr, buf)
}

// Store writes data to guest memory at addr as the guest's CPU would.
func (s *Guest) Store(addr uint64, data []byte) (int, *sim.Fault) {
	if f := s.deadFault(addr); f != nil {
		return 0, f
	}
	return base.Store(s.libc.Host, &s.geom, addr, data)
}

// deadFault is the fault of every access once the process is gone (or
// never started), nil while it runs.
func (s *Guest) deadFault(addr uint64) *sim.Fault {
	if s.abortGuard.Aborted == nil && s.libc.Host != nil {
		return nil
	}
	return &sim.Fault{Signal: hostvm.SIGSEGV, Code: hostvm.SegvMapErr, Addr: hostvm.Addr(s.geom.ABIWord(addr))}
}

// AccessOK is access_ok(type, addr, size) (linux-user/qemu.h): the range is
// in the guest space (for size 0, the address is), and page_check_range
// finds every page readable, and for a write also writable.
func (s *Guest) AccessOK(addr, n uint64, write bool) bool {
	addr = s.abi(addr)
	if n == 0 {
		return s.guestAddrValid(addr)
	}
	if !s.guestRangeValid(addr, n) {
		return false
	}
	need := uint32(base.PageRead)
	if write {
		need |= base.PageWrite
	}
	return s.pageCheckRange(addr, n, need)
}

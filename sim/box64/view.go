package box64

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/internal/runs"
	"github.com/mmapsim/mmapsim/sim"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// box64's view of the guest space, as the sim.Guest interface shows it
// (PageFlags, FlagRuns), and guest memory.
//
// On a host with pages larger than 4K the view is memprot_guest: a 4K page
// box64 has a node for is PageValid, with the protection recorded there.
// box64 keeps a node of protection 0 both for a PROT_NONE page and for a
// page the guest unmapped from a host page that stays mapped
// (my_munmap, wrappedlibc.c:4024): such a page shows as valid and "---".
// On a 4K host memprot_guest is not kept and the view is mapallmem and
// memprot: a host page box64 knows is valid, with memprot's protection.
//
// Guest loads and stores go to host memory directly: box64's translated
// code has no access check of its own, so the host page's protection
// decides.

// PageFlags returns the flags of the guest page holding addr in box64's
// view.
func (b *Box64) PageFlags(addr uint64) uint32 {
	if b.libc.Host == nil {
		return 0
	}
	if b.prot.tracked {
		return b.prot.guest.Get(addr)
	}
	if !b.prot.memExist(addr) {
		return 0
	}
	return hostPageFlags(uint32(b.prot.getProtection(addr)))
}

// hostPageFlags turns a memprot value into page flags.
func hostPageFlags(prot uint32) uint32 {
	f := sim.PageValid | prot&sim.PageBits
	if f&sim.PageWrite != 0 {
		f |= sim.PageWriteOrg
	}
	return f
}

// FlagRuns lists the runs of non-zero flags of box64's view in address
// order.
func (b *Box64) FlagRuns() []sim.FlagRun {
	if b.libc.Host == nil {
		return nil
	}
	if b.prot.tracked {
		return b.prot.guest.Runs()
	}
	return b.hostView(0, ^uint64(0))
}

// FlagRunsIn lists the runs of box64's view overlapping [start, end).
func (b *Box64) FlagRunsIn(start, end uint64) []sim.FlagRun {
	if b.libc.Host == nil {
		return nil
	}
	if b.prot.tracked {
		return b.prot.guest.RunsIn(start, end)
	}
	return b.hostView(start, end)
}

// hostView is the view on a 4K host: mapallmem's pages with memprot's
// protection, as runs, clipped to the pages of [start, end).
func (b *Box64) hostView(start, end uint64) []sim.FlagRun {
	p := b.pageSize()
	var out []sim.FlagRun
	add := func(lo, hi uint64, flags uint32) {
		if n := len(out); n > 0 && out[n-1].End == lo && out[n-1].Flags == flags {
			out[n-1].End = hi
			return
		}
		out = append(out, sim.FlagRun{Start: lo, End: hi, Flags: flags})
	}
	last := ^uint64(0)/p + 1
	first, stop := start/p, min((end+p-1)/p, last)
	if end > ^uint64(0)-p {
		stop = last
	}
	b.prot.mapallmem.EachIn(first, stop, func(r runs.Run) bool {
		at := r.First
		b.prot.memprot.EachIn(r.First, r.End, func(m runs.Run) bool {
			if m.First > at {
				add(at*p, m.First*p, hostPageFlags(0))
			}
			add(m.First*p, m.End*p, hostPageFlags(m.Val))
			at = m.End
			return true
		})
		if at < r.End {
			add(at*p, r.End*p, hostPageFlags(0))
		}
		return true
	})
	return out
}

// HostPageBelief is what box64 believes of the host page holding addr:
// mapped when it knows the page (mapallmem), and the protection it asked
// the host for (memprot, PROT_WRITE implying PROT_READ), known for the
// pages it mapped for the guest. Pictures show it beside the host's own
// (picture.HostRecorder).
func (b *Box64) HostPageBelief(addr uint64) (mapped bool, prot hostvm.Prot, protKnown bool) {
	if b.libc.Host == nil {
		return false, 0, false
	}
	kind := memKind(b.prot.mapallmem.Get(addr / b.pageSize()))
	if kind == 0 {
		return false, 0, false
	}
	return true, hostvm.Prot(edgeHostProt(b.prot.getProtection(addr))) & hostvm.ProtRWX, kind == memMmap
}

// RecordedProtection is memprot of the host page holding addr as box64
// keeps it: the protection the guest asked for, bits the host ignores
// included.
func (b *Box64) RecordedProtection(addr uint64) int {
	if b.libc.Host == nil {
		return 0
	}
	return b.prot.getProtection(addr)
}

// Load reads guest memory at addr into buf as the guest's code would:
// through the host's pages.
func (b *Box64) Load(addr uint64, buf []byte) (int, *sim.Fault) {
	if f := b.deadFault(addr); f != nil {
		return 0, f
	}
	return base.Load(b.libc.Host, &b.geom, addr, buf)
}

// Store writes data to guest memory at addr as the guest's code would.
func (b *Box64) Store(addr uint64, data []byte) (int, *sim.Fault) {
	if f := b.deadFault(addr); f != nil {
		return 0, f
	}
	return base.Store(b.libc.Host, &b.geom, addr, data)
}

// deadFault is the fault of every access once the process is gone (or
// never started), nil while it runs.
func (b *Box64) deadFault(addr uint64) *sim.Fault {
	if b.guard.Aborted == nil && b.libc.Host != nil {
		return nil
	}
	return &sim.Fault{Signal: hostvm.SIGSEGV, Code: hostvm.SegvMapErr, Addr: hostvm.Addr(addr)}
}

// AccessOK reports whether a system call may use n bytes at addr as a
// buffer. box64 passes buffers to the host's system calls as they are, so
// the host's pages decide: every byte mapped, readable (and writable for a
// write).
func (b *Box64) AccessOK(addr, n uint64, write bool) bool {
	if b.libc.Host == nil || b.guard.Aborted != nil {
		return false
	}
	if n == 0 {
		return true
	}
	end := addr + n
	if end < addr {
		return false
	}
	need := hostvm.ProtRead
	if write {
		need = hostvm.ProtWrite
	}
	at := hostvm.Addr(addr)
	for _, m := range b.libc.Host.MappingsIn(hostvm.Range{Start: at, End: hostvm.Addr(end)}) {
		if m.Start > at || m.Prot&need == 0 {
			return false
		}
		at = m.End
	}
	return at >= hostvm.Addr(end)
}

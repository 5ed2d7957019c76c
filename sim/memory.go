package sim

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/internal/runs"
)

// Guest memory. In QEMU linux-user a guest load or store at guest address a
// is a host load or store at g2h(a): the host MMU decides, at host page
// granularity. That is why a guest page can be readable when its own flags
// say otherwise: the host page is shared with a guest page that is readable
// (the permission union QEMU cannot avoid). AccessOK is the other view, the
// guest's own page flags, as QEMU's access_ok() checks them for system-call
// buffers.

// Fault is a guest memory fault: the host's fault, with the guest address.
type Fault = hostvm.Fault

// Load reads guest memory at addr into buf as the guest's CPU would. It
// returns the bytes read and the fault that stopped it, if any.
func (s *Sim) Load(addr uint64, buf []byte) (int, *Fault) {
	return s.access(addr, buf, false)
}

// Store writes data to guest memory at addr as the guest's CPU would.
func (s *Sim) Store(addr uint64, data []byte) (int, *Fault) {
	return s.access(addr, data, true)
}

func (s *Sim) access(addr uint64, buf []byte, write bool) (int, *Fault) {
	addr = s.g.w(addr)
	if s.aborted != nil {
		return 0, &Fault{Signal: hostvm.SIGSEGV, Code: hostvm.SegvMapErr, Addr: hostvm.Addr(addr)}
	}
	// Split where the guest address wraps, as the guest's would.
	done := 0
	for done < len(buf) {
		a := s.g.w(addr + uint64(done))
		n := len(buf) - done
		if room := s.g.abiMask - a + 1; room != 0 && uint64(n) > room {
			n = int(room)
		}
		var got int
		var f *hostvm.Fault
		if write {
			got, f = s.host.Write(s.g.g2h(a), buf[done:done+n])
		} else {
			got, f = s.host.Read(s.g.g2h(a), buf[done:done+n])
		}
		done += got
		if f != nil {
			gf := *f
			gf.Addr = hostvm.Addr(s.g.h2g(f.Addr))
			return done, &gf
		}
	}
	return done, nil
}

// AccessOK reports whether the guest's page flags allow an access of n
// bytes at addr: every page valid and readable (and writable for a write).
// Compare QEMU's access_ok() and page_check_range().
func (s *Sim) AccessOK(addr, n uint64, write bool) bool {
	if n == 0 {
		return true
	}
	addr = s.g.w(addr)
	end := addr + n // exact: a range may not wrap
	if end < addr || end-1 > s.g.abiMask {
		return false
	}
	need := uint32(PageValid | PageRead)
	if write {
		need = PageValid | PageWrite
	}
	ok := true
	at := addr &^ (s.g.t - 1)
	s.flags.EachIn(addr/s.g.t, (end+s.g.t-1)/s.g.t, func(r runs.Run) bool {
		if r.First*s.g.t > at || r.Val&need != need {
			ok = false
			return false
		}
		at = r.End * s.g.t
		return true
	})
	return ok && at >= end
}

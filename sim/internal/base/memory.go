package base

import "github.com/mmapsim/mmapsim/hostvm"

// Guest memory. In QEMU linux-user a guest load or store at guest address a
// is a host load or store at g2h(a): the host MMU decides, at host page
// granularity. That is why a guest page can be readable when its own flags
// say otherwise: the host page is shared with a guest page that is readable
// (the permission union QEMU cannot avoid). AccessOK is the other view, the
// guest's own page flags, as QEMU's access_ok() checks them for system-call
// buffers.

// Load reads guest memory at addr into buf as the guest's CPU would: through
// the host's pages, wrapping at the guest's width. It returns the bytes read
// and the fault that stopped it, if any, with the guest address.
func Load(host Host, g *Geom, addr uint64, buf []byte) (int, *hostvm.Fault) {
	return access(host, g, addr, buf, false)
}

// Store writes data to guest memory at addr as the guest's CPU would.
func Store(host Host, g *Geom, addr uint64, data []byte) (int, *hostvm.Fault) {
	return access(host, g, addr, data, true)
}

func access(host Host, g *Geom, addr uint64, buf []byte, write bool) (int, *hostvm.Fault) {
	addr = g.ABIWord(addr)
	// Split where the guest address wraps, as the guest's would.
	done := 0
	for done < len(buf) {
		a := g.ABIWord(addr + uint64(done))
		n := len(buf) - done
		if room := g.ABIMask - a + 1; room != 0 && uint64(n) > room {
			n = int(room)
		}
		var got int
		var f *hostvm.Fault
		if write {
			got, f = host.Write(g.G2H(a), buf[done:done+n])
		} else {
			got, f = host.Read(g.G2H(a), buf[done:done+n])
		}
		done += got
		if f != nil {
			return done, guestFault(g, f)
		}
	}
	return done, nil
}

// guestFault is the host's fault f (nil: none) with the guest address.
func guestFault(g *Geom, f *hostvm.Fault) *hostvm.Fault {
	if f == nil {
		return nil
	}
	gf := *f
	gf.Addr = hostvm.Addr(g.H2G(f.Addr))
	return &gf
}

// LoadSparse is Load from a host that is a plain kernel, for a caller that
// compares guest memory: the host's ReadSparse, which leaves out the
// blocks of memory never written (see hostvm.Kernel.ReadSparse for buf,
// block and written). It reports false, having read nothing, where the
// range wraps the guest's word (Load splits it there).
func LoadSparse(k *hostvm.Kernel, g *Geom, addr uint64, buf []byte, block uint64, written []bool) (int, *hostvm.Fault, bool) {
	addr = g.ABIWord(addr)
	if room := g.ABIMask - addr + 1; room != 0 && uint64(len(buf)) > room {
		return 0, nil, false
	}
	n, f := k.ReadSparse(g.G2H(addr), buf, block, written)
	return n, guestFault(g, f), true
}

// AccessOK reports whether the page flags allow an access of n bytes at
// guest address addr: every page has all the flags of need (PageValid and
// the protection the access needs), the range inside the guest word
// without wrapping. Compare QEMU's access_ok() and page_check_range().
func AccessOK(flags *PageFlags, g *Geom, addr, n uint64, need uint32) bool {
	if n == 0 {
		return true
	}
	addr = g.ABIWord(addr)
	end := addr + n // exact: a range may not wrap
	if end < addr || end-1 > g.ABIMask {
		return false
	}
	return flags.AllHave(addr, end, need)
}

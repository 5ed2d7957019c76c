package qemu11

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// doMunmap is do_munmap() (mmap.c:285): munmap on behalf of the target,
// with host parameters. Under reserved_va the range becomes a PROT_NONE
// placeholder again instead. It reports success.
func (s *Guest) doMunmap(addr hostvm.Addr, length uint64) bool {
	if s.reservedVA != 0 {
		p, ok := s.libc.Mmap(addr, length, 0,
			hostvm.MapFixed|hostvm.MapAnonymous|hostvm.MapPrivate|hostvm.MapNoReserve, -1, 0)
		return ok && p == addr
	}
	return s.libc.Munmap(addr, length)
}

// mmapPread is mmap_pread() (mmap.c:302): pread len bytes of fd at offset
// into host memory at p, looping on short reads. At end-of-file, with zero
// set, the rest is zeroed (memset). It reports success; on failure errno
// is set.
//
// Preconditions: called inside guard (a memset that faults kills QEMU).
func (s *Guest) mmapPread(fd int, p hostvm.Addr, length, offset uint64, zero bool) bool {
	for {
		r, ok := s.libc.PreadCount(fd, p, length, offset)
		switch {
		case !ok:
			return false // (EINTR cannot happen here)
		case r == length:
			return true // complete
		case r == 0:
			// EOF
			if zero {
				s.memset(p, length, "mmap_pread")
			}
			return true
		}
		// Short read.
		p = s.hostAdd(p, r)
		length -= r
		offset += r
	}
}

// memset is QEMU's own memset(p, 0, n) of host memory: a store that faults
// (SIGSEGV, or SIGBUS past the end of a file the host page maps) kills
// QEMU, in function fn.
//
// Preconditions: called inside guard.
func (s *Guest) memset(p hostvm.Addr, n uint64, fn string) {
	if n == 0 {
		return
	}
	if _, f := s.libc.Host.Write(p, make([]byte, n)); f != nil {
		base.Raise(fn, "memset(%v, 0, %#x) faulted in QEMU itself: %v", p, n, f)
	}
}

// mmapFrag is mmap_frag() (mmap.c:340-414): map the incomplete host page at
// realStart for the guest pages [start, last], keeping the other guest
// pages of that host page. It reports success; on failure errno is set.
//
// Here be dragons (mmap.c:333): an existing host page is written whatever
// it is; where it is a file mapping past the end of its file, the memset
// or pread faults and QEMU dies.
//
// Preconditions: realStart is host-page aligned; realStart <= start <=
// last <= realStart + H - 1; start and last+1 target-page aligned.
func (s *Guest) mmapFrag(realStart, start, last uint64, prot int, flags hostvm.MapFlags, fd int, offset uint64) bool {
	g := &s.geom
	h := s.hostPage()
	if flags&hostvm.MapAnonymous == 0 && flags&hostvm.MapType == hostvm.MapShared && prot&protWrite != 0 {
		// msync() won't work with the partial page, so we return an
		// error if write is possible while it is a shared mapping
		// (mmap.c:349-358).
		s.libc.Errno = hostvm.EINVAL
		return false
	}
	realLast := s.abi(realStart + h - 1)
	hostStart := s.g2h(realStart)

	// Get the protection of the target pages outside the mapping
	// (mmap.c:363-370).
	protOld := 0
	for a := realStart; a < start; a += g.TargetPageSize {
		protOld |= int(s.pageGetFlags(a))
	}
	for a := realLast; a > last; a -= g.TargetPageSize {
		protOld |= int(s.pageGetFlags(a))
	}

	if protOld == 0 {
		// No guest pages outside the fragment: allocate a new host page
		// to cover, discarding whatever else may have been present
		// (mmap.c:372-389).
		p, ok := s.libc.Mmap(hostStart, h, targetToHostProt(prot), flags|hostvm.MapAnonymous, -1, 0)
		if !ok || p != hostStart {
			if ok {
				s.doMunmap(p, h)
				s.libc.Errno = hostvm.EEXIST
			}
			return false
		}
		protOld = prot
	}
	protNew := prot | protOld
	hostProtOld := targetToHostProt(protOld)
	hostProtNew := targetToHostProt(protNew)

	// Adjust protection to be able to write (mmap.c:396).
	if hostProtOld&protWrite == 0 {
		hostProtOld |= protWrite
		s.libc.Mprotect(hostStart, h, hostProtOld)
	}
	// Read or zero the new guest pages (mmap.c:402).
	if flags&hostvm.MapAnonymous != 0 {
		s.memset(s.g2h(start), last-start+1, "mmap_frag")
	} else if !s.mmapPread(fd, s.g2h(start), last-start+1, offset, true) {
		return false
	}
	// Put final protection (mmap.c:410).
	if hostProtNew != hostProtOld {
		s.libc.Mprotect(hostStart, h, hostProtNew)
	}
	return true
}

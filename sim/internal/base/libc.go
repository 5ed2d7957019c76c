package base

import "github.com/mmapsim/mmapsim/hostvm"

// Libc is the host's C library as an emulator's mapping code calls it:
// each call goes to the Host, is recorded (while Recording), and a failure
// sets Errno as the C library sets errno. The methods report success, as
// the C code's "== MAP_FAILED" and "!= 0" tests do; the errno is in Errno.
//
// An algorithm keeps one Libc per process, calls StartCall at the start of
// each guest call, and reads Errno where the C reads errno.
type Libc struct {
	// Host is the host kernel. Invariant: non-nil in a started process.
	Host Host
	// Errno is the C library's errno, as the last failing call (or the
	// emulator's own code) left it. 0 until something sets it.
	Errno hostvm.Errno
	// Recording says whether calls are appended to Calls.
	Recording bool
	// Calls are the host calls (and tb_invalidate events) of the current
	// guest call, in order.
	Calls []HostCall
	// zeros is a buffer of zeros the emulator's memsets write from, never
	// written to (clones share it); made on first use.
	zeros []byte
	// scratch is the emulator's own buffer (Scratch), not shared with
	// clones.
	scratch []byte
	// maps is HostMapping's buffer, not shared with clones.
	maps []hostvm.Mapping
}

// StartCall begins a guest call: it forgets the previous call's log.
func (c *Libc) StartCall() { c.Calls = c.Calls[:0] }

// Clone returns a copy over a snapshot of the host, with an empty log.
func (c *Libc) Clone() Libc {
	d := *c
	d.Host = c.Host.CloneHost()
	d.Calls = nil
	d.scratch = nil
	d.maps = nil
	return d
}

// AppendHostMappings appends Host.MappingsIn(r) to dst and returns the
// result, without a slice of its own where the host can fill dst. Not
// recorded.
func (c *Libc) AppendHostMappings(dst []hostvm.Mapping, r hostvm.Range) []hostvm.Mapping {
	return appendMappingsIn(c.Host, dst, r)
}

// HostMapping returns the one host mapping overlapping r, or false where
// none or several do: Host.MappingsIn without a slice per call. Not
// recorded.
func (c *Libc) HostMapping(r hostvm.Range) (hostvm.Mapping, bool) {
	c.maps = appendMappingsIn(c.Host, c.maps[:0], r)
	if len(c.maps) != 1 {
		return hostvm.Mapping{}, false
	}
	return c.maps[0], true
}

// Scratch returns n zeroed bytes of the emulator's own memory (a host page
// it copies through, say), valid until the next call of Scratch.
func (c *Libc) Scratch(n uint64) []byte {
	if uint64(cap(c.scratch)) < n {
		c.scratch = make([]byte, n)
	}
	b := c.scratch[:n]
	clear(b)
	return b
}

// Mmap is mmap(2).
func (c *Libc) Mmap(addr hostvm.Addr, length uint64, prot int, flags hostvm.MapFlags, fd int, off uint64) (hostvm.Addr, bool) {
	p, err := c.Host.Mmap(addr, length, hostvm.Prot(prot), flags, fd, off)
	c.record(HostCall{Op: OpMmap, Args: [6]uint64{uint64(addr), length, uint64(prot), uint64(flags),
		uint64(int64(fd)), off}, Ret: uint64(p), Err: ErrnoOf(err)})
	return p, c.SetErrno(err)
}

// ReserveFlags are the flags of the PROT_NONE placeholder mmap QEMU makes
// under RESERVED_VA (mmap_reserve() and its like).
const ReserveFlags = hostvm.MapFixed | hostvm.MapAnonymous | hostvm.MapPrivate | hostvm.MapNoReserve

// MmapReserve is mmap(addr, length, PROT_NONE, ReserveFlags, -1, 0),
// through Host.MmapReserve, recorded as that mmap.
func (c *Libc) MmapReserve(addr hostvm.Addr, length uint64) (hostvm.Addr, bool) {
	p, err := c.Host.MmapReserve(addr, length)
	c.record(HostCall{Op: OpMmap, Args: [6]uint64{uint64(addr), length, 0, uint64(ReserveFlags),
		^uint64(0), 0}, Ret: uint64(p), Err: ErrnoOf(err)})
	return p, c.SetErrno(err)
}

// Munmap is munmap(2).
func (c *Libc) Munmap(addr hostvm.Addr, length uint64) bool {
	err := c.Host.Munmap(addr, length)
	c.record(HostCall{Op: OpMunmap, Args: [6]uint64{uint64(addr), length}, Err: ErrnoOf(err)})
	return c.SetErrno(err)
}

// Mprotect is mprotect(2).
func (c *Libc) Mprotect(addr hostvm.Addr, length uint64, prot int) bool {
	err := c.Host.Mprotect(addr, length, hostvm.Prot(prot))
	c.record(HostCall{Op: OpMprotect, Args: [6]uint64{uint64(addr), length, uint64(prot)}, Err: ErrnoOf(err)})
	return c.SetErrno(err)
}

// Mremap is mremap(2).
func (c *Libc) Mremap(old hostvm.Addr, oldLen, newLen uint64, flags hostvm.MremapFlags, newAddr hostvm.Addr) (hostvm.Addr, bool) {
	p, err := c.Host.Mremap(old, oldLen, newLen, flags, newAddr)
	c.record(HostCall{Op: OpMremap, Args: [6]uint64{uint64(old), oldLen, newLen, uint64(flags), uint64(newAddr)},
		Ret: uint64(p), Err: ErrnoOf(err)})
	return p, c.SetErrno(err)
}

// Msync is msync(2).
func (c *Libc) Msync(addr hostvm.Addr, length uint64, flags int) bool {
	err := c.Host.Msync(addr, length, hostvm.MsyncFlags(flags))
	c.record(HostCall{Op: OpMsync, Args: [6]uint64{uint64(addr), length, uint64(flags)}, Err: ErrnoOf(err)})
	return c.SetErrno(err)
}

// Pread is pread(2) into host memory at buf.
func (c *Libc) Pread(fd int, buf hostvm.Addr, count uint64, off uint64) bool {
	_, ok := c.PreadCount(fd, buf, count, off)
	return ok
}

// PreadCount is pread(2) into host memory at buf, with the count read.
func (c *Libc) PreadCount(fd int, buf hostvm.Addr, count uint64, off uint64) (uint64, bool) {
	n, err := c.Host.Pread(fd, buf, count, int64(off))
	c.record(HostCall{Op: OpPread, Args: [6]uint64{uint64(int64(fd)), uint64(buf), count, off}, Ret: n, Err: ErrnoOf(err)})
	return n, c.SetErrno(err)
}

// Fstat is fstat(2).
func (c *Libc) Fstat(fd int) (hostvm.Stat, bool) {
	st, err := c.Host.Fstat(fd)
	c.record(HostCall{Op: OpFstat, Args: [6]uint64{uint64(int64(fd))}, Ret: uint64(st.Size), Err: ErrnoOf(err)})
	return st, c.SetErrno(err)
}

// Madvise is madvise(2).
func (c *Libc) Madvise(addr hostvm.Addr, length uint64, advice hostvm.Advice) bool {
	err := c.Host.Madvise(addr, length, advice)
	c.record(HostCall{Op: OpMadvise, Args: [6]uint64{uint64(addr), length, uint64(advice)}, Err: ErrnoOf(err)})
	return c.SetErrno(err)
}

// FcntlGetFl is fcntl(fd, F_GETFL). It is not recorded.
func (c *Libc) FcntlGetFl(fd int) (hostvm.OpenFlags, bool) {
	fl, err := c.Host.FcntlGetFl(fd)
	return fl, c.SetErrno(err)
}

// Brk is brk(2): it returns the new break, or the old one when the host
// refuses the move.
func (c *Libc) Brk(newBrk hostvm.Addr) hostvm.Addr {
	got := c.Host.Brk(newBrk)
	c.record(HostCall{Op: OpBrk, Args: [6]uint64{uint64(newBrk)}, Ret: uint64(got)})
	return got
}

// sharedZeros are 64 KiB of zeros every Libc writes from where its host
// page is no larger, never written to: a run cloned from a prepared
// process does not make its own.
var sharedZeros [1 << 16]byte

// zeroBuf returns c's buffer of zeros: at least 64 KiB and a whole number
// of host pages (both are powers of two).
func (c *Libc) zeroBuf() []byte {
	if c.zeros == nil {
		if n := c.Host.PageSize(); n > uint64(len(sharedZeros)) {
			c.zeros = make([]byte, n)
		} else {
			c.zeros = sharedZeros[:]
		}
	}
	return c.zeros
}

// WriteZeros is Host.Write(addr, make([]byte, n)), with the same bytes
// written, count and fault, without making the zeros: it writes from
// c's buffer, a piece per aligned stretch of its length, so that a piece
// never starts inside a host page a whole write would have entered from
// its start.
func (c *Libc) WriteZeros(addr hostvm.Addr, n uint64) (int, *hostvm.Fault) {
	z := c.zeroBuf()
	step := uint64(len(z))
	done := uint64(0)
	for done < n {
		a := addr + hostvm.Addr(done)
		if a < addr {
			// The write ran past the top of the address space.
			return int(done), &hostvm.Fault{Signal: hostvm.SIGSEGV, Code: hostvm.SegvMapErr, Addr: a, Access: hostvm.AccessWrite}
		}
		m := min(n-done, step-uint64(a)%step)
		w, f := c.Host.Write(a, z[:m])
		done += uint64(w)
		if f != nil {
			return int(done), f
		}
	}
	return int(done), nil
}

// Memset is the emulator's memset(addr, 0, n) into host memory: a store
// the host's pages judge, recorded as an event. It returns the fault that
// stopped it (the C would have crashed there), or nil.
func (c *Libc) Memset(addr hostvm.Addr, n uint64) *hostvm.Fault {
	const chunk = 1 << 16
	zeros := c.zeroBuf()[:chunk]
	var f *hostvm.Fault
	for done := uint64(0); done < n && f == nil; done += chunk {
		_, f = c.Host.Write(addr+hostvm.Addr(done), zeros[:min(n-done, chunk)])
	}
	call := HostCall{Op: OpMemset, Args: [6]uint64{uint64(addr), n}}
	if f != nil {
		call.Err = hostvm.EFAULT
	}
	c.record(call)
	return f
}

// TBInvalidatePhysRange records QEMU's tb_invalidate_phys_range(start,
// end): the discard of translated code, an event rather than a host call.
func (c *Libc) TBInvalidatePhysRange(start, end uint64) {
	c.record(HostCall{Op: OpTBInvalidate, Args: [6]uint64{start, end}})
}

func (c *Libc) record(call HostCall) {
	if c.Recording {
		c.Calls = append(c.Calls, call)
	}
}

// SetErrno stores a failed call's errno, and reports whether err is nil
// (the call succeeded).
func (c *Libc) SetErrno(err error) bool {
	if err != nil {
		c.Errno = ErrnoOf(err)
		return false
	}
	return true
}

// ErrnoOf is the errno of a host call's error: 0 for nil, the Errno
// itself, or EIO for an error that is not one (a faulty wrapper's).
func ErrnoOf(err error) hostvm.Errno {
	if err == nil {
		return 0
	}
	if e, ok := err.(hostvm.Errno); ok {
		return e
	}
	return hostvm.EIO
}

// GetErrno is QEMU's get_errno() for a C function's int result: 0, a
// negated errno, or -1 with errno set. It returns nil or an Errno; a -1
// with errno 0 is nil, as the guest then sees -0.
func GetErrno(r int64, errno hostvm.Errno) error {
	switch {
	case r == 0:
		return nil
	case r == -1:
		if errno == 0 {
			return nil
		}
		return errno
	case r < 0:
		return hostvm.Errno(-r)
	}
	return nil
}

// GetErrnoAddr is get_errno() for an abi_ulong result whose failure value
// is minusOne ((abi_ulong)-1, with errno set): the values in the last page
// of the word are negated errnos (-4095..-1), every other one an address.
func GetErrnoAddr(r, minusOne uint64, errno hostvm.Errno) (uint64, error) {
	if r == minusOne {
		if errno == 0 {
			return 0, nil // -0: what C returns with errno unset
		}
		return 0, errno
	}
	if r > minusOne-4095 {
		return 0, hostvm.Errno(minusOne - r + 1)
	}
	return r, nil
}

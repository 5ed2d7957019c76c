package hostvm

import "fmt"

// Faults: what a memory access raises, and the page-fault handler's part
// that decides it (the VMA, the protection and its key, stack growth).
// mem.go resolves the page once the access is allowed.

// Access is the kind of memory access a Fault reports.
type Access uint8

// Access kinds.
const (
	AccessRead Access = iota
	AccessWrite
	AccessExec
)

func (a Access) String() string {
	switch a {
	case AccessWrite:
		return "write"
	case AccessExec:
		return "exec"
	}
	return "read"
}

// Fault is the signal a memory access raises: SIGSEGV with SEGV_MAPERR
// (nothing mapped) or SEGV_ACCERR (the protection forbids the access), or
// SIGBUS with BUS_ADRERR (a file page wholly beyond end-of-file).
type Fault struct {
	Signal Signal
	Code   SigCode
	Addr   Addr   // the first faulting byte
	Access Access // what was attempted
}

func (f *Fault) Error() string {
	code := "BUS_ADRERR"
	if f.Signal == SIGSEGV {
		switch f.Code {
		case SegvAccErr:
			code = "SEGV_ACCERR"
		case SegvPkuErr:
			code = "SEGV_PKUERR"
		case SiKernel:
			code = "SI_KERNEL"
		default:
			code = "SEGV_MAPERR"
		}
	}
	return fmt.Sprintf("%v (%s) on %v at %v", f.Signal, code, f.Access, f.Addr)
}

// allows reports whether prot permits the access. Unless StrictRead is set,
// write and exec permission imply read, as on x86-64.
func (k *Kernel) allows(prot Prot, acc Access) bool {
	switch acc {
	case AccessWrite:
		return prot&ProtWrite != 0
	case AccessExec:
		return prot&ProtExec != 0
	}
	if k.cfg.StrictRead {
		return prot&ProtRead != 0
	}
	return prot&ProtRWX != 0
}

// accessFault is the fault an access acc at a raises in VMA v, or nil if v
// allows it. The protection key comes first: a data access to a VMA with
// the execute-only key faults with SEGV_PKUERR, whatever the access.
// Compare Linux's access_error() and bad_area_access_from_pkeys().
func (k *Kernel) accessFault(v vma, a Addr, acc Access) *Fault {
	if v.flags&vmExecOnlyKey != 0 && acc != AccessExec {
		return &Fault{Signal: SIGSEGV, Code: SegvPkuErr, Addr: a, Access: acc}
	}
	if !k.allows(v.prot, acc) {
		return &Fault{Signal: SIGSEGV, Code: SegvAccErr, Addr: a, Access: acc}
	}
	return nil
}

// faultIn resolves an access to the page containing a, as the page-fault
// handler would: it finds (or grows down to) the VMA, checks the access and
// returns the VMA. Compare Linux's lock_mm_and_find_vma() and
// access_error().
func (k *Kernel) faultIn(a Addr, acc Access) (vma, *Fault) {
	if k.nonCanonical(a) {
		return vma{}, &Fault{Signal: SIGSEGV, Code: SiKernel, Addr: 0, Access: acc}
	}
	v, ok := k.findVMA(a)
	if !ok {
		v, ok = k.stackBelow(a)
	}
	if !ok {
		return vma{}, &Fault{Signal: SIGSEGV, Code: SegvMapErr, Addr: a, Access: acc}
	}
	if f := k.accessFault(v, a, acc); f != nil {
		return vma{}, f
	}
	return v, nil
}

// nonCanonical reports whether a is a non-canonical address on an x86-64
// host (47- or 57-bit user space): the bits above the address width are
// not all copies of its top bit, so the access raises a general protection
// fault rather than a page fault (linux-facts Q28).
func (k *Kernel) nonCanonical(a Addr) bool {
	b := k.cfg.AddrBits
	if b != 47 && b != 57 {
		return false
	}
	return a >= Addr(1)<<b && a < -(Addr(1)<<b)
}

// stackBelow grows the MAP_GROWSDOWN VMA above the unmapped address a, if
// there is one, down to a's page, and returns it.
func (k *Kernel) stackBelow(a Addr) (vma, bool) {
	if a >= k.g.taskSize {
		return vma{}, false
	}
	n, ok := k.nextVMA(a)
	if !ok || n.flags&vmGrowsDown == 0 {
		return vma{}, false
	}
	return k.growDown(n, a)
}

// growDown extends the stack VMA v down to the page of a, if the stack
// rlimit and the guard gap above the VMA below allow. Compare Linux's
// expand_downwards() and acct_stack_growth().
func (k *Kernel) growDown(v vma, a Addr) (vma, bool) {
	ns := Addr(AlignDown(uint64(a), k.g.pageSize))
	if ns < k.g.lowAddr {
		return v, false
	}
	// a is unmapped and v is the first VMA above it, so ns >= p.end.
	p, hasPrev := k.prevVMA(v.start)
	if hasPrev && p.flags&vmGrowsDown == 0 && p.prot&ProtRWX != 0 && uint64(ns-p.end) < k.g.guardGap {
		return v, false
	}
	// The stack gets its anon_vma before it grows, whatever the access,
	// and keeps it if the rlimit then stops the growth
	// (anon_vma_prepare() before acct_stack_growth()). Except where the
	// grown stack will join the VMA below, which Linux does not do
	// (README, "Merging"): the one VMA hostvm makes keeps the lower one's
	// anon_vma (none, as a rule), so that the lower pages behave as on
	// Linux.
	grown := v
	grown.start, grown.pgoff = ns, v.pgoff-uint64(v.start-ns)>>k.g.pageShift
	if !hasPrev || p.end != ns || !k.mergeable(p, grown) {
		k.prepareAnon(v)
		v, _ = k.findVMA(v.start)
	}
	if uint64(v.end-ns) > k.cfg.StackLimit {
		return v, false
	}
	old := v
	v.pgoff -= uint64(old.start-ns) >> k.g.pageShift
	v.start = ns
	var c cursor[vma]
	k.vmas.seekLE(&c, uint64(old.start))
	c.set(uint64(ns), v) // the key moves down, past no other VMA
	k.totalVM += uint64(old.start - ns)
	k.mergeAround(&c)
	v = c.item()
	k.regap(ns, old.start)
	return v, true
}

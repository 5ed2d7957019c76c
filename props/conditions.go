package props

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
)

// What the divergence rules (divergences.go) see at each comparison point,
// and the questions they ask of the two systems.

// mmapOutcome is an mmap both systems ran.
type mmapOutcome struct {
	op       Op
	flags    hostvm.MapFlags // the flags the call passed
	addr     uint64          // the address asked for; 0 for PlaceAny
	length   uint64
	offset   uint64 // the file offset; 0 for an anonymous mapping
	nonFixed bool   // neither MAP_FIXED nor MAP_FIXED_NOREPLACE: the placement may differ
	before   *hostvm.Kernel

	qemuAddr   uint64
	qemuErr    error
	kernelAddr uint64 // where the guest kernel mapped it; for a non-fixed mapping QEMU placed, QEMU's address
	kernelErr  error
	shown      expectArg // the expectation the scenario line shows, once written (written)
	written    bool
}

func (o *mmapOutcome) undo() *undo {
	shown := ""
	if o.written {
		shown = o.shown.String()
	}
	u := &undo{shown: shown, qemu: expectText(0, o.qemuErr)}
	if o.kernelErr == nil {
		u.before = o.before
	}
	return u
}

// landing is where the mapping lands: the address asked for, or, for a
// non-fixed mapping, placed (where a system put it).
func (o *mmapOutcome) landing(placed uint64) uint64 {
	if o.nonFixed {
		return placed
	}
	return o.addr
}

// mremapOutcome is an mremap both systems ran.
type mremapOutcome struct {
	addr, oldLen, newLen uint64
	flags                hostvm.MremapFlags
	to                   uint64           // the destination (MREMAP_FIXED, MREMAP_DONTUNMAP); else 0
	before               *hostvm.Kernel   // the guest kernel before the call
	sharedOld            bool             // the guest kernel had shared or file memory in the old range
	oldPieces            []hostvm.Mapping // the guest kernel's mappings in the part that moves, before the call
	oneRun               bool             // QEMU's page flags showed the part that moves as one run, before the call

	qemuAddr   uint64
	qemuErr    error
	kernelAddr uint64
	kernelErr  error
	shown      string // the expectation the scenario line shows, once written
}

func (o *mremapOutcome) undo() *undo {
	if o.shown == "" {
		return nil
	}
	u := &undo{shown: o.shown, qemu: expectText(0, o.qemuErr)}
	if o.kernelErr == nil {
		u.before = o.before
	}
	return u
}

// brkOutcome is a brk both systems ran, which returned different breaks.
type brkOutcome struct {
	old                uint64 // the break before
	qemuBrk, kernelBrk uint64
	before             *hostvm.Kernel
	shown              string // the expectation the brk's line shows
}

func (o *brkOutcome) undo() *undo {
	return &undo{before: o.before, shown: o.shown, qemu: expectText(o.qemuBrk, nil)}
}

// callOutcome is a munmap, mprotect, msync or madvise both systems ran.
type callOutcome struct {
	name         string // the call
	addr, length uint64
	qemuErr      error
	kernelErr    error
}

func (*callOutcome) undo() *undo { return nil }

// accessOKOutcome is access_ok() for a buffer of n bytes at addr (written
// by the call for write) where QEMU's answer and the guest kernel's
// mappings disagree.
type accessOKOutcome struct {
	addr, n      uint64
	write        bool
	qemu, kernel bool
}

func (*accessOKOutcome) undo() *undo { return nil }

// accessOutcome is a load or a store both systems made: how many bytes
// each accessed and the fault that stopped it (nil when it completed).
type accessOutcome struct {
	kind        string // "load" or "store"
	addr        uint64
	qemuN       int
	qemuFault   *hostvm.Fault
	kernelN     int
	kernelFault *hostvm.Fault
	// parted is the first address where they part: addr plus the bytes
	// both accessed, at the guest's width. Set once the two are known to
	// differ, before the rules see the outcome.
	parted uint64
}

func (*accessOutcome) undo() *undo { return nil }

// byteOutcome is the first byte a load read differently.
type byteOutcome struct{ at uint64 }

func (*byteOutcome) undo() *undo { return nil }

// pageOutcome is a guest page that reads differently, or faults under QEMU
// only (qemuFault).
type pageOutcome struct {
	page      uint64
	qemuFault *hostvm.Fault
}

func (*pageOutcome) undo() *undo { return nil }

// storeOutcome is a store that wrote n bytes at addr on at least one system.
type storeOutcome struct{ addr, n uint64 }

func (*storeOutcome) undo() *undo { return nil }

// sharedFileFragment reports whether a MAP_SHARED writable file mapping
// needs QEMU to emulate part of it: it starts or ends inside a host page
// shared with other guest pages, or its offset is not congruent with its
// address modulo the host page. A non-fixed mapping is judged where placed.
func (s *System) sharedFileFragment(o *mmapOutcome, placed uint64) bool {
	typ := o.flags & hostvm.MapType
	if o.flags&hostvm.MapAnonymous != 0 || typ != hostvm.MapShared && typ != hostvm.MapSharedValidate ||
		o.op.Prot&uint8(hostvm.ProtWrite) == 0 {
		return false
	}
	addr, h := o.landing(placed), s.hostPage
	return addr%h != o.offset%h || addr%h != 0 || (addr+o.length)%h != 0
}

// sharedSnapshot reports whether [addr, addr+n) holds pages QEMU emulated
// with a copy that the guest kernel maps shared from a file.
func (s *System) sharedSnapshot(addr, n uint64) bool {
	if !s.snapshotIn(addr, n) {
		return false
	}
	for _, m := range s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(addr), End: hostvm.Addr(addr + n)}) {
		lo, hi := max(uint64(m.Start), addr), min(uint64(m.End), addr+n)
		if m.Shared && !m.Anonymous && s.snapshot.Any(lo/s.targetPage, (hi+s.targetPage-1)/s.targetPage) {
			return true
		}
	}
	return false
}

// touchesOtherRange reports whether the host pages of [addr, addr+length)
// hold pages of mappings outside that range in the guest kernel k.
func (s *System) touchesOtherRange(k *hostvm.Kernel, addr, length uint64) bool {
	h := s.hostPage
	lo, hi := addr&^(h-1), (addr+length+h-1)&^(h-1)
	for _, m := range k.MappingsIn(hostvm.Range{Start: hostvm.Addr(lo), End: hostvm.Addr(hi)}) {
		if uint64(m.Start) < addr || uint64(m.End) > addr+length {
			return true
		}
	}
	return false
}

// piecesTouchOtherRange reports, for a move of the same size
// (MREMAP_FIXED with equal lengths, which may span several VMAs and the
// gaps between them), whether the host pages of any piece's destination
// hold guest pages of other mappings of the guest kernel k: each mapping
// in [addr, addr+length) moves to the same offset from to, and what lies
// in the destination's gaps stays.
func (s *System) piecesTouchOtherRange(k *hostvm.Kernel, addr, length, to uint64) bool {
	for _, m := range k.MappingsIn(hostvm.Range{Start: hostvm.Addr(addr), End: hostvm.Addr(addr + length)}) {
		if s.touchesOtherRange(k, to+(uint64(m.Start)-addr), uint64(m.End-m.Start)) {
			return true
		}
	}
	return false
}

// hostOwned reports whether host memory QEMU did not map for the guest
// (no guest page owns it) lies in guest range [addr, addr+length), or the
// range passes the end of the host's space.
func (s *System) hostOwned(addr, length uint64) bool {
	lo := s.sim.G2H(addr)
	if s.pastHostEnd(addr, length) {
		return true
	}
	hi := lo + hostvm.Addr(length)
	for _, m := range s.host.MappingsIn(hostvm.Range{Start: lo, End: hi}) {
		for p := max(m.Start, lo); p < min(m.End, hi); p += hostvm.Addr(s.targetPage) {
			if s.sim.PageFlags(addr+uint64(p-lo))&sim.PageValid == 0 {
				return true
			}
		}
	}
	return false
}

// freeHostRange reports whether the guest kernel k has a free range of
// length bytes (rounded up to host pages) on host-page boundaries, between
// mmap_min_addr and the end of the guest space.
func (s *System) freeHostRange(k *hostvm.Kernel, length uint64) bool {
	h := s.hostPage
	size := (length + h - 1) &^ (h - 1)
	at := (max(s.cfg.MmapMinAddr, h) + h - 1) &^ (h - 1)
	for _, m := range append(k.Maps(), hostvm.Mapping{Start: hostvm.Addr(s.spaceEnd), End: hostvm.Addr(s.spaceEnd)}) {
		if end := uint64(m.Start); end > at && end-at >= size {
			return true
		}
		at = max(at, (uint64(m.End)+h-1)&^(h-1))
	}
	return false
}

// pastHostEnd reports whether guest range [addr, addr+length) passes the
// end of the host's space (x86-64 Linux ends one page short of 128 TiB, a
// guest space of 47 bits does not).
func (s *System) pastHostEnd(addr, length uint64) bool {
	return uint64(s.sim.G2H(addr))+length > uint64(s.host.TaskSize())
}

// hostHasRoom reports whether the host kernel's own search (mmap without
// a hint, on a copy of it) finds room for length bytes.
func (s *System) hostHasRoom(length uint64) bool {
	_, err := s.host.Clone().Mmap(0, length, hostvm.ProtNone, hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapNoReserve, -1, 0)
	return err == nil
}

// partialPieces reports whether the mappings guest kernel k has in
// [addr, addr+length), cut to that range, do not all start and end on
// host pages (a move of several pieces, MREMAP_FIXED with equal lengths
// spanning gaps, moves each one by itself), or whether a shared one among
// them does not (QEMU gave its fragments host pages of their own).
func (s *System) partialPieces(k *hostvm.Kernel, addr, length uint64) bool {
	h := s.hostPage
	for _, m := range k.MappingsIn(hostvm.Range{Start: hostvm.Addr(addr), End: hostvm.Addr(addr + length)}) {
		if max(uint64(m.Start), addr)%h != 0 || min(uint64(m.End), addr+length)%h != 0 ||
			m.Shared && (uint64(m.Start)%h != 0 || uint64(m.End)%h != 0) {
			return true
		}
	}
	return false
}

// hostTopPage reports whether guest range [addr, addr+length) reaches the
// top page of a 32-bit host whose space is 4 GiB: there the host's
// mprotect, madvise and msync compute the end of a range at 32 bits, as 0.
func (s *System) hostTopPage(addr, length uint64) bool {
	c := s.host.Config()
	return c.AddrBits == 32 && !c.Compat && uint64(c.TaskSize) == 1<<32 &&
		uint64(s.sim.G2H(addr))+length >= 1<<32
}

// hostSplits reports whether the host has more mappings in guest range
// [addr, addr+length) than the guest kernel has.
func (s *System) hostSplits(addr, length uint64) bool {
	r := hostvm.Range{Start: s.sim.G2H(addr), End: s.sim.G2H(addr) + hostvm.Addr(length)}
	return len(s.host.MappingsIn(r)) > len(s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(addr), End: hostvm.Addr(addr + length)}))
}

// oneRun reports whether QEMU's page flags show [addr, addr+length) as one
// run of equal flags.
func (s *System) oneRun(addr, length uint64) bool {
	rs := s.sim.FlagRunsIn(addr, addr+length)
	return len(rs) == 1 && rs[0].Start <= addr && rs[0].End >= addr+length
}

// sharedOrFile reports whether the guest kernel has shared or file memory
// at addr or in [addr, addr+length).
func (s *System) sharedOrFile(addr, length uint64) bool {
	m, ok := s.ref.Lookup(hostvm.Addr(addr))
	found := ok && (m.Shared || !m.Anonymous)
	for _, m := range s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(addr), End: hostvm.Addr(addr + length)}) {
		found = found || m.Shared || !m.Anonymous
	}
	return found
}

// sharedHostMapping reports whether QEMU's host memory at guest address p
// is a shared mapping.
func (s *System) sharedHostMapping(p uint64) bool {
	m, ok := s.host.Lookup(s.sim.G2H(p))
	return ok && m.Shared
}

// protectionUnion reports whether an access went further under QEMU past
// an address the guest's page forbids, where the guest kernel stopped with
// SIGSEGV: only the host page's protection let it through.
func (s *System) protectionUnion(o *accessOutcome) bool {
	return o.qemuN > o.kernelN && o.kernelFault != nil && o.kernelFault.Signal == hostvm.SIGSEGV && s.guestForbids(o.parted, o.kind)
}

// faultsOnMixedHostPage reports whether QEMU's fault f at guest address p
// comes from a host page that holds more than one guest mapping (or
// unmapped pages too) and is not a SIGBUS on anonymous memory.
func (s *System) faultsOnMixedHostPage(p uint64, f *hostvm.Fault) bool {
	return f != nil && s.mixedHostPage(p) && !s.anonBus(p, f)
}

// busPastSmallHostPage reports whether QEMU's fault f is a SIGBUS on a host
// whose pages are smaller than the target's: a target page past
// end-of-file that the guest kernel reads as a whole.
func (s *System) busPastSmallHostPage(f *hostvm.Fault) bool {
	return f != nil && f.Signal == hostvm.SIGBUS && s.targetPage > s.host.PageSize()
}

// anonBus reports whether fault f at guest page p is a SIGBUS where the
// guest kernel has anonymous memory, which never has one: QEMU wrote a
// fragment into a host page of a file past its end.
func (s *System) anonBus(p uint64, f *hostvm.Fault) bool {
	m, ok := s.ref.Lookup(hostvm.Addr(p))
	return f.Signal == hostvm.SIGBUS && ok && m.Anonymous
}

// mixedHostPage reports whether the host page holding guest page p holds
// pages of more than one guest mapping (or unmapped pages too).
func (s *System) mixedHostPage(p uint64) bool {
	lo := p &^ (s.hostPage - 1)
	ms := s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(lo), End: hostvm.Addr(lo + s.hostPage)})
	return len(ms) != 1 || uint64(ms[0].Start) > lo || uint64(ms[0].End) < lo+s.hostPage
}

// guestForbids reports whether QEMU's own page flags forbid the access
// (kind "load" or "store") at p, so only the host page's permissions let
// it through.
func (s *System) guestForbids(p uint64, kind string) bool {
	f := s.sim.PageFlags(p)
	if f&sim.PageValid == 0 {
		return true
	}
	if kind == "store" {
		return f&sim.PageWrite == 0
	}
	return f&(sim.PageRead|sim.PageWrite|sim.PageExec) == 0
}

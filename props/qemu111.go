package props

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
	"github.com/mmapsim/mmapsim/sim/qemu11"
)

// qemu111Catalogue is QEMU 11.1 (policy=qemu-11.1, package sim/qemu11):
// its behaviours are in qemu111Behaviours, the rules that recognise them in
// qemu111Rules. It keeps QEMU's layout: the divergences apply after its
// rules.
var qemu111Catalogue = &Catalogue{
	Title:       "QEMU 11.1",
	Policies:    []policy.Policy{policy.Qemu111},
	Behaviours:  qemu111Behaviours,
	Rules:       qemu111Rules,
	Setups:      qemu111Setups(),
	QuirkStatus: qemu111QuirkStatus,
}

// qemu111Setups are the setups QEMU 11.1 runs on: those whose host page is
// the host's real page (11.1 has no -p, so i386-p64k-reserved is out), and
// its own. Where a setup has no RESERVED_VA for a 32-bit guest (i386-64k,
// arm-top-64k), 11.1 reserves the whole 4 GiB, as its main.c does.
func qemu111Setups() []Setup {
	var out []Setup
	for _, s := range Setups {
		if s.QemuPage == 0 {
			out = append(out, s)
		}
	}
	return append(out, qemu111ExtraSetups...)
}

// qemu111ExtraSetups are setups only QEMU 11.1 runs.
var qemu111ExtraSetups = []Setup{
	// A 64K host whose space is 47 bits, as the x86-64 guest's: without
	// RESERVED_VA, 11.1 takes the host kernel's placement, which on the
	// 48-bit arm64-64k lies outside the guest's space.
	{Name: "x86_64-64k-47", Host: "ppc64le", Target: "x86_64"},
	// A target page larger than the host's under RESERVED_VA (-R), where
	// mmap_find_vma places mappings in the guest's own space.
	{Name: "sparc64-4k-reserved", Host: "x86_64", Target: "sparc64", ReservedVA: 1 << 32},
}

// refHole reports whether the guest kernel has unmapped pages in the guest
// range [addr, addr+length) (rounded out to target pages).
func (s *System) refHole(addr, length uint64) bool {
	t := s.targetPage
	lo, hi := addr&^(t-1), (addr+length+t-1)&^(t-1)
	if hi <= lo {
		return false
	}
	at := lo
	for _, m := range s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(lo), End: hostvm.Addr(hi)}) {
		if uint64(m.Start) > at {
			return true
		}
		at = uint64(m.End)
	}
	return at < hi
}

// inSpace reports whether the guest range [addr, addr+length) (rounded up
// to target pages) lies inside the guest kernel's space.
func (s *System) inSpace(addr, length uint64) bool {
	t := s.targetPage
	end := addr + (length+t-1)&^(t-1)
	return end >= addr && end <= s.spaceEnd
}

// allPassthrough reports whether QEMU 11.1 has every page of [addr,
// addr+length) mapped PAGE_PASSTHROUGH (page_check_range(...,
// PAGE_PASSTHROUGH)).
func (s *System) allPassthrough(addr, length uint64) bool {
	t := s.targetPage
	for p := addr &^ (t - 1); p < addr+length; p += t {
		if f := s.sim.PageFlags(p); f&sim.PageValid == 0 || f&qemu11.PagePassthrough == 0 {
			return false
		}
	}
	return true
}

// mprotectOverHole reports whether op is an mprotect whose range (in the
// guest space) has a hole in the guest kernel's view, and QEMU failed it.
func (s *System) mprotectOverHole(op Op) bool {
	addr, _ := s.resolve(op.At)
	length := s.length(op.Pages, op.Extra)
	return op.Kind == OpMprotect && s.qemuErr != nil && s.inSpace(addr, length) && s.refHole(addr, length)
}

// dontUnmapMade reports whether op is an mremap with MREMAP_DONTUNMAP that
// QEMU made.
func (s *System) dontUnmapMade(op Op) bool {
	return op.Kind == OpMremap && remapFlags[int(op.Remap)%len(remapFlags)]&hostvm.MremapDontUnmap != 0 && s.qemuErr == nil
}

// wholeMappingPastEOF reports whether op maps a file from an offset at or
// past its end, on a host whose pages are smaller than the target's
// (mmap_h_lt_g).
func (s *System) wholeMappingPastEOF(op Op) bool {
	if op.File < 0 || s.sim.Host().PageSize() >= s.targetPage {
		return false
	}
	st, err := s.ref.Fstat(3 + int(op.File))
	return err == nil && uint64(op.FilePage)*s.targetPage >= uint64(st.Size)
}

// splitSearchMisses reports whether the guest kernel before o has room for
// o's mapping (its length from the host-aligned offset, in host pages,
// aligned to max(host page, target page)) between mmap_min_addr and the end
// of the space, but none wholly above or wholly below the point
// mmap_find_vma starts from (the hint, or mmap_next_start).
func (s *System) splitSearchMisses(o *mmapOutcome) bool {
	h := s.sim.Host().PageSize()
	align := max(h, s.targetPage)
	size := (o.length + o.offset%h + h - 1) &^ (h - 1)
	split := s.cfg.TaskUnmappedBase // mmap_next_start, which 11.1 never moves under RESERVED_VA
	if realStart := o.addr &^ (h - 1); o.op.Place == PlaceHint && realStart != 0 {
		split = (realStart + align - 1) &^ (align - 1)
	}
	low := s.cfg.MmapMinAddr
	return freeAligned(o.before, size, align, low, s.spaceEnd) &&
		!freeAligned(o.before, size, align, split, s.spaceEnd) && !freeAligned(o.before, size, align, low, split)
}

// freeAligned reports whether the kernel k has a free range of size bytes
// at an address aligned to align, inside [lo, hi).
func freeAligned(k *hostvm.Kernel, size, align, lo, hi uint64) bool {
	at := (lo + align - 1) &^ (align - 1)
	for _, m := range append(k.MappingsIn(hostvm.Range{Start: hostvm.Addr(lo), End: hostvm.Addr(hi)}),
		hostvm.Mapping{Start: hostvm.Addr(hi), End: hostvm.Addr(hi)}) {
		if end := uint64(m.Start); end > at && end-at >= size {
			return true
		}
		at = max(at, (uint64(m.End)+align-1)&^(align-1))
	}
	return false
}

// pastUnbounded reports whether, for a 64-bit guest without RESERVED_VA
// (whose space 11.1 does not bound), the range [addr, addr+length) or
// [to, to+toLen) passes the end of the guest kernel's space.
func (s *System) pastUnbounded(addr, length, to, toLen uint64) bool {
	if s.cfg.ReservedVA != 0 || s.cfg.ABIBits != 64 {
		return false
	}
	return length != 0 && !s.inSpace(addr, length) || toLen != 0 && !s.inSpace(to, toLen)
}

// opPastUnbounded is pastUnbounded for op's ranges.
func (s *System) opPastUnbounded(op Op) bool {
	addr, _ := s.resolve(op.At)
	to, _ := s.resolve(op.To)
	length := s.length(op.Pages, op.Extra)
	newLen := s.length(op.NewPages, 0)
	if op.Kind != OpMremap {
		to, newLen = 0, 0
	}
	return s.pastUnbounded(addr, max(length, newLen), to, newLen)
}

// eofFillStale reports whether the guest page holding p is, on a host
// whose pages are smaller than the target's, anonymous memory under QEMU
// where the guest kernel maps a file that has changed since the run began.
func (s *System) eofFillStale(p uint64) bool {
	if !s.fileChanged || s.sim.Host().PageSize() >= s.targetPage {
		return false
	}
	return s.notTheFile(p)
}

// notTheFile reports whether the guest page holding p is a file mapping on
// the guest kernel and, under QEMU, host memory of another backing
// (anonymous, or another file).
func (s *System) notTheFile(p uint64) bool {
	m, ok := s.ref.Lookup(hostvm.Addr(p))
	hm, hok := s.host.Lookup(s.sim.G2H(p))
	return ok && hok && !m.Anonymous && (hm.Anonymous || hm.Inode != m.Inode)
}

// eofAnonymousIn reports whether [addr, addr+length) holds a page the guest
// kernel maps from a file and QEMU, on a host whose pages are smaller than
// the target's, backs with other memory: a mapping wholly past end-of-file
// that mmap_h_lt_g made anonymous.
func (s *System) eofAnonymousIn(addr, length uint64) bool {
	if s.sim.Host().PageSize() >= s.targetPage {
		return false
	}
	for _, m := range s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(addr), End: hostvm.Addr(addr + length)}) {
		for p := uint64(m.Start); p < uint64(m.End); p += s.targetPage {
			if s.notTheFile(p) {
				return true
			}
		}
	}
	return false
}

// mremapMisaligned reports whether, on a host whose pages are larger than
// the target's, an mremap's address, sizes or destination are not
// host-page aligned.
func (s *System) mremapMisaligned(addr, oldLen, newLen uint64, flags hostvm.MremapFlags, to uint64) bool {
	h := s.sim.Host().PageSize()
	return h > s.targetPage && (addr%h != 0 || oldLen%h != 0 || newLen%h != 0 ||
		flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) != 0 && to%h != 0)
}

// mremapArgs are op's mremap arguments, as runMremap makes them.
func (s *System) mremapArgs(op Op) (addr, oldLen, newLen uint64, flags hostvm.MremapFlags, to uint64) {
	addr, _ = s.resolve(op.At)
	oldLen, newLen = s.length(op.Pages, op.Extra), s.length(op.NewPages, 0)
	flags = remapFlags[int(op.Remap)%len(remapFlags)]
	if flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) != 0 {
		to, _ = s.resolve(op.To)
	}
	if flags&hostvm.MremapDontUnmap != 0 {
		newLen = oldLen
	}
	return addr, oldLen, newLen, flags, to
}

// misalignedMremapMade reports whether op is an mremap QEMU made whose
// address or sizes are not host-page aligned.
func (s *System) misalignedMremapMade(op Op) bool {
	if op.Kind != OpMremap || s.qemuErr != nil {
		return false
	}
	return s.mremapMisaligned(s.mremapArgs(op))
}

// fixedMremapFailed reports whether op is an MREMAP_FIXED mremap QEMU
// failed.
func (s *System) fixedMremapFailed(op Op) bool {
	if op.Kind != OpMremap || s.qemuErr == nil {
		return false
	}
	_, _, _, flags, _ := s.mremapArgs(op)
	return flags&hostvm.MremapFixed != 0
}

// sharedFileMixup reports whether the guest page holding p shows what
// mmap_frag's writes into a shared host page did: under QEMU it is a page
// of a shared file mapping the guest kernel does not have there (the same
// file at the same offset), or the guest kernel maps a file there whose
// bytes differ between the two systems.
func (s *System) sharedFileMixup(p uint64) bool {
	p &^= s.targetPage - 1
	m, ok := s.ref.Lookup(hostvm.Addr(p))
	hm, hok := s.host.Lookup(s.sim.G2H(p))
	if hok && hm.Shared && fileIndex(hm.Name) >= 0 {
		hostOff := hm.Offset + uint64(s.sim.G2H(p)-hm.Start)
		if !ok || m.Name != hm.Name || m.Offset+(p-uint64(m.Start)) != hostOff {
			return true
		}
	}
	if !ok || fileIndex(m.Name) < 0 {
		return false
	}
	fd := 3 + fileIndex(m.Name)
	off := int64(m.Offset + (p - uint64(m.Start)))
	a, b := make([]byte, s.targetPage), make([]byte, s.targetPage)
	na, _ := s.host.FilePread(fd, a, off)
	nb, _ := s.ref.FilePread(fd, b, off)
	return na != nb || string(a[:na]) != string(b[:nb])
}

// fileIndex is the index in files of the file called name, or -1.
func fileIndex(name string) int {
	for i, f := range files {
		if f.name == name {
			return i
		}
	}
	return -1
}

// anonInFileHostPage reports whether QEMU's fault f at guest address p is
// a SIGBUS where the guest kernel has anonymous memory and QEMU's host
// page is a file mapping.
func (s *System) anonInFileHostPage(p uint64, f *hostvm.Fault) bool {
	if f == nil || f.Signal != hostvm.SIGBUS {
		return false
	}
	m, ok := s.ref.Lookup(hostvm.Addr(p))
	hm, hok := s.host.Lookup(s.sim.G2H(p))
	return ok && m.Anonymous && hok && fileIndex(hm.Name) >= 0
}

// sharedAnonBus reports whether QEMU's fault f at guest address p is a
// SIGBUS where the guest kernel has shared anonymous memory.
func (s *System) sharedAnonBus(p uint64, f *hostvm.Fault) bool {
	if f == nil || f.Signal != hostvm.SIGBUS {
		return false
	}
	m, ok := s.ref.Lookup(hostvm.Addr(p))
	return ok && m.Shared && fileIndex(m.Name) < 0
}

// adoptMprotectOverHoles gives the guest kernel what QEMU 11.1's mprotect
// over holes made under RESERVED_VA: the holes become private anonymous
// memory, and the whole range takes the new protection. It refuses (an
// error, nothing changed) where QEMU's memory in a hole is not zero-filled
// private anonymous memory (a host page shared with a file mapping), or
// the guest kernel will not take the protection.
func (s *System) adoptMprotectOverHoles(o *callOutcome) error {
	t := s.targetPage
	lo, hi := o.addr, o.addr+(o.length+t-1)&^(t-1)
	prot := hostvm.Prot(s.current().Prot)
	var holes []span
	at := lo
	for _, m := range append(s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(lo), End: hostvm.Addr(hi)}),
		hostvm.Mapping{Start: hostvm.Addr(hi), End: hostvm.Addr(hi)}) {
		if uint64(m.Start) > at {
			holes = append(holes, span{at, uint64(m.Start)})
		}
		at = max(at, uint64(m.End))
	}
	buf := make([]byte, t)
	for _, h := range holes {
		for p := h.start; p < h.end; p += t {
			hm, ok := s.host.Lookup(s.sim.G2H(p))
			if !ok || !hm.Anonymous || hm.Shared {
				return fmt.Errorf("the hole at %#x is not private anonymous memory under QEMU", p)
			}
			if n, f := s.sim.Load(p, buf); f == nil && n == len(buf) && string(buf) != string(make([]byte, t)) {
				return fmt.Errorf("the hole at %#x is not zero-filled under QEMU", p)
			}
		}
	}
	ref := s.ref.Clone()
	for _, h := range holes {
		if _, err := ref.Mmap(hostvm.Addr(h.start), h.end-h.start, prot, hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapFixed, -1, 0); err != nil {
			return err
		}
	}
	if err := ref.Mprotect(hostvm.Addr(lo), hi-lo, prot); err != nil {
		return err
	}
	s.ref = ref
	s.reexpect(expectText(0, o.kernelErr), expectText(0, nil))
	return nil
}

// adoptPlaceholderMove gives the guest kernel what QEMU 11.1's mremap of
// unmapped guest memory made under RESERVED_VA: the host moved (or
// resized) a PROT_NONE placeholder, and QEMU's page flags call the new
// range mapped, PROT_NONE. It refuses (an error, nothing changed) unless
// QEMU's flags and host memory there are exactly that.
func (s *System) adoptPlaceholderMove(o *mremapOutcome) error {
	t := s.targetPage
	to, n := o.qemuAddr, (o.newLen+t-1)&^(t-1)
	if n == 0 {
		return fmt.Errorf("nothing mapped")
	}
	for _, r := range s.sim.FlagRunsIn(to, to+n) {
		if r.Flags&sim.PageBits != 0 {
			return fmt.Errorf("QEMU's new range is not PROT_NONE")
		}
	}
	for _, m := range s.host.MappingsIn(hostvm.Range{Start: s.sim.G2H(to), End: s.sim.G2H(to) + hostvm.Addr(n)}) {
		if m.Prot != hostvm.ProtNone || !m.Anonymous || m.Shared {
			return fmt.Errorf("QEMU's new range is not a placeholder")
		}
	}
	ref := o.before.Clone()
	if _, err := ref.Mmap(hostvm.Addr(to), n, hostvm.ProtNone, hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapFixed, -1, 0); err != nil {
		return err
	}
	s.ref = ref
	exp := expectText(o.qemuAddr, nil)
	if o.flags&hostvm.MremapMayMove != 0 && o.flags&hostvm.MremapFixed == 0 {
		exp = anySuccess
	}
	s.reexpect(o.shown, exp)
	return nil
}

// wholePagePastEOF reports whether, on a host whose pages are smaller than
// the target's, the guest kernel maps the target page holding p from a
// file offset at or past the file's end rounded up to the target page,
// and QEMU's host memory there is not that file (mmap_h_lt_g's anonymous
// fill).
func (s *System) wholePagePastEOF(p uint64) bool {
	t := s.targetPage
	if s.sim.Host().PageSize() >= t {
		return false
	}
	p &^= t - 1
	m, ok := s.ref.Lookup(hostvm.Addr(p))
	if !ok || fileIndex(m.Name) < 0 {
		return false
	}
	st, err := s.ref.Fstat(3 + fileIndex(m.Name))
	off := m.Offset + (p - uint64(m.Start))
	return err == nil && off >= (uint64(st.Size)+t-1)&^(t-1) && s.notTheFile(p)
}

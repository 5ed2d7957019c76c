//go:build linux

package hostvm

import (
	"bytes"
	"fmt"
	"math/rand"
	"strconv"
	"strings"

	"github.com/mmapsim/mmapsim/internal/linuxsys"
)

// The calls TestLinuxDiff makes, how they print (in the scenario language,
// so a difference is a runnable reproduction), and how they are drawn.

type ldOp uint8

const (
	ldMmap ldOp = iota
	ldMunmap
	ldMprotect
	ldMremap
	ldMadvise
	ldMsync
	ldPwrite
	ldFtruncate
	ldPoke
	ldPeek // a read through /proc/self/mem: only in replayed scenarios
)

// ldCall is one call, in hostvm's addresses.
type ldCall struct {
	op      ldOp
	addr    Addr
	len     uint64 // mmap, munmap, mprotect, madvise, msync length; mremap old_len
	prot    Prot   // mmap, mprotect
	flags   uint64 // mmap MapFlags, mremap MremapFlags, madvise Advice, msync MsyncFlags
	slot    int    // mmap: file slot, -1 anonymous; pwrite, ftruncate: file slot
	off     uint64 // mmap and pwrite offset; ftruncate length
	newLen  uint64 // mremap
	newAddr Addr   // mremap
	data    []byte // pwrite, poke
	n       int    // peek: bytes to read, within one page
}

// ldResult is what a call returned.
type ldResult struct {
	val     uint64 // on success: the address (hostvm's terms), the count, or 0
	errno   Errno  // 0 on success; EIO for a peek that faulted
	fault   *Fault // poke on hostvm: the fault that stopped it
	skipped bool   // poke not run on the real side (no writable mapping)
	data    []byte // peek: the bytes read
	sig     Signal // peek that faulted: SIGBUS in a file mapping, else SIGSEGV
}

func (r ldResult) equal(o ldResult) bool {
	return r.val == o.val && r.errno == o.errno && bytes.Equal(r.data, o.data)
}

// ldFD is the descriptor hostvm gives file slot i in a fresh kernel.
func ldFD(slot int) int { return 3 + slot }

func (c ldCall) String() string {
	h := func(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }
	switch c.op {
	case ldMmap:
		fd := -1
		if c.slot >= 0 {
			fd = ldFD(c.slot)
		}
		return fmt.Sprintf("mmap(%s, %s, %s, %v, %d, %s)", h(uint64(c.addr)), h(c.len), c.prot.FlagString(),
			MapFlags(c.flags), fd, h(c.off))
	case ldMunmap:
		return fmt.Sprintf("munmap(%s, %s)", h(uint64(c.addr)), h(c.len))
	case ldMprotect:
		return fmt.Sprintf("mprotect(%s, %s, %s)", h(uint64(c.addr)), h(c.len), c.prot.FlagString())
	case ldMremap:
		f := MremapFlags(c.flags)
		if f&(MremapFixed|MremapDontUnmap) != 0 {
			return fmt.Sprintf("mremap(%s, %s, %s, %v, %s)", h(uint64(c.addr)), h(c.len), h(c.newLen), f, h(uint64(c.newAddr)))
		}
		return fmt.Sprintf("mremap(%s, %s, %s, %v)", h(uint64(c.addr)), h(c.len), h(c.newLen), f)
	case ldMadvise:
		return fmt.Sprintf("madvise(%s, %s, %v)", h(uint64(c.addr)), h(c.len), Advice(c.flags))
	case ldMsync:
		return fmt.Sprintf("msync(%s, %s, %v)", h(uint64(c.addr)), h(c.len), MsyncFlags(c.flags))
	case ldPwrite:
		return fmt.Sprintf("pwrite64(%d, %s, %d, %s)", ldFD(c.slot), ldQuote(c.data), len(c.data), h(c.off))
	case ldFtruncate:
		return fmt.Sprintf("ftruncate(%d, %s)", ldFD(c.slot), h(c.off))
	case ldPoke:
		return fmt.Sprintf("poke(%s, %s)", h(uint64(c.addr)), ldQuote(c.data))
	case ldPeek:
		return fmt.Sprintf("peek(%s, %d)", h(uint64(c.addr)), c.n)
	}
	return fmt.Sprintf("op%d(...)", c.op)
}

// resultString renders a result as a scenario statement's "= ..." part.
func (c ldCall) resultString(r ldResult) string {
	if c.op == ldPoke {
		switch {
		case r.skipped:
			return "= SIGSEGV"
		case r.fault != nil:
			return "= " + r.fault.Signal.String()
		case r.val < uint64(len(c.data)):
			if r.val == 0 {
				return "= SIGBUS" // /proc/self/mem: EIO
			}
			return fmt.Sprintf("= SIGBUS /* after %d bytes */", r.val)
		}
		return "= ?"
	}
	if c.op == ldPeek {
		if r.errno != 0 {
			return "= " + r.sig.String()
		}
		return "= " + ldQuote(r.data)
	}
	if r.errno != 0 {
		return fmt.Sprintf("= -1 %s (%s)", r.errno.Name(), r.errno.Error())
	}
	if c.op == ldMmap || c.op == ldMremap {
		return "= 0x" + strconv.FormatUint(r.val, 16)
	}
	return "= " + strconv.FormatUint(r.val, 10)
}

// ldQuote renders bytes as a C string, as strace does.
func ldQuote(b []byte) string {
	var s strings.Builder
	s.WriteByte('"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			s.WriteByte('\\')
			s.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			s.WriteByte(c)
		default:
			fmt.Fprintf(&s, "\\x%02x", c)
		}
	}
	s.WriteByte('"')
	return s.String()
}

// ldGen draws calls aimed at the mappings hostvm has in the focus window
// [lo, hi), the part of the sandbox a sequence works in.
type ldGen struct {
	r      *rand.Rand
	k      *Kernel
	lo, hi Addr
	noExec bool // the temporary directory is mounted noexec
}

const ldPage = 4096

// page returns a random page of the window, leaving at least one page
// after it.
func (g *ldGen) page() Addr {
	n := uint64(g.hi-g.lo) / ldPage
	return g.lo + Addr(uint64(g.r.Int63n(int64(n)))*ldPage)
}

// boundary returns the start or end of a mapping in the window (or the
// window's start), below hi.
func (g *ldGen) boundary() Addr {
	var bs []Addr
	for _, m := range g.k.MappingsIn(Range{g.lo, g.hi}) {
		for _, a := range []Addr{m.Start, m.End} {
			if a >= g.lo && a < g.hi {
				bs = append(bs, a)
			}
		}
	}
	if len(bs) == 0 {
		return g.lo
	}
	return bs[g.r.Intn(len(bs))]
}

// addr returns a page-aligned address in the window: a mapping's edge, a
// page near one, or any page.
func (g *ldGen) addr() Addr {
	switch g.r.Intn(4) {
	case 0, 1:
		return g.boundary()
	case 2:
		a := g.boundary() + Addr(g.r.Intn(5)-2)*ldPage
		if a >= g.lo && a < g.hi {
			return a
		}
	}
	return g.page()
}

// length returns a length for a range starting at a that stays in the
// window once rounded up to pages: mostly a few pages, sometimes up to the
// window's end, sometimes unaligned, rarely zero.
func (g *ldGen) length(a Addr) uint64 {
	room := uint64(g.hi-a) / ldPage
	if room == 0 {
		return 0
	}
	n := 1 + uint64(g.r.Intn(int(min(room, 8))))
	switch g.r.Intn(20) {
	case 0:
		return 0
	case 1, 2:
		n = room
	case 3:
		n = 1 + uint64(g.r.Intn(int(room)))
	}
	l := n * ldPage
	if g.r.Intn(10) == 0 {
		l -= uint64(1 + g.r.Intn(ldPage-1)) // unaligned: rounds up to n pages
	}
	return l
}

// misalign sometimes moves a to a byte inside its page (an EINVAL case).
func (g *ldGen) misalign(a Addr, l *uint64) Addr {
	if g.r.Intn(40) != 0 || *l < ldPage {
		return a
	}
	*l -= ldPage
	return a + Addr(1+g.r.Intn(ldPage-1))
}

func (g *ldGen) prot() Prot {
	p := Prot(g.r.Intn(8))
	if g.noExec {
		p &^= ProtExec
	}
	switch g.r.Intn(40) {
	case 0:
		p |= ProtSem
	case 1:
		p |= 0x10 // unknown: mmap ignores it, mprotect refuses it
	}
	return p
}

// ldAdvice are the madvise values drawn, with weights by repetition.
// MADV_HWPOISON and MADV_SOFT_OFFLINE are never used: as root they would
// poison real pages.
var ldAdvice = []Advice{
	MadvDontNeed, MadvDontNeed, MadvDontNeed, MadvFree, MadvRemove, MadvRemove, MadvWillNeed,
	MadvNormal, MadvRandom, MadvSequential, MadvDontFork, MadvDoFork, MadvDontDump, MadvDoDump,
	MadvWipeOnFork, MadvKeepOnFork, MadvHugePage, MadvNoHugePage, MadvMergeable, MadvUnmergeable,
	MadvCold, MadvPageOut, MadvPopulateRead, MadvPopulateWrite, MadvPopulateWrite,
	MadvDontNeedLocked, MadvCollapse, MadvGuardInstall, MadvGuardRemove, Advice(999),
}

// next draws the next call.
func (g *ldGen) next() ldCall {
	r := g.r
	switch x := r.Intn(100); {
	case x < 26:
		return g.mmap()
	case x < 36:
		a := g.addr()
		l := g.length(a)
		a = g.misalign(a, &l)
		return ldCall{op: ldMunmap, addr: a, len: l}
	case x < 50:
		a := g.addr()
		l := g.length(a)
		a = g.misalign(a, &l)
		p := g.prot()
		if r.Intn(30) == 0 {
			p |= ProtGrowsDown
		}
		return ldCall{op: ldMprotect, addr: a, len: l, prot: p}
	case x < 63:
		return g.mremap()
	case x < 75:
		a := g.addr()
		l := g.length(a)
		a = g.misalign(a, &l)
		return ldCall{op: ldMadvise, addr: a, len: l, flags: uint64(ldAdvice[r.Intn(len(ldAdvice))])}
	case x < 79:
		a := g.addr()
		l := g.length(a)
		a = g.misalign(a, &l)
		fl := []MsyncFlags{MsSync, MsSync, MsAsync, MsInvalidate, 0, MsSync | MsInvalidate, MsAsync | MsSync, 8}
		return ldCall{op: ldMsync, addr: a, len: l, flags: uint64(fl[r.Intn(len(fl))])}
	case x < 86:
		return g.pwrite()
	case x < 90:
		slot := r.Intn(ldSlots)
		size := uint64(r.Intn(7)) * ldPage
		if r.Intn(2) == 0 {
			size += uint64(r.Intn(ldPage))
		}
		return ldCall{op: ldFtruncate, slot: slot, off: size}
	}
	if c, ok := g.poke(); ok {
		return c
	}
	return g.pwrite()
}

func (g *ldGen) pwrite() ldCall {
	r := g.r
	n := 1 + r.Intn(64)
	if r.Intn(5) == 0 {
		n = ldPage
	}
	data := make([]byte, n)
	r.Read(data)
	slot := r.Intn(2)
	if r.Intn(20) == 0 {
		slot = 2 // read-only: EBADF
	}
	return ldCall{op: ldPwrite, slot: slot, off: uint64(r.Intn(6 * ldPage)), data: data}
}

// poke writes into a mapping hostvm has writable: the real side writes
// through /proc/self/mem, which ignores protections, so only writable
// ranges are tried.
func (g *ldGen) poke() (ldCall, bool) {
	var ws []Mapping
	for _, m := range g.k.MappingsIn(Range{g.lo, g.hi}) {
		if m.Prot&ProtWrite != 0 {
			ws = append(ws, m)
		}
	}
	if len(ws) == 0 {
		return ldCall{}, false
	}
	m := ws[g.r.Intn(len(ws))]
	s, e := max(m.Start, g.lo), min(m.End, g.hi)
	a := s + Addr(g.r.Int63n(int64(e-s)))
	n := 1 + g.r.Intn(48)
	if uint64(e-a) < uint64(n) {
		n = int(e - a)
	}
	data := make([]byte, n)
	g.r.Read(data)
	return ldCall{op: ldPoke, addr: a, data: data}, true
}

func (g *ldGen) mmap() ldCall {
	r := g.r
	a := g.addr()
	l := g.length(a)
	if l == 0 && r.Intn(2) == 0 {
		l = ldPage
	}
	c := ldCall{op: ldMmap, addr: a, len: l, prot: g.prot(), slot: -1}
	var f MapFlags
	switch k := r.Intn(10); {
	case k < 4:
		f = MapPrivate | MapAnonymous
	case k < 5:
		f = MapShared | MapAnonymous
	case k < 7:
		f = MapPrivate
		c.slot = r.Intn(ldSlots)
	default:
		f = MapShared
		c.slot = r.Intn(ldSlots)
	}
	if c.slot >= 0 {
		c.off = uint64(r.Intn(6)) * ldPage
		if linuxsys.ByteOffsets && r.Intn(30) == 0 {
			c.off += uint64(1 + r.Intn(ldPage-1))
		}
		if g.noExec {
			c.prot &^= ProtExec
		}
	}
	if r.Intn(10) < 7 {
		f |= MapFixed
	} else {
		f |= MapFixedNoReplace
	}
	extras := []MapFlags{MapNoReserve, MapNoReserve, MapPopulate, MapPopulate, MapLocked, MapGrowsDown,
		MapStack, MapDenyWrite, Map32Bit, MapNonBlock}
	for r.Intn(4) == 0 {
		f |= extras[r.Intn(len(extras))]
	}
	switch r.Intn(60) {
	case 0:
		f = f&^MapType | MapSharedValidate | 0x200 // an unknown flag: EOPNOTSUPP
	case 1:
		f &^= MapType // no type: EINVAL
	case 2:
		if c.slot >= 0 && r.Intn(4) == 0 {
			f = f&^MapType | MapSharedValidate | MapSync // ext4 without DAX: EOPNOTSUPP
		}
	case 3:
		if c.slot < 0 {
			f = f&^MapType | MapDroppable
		}
	}
	c.flags = uint64(f)
	return c
}

func (g *ldGen) mremap() ldCall {
	r := g.r
	c := ldCall{op: ldMremap}
	// The old range: usually inside one mapping, from its start or to
	// its end.
	ms := g.k.MappingsIn(Range{g.lo, g.hi})
	if len(ms) > 0 && r.Intn(4) != 0 {
		m := ms[r.Intn(len(ms))]
		s, e := max(m.Start, g.lo), min(m.End, g.hi)
		pages := uint64(e-s) / ldPage
		from := uint64(r.Intn(int(pages)))
		to := from + 1 + uint64(r.Intn(int(pages-from)))
		switch r.Intn(3) {
		case 0:
			from = 0
		case 1:
			to = pages
		}
		c.addr, c.len = s+Addr(from*ldPage), (to-from)*ldPage
	} else {
		c.addr = g.addr()
		c.len = g.length(c.addr)
	}
	room := uint64(g.hi - c.addr)
	switch mode := r.Intn(10); {
	case mode < 4: // in place
		c.newLen = min(room, uint64(1+r.Intn(10))*ldPage)
		if c.newLen <= c.len && r.Intn(2) == 0 {
			c.flags = uint64(MremapMayMove) // shrinking never moves
		}
		if c.newLen > room {
			c.newLen = room
		}
	case mode < 9: // MAYMOVE|FIXED, sometimes DONTUNMAP, sometimes old_len 0
		c.flags = uint64(MremapMayMove | MremapFixed)
		if mode == 8 {
			c.len = 0
		}
		c.newAddr = g.addr()
		nroom := uint64(g.hi - c.newAddr)
		c.newLen = c.len
		if r.Intn(3) == 0 || c.newLen == 0 {
			c.newLen = uint64(1+r.Intn(8)) * ldPage
		}
		if r.Intn(5) == 0 && c.len != 0 {
			c.flags |= uint64(MremapDontUnmap)
			c.newLen = c.len
		}
		if c.newLen > nroom {
			c.newLen = nroom
		}
		if c.newLen == 0 {
			c.newLen = ldPage
			c.newAddr = g.hi - ldPage
		}
	default: // argument errors
		c.newLen = max(c.len, ldPage)
		switch r.Intn(3) {
		case 0:
			c.flags = 8
		case 1:
			c.flags = uint64(MremapFixed)
			c.newAddr = g.page()
		default:
			c.flags = uint64(MremapDontUnmap)
			c.newAddr = g.page()
		}
		if c.newLen > room {
			c.newLen = room
		}
	}
	if c.newLen == 0 {
		c.newLen = ldPage
	}
	if c.flags&uint64(MremapFixed) == 0 && c.newLen > room {
		c.newLen = room
	}
	if c.flags&uint64(MremapFixed|MremapMayMove) == uint64(MremapMayMove) && c.newLen > c.len {
		c.flags = 0
	}
	return c
}

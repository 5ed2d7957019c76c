package replay

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
	"github.com/mmapsim/mmapsim/sim"
)

// What the host cannot enforce. Under QEMU linux-user, translated code
// reads and writes host memory directly: a guest page whose protection is
// narrower than its host page's (a PROT_NONE guard page, or a read-only
// page, sharing a host page with more permissive neighbours) does not
// fault, because the host page's protection is the union of its guest
// pages'. Compare QEMU linux-user/mmap.c:target_mprotect(), which gives a
// partial host page the union, and mmap_frag().
//
// After each guest call whose range ends inside a host page, the replay
// compares each guest page of those host pages with its host page, before
// and after the call. A protection the call took away from anonymous
// memory that the host page still grants is a trap the program set and
// will not spring (the JVM's safepoint polling page, a guard zone below a
// thread's stack): the program is at risk. A write protection taken from
// a file's pages is RELRO, hardening a program runs without. A page born
// narrower than its host page (a thread stack's guard page) is only
// reached by a stack overflow.

// maxProbePages bounds the guest pages compared per host page.
const maxProbePages = 256

// pageState is one guest page's protection and its host page's.
type pageState struct {
	addr  uint64 // guest address
	guest uint32 // sim page flags
	host  hostvm.Prot
}

// leaks says which accesses the host page grants that the guest page
// does not: read, write. An unmapped guest page leaks nothing here.
func (p pageState) leaks() (read, write bool) {
	if p.guest&sim.PageValid == 0 {
		return false, false
	}
	return p.guest&sim.PageRead == 0 && p.host&hostvm.ProtRead != 0,
		p.guest&(sim.PageWrite|sim.PageWriteOrg) == 0 && p.host&hostvm.ProtWrite != 0
}

// protProbe is the state, before a guest call, of the guest pages that
// share a host page with either end of the call's range.
type protProbe struct {
	start, end uint64 // the call's guest range; start == end: not known before the call
	before     []pageState
}

// stateBefore returns the state of guest page addr before the call, if
// the probe recorded it (a linear search: at most two host pages' worth).
func (p *protProbe) stateBefore(addr uint64) (pageState, bool) {
	for _, b := range p.before {
		if b.addr == addr {
			return b, true
		}
	}
	return pageState{}, false
}

// guestRange is the guest range a memory call works on, known before the
// call: a range's, or a MAP_FIXED's. ok is false for others.
func guestRange(spec *scenario.CallSpec, args scenario.CallArgs) (start, end uint64, ok bool) {
	if a, l := spec.Index(scenario.ParamAddr), spec.Index(scenario.ParamLen); a >= 0 && l >= 0 {
		start, end = args[a].Num, args[a].Num+args[l].Num
	} else if spec.Result == scenario.ResultRange && spec.Fixed(args) {
		start = args[spec.Index(scenario.ParamHint)].Num
		end = start + args[spec.Index(scenario.ParamNewLen)].Num
	} else {
		return 0, 0, false
	}
	return start, end, end > start
}

// probeProtections records, before a guest call, the pages it may leave
// unenforced; nil when nothing can be (natively, or guest pages as large
// as the host's).
func (t *task) probeProtections(spec *scenario.CallSpec, args scenario.CallArgs) *protProbe {
	m := t.space.machine
	if m.Sim == nil || m.Sim.Config().HostPageSize <= m.Sim.Config().TargetPageSize {
		return nil
	}
	p := &protProbe{}
	if start, end, ok := guestRange(spec, args); ok {
		p.start, p.end = start, end
		p.before = pagesAt(m, start, end)
	}
	return p
}

// pagesAt lists the state of the guest pages in the host pages that the
// ends of [start, end) fall inside, when they are not host-page aligned.
func pagesAt(m *scenario.Machine, start, end uint64) []pageState {
	cfg := m.Sim.Config()
	h, tp := cfg.HostPageSize, cfg.TargetPageSize
	out := make([]pageState, 0, 2*min(h/tp, maxProbePages))
	add := func(hp uint64) {
		for i, p := 0, hp; i < maxProbePages && p < hp+h && p >= hp; i, p = i+1, p+tp {
			out = append(out, pageState{addr: p, guest: m.Sim.PageFlags(p), host: hostProt(m, p)})
		}
	}
	first := hostvm.AlignDown(start, h)
	if start%h != 0 {
		add(first)
	}
	if last := hostvm.AlignDown(end-1, h); end%h != 0 && (last != first || start%h == 0) {
		add(last)
	}
	return out
}

// hostProt is the protection of the host page under guest page p.
func hostProt(m *scenario.Machine, p uint64) hostvm.Prot {
	if mp, ok := m.Kernel.Lookup(m.Sim.G2H(p)); ok {
		return mp.Prot
	}
	return 0
}

// afterCall judges, under a target, what a successful guest call left the
// host unable to enforce, and counts the QEMU mechanisms that absorbed a
// range the host page cannot hold.
func (t *task) afterCall(st *syntax.Stmt, spec *scenario.CallSpec, traceArgs, args scenario.CallArgs, o scenario.Outcome, p *protProbe) {
	if p == nil || o.Err != 0 || o.Abort != nil {
		return
	}
	m, img := t.space.machine, t.space.image
	h := m.Sim.Config().HostPageSize
	start, end := p.start, p.end
	if start == end && spec.Result == scenario.ResultRange { // placed by the call
		start = o.Value
		end = start + args[spec.Index(scenario.ParamNewLen)].Num
	}
	if end <= start {
		return
	}
	for _, hc := range o.HostCalls {
		if hc.Op == sim.OpPread {
			img.Preads++
			break
		}
	}
	if start%h == 0 && end%h == 0 {
		return
	}
	img.Fragments++
	kind := memAnon
	at, ok := callAddr(spec, traceArgs)
	simAt := at
	if ok {
		simAt, _ = callAddr(spec, args)
	} else {
		at, simAt = t.res.value, o.Value
	}
	delta := simAt - at // simulated address = trace address + delta
	if seg, ok := t.space.addrs.find(at); ok {
		kind = seg.kind
	}
	var trap *Unenforced
	for _, ps := range pagesAt(m, start, end) {
		read, write := ps.leaks()
		b, known := p.stateBefore(ps.addr)
		bread, bwrite := b.leaks()
		read, write = read && !(known && bread), write && !(known && bwrite)
		if !read && !write {
			continue
		}
		inRange := ps.addr >= start && ps.addr < end
		revokedRead := read && inRange && known && b.guest&sim.PageValid != 0 && b.guest&sim.PageRead != 0
		revokedWrite := write && inRange && known && b.guest&sim.PageValid != 0 && b.guest&(sim.PageWrite|sim.PageWriteOrg) != 0
		switch {
		case (revokedRead || revokedWrite) && (kind == memAnon || kind == memHeap):
			if trap == nil {
				trap = &Unenforced{Pos: t.sess.pos(st), Line: st.Line, Call: traceBody(st), Page: ps.addr - delta, Kind: leakKind(ps, read, write),
					HostPage: h, HostProt: ps.host.String()}
			}
			trap.Pages++
		case revokedWrite:
			img.Relro++
		case read:
			img.LooseGuards++
		default:
			img.LooseReadOnly++
		}
	}
	if trap != nil {
		img.TrapCount++
		if len(img.Traps) < maxTraps {
			img.Traps = append(img.Traps, *trap)
		}
	}
}

// leakKind names what a page's host page grants it: "guard page readable
// and writable", "read-only page writable".
func leakKind(p pageState, read, write bool) string {
	what := "read-only page"
	if p.guest&sim.PageRead == 0 {
		what = "guard page (no access)"
	}
	switch {
	case read && write:
		return what + " readable and writable"
	case read:
		return what + " readable"
	}
	return what + " writable"
}

// maxTraps bounds the traps an image keeps with their text.
const maxTraps = 5

// Unenforced is a protection a call set that the host cannot enforce.
type Unenforced struct {
	Pos      string
	Line     int
	Call     string // the trace's call
	Page     uint64 // the first guest page left unenforced, at its trace address
	Pages    int    // how many
	Kind     string // "guard page (no access) readable and writable", ...
	HostPage uint64 // the host page size
	HostProt string // the host page's protection: "rw-"
}

func (u Unenforced) String() string {
	pages := ""
	if u.Pages > 1 {
		pages = fmt.Sprintf(" (and %d more pages)", u.Pages-1)
	}
	return fmt.Sprintf("line %d: %s: %s at %#x%s: its %s host page is %s", u.Line, u.Call, u.Kind, u.Page, pages, sizeText(u.HostPage), u.HostProt)
}

package picture

import (
	"sort"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/sim"
)

// A picture of an address space, for teaching.
//
// Under a target, each row is one host page as QEMU sees it
// (qemu_host_page_size, H), split into H/T cells, one per guest page: the
// guest page's flags ("r-x"; "---" for a valid PROT_NONE page; "." for an
// unmapped one), and beside them the host's real protection of that host
// page, from the host kernel's mappings. A row is marked
//
//	F  a fragment: its guest pages are not all alike (some mapped and some
//	   not, or mapped with different protections), so the host protection
//	   is a compromise: the union of the guest pages' protections
//	R  a reservation placeholder: no guest page, and a PROT_NONE host
//	   mapping that keeps the host's own mappings out (RESERVED_VA)
//	!  the guest and the host disagree: a guest page allows what its host
//	   page does not, or a host page is mapped that no guest page owns
//	?  the emulator's own record of the host page (a guest that is a
//	   HostRecorder: box64's mapallmem and memprot) is not what the host
//	   has: it believes unmapped a page the host still maps, mapped a page
//	   the host dropped, or another protection; the host column then shows
//	   what it believes
//
// On the host alone, each row is one host page with its protection and
// file. Only the rows near something mapped are drawn, and a run of
// identical rows is drawn once with a count, so a 4 GiB reservation or a
// 47-bit space costs only its mappings.

// Picture is the drawing of one machine's state. Build it with New; String
// and WriteText render it as text, HTMLRecorder as SVG in a page.
type Picture struct {
	guest      bool
	rowSize    uint64 // H under a target, else the host page size
	cellSize   uint64 // T under a target, else the host page size (one cell)
	addrDigits int    // hex digits of an address
	items      []item
	truncated  bool // MaxRows was reached
}

// item is one line of the picture: a row (possibly standing for repeat
// identical rows) or a gap of addresses not drawn.
type item struct {
	addr   uint64 // the row's (first row's) address; a gap's start
	repeat uint64 // rows this item stands for; 0 for a gap
	cells  []cell
	host   []hostPart // the host pages under the row, consecutive equal ones merged
	mark   string     // "F", "R", "!", "F!" or ""
	gapEnd uint64     // a gap: its end
	gapWhy string     // a gap: what is in it
}

// HostRecorder is what the picture asks of a guest whose emulator keeps its
// own record of the host's pages (box64 keeps mapallmem and memprot), so a
// row can show where that record and the host part. QEMU's port keeps no
// such record and does not implement it.
type HostRecorder interface {
	// HostPageBelief is what the emulator believes of the host page holding
	// guest address addr: whether it is mapped and, when protKnown, the
	// protection the host page has (as the emulator asked the host for
	// it).
	HostPageBelief(addr uint64) (mapped bool, prot hostvm.Prot, protKnown bool)
}

// cell is one guest page.
type cell struct {
	valid bool
	prot  hostvm.Prot
}

// hostPart is what the host has under (part of) a row.
type hostPart struct {
	mapped bool
	prot   hostvm.Prot
	shared bool
	name   string // the file, "[heap]", or "" for anonymous memory
	off    uint64 // file offset where the mapping starts
	starts bool   // the mapping starts in this row: off is worth printing
	pages  int    // how many host pages of the row this stands for
	// belief is what a HostRecorder guest believes of the host page, when
	// that differs from what the host has: "unmapped", "mapped" or a
	// protection; "" when they agree or the guest keeps no record.
	belief string
}

// MaxRows bounds the rows one picture draws.
const MaxRows = 400

// New draws m.
func New(m *scenario.Machine) *Picture {
	d := newDrawer(m)
	return d.draw()
}

// drawer holds what drawing one picture needs.
type drawer struct {
	machine  *scenario.Machine
	guest    sim.Guest    // nil on the host view
	records  HostRecorder // the guest's own record of the host pages, if it keeps one
	row      uint64       // bytes per row
	cell     uint64       // bytes per cell
	hostPage uint64       // the host kernel's page
	top      uint64       // end of the drawn space (exclusive, in row addresses); 0: 1<<64
	base     uint64       // host address of row address 0 (guest_base)
	reserved bool         // RESERVED_VA placeholders are expected
}

func newDrawer(m *scenario.Machine) *drawer {
	d := &drawer{machine: m, guest: m.Sim, hostPage: m.Kernel.PageSize()}
	if d.guest == nil {
		d.row, d.cell = d.hostPage, d.hostPage
		d.top = uint64(m.Kernel.TaskSize())
		return d
	}
	cfg := d.guest.Config()
	d.records, _ = d.guest.(HostRecorder)
	d.row, d.cell = cfg.HostPageSize, cfg.TargetPageSize
	d.base = d.guest.GuestBase()
	d.reserved = cfg.ReservedVA != 0
	switch {
	case cfg.ReservedVA != 0:
		d.top = cfg.ReservedVA
	case cfg.VirtBits < 64:
		d.top = 1 << cfg.VirtBits
	}
	return d
}

// end returns the exclusive end of the drawn space, saturating at 2^64-1.
func (d *drawer) end() uint64 {
	if d.top == 0 {
		return ^uint64(0)
	}
	return d.top
}

func (d *drawer) draw() *Picture {
	p := &Picture{guest: d.guest != nil, rowSize: d.row, cellSize: d.cell}
	bits := 64
	if e := d.end(); e != ^uint64(0) {
		bits = 0
		for v := e - 1; v != 0; v >>= 1 {
			bits++
		}
	}
	p.addrDigits = max(8, (bits+3)/4)
	windows, bounds := d.windows()
	rows := 0
	prevEnd := uint64(0)
	for wi, w := range windows {
		if wi > 0 || w[0] > 0 {
			p.items = append(p.items, item{addr: prevEnd, gapEnd: w[0], gapWhy: d.gapWhy()})
		}
		for x := w[0]; x < w[1] && x >= w[0]; {
			if rows >= MaxRows {
				p.truncated = true
				return p
			}
			it := d.rowAt(x)
			p.add(it, d.row)
			rows++
			next := x + d.row
			if next < x || next >= w[1] {
				break
			}
			// Rows wholly inside one piece between boundaries are alike.
			nb := w[1]
			if i := sort.Search(len(bounds), func(i int) bool { return bounds[i] > next }); i < len(bounds) && bounds[i] < nb {
				nb = bounds[i]
			}
			if k := (nb - next) / d.row; k >= 2 {
				it := d.rowAt(next)
				it.repeat = k
				p.add(it, d.row)
				rows++
				x = next + k*d.row
				continue
			}
			x = next
		}
		prevEnd = w[1]
	}
	if len(windows) == 0 {
		p.items = append(p.items, item{addr: 0, gapEnd: d.end(), gapWhy: d.gapWhy()})
	} else if prevEnd < d.end() {
		p.items = append(p.items, item{addr: prevEnd, gapEnd: d.end(), gapWhy: d.gapWhy()})
	}
	return p
}

// add appends a row item, merging it into the previous one when alike.
func (p *Picture) add(it item, rowSize uint64) {
	if n := len(p.items); n > 0 {
		last := &p.items[n-1]
		if last.repeat > 0 && last.addr+last.repeat*rowSize == it.addr && sameRow(*last, it) {
			last.repeat += it.repeat
			return
		}
	}
	p.items = append(p.items, it)
}

func sameRow(a, b item) bool {
	if a.mark != b.mark || len(a.cells) != len(b.cells) || len(a.host) != len(b.host) {
		return false
	}
	for i := range a.cells {
		if a.cells[i] != b.cells[i] {
			return false
		}
	}
	for i := range a.host {
		if a.host[i] != b.host[i] {
			return false
		}
	}
	return true
}

func (d *drawer) gapWhy() string {
	if d.reserved {
		return "reservation placeholders"
	}
	return "nothing mapped"
}

// hostMaps lists the host mappings in the drawn space, with their ranges in
// row addresses (clipped to the space).
func (d *drawer) hostMaps() ([]hostvm.Mapping, [][2]uint64) {
	lo := hostvm.Addr(d.base)
	hi := hostvm.Addr(d.base + d.end())
	if d.base+d.end() < d.base {
		hi = hostvm.Addr(^uint64(0))
	}
	ms := d.machine.Kernel.MappingsIn(hostvm.Range{Start: lo, End: hi})
	rs := make([][2]uint64, len(ms))
	for i, m := range ms {
		s, e := max(uint64(m.Start), d.base)-d.base, min(uint64(m.End)-d.base, d.end())
		rs[i] = [2]uint64{s, e}
	}
	return ms, rs
}

// placeholder reports whether host mapping m is a RESERVED_VA placeholder.
func (d *drawer) placeholder(m hostvm.Mapping) bool {
	return d.reserved && m.Prot == hostvm.ProtNone && m.Anonymous && !m.Shared
}

// windows returns the row-aligned ranges worth drawing, each with one row
// of context on either side, merged; and every address where what is
// drawn may change.
func (d *drawer) windows() ([][2]uint64, []uint64) {
	var spans [][2]uint64
	var bounds []uint64
	if d.guest != nil {
		for _, r := range d.guest.FlagRuns() {
			spans = append(spans, [2]uint64{r.Start, r.End})
			bounds = append(bounds, r.Start, r.End)
		}
	}
	ms, rs := d.hostMaps()
	for i, m := range ms {
		bounds = append(bounds, rs[i][0], rs[i][1])
		if !d.placeholder(m) {
			spans = append(spans, rs[i])
		}
	}
	sort.Slice(bounds, func(i, j int) bool { return bounds[i] < bounds[j] })
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	end := d.end()
	var out [][2]uint64
	for _, s := range spans {
		if s[0] >= s[1] {
			continue
		}
		a := hostvm.AlignDown(s[0], d.row)
		b, ok := hostvm.AlignUp(s[1], d.row)
		if !ok || b > end {
			b = hostvm.AlignDown(end, d.row)
			if b <= a {
				b = end
			}
		}
		if a >= d.row {
			a -= d.row // context above
		}
		if b2 := b + d.row; b2 > b && b2 <= end {
			b = b2 // context below
		}
		if n := len(out); n > 0 && a <= out[n-1][1] {
			out[n-1][1] = max(out[n-1][1], b)
			continue
		}
		out = append(out, [2]uint64{a, b})
	}
	return out, bounds
}

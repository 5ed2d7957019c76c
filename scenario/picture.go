package scenario

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
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
//
// On the host alone, each row is one host page with its protection and
// file. Only the rows near something mapped are drawn, and a run of
// identical rows is drawn once with a count, so a 4 GiB reservation or a
// 47-bit space costs only its mappings.

// Picture is the drawing of one machine's state. Build it with NewPicture;
// String renders it as text and the HTML page as SVG.
type Picture struct {
	Guest      bool
	RowSize    uint64 // H under a target, else the host page size
	CellSize   uint64 // T under a target, else the host page size (one cell)
	AddrDigits int    // hex digits of an address
	Items      []PicItem
	Truncated  bool // MaxPictureRows was reached
}

// PicItem is one line of the picture: a row (possibly standing for Repeat
// identical rows) or a gap of addresses not drawn.
type PicItem struct {
	Addr   uint64 // the row's (first row's) address; a gap's start
	Repeat uint64 // rows this item stands for; 0 for a gap
	Cells  []PicCell
	Host   []PicHost // the host pages under the row, consecutive equal ones merged
	Mark   string    // "F", "R", "!", "F!" or ""
	GapEnd uint64    // a gap: its end
	GapWhy string    // a gap: what is in it
}

// PicCell is one guest page.
type PicCell struct {
	Valid bool
	Prot  hostvm.Prot
}

// PicHost is what the host has under (part of) a row.
type PicHost struct {
	Mapped bool
	Prot   hostvm.Prot
	Shared bool
	Name   string // the file, "[heap]", or "" for anonymous memory
	Off    uint64 // file offset where the mapping starts
	Starts bool   // the mapping starts in this row: Off is worth printing
	Pages  int    // how many host pages of the row this stands for
}

// MaxPictureRows bounds the rows one picture draws.
const MaxPictureRows = 400

// NewPicture draws m.
func NewPicture(m *Machine) *Picture {
	d := newDrawer(m)
	return d.draw()
}

// drawer holds what drawing one picture needs.
type drawer struct {
	m        *Machine
	s        sim.Guest // nil on the host view
	row      uint64    // bytes per row
	cell     uint64    // bytes per cell
	hostPage uint64    // the host kernel's page
	top      uint64    // end of the drawn space (exclusive, in row addresses); 0: 1<<64
	base     uint64    // host address of row address 0 (guest_base)
	reserved bool      // RESERVED_VA placeholders are expected
}

func newDrawer(m *Machine) *drawer {
	d := &drawer{m: m, s: m.Sim, hostPage: m.Kernel.PageSize()}
	if d.s == nil {
		d.row, d.cell = d.hostPage, d.hostPage
		d.top = uint64(m.Kernel.TaskSize())
		return d
	}
	cfg := d.s.Config()
	d.row, d.cell = cfg.HostPageSize, cfg.TargetPageSize
	d.base = d.s.GuestBase()
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
	p := &Picture{Guest: d.s != nil, RowSize: d.row, CellSize: d.cell}
	bits := 64
	if e := d.end(); e != ^uint64(0) {
		bits = 0
		for v := e - 1; v != 0; v >>= 1 {
			bits++
		}
	}
	p.AddrDigits = max(8, (bits+3)/4)
	windows, bounds := d.windows()
	rows := 0
	prevEnd := uint64(0)
	for wi, w := range windows {
		if wi > 0 || w[0] > 0 {
			p.Items = append(p.Items, PicItem{Addr: prevEnd, GapEnd: w[0], GapWhy: d.gapWhy()})
		}
		for x := w[0]; x < w[1] && x >= w[0]; {
			if rows >= MaxPictureRows {
				p.Truncated = true
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
				it.Repeat = k
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
		p.Items = append(p.Items, PicItem{Addr: 0, GapEnd: d.end(), GapWhy: d.gapWhy()})
	} else if prevEnd < d.end() {
		p.Items = append(p.Items, PicItem{Addr: prevEnd, GapEnd: d.end(), GapWhy: d.gapWhy()})
	}
	return p
}

// add appends a row item, merging it into the previous one when alike.
func (p *Picture) add(it PicItem, rowSize uint64) {
	if n := len(p.Items); n > 0 {
		last := &p.Items[n-1]
		if last.Repeat > 0 && last.Addr+last.Repeat*rowSize == it.Addr && sameRow(*last, it) {
			last.Repeat += it.Repeat
			return
		}
	}
	p.Items = append(p.Items, it)
}

func sameRow(a, b PicItem) bool {
	if a.Mark != b.Mark || len(a.Cells) != len(b.Cells) || len(a.Host) != len(b.Host) {
		return false
	}
	for i := range a.Cells {
		if a.Cells[i] != b.Cells[i] {
			return false
		}
	}
	for i := range a.Host {
		if a.Host[i] != b.Host[i] {
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
	ms := d.m.Kernel.MappingsIn(hostvm.Range{Start: lo, End: hi})
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
	if d.s != nil {
		for _, r := range d.s.FlagRuns() {
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

// rowAt draws the row at address x.
func (d *drawer) rowAt(x uint64) PicItem {
	it := PicItem{Addr: x, Repeat: 1}
	rowEnd := x + d.row
	if rowEnd < x {
		rowEnd = ^uint64(0)
	}
	hx := hostvm.Addr(d.base + x)
	ms := d.m.Kernel.MappingsIn(hostvm.Range{Start: hx, End: hx + hostvm.Addr(rowEnd-x)})
	step := min(d.hostPage, d.row)
	var pages []PicHost
	at := func(a hostvm.Addr) (hostvm.Mapping, bool) {
		for _, m := range ms {
			if m.Start <= a && a < m.End {
				return m, true
			}
		}
		return hostvm.Mapping{}, false
	}
	for off := uint64(0); off < d.row; off += step {
		a := hostvm.Addr(hostvm.AlignDown(uint64(hx)+off, d.hostPage))
		m, ok := at(a)
		h := PicHost{Pages: 1}
		if ok {
			h.Mapped, h.Prot, h.Shared, h.Name = true, m.Prot, m.Shared, m.Name
			if !m.Anonymous && m.Name != "" {
				h.Off = m.Offset
				h.Starts = m.Start >= hx && uint64(m.Start) < uint64(hx)+d.row
			}
		}
		if n := len(pages); n > 0 && pages[n-1].Mapped == h.Mapped && pages[n-1].Prot == h.Prot &&
			pages[n-1].Shared == h.Shared && pages[n-1].Name == h.Name && pages[n-1].Starts == h.Starts && pages[n-1].Off == h.Off {
			pages[n-1].Pages++
			continue
		}
		pages = append(pages, h)
	}
	it.Host = pages
	if d.s == nil {
		return it
	}

	// The guest's view: one cell per guest page.
	n := int(d.row / d.cell)
	it.Cells = make([]PicCell, n)
	for _, r := range d.s.FlagRunsIn(x, rowEnd) {
		for i := 0; i < n; i++ {
			c := x + uint64(i)*d.cell
			if c >= r.Start && c < r.End && r.Flags&sim.PageValid != 0 {
				it.Cells[i] = PicCell{Valid: true, Prot: hostvm.Prot(r.Flags & sim.PageBits)}
			}
		}
	}
	valid, invalid := 0, 0
	prots := map[hostvm.Prot]bool{}
	bad := false
	for i, c := range it.Cells {
		if !c.Valid {
			invalid++
			continue
		}
		valid++
		prots[c.Prot] = true
		// Every host page under the cell must allow the guest's access.
		cs := hx + hostvm.Addr(uint64(i)*d.cell)
		for a := hostvm.Addr(hostvm.AlignDown(uint64(cs), d.hostPage)); a < cs+hostvm.Addr(d.cell); a += hostvm.Addr(d.hostPage) {
			m, ok := at(a)
			if !ok || m.Prot&c.Prot != c.Prot {
				bad = true
			}
		}
	}
	allPlaceholders := len(ms) > 0
	for _, h := range pages {
		if !h.Mapped {
			allPlaceholders = false
		}
	}
	for _, m := range ms {
		if !d.placeholder(m) {
			allPlaceholders = false
			if valid == 0 {
				bad = true // a host mapping no guest page owns
			}
		}
	}
	switch {
	case valid > 0 && (invalid > 0 || len(prots) > 1):
		it.Mark = "F"
	case valid == 0 && allPlaceholders:
		it.Mark = "R"
	}
	if bad {
		it.Mark += "!"
	}
	return it
}

// PictureLegend explains the text picture's notation.
const PictureLegend = `# picture: one row per host page; under a target its cells are the guest pages:
#   r-x (etc.) a mapped guest page's protection, --- mapped PROT_NONE, . not mapped;
#   host: the host page's real protection (and file@offset where a file mapping starts;
#   "|" separates host pages smaller than the row, *N a run of N of them);
#   F fragment (guest pages of one host page differ), R reservation placeholder,
#   ! guest and host disagree; (xN) a run of N identical rows
`

// String renders the picture as text.
func (p *Picture) String() string {
	var b strings.Builder
	p.WriteText(&b)
	return b.String()
}

// WriteText renders the picture as text, one line per item.
func (p *Picture) WriteText(w io.Writer) {
	addrW := p.AddrDigits + 2
	prefix := 2 + addrW + 3 // "  ADDR MM"
	if p.Guest {
		var hdr strings.Builder
		for i := uint64(0); i < p.RowSize/p.CellSize; i++ {
			label := fmt.Sprintf("%dK", i*p.CellSize>>10)
			if len(label) > 3 {
				label = fmt.Sprintf("%x", i)
			}
			fmt.Fprintf(&hdr, " %-3s", label)
		}
		fmt.Fprintf(w, "%-*s%s  host\n", prefix, "  guest", hdr.String())
	} else {
		fmt.Fprintf(w, "%-*s  host\n", prefix, "  address")
	}
	for _, it := range p.Items {
		if it.Repeat == 0 {
			fmt.Fprintf(w, "  %s\n", gapText(it, p.AddrDigits))
			continue
		}
		fmt.Fprintf(w, "  %s %-2s", addrText(it.Addr, p.AddrDigits), it.Mark)
		for _, c := range it.Cells {
			w.Write([]byte(" " + cellText(c)))
		}
		fmt.Fprintf(w, "  %s", hostText(it.Host))
		if it.Repeat > 1 {
			fmt.Fprintf(w, "  (x%d)", it.Repeat)
		}
		fmt.Fprintln(w)
	}
	if p.Truncated {
		fmt.Fprintf(w, "  ... (picture truncated at %d rows)\n", MaxPictureRows)
	}
}

func gapText(it PicItem, digits int) string {
	return fmt.Sprintf("~~ %s-%s %s, %s", addrText(it.Addr, digits), addrText(it.GapEnd, digits), humanSize(it.GapEnd-it.Addr), it.GapWhy)
}

// addrText writes a with at least digits hex digits.
func addrText(a uint64, digits int) string { return fmt.Sprintf("0x%0*x", digits, a) }

// humanSize writes n bytes in the largest binary unit it reaches, with one
// decimal when inexact: "64K", "3.9G".
func humanSize(n uint64) string {
	units := []string{"", "K", "M", "G", "T", "P", "E"}
	i := 0
	for i+1 < len(units) && n>>(10*uint(i+1)) != 0 {
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d bytes", n)
	}
	whole := n >> (10 * uint(i))
	if n&(1<<(10*uint(i))-1) == 0 {
		return fmt.Sprintf("%d%s", whole, units[i])
	}
	tenths := (n >> (10*uint(i) - 10)) & 1023 * 10 / 1024
	return fmt.Sprintf("%d.%d%s", whole, tenths, units[i])
}

func cellText(c PicCell) string {
	if !c.Valid {
		return " . "
	}
	return c.Prot.String()
}

func hostText(hs []PicHost) string {
	var parts []string
	for _, h := range hs {
		s := "."
		if h.Mapped {
			s = h.Prot.String()
			if h.Shared {
				s += "s"
			}
			if h.Name != "" {
				s += " " + h.Name
				if h.Starts {
					s += "@" + hex(h.Off)
				}
			}
		}
		if len(hs) > 1 && h.Pages > 1 {
			s += fmt.Sprintf(" *%d", h.Pages)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " | ")
}

package picture

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
)

// rowAt draws the row at address x: the host pages under it and, under a
// target, its guest pages and mark.
//
// Preconditions: x is a multiple of d.row below d.end().
func (d *drawer) rowAt(x uint64) item {
	it := item{addr: x, repeat: 1}
	rowEnd := x + d.row
	if rowEnd < x {
		rowEnd = ^uint64(0)
	}
	hx := hostvm.Addr(d.base + x)
	ms := d.machine.Kernel.MappingsIn(hostvm.Range{Start: hx, End: hx + hostvm.Addr(rowEnd-x)})
	step := min(d.hostPage, d.row)
	var pages []hostPart
	mappingAt := func(a hostvm.Addr) (hostvm.Mapping, bool) {
		for _, m := range ms {
			if m.Start <= a && a < m.End {
				return m, true
			}
		}
		return hostvm.Mapping{}, false
	}
	for off := uint64(0); off < d.row; off += step {
		a := hostvm.Addr(hostvm.AlignDown(uint64(hx)+off, d.hostPage))
		m, ok := mappingAt(a)
		h := hostPart{pages: 1}
		if ok {
			h.mapped, h.prot, h.shared, h.name = true, m.Prot, m.Shared, m.Name
			if !m.Anonymous && m.Name != "" {
				h.off = m.Offset
				h.starts = m.Start >= hx && uint64(m.Start) < uint64(hx)+d.row
			}
		}
		if d.records != nil {
			h.belief = belief(d.records, uint64(a)-d.base, h)
			if h.belief != "" {
				it.mark = "?"
			}
		}
		if n := len(pages); n > 0 && pages[n-1].mapped == h.mapped && pages[n-1].prot == h.prot &&
			pages[n-1].shared == h.shared && pages[n-1].name == h.name && pages[n-1].starts == h.starts &&
			pages[n-1].off == h.off && pages[n-1].belief == h.belief {
			pages[n-1].pages++
			continue
		}
		pages = append(pages, h)
	}
	it.host = pages
	if d.guest == nil {
		return it
	}

	// The guest's view: one cell per guest page.
	n := int(d.row / d.cell)
	it.cells = make([]cell, n)
	for _, r := range d.guest.FlagRunsIn(x, rowEnd) {
		for i := 0; i < n; i++ {
			c := x + uint64(i)*d.cell
			if c >= r.Start && c < r.End && r.Flags&sim.PageValid != 0 {
				it.cells[i] = cell{valid: true, prot: hostvm.Prot(r.Flags & sim.PageBits)}
			}
		}
	}
	valid, invalid := 0, 0
	prots := map[hostvm.Prot]bool{}
	bad := false
	for i, c := range it.cells {
		if !c.valid {
			invalid++
			continue
		}
		valid++
		prots[c.prot] = true
		// Every host page under the cell must allow the guest's access.
		cs := hx + hostvm.Addr(uint64(i)*d.cell)
		for a := hostvm.Addr(hostvm.AlignDown(uint64(cs), d.hostPage)); a < cs+hostvm.Addr(d.cell); a += hostvm.Addr(d.hostPage) {
			m, ok := mappingAt(a)
			if !ok || m.Prot&c.prot != c.prot {
				bad = true
			}
		}
	}
	allPlaceholders := len(ms) > 0
	for _, h := range pages {
		if !h.mapped {
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
	believed := it.mark
	it.mark = ""
	switch {
	case valid > 0 && (invalid > 0 || len(prots) > 1):
		it.mark = "F"
	case valid == 0 && allPlaceholders:
		it.mark = "R"
	}
	if bad {
		it.mark += "!"
	}
	it.mark += believed
	return it
}

// belief is what rec believes of the host page at guest address a, where
// that is not what the host has (h): "unmapped", "mapped", or the
// protection it believes; "" where they agree.
func belief(rec HostRecorder, a uint64, h hostPart) string {
	mapped, prot, protKnown := rec.HostPageBelief(a)
	switch {
	case mapped != h.mapped && mapped:
		return "mapped"
	case mapped != h.mapped:
		return "unmapped"
	case mapped && protKnown && prot != h.prot:
		return prot.String()
	}
	return ""
}

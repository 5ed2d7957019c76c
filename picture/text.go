package picture

import (
	"fmt"
	"io"
	"strings"
)

// Legend explains the text picture's notation.
const Legend = `# picture: one row per host page; under a target its cells are the guest pages:
#   r-x (etc.) a mapped guest page's protection, --- mapped PROT_NONE, . not mapped;
#   host: the host page's real protection (and file@offset where a file mapping starts;
#   "|" separates host pages smaller than the row, *N a run of N of them);
#   F fragment (guest pages of one host page differ), R reservation placeholder,
#   ! guest and host disagree; (xN) a run of N identical rows
`

// RecorderLegend is the notation a picture adds for a guest that keeps its
// own record of the host pages (a HostRecorder: box64).
const RecorderLegend = `#   ? the emulator's own record of the host page differs from the host: the host
#   column adds what it believes ("believed unmapped", "believed r--")
`

// String renders the picture as text.
func (p *Picture) String() string {
	var b strings.Builder
	p.WriteText(&b)
	return b.String()
}

// WriteText renders the picture as text, one line per item.
func (p *Picture) WriteText(w io.Writer) {
	addrW := p.addrDigits + 2
	prefix := 2 + addrW + 3 // "  ADDR MM"
	if p.guest {
		var hdr strings.Builder
		for i := uint64(0); i < p.rowSize/p.cellSize; i++ {
			label := fmt.Sprintf("%dK", i*p.cellSize>>10)
			if len(label) > 3 {
				label = fmt.Sprintf("%x", i)
			}
			fmt.Fprintf(&hdr, " %-3s", label)
		}
		fmt.Fprintf(w, "%-*s%s  host\n", prefix, "  guest", hdr.String())
	} else {
		fmt.Fprintf(w, "%-*s  host\n", prefix, "  address")
	}
	for _, it := range p.items {
		if it.repeat == 0 {
			fmt.Fprintf(w, "  %s\n", gapText(it, p.addrDigits))
			continue
		}
		fmt.Fprintf(w, "  %s %-2s", addrText(it.addr, p.addrDigits), it.mark)
		for _, c := range it.cells {
			w.Write([]byte(" " + cellText(c)))
		}
		fmt.Fprintf(w, "  %s", hostText(it.host))
		if it.repeat > 1 {
			fmt.Fprintf(w, "  (x%d)", it.repeat)
		}
		fmt.Fprintln(w)
	}
	if p.truncated {
		fmt.Fprintf(w, "  ... (picture truncated at %d rows)\n", MaxRows)
	}
}

func gapText(it item, digits int) string {
	return fmt.Sprintf("~~ %s-%s %s, %s", addrText(it.addr, digits), addrText(it.gapEnd, digits), humanSize(it.gapEnd-it.addr), it.gapWhy)
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

func cellText(c cell) string {
	if !c.valid {
		return " . "
	}
	return c.prot.String()
}

func hostText(hs []hostPart) string {
	var parts []string
	for _, h := range hs {
		s := "."
		if h.mapped {
			s = h.prot.String()
			if h.shared {
				s += "s"
			}
			if h.name != "" {
				s += " " + h.name
				if h.starts {
					s += "@" + offsetText(h.off)
				}
			}
		}
		if h.belief != "" {
			s += " (believed " + h.belief + ")"
		}
		if len(hs) > 1 && h.pages > 1 {
			s += fmt.Sprintf(" *%d", h.pages)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " | ")
}

// offsetText writes a file offset as strace writes numbers in hex: "0" or
// "0x10000".
func offsetText(v uint64) string {
	if v == 0 {
		return "0"
	}
	return fmt.Sprintf("%#x", v)
}

package picture

import (
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// The HTML picture: one self-contained page (inline CSS, SVG and a few
// lines of script, nothing fetched from anywhere) that steps through one or
// more runs, a picture per step. The same input gives the same bytes.

// HTMLRecorder collects the steps of runs for WriteHTML. Use Hooks for each
// run's scenario.RunOptions.
type HTMLRecorder struct {
	Title string
	steps []htmlStep
}

type htmlStep struct {
	file    string // the scenario
	machine string // its machine, on the first step of a run
	pos     string // "file:line", or "" for the initial state
	stmt    string
	result  string
	calls   []string
	pic     *Picture
}

// Hooks returns the scenario.RunOptions Start and After functions that
// record the run of the scenario called name.
func (h *HTMLRecorder) Hooks(name string) (start func(*scenario.Machine), after func(*scenario.Machine, *syntax.Stmt, scenario.Outcome)) {
	start = func(m *scenario.Machine) {
		h.steps = append(h.steps, htmlStep{file: name, machine: m.Describe(), stmt: "start", pic: New(m)})
	}
	after = func(m *scenario.Machine, st *syntax.Stmt, o scenario.Outcome) {
		s := htmlStep{file: name, pos: fmt.Sprintf("%s:%d", name, st.Line), stmt: syntax.Format(st),
			result: o.Text(st), pic: New(m)}
		for _, c := range o.HostCalls {
			s.calls = append(s.calls, c.String())
		}
		h.steps = append(h.steps, s)
	}
	return start, after
}

// Steps is the number of steps recorded.
func (h *HTMLRecorder) Steps() int { return len(h.steps) }

const htmlStyle = `body{font-family:sans-serif;margin:1em 2em;color:#222}
h1{font-size:1.3em}
#bar{position:sticky;top:0;background:#fff;padding:.4em 0;border-bottom:1px solid #ccc}
button{font-size:1em;margin-right:.5em}
ol{font-family:monospace;font-size:.85em;max-height:12em;overflow:auto;border:1px solid #ddd;padding-left:3.5em}
ol li{cursor:pointer;white-space:pre}
ol li.cur{background:#ffd}
section{margin-top:1em}
pre{margin:.2em 0;font-size:.9em}
.res{color:#036}
.host{color:#555}
.machine{color:#555;font-size:.9em}
svg text{font-family:monospace;font-size:11px}
.legend span{display:inline-block;padding:0 .4em;margin-right:.3em;border:1px solid #999;font-family:monospace}
`

const htmlScript = `(function(){
var steps=document.querySelectorAll("section.step"),items=document.querySelectorAll("ol li"),cur=0;
function show(i){if(i<0||i>=steps.length)return;
for(var j=0;j<steps.length;j++){steps[j].hidden=(j!==i);items[j].className=(j===i?"cur":"");}
cur=i;document.getElementById("pos").textContent=(i+1)+" / "+steps.length;}
document.getElementById("prev").onclick=function(){show(cur-1);};
document.getElementById("next").onclick=function(){show(cur+1);};
for(var k=0;k<items.length;k++){(function(k){items[k].onclick=function(){show(k);};})(k);}
document.addEventListener("keydown",function(e){
if(e.key==="ArrowRight"||e.key==="ArrowDown"||e.key==="j"||e.key===" "){show(cur+1);e.preventDefault();}
if(e.key==="ArrowLeft"||e.key==="ArrowUp"||e.key==="k"){show(cur-1);e.preventDefault();}
if(e.key==="Home"){show(0);}if(e.key==="End"){show(steps.length-1);}});
show(0);})();
`

// WriteHTML writes the page.
func (h *HTMLRecorder) WriteHTML(w io.Writer) error {
	var b strings.Builder
	title := h.Title
	if title == "" {
		title = "mmapsim"
	}
	esc := html.EscapeString
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n", esc(title), htmlStyle)
	fmt.Fprintf(&b, "<h1>%s</h1>\n", esc(title))
	b.WriteString(`<p class="legend">` + LegendHTML() + ` Keys: &#8594;/j next, &#8592;/k previous.</p>` + "\n")
	b.WriteString(`<div id="bar"><button id="prev">&#9664; previous</button><button id="next">next &#9654;</button><span id="pos"></span></div>` + "\n<ol>\n")
	for _, s := range h.steps {
		label := s.stmt
		if s.pos != "" {
			label = s.pos + "  " + s.stmt
		} else {
			label = s.file + ": start"
		}
		fmt.Fprintf(&b, "<li>%s</li>\n", esc(label))
	}
	b.WriteString("</ol>\n")
	for i, s := range h.steps {
		fmt.Fprintf(&b, "<section class=\"step\" id=\"step-%d\">\n", i+1)
		if s.pos == "" {
			fmt.Fprintf(&b, "<h2>%s</h2>\n<p class=\"machine\">%s</p>\n<pre>start</pre>\n", esc(s.file), esc(s.machine))
		} else {
			fmt.Fprintf(&b, "<pre><b>%s</b>  %s\n<span class=\"res\">= %s</span></pre>\n", esc(s.pos), esc(s.stmt), esc(s.result))
		}
		if len(s.calls) > 0 {
			b.WriteString("<pre class=\"host\">")
			for _, c := range s.calls {
				b.WriteString("host: " + esc(c) + "\n")
			}
			b.WriteString("</pre>\n")
		}
		writeSVG(&b, s.pic)
		b.WriteString("</section>\n")
	}
	fmt.Fprintf(&b, "<script>\n%s</script>\n</body>\n</html>\n", htmlScript)
	_, err := io.WriteString(w, b.String())
	return err
}

// LegendHTML explains the SVG picture's colours and marks, as HTML (spans
// styled by the page's ".legend span" rule).
func LegendHTML() string {
	return `guest page cells and host pages: ` +
		`<span style="background:` + protColor(hostvm.ProtRead) + `">r--</span>` +
		`<span style="background:` + protColor(hostvm.ProtRead|hostvm.ProtWrite) + `">rw-</span>` +
		`<span style="background:` + protColor(hostvm.ProtRead|hostvm.ProtExec) + `">r-x</span>` +
		`<span style="background:` + protColor(hostvm.ProtRead|hostvm.ProtWrite|hostvm.ProtExec) + `">rwx</span>` +
		`<span style="background:` + protColor(hostvm.ProtNone) + `">---</span>` +
		`<span>.</span> not mapped; marks: F fragment, R reservation placeholder, ! guest and host disagree, ` +
		`? the emulator's own record of the host page differs from the host.`
}

// SVG returns the picture as one inline SVG element, as the HTML page
// draws each step.
func (p *Picture) SVG() string {
	var b strings.Builder
	writeSVG(&b, p)
	return b.String()
}

// protColor is the fill of a cell or host page with protection p.
func protColor(p hostvm.Prot) string {
	switch p & hostvm.ProtRWX {
	case hostvm.ProtNone:
		return "#c8c8c8"
	case hostvm.ProtRead:
		return "#9ecae1"
	case hostvm.ProtRead | hostvm.ProtWrite:
		return "#a1d99b"
	case hostvm.ProtRead | hostvm.ProtExec:
		return "#fdae6b"
	case hostvm.ProtRead | hostvm.ProtWrite | hostvm.ProtExec:
		return "#fb6a4a"
	}
	return "#dadaeb"
}

// writeSVG draws p as an inline SVG: per row the address, the mark, the
// guest cells and the host page(s).
func writeSVG(b *strings.Builder, p *Picture) {
	const (
		rowH  = 20
		cellW = 30
		addrW = 8*18 + 8
		markW = 24
		hostW = 44
	)
	ncells := 0
	if p.guest {
		ncells = int(p.rowSize / p.cellSize)
	}
	cellsW := ncells * cellW
	hostX := addrW + markW + cellsW + 10
	width := hostX + hostW*4 + 260
	height := (len(p.items)+2)*rowH + 10
	fmt.Fprintf(b, "<svg width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n", width, height, width, height)
	y := 14
	if p.guest {
		fmt.Fprintf(b, "<text x=\"0\" y=\"%d\">guest</text>", y)
		for i := 0; i < ncells; i++ {
			fmt.Fprintf(b, "<text x=\"%d\" y=\"%d\">%x</text>", addrW+markW+i*cellW+cellW/2-3, y, i)
		}
		fmt.Fprintf(b, "<text x=\"%d\" y=\"%d\">host</text>\n", hostX, y)
	} else {
		fmt.Fprintf(b, "<text x=\"0\" y=\"%d\">address</text><text x=\"%d\" y=\"%d\">host</text>\n", y, hostX, y)
	}
	y = rowH + 4
	for _, it := range p.items {
		if it.repeat == 0 {
			fmt.Fprintf(b, "<text x=\"0\" y=\"%d\" fill=\"#888\">%s</text>\n", y+14, html.EscapeString(gapText(it, p.addrDigits)))
			y += rowH
			continue
		}
		fmt.Fprintf(b, "<text x=\"0\" y=\"%d\">%s</text>", y+14, addrText(it.addr, p.addrDigits))
		if it.mark != "" {
			fmt.Fprintf(b, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\" fill=\"#b00\">%s</text>", addrW, y+14, html.EscapeString(it.mark))
		}
		for i, c := range it.cells {
			x := addrW + markW + i*cellW
			if c.valid {
				fmt.Fprintf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#666\"/><text x=\"%d\" y=\"%d\" font-size=\"9\">%s</text>",
					x, y, cellW-2, rowH-4, protColor(c.prot), x+4, y+12, c.prot)
			} else {
				fmt.Fprintf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fff\" stroke=\"#ccc\" stroke-dasharray=\"2,2\"/>", x, y, cellW-2, rowH-4)
			}
		}
		x := hostX
		for _, h := range it.host {
			w := hostW
			if len(it.host) > 1 {
				w = max(hostW/2, hostW*h.pages/len(it.host))
			}
			if h.mapped {
				fmt.Fprintf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" stroke=\"#333\"/><text x=\"%d\" y=\"%d\" font-size=\"9\">%s</text>",
					x, y, w-2, rowH-4, protColor(h.prot), x+4, y+12, h.prot)
			} else {
				fmt.Fprintf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fff\" stroke=\"#ccc\" stroke-dasharray=\"2,2\"/>", x, y, w-2, rowH-4)
			}
			x += w
		}
		var note []string
		for _, h := range it.host {
			if h.mapped && h.name != "" {
				n := h.name
				if h.starts {
					n += "@" + offsetText(h.off)
				}
				note = append(note, n)
			}
			if h.belief != "" {
				note = append(note, "believed "+h.belief)
			}
		}
		if it.repeat > 1 {
			note = append(note, fmt.Sprintf("(x%d)", it.repeat))
		}
		if len(note) > 0 {
			fmt.Fprintf(b, "<text x=\"%d\" y=\"%d\">%s</text>", x+6, y+14, html.EscapeString(strings.Join(note, " ")))
		}
		b.WriteString("\n")
		y += rowH
	}
	b.WriteString("</svg>\n")
}

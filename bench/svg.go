package main

import (
	"bytes"
	"fmt"
	"html"
	"math"
)

// series is one line of a plot.
type series struct {
	name  string
	color string
	x, y  []float64
}

// plot is a line chart with a linear y axis from zero.
type plot struct {
	title, subtitle string
	xlabel, ylabel  string
	xticks          []float64
	xtick           func(float64) string
	series          []series
}

// niceStep returns a round tick step (1, 2 or 5 times a power of ten)
// giving at most about n ticks up to top.
func niceStep(top float64, n int) float64 {
	raw := top / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// svg renders the plot as a self-contained SVG document.
func (p *plot) svg() []byte {
	const (
		width, height            = 760, 460
		left, right, top, bottom = 80, 200, 50, 60
	)
	pw, ph := float64(width-left-right), float64(height-top-bottom)
	xmin, xmax := p.xticks[0], p.xticks[len(p.xticks)-1]
	ymax := 0.0
	for _, s := range p.series {
		for _, v := range s.y {
			ymax = math.Max(ymax, v)
		}
	}
	if ymax <= 0 {
		ymax = 1
	}
	step := niceStep(ymax*1.05, 6)
	ytop := math.Ceil(ymax*1.05/step) * step
	px := func(x float64) float64 { return left + (x-xmin)/(xmax-xmin)*pw }
	py := func(y float64) float64 { return top + ph - y/ytop*ph }

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(p.title))
	fmt.Fprintf(&b, `<text x="%d" y="40" font-size="11" fill="#555">%s</text>`+"\n", left, html.EscapeString(p.subtitle))
	for y := 0.0; y <= ytop+step/2; y += step {
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", left, py(y), left+pw, py(y))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", left-6, py(y)+4, trimFloat(y))
	}
	for _, x := range p.xticks {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", px(x), top, px(x), top+ph)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", px(x), top+ph+18, html.EscapeString(p.xtick(x)))
	}
	fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%.1f" fill="none" stroke="#333"/>`+"\n", left, top, pw, ph)
	fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", left+pw/2, height-16, html.EscapeString(p.xlabel))
	fmt.Fprintf(&b, `<text transform="translate(22 %.1f) rotate(-90)" text-anchor="middle">%s</text>`+"\n", top+ph/2, html.EscapeString(p.ylabel))
	for i, s := range p.series {
		var pts bytes.Buffer
		for j := range s.x {
			fmt.Fprintf(&pts, "%.1f,%.1f ", px(s.x[j]), py(s.y[j]))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", bytes.TrimSpace(pts.Bytes()), s.color)
		for j := range s.x {
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s: %s ns</title></circle>`+"\n",
				px(s.x[j]), py(s.y[j]), s.color, html.EscapeString(p.xtick(s.x[j])), ns(s.y[j]))
		}
		ly := float64(top + 14 + 22*i)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/>`+"\n", left+pw+16, ly, left+pw+40, ly, s.color)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f">%s</text>`+"\n", left+pw+46, ly+4, html.EscapeString(s.name))
	}
	b.WriteString("</svg>\n")
	return b.Bytes()
}

// trimFloat prints a tick value without needless decimals.
func trimFloat(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%g", v)
}

var seriesColors = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd"}

// scalingPlot draws section 2's points: ns/op against log10(VMAs). On
// these axes a cost logarithmic in the number of VMAs is a straight line.
func scalingPlot(pts []scalePoint, subtitle string) *plot {
	p := &plot{
		title:    "hostvm: cost per operation vs number of VMAs",
		subtitle: subtitle,
		xlabel:   "VMAs (log scale: x = log10 VMAs)",
		ylabel:   "ns per operation",
		xtick:    func(x float64) string { return count(int64(math.Round(math.Pow(10, x)))) },
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, pt := range pts {
		x := math.Log10(float64(pt.vmas))
		lo, hi = math.Min(lo, x), math.Max(hi, x)
	}
	for x := math.Floor(lo); x <= math.Ceil(hi); x++ {
		p.xticks = append(p.xticks, x)
	}
	if len(p.xticks) < 2 {
		p.xticks = append(p.xticks, p.xticks[0]+1)
	}
	for i, name := range scaleOps {
		s := series{name: name, color: seriesColors[i%len(seriesColors)]}
		for _, pt := range pts {
			s.x = append(s.x, math.Log10(float64(pt.vmas)))
			s.y = append(s.y, pt.ns[i])
		}
		p.series = append(p.series, s)
	}
	return p
}

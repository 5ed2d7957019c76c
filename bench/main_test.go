package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mmapsim/mmapsim/props"

	"github.com/mmapsim/mmapsim/policy"
)

// TestGridRestores runs one batch of the mix on hostvm and through the
// simulated QEMU (H = 16T) and checks that it leaves the layout as it
// found it.
func TestGridRestores(t *testing.T) {
	k, err := newHost("x86_64")
	if err != nil {
		t.Fatal(err)
	}
	g, err := newGrid(kernelVM{k}, 25)
	if err != nil {
		t.Fatal(err)
	}
	before := k.MapsString()
	if k.MapCount() != g.vmas() {
		t.Fatalf("grid: %d VMAs, want %d", k.MapCount(), g.vmas())
	}
	if _, _, err := g.mixBatch(10)(); err != nil {
		t.Fatal(err)
	}
	if after := k.MapsString(); after != before {
		t.Errorf("hostvm maps changed by the mix:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	fixed, _ := policy.ParsePolicy("fixed")
	s, host, err := newSim("arm64-64k", simTarget, fixed, 0)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := newGrid(simVM{s}, 25)
	if err != nil {
		t.Fatal(err)
	}
	before = host.MapsString()
	if _, _, err := sg.mixBatch(10)(); err != nil {
		t.Fatal(err)
	}
	if after := host.MapsString(); after != before {
		t.Errorf("host maps under sim changed by the mix:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	if err := s.CheckAgreement(); err != nil {
		t.Error(err)
	}
}

// TestRealGrid runs one batch of the mix on the real kernel (64-bit Linux
// only: see realVMForTest).
func TestRealGrid(t *testing.T) {
	real := realVMForTest(t)
	o := defaults(true)
	o.budget = time.Millisecond
	o.batch = 10
	o.reps = 1
	k, err := newHost("x86_64")
	if err != nil {
		t.Fatal(err)
	}
	kg, err := newGrid(kernelVM{k}, 25)
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := compareReal(o, kg, real, 25)
	if err != nil {
		t.Fatal(err)
	}
	if len(r) != 2 || len(r[0]) != 1 || len(r[0][0]) != len(mixOps) || len(r[1][0]) != len(mixOps) {
		t.Fatalf("results of shape %d/%d/%d, want 2/1/%d", len(r), len(r[0]), len(r[0][0]), len(mixOps))
	}
}

// TestLadder builds a small ladder and times one batch on it.
func TestLadder(t *testing.T) {
	l, err := newLadder(100)
	if err != nil {
		t.Fatal(err)
	}
	d, n, err := l.scaleBatch(512)()
	if err != nil {
		t.Fatal(err)
	}
	if len(d) != len(scaleOps) || len(n) != len(scaleOps) {
		t.Fatalf("%d/%d results, want %d", len(d), len(n), len(scaleOps))
	}
	if l.k.MapCount() != 100 {
		t.Errorf("%d VMAs after the batch, want 100", l.k.MapCount())
	}
	if err := l.k.CheckInvariants(); err != nil {
		t.Error(err)
	}
}

// TestPlotIsXML checks that the plot is well-formed XML with one polyline
// per operation.
func TestPlotIsXML(t *testing.T) {
	var pts []scalePoint
	for i, n := range []int{100, 1000, 10000} {
		v := make([]float64, len(scaleOps))
		for j := range v {
			v[j] = float64(100*i + j)
		}
		pts = append(pts, scalePoint{n, v, 0})
	}
	svg := scalingPlot(pts, "a <subtitle> & more").svg()
	d := xml.NewDecoder(bytes.NewReader(svg))
	lines := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			lines++
		}
	}
	if lines != len(scaleOps) {
		t.Errorf("%d polylines, want %d", lines, len(scaleOps))
	}
}

// TestTable checks the column alignment.
func TestTable(t *testing.T) {
	tb := &table{title: "T", header: []string{"name", "n"}}
	tb.add("a", "1")
	tb.add("long name", "1,000")
	tb.note("note")
	var b strings.Builder
	tb.write(&b)
	want := "T\n  name           n\n  ----------------\n  a              1\n  long name  1,000\n  note\n\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestRunSkipsMissingTraces runs section 4 on a missing directory, and
// checks the output files.
func TestRunSkipsMissingTraces(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if st := run([]string{"--sections", "4", "--traces", filepath.Join(dir, "none"), "--out", dir, "-q"}, &out, &errb); st != 0 {
		t.Fatalf("status %d\n%s%s", st, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "skipped: no *.strace") {
		t.Errorf("no skip message:\n%s", out.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.txt"))
	if err != nil || !bytes.Equal(b, out.Bytes()) {
		t.Errorf("results.txt differs from the output (%v)", err)
	}
}

// TestProps runs a few property sequences with a fixed seed, under the
// reference and under each catalogued algorithm on its first setup.
func TestProps(t *testing.T) {
	setup, _ := props.SetupByName("i386-64k-reserved")
	r, err := runProps(setup, "fixed", 1, 5, 30)
	if err != nil {
		t.Fatal(err)
	}
	if r.ops == 0 || r.failed != 0 {
		t.Errorf("%d ops, %d failed sequences", r.ops, r.failed)
	}
	for _, pol := range []string{"qemu-11.1", "box64"} {
		setups, err := propsSetups(pol)
		if err != nil || len(setups) == 0 {
			t.Fatalf("%s: setups %v, %v", pol, setups, err)
		}
		r, err := runProps(setups[0], pol, 1, 3, 30)
		if err != nil || r.ops == 0 {
			t.Errorf("%s on %s: %d ops, %v", pol, setups[0].Name, r.ops, err)
		}
	}
}

// TestReadme: --readme rewrites only what lies between the markers, with
// the run's own output (results.txt) and its goals table, and refuses a
// file without exactly one pair of markers. The project's README has the
// markers.
func TestReadme(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "README.md")
	before, after := "# title\n\nkept above\n", "\nkept below\n"
	if err := os.WriteFile(name, []byte(before+readmeBegin+"\nold figures\n"+readmeEnd+after), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	args := []string{"--sections", "4", "--traces", filepath.Join(dir, "none"), "--out", dir, "-q", "--readme", name}
	if st := run(args, &out, &errb); st != 0 {
		t.Fatalf("status %d\n%s%s", st, out.String(), errb.String())
	}
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if !strings.HasPrefix(got, before+readmeBegin+"\n") || !strings.HasSuffix(got, readmeEnd+after) || strings.Contains(got, "old figures") {
		t.Errorf("rewrote outside the markers, or kept the old section:\n%s", got)
	}
	if !strings.Contains(got, "```\n$ go run ./bench "+strings.Join(args, " ")+"\n"+out.String()+"```\n") {
		t.Errorf("the section does not hold the run's output:\n%s", got)
	}
	if !strings.Contains(got, "| replay of gcc.strace, native, in-process | not measured |") {
		t.Errorf("no goals table:\n%s", got)
	}
	for _, bad := range []string{"no markers", readmeBegin + readmeEnd + readmeBegin + readmeEnd, readmeEnd + readmeBegin} {
		if _, err := rewriteReadme(bad, "x"); err == nil {
			t.Errorf("rewriteReadme(%q) accepted it", bad)
		}
	}
	project, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rewriteReadme(string(project), "x"); err != nil {
		t.Errorf("README.md: %v", err)
	}
}

// TestQEMUPair builds section 7's sim guests and times a few pairs on
// them, and, where qemu-i386 and gcc -m32 are installed, runs the real
// guest for a few pairs.
func TestQEMUPair(t *testing.T) {
	for _, name := range qemuPolicies {
		pol, err := policy.ParsePolicy(name)
		if err != nil {
			t.Fatal(err)
		}
		g, err := newQEMUSim(pol)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, n, err := simPairs(g, 10)(); err != nil || n[0] != 10 {
			t.Fatalf("%s: %d pairs, %v", name, n[0], err)
		}
		if err := g.CheckAgreement(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	q, skip := findQEMU(t.TempDir())
	if skip != "" {
		t.Skip(skip)
	}
	v, err := q.pairs(100)
	if err != nil || v <= 0 {
		t.Errorf("real guest: %v ns/pair, %v", v, err)
	}
}

// TestMedianRound: section 5 takes each setup's round of median CPU time,
// the lower middle one of an even number of rounds.
func TestMedianRound(t *testing.T) {
	rounds := func(cpus ...time.Duration) []propsResult {
		var rs []propsResult
		for i, c := range cpus {
			rs = append(rs, propsResult{cpu: c, seqs: i})
		}
		return rs
	}
	for _, c := range []struct {
		cpus []time.Duration
		want time.Duration
	}{
		{[]time.Duration{5}, 5},
		{[]time.Duration{9, 1, 4}, 4},
		{[]time.Duration{8, 2, 6, 4}, 4},
		{[]time.Duration{3, 7, 1, 9, 5}, 5},
	} {
		rs := rounds(c.cpus...)
		if got := medianRound(rs); got.cpu != c.want {
			t.Errorf("medianRound(%v) = the round of %v, want %v", c.cpus, got.cpu, c.want)
		}
		if rs[0].cpu != c.cpus[0] {
			t.Errorf("medianRound(%v) reordered its argument", c.cpus)
		}
	}
}

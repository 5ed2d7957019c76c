package playground

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// TestExamplesRun runs every lesson as the page does: a step per
// statement (and the start), each with a picture, the same failures as
// scenario.Run reports, and the lesson's opening comment on the start.
func TestExamplesRun(t *testing.T) {
	exs := Examples()
	if len(exs) < 10 {
		t.Fatalf("%d examples embedded, want at least 10", len(exs))
	}
	for _, ex := range exs {
		resp := Run(Request{Name: ex.Name, Source: ex.Source})
		f, err := syntax.Parse(ex.Name, []byte(ex.Source))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := scenario.Run(f, scenario.RunOptions{})
		if err != nil {
			t.Fatalf("%s: %v", ex.Name, err)
		}
		if len(resp.Steps) != rep.Statements+1 {
			t.Errorf("%s: %d steps, want %d statements and the start", ex.Name, len(resp.Steps), rep.Statements)
		}
		if len(resp.Problems) != len(rep.Failures) {
			t.Errorf("%s: problems %v, want the failures %v", ex.Name, resp.Problems, rep.Failures)
		}
		if want := rep.Summary(ex.Name); resp.Summary != want {
			t.Errorf("%s: summary %q, want %q", ex.Name, resp.Summary, want)
		}
		if ex.Title == "" {
			t.Errorf("%s: no title (a first comment line)", ex.Name)
		}
		if len(resp.Steps) == 0 || len(resp.Steps[0].Lesson) == 0 || !strings.HasPrefix(resp.Steps[0].Lesson[0], ex.Title) {
			t.Errorf("%s: the start has no lesson opening with its title", ex.Name)
		}
		for i, s := range resp.Steps {
			if !strings.HasPrefix(s.SVG, "<svg ") || !strings.HasSuffix(s.SVG, "</svg>\n") {
				t.Errorf("%s: step %d has no picture", ex.Name, i)
			}
			if i > 0 && (s.Line == 0 || s.Stmt == "" || s.Result == "") {
				t.Errorf("%s: step %d: line %d, statement %q, result %q", ex.Name, i, s.Line, s.Stmt, s.Result)
			}
		}
	}
}

// TestLessons: comments go to the statement below them, a paragraph per
// block, the opening block to the start; a trailing comment is a
// paragraph of its own.
func TestLessons(t *testing.T) {
	src := `# Title line.
# more of the title's paragraph
#
# Second paragraph.
#! host=arm64-64k
# About the mmap,
# in two lines.
$a = mmap(NULL, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)

munmap($a, 0x1000) = 0 # trailing
`
	resp := Run(Request{Source: src})
	if len(resp.Problems) != 0 || len(resp.Steps) != 3 {
		t.Fatalf("problems %v, %d steps", resp.Problems, len(resp.Steps))
	}
	want := [][]string{
		{"Title line. more of the title's paragraph", "Second paragraph."},
		{"About the mmap, in two lines."},
		{"trailing"},
	}
	for i, w := range want {
		if got := resp.Steps[i].Lesson; strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("step %d: lesson %q, want %q", i, got, w)
		}
	}
	if got := resp.Steps[2].Stmt; got != "munmap($a, 0x1000)" {
		t.Errorf("statement %q, want it without its expectation and comment", got)
	}
}

// TestProblems: every line that does not parse is an error at its line,
// nothing runs; a usage error stops the run at its line, keeping the
// steps before it; a failed expectation marks its step; a selector's bad
// value is an error at no line.
func TestProblems(t *testing.T) {
	type want struct {
		line int
		kind string
		msg  string
	}
	for _, c := range []struct {
		name   string
		req    Request
		steps  int
		wants  []want
		summed bool
	}{
		{"parse errors", Request{Source: "mmap(\nmunmap(0x1000, 0x1000) = 0\npeek(1, 2, 3)\n"}, 0,
			[]want{{1, "error", "expected"}, {3, "error", "peek wants 2 arguments"}}, false},
		{"usage error", Request{Source: "$a = mmap(NULL, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\nmunmap($a)\nmunmap($a, 0x1000)\n"}, 2,
			[]want{{2, "error", "munmap"}}, false},
		{"failure", Request{Source: "$a = mmap(NULL, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\npoke($a, \"x\") = ?\npeek($a, 1) = SIGSEGV\n"}, 4,
			[]want{{3, "failure", "want SIGSEGV, got \"\\x00\""}}, true},
		{"bad host selector", Request{Source: "munmap(0x1000, 0x1000) = 0\n", Host: "pdp11"}, 0,
			[]want{{0, "error", "the host selector"}}, false},
		{"policy without a target", Request{Source: "munmap(0x1000, 0x1000) = 0\n", Policy: "seed"}, 0,
			[]want{{0, "error", "policy needs a target"}}, false},
	} {
		resp := Run(c.req)
		if len(resp.Steps) != c.steps {
			t.Errorf("%s: %d steps, want %d", c.name, len(resp.Steps), c.steps)
		}
		if len(resp.Problems) != len(c.wants) {
			t.Errorf("%s: problems %+v, want %d", c.name, resp.Problems, len(c.wants))
			continue
		}
		for i, w := range c.wants {
			p := resp.Problems[i]
			if p.Line != w.line || p.Kind != w.kind || !strings.Contains(p.Msg, w.msg) || strings.Contains(p.Msg, DefaultName) {
				t.Errorf("%s: problem %+v, want line %d, %s, containing %q (without the file name)", c.name, p, w.line, w.kind, w.msg)
			}
		}
		if (resp.Summary != "") != c.summed {
			t.Errorf("%s: summary %q", c.name, resp.Summary)
		}
	}
	resp := Run(Request{Source: "$a = mmap(NULL, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\npeek($a, 1) = SIGSEGV\n"})
	if got := resp.Steps[2].Failed; !strings.HasPrefix(got, "want SIGSEGV") {
		t.Errorf("the failed step says %q", got)
	}
}

// TestSelectors: the selectors win over the file's settings, and
// NoTarget drops the file's target settings.
func TestSelectors(t *testing.T) {
	src := "#! target=i386 host=arm64-64k policy=seed\n$a = mmap(NULL, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\n"
	for _, c := range []struct {
		req  Request
		want string
	}{
		{Request{Source: src}, "host 64K-page 48-bit; guest 4K-page 32-bit"},
		{Request{Source: src, Host: "arm64-16k"}, "host 16K-page 47-bit; guest 4K-page 32-bit"},
		{Request{Source: src, Target: "x86_64", Policy: "fixed"}, "guest 4K-page 64-bit"},
		{Request{Source: src, Target: NoTarget}, "host 64K-page 48-bit"},
	} {
		resp := Run(c.req)
		if len(resp.Problems) != 0 || !strings.HasPrefix(resp.Machine, c.want) && !strings.Contains(resp.Machine, c.want) {
			t.Errorf("%+v: machine %q, problems %v; want %q", c.req, resp.Machine, resp.Problems, c.want)
		}
		if c.req.Target == NoTarget && strings.Contains(resp.Machine, "guest") {
			t.Errorf("target none: machine %q has a guest", resp.Machine)
		}
		if c.req.Policy == "fixed" && !strings.HasSuffix(resp.Machine, "policy fixed") {
			t.Errorf("policy selector: machine %q", resp.Machine)
		}
	}
	ch := SelectorChoices()
	if len(ch.Hosts) < 4 || len(ch.Targets) < 4 || len(ch.Policies) < 3 {
		t.Errorf("choices %+v", ch)
	}
}

// TestWritePage: one page with everything inline, the program gzipped
// inside, nothing fetched from anywhere.
func TestWritePage(t *testing.T) {
	wasm := append([]byte("\x00asm\x01\x00\x00\x00"), bytes.Repeat([]byte("code"), 1000)...)
	var b bytes.Buffer
	if err := WritePage(&b, wasm, []byte("globalThis.Go = class {};")); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{"<!DOCTYPE html>", "globalThis.Go = class {};", `<script id="wasm" type="application/octet-stream">`, "DecompressionStream", "r--</span>", "</html>\n"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "{{") {
		t.Errorf("page keeps a marker")
	}
	for _, bad := range []string{"http:", "https:", "src=", "url(", "@import", "fetch("} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	if err := WritePage(&b, []byte("not wasm"), nil); err == nil {
		t.Errorf("WritePage took a program that is not WebAssembly")
	}
	if err := WritePage(&b, wasm, []byte("x = '</script>';")); err == nil {
		t.Errorf("WritePage inlined a script that ends its element")
	}
}

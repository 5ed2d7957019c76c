package main

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mmapsim/mmapsim/internal/browser"
	"github.com/mmapsim/mmapsim/playground"
)

// The browser tests load the pages mmapsim writes (the playground, and
// show --html) in a headless Chromium, use them as a person would (pick an
// example, step with the arrow keys, type a mistake), and check what is
// drawn against the same run in Go, and that no script error occurred.
//
// They need chromium (Debian's package; MMAPSIM_CHROMIUM names another)
// and skip without it, or with -short; MMAPSIM_BROWSER=1 (set by .ci/run)
// makes a missing browser a failure. Screenshots go to $MMAPSIM_ARTIFACTS
// (default: a directory under the system's temporary directory, logged);
// with -update the playground's also replaces docs/playground.png, the
// README's picture.

// browserExample is the 64K-host lesson the tests step through, and the
// step the screenshot shows: the guest makes one page read-only, and its
// host page stays rw-.
const (
	browserExample = "04-prot-union.scn"
	screenshotStep = 3
)

func needBrowser(t *testing.T) string {
	t.Helper()
	required := os.Getenv("MMAPSIM_BROWSER") == "1"
	if testing.Short() && !required {
		t.Skip("browser tests skip with -short (MMAPSIM_BROWSER=1 runs them)")
	}
	path, err := browser.Find()
	if err != nil {
		if required {
			t.Fatalf("MMAPSIM_BROWSER=1 but %v", err)
		}
		t.Skip(err)
	}
	return path
}

func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("MMAPSIM_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "mmapsim-artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func openPage(t *testing.T, chromium string) *browser.Page {
	t.Helper()
	b, err := browser.Launch(chromium, 1400, 1000)
	if err != nil {
		t.Fatalf("starting %s: %v", chromium, err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("closing the browser: %v", err)
		}
	})
	p, err := b.NewPage()
	if err != nil {
		t.Fatalf("opening a page: %v\nbrowser log:\n%s", err, b.Log())
	}
	if err := p.SetViewport(1400, 900); err != nil {
		t.Fatal(err)
	}
	return p
}

func fileURL(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		panic(err)
	}
	abs = filepath.ToSlash(abs)
	if !strings.HasPrefix(abs, "/") {
		abs = "/" + abs // C:/x on Windows
	}
	return "file://" + abs
}

// svgText is the text a browser's textContent gives for the SVG element
// written as s: its text nodes, unescaped.
func svgText(s string) string {
	if i := strings.LastIndex(s, "</svg>"); i >= 0 {
		s = s[:i] // the line end after the element is not in it
	}
	return html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(s, ""))
}

// exampleRun is the browser example's run in Go, as the playground's
// simulator runs it in the page.
func exampleRun(t *testing.T) playground.Response {
	t.Helper()
	for _, ex := range playground.Examples() {
		if ex.Name == browserExample {
			resp := playground.Run(playground.Request{Name: ex.Name, Source: ex.Source})
			if len(resp.Problems) > 0 || len(resp.Steps) <= screenshotStep+2 {
				t.Fatalf("%s in Go: %d steps, problems %v", ex.Name, len(resp.Steps), resp.Problems)
			}
			return resp
		}
	}
	t.Fatalf("no example %s", browserExample)
	return playground.Response{}
}

func evalString(t *testing.T, p *browser.Page, expr string) string {
	t.Helper()
	var s string
	if err := p.Eval(expr, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func press(t *testing.T, p *browser.Page, key string, times int) {
	t.Helper()
	for i := 0; i < times; i++ {
		if err := p.Press(key); err != nil {
			t.Fatal(err)
		}
	}
}

func noScriptErrors(t *testing.T, p *browser.Page, where string) {
	t.Helper()
	for _, e := range p.Errors() {
		t.Errorf("%s: script error: %s", where, e)
	}
}

func TestBrowserPlayground(t *testing.T) {
	chromium := needBrowser(t)
	dir := t.TempDir()
	t0 := time.Now()
	if code, out, errOut := runCLI("playground", dir); code != 0 {
		t.Fatalf("mmapsim playground: exit %d\n%s%s", code, out, errOut)
	}
	t.Logf("mmapsim playground %s: %v", dir, time.Since(t0).Round(time.Millisecond))
	want := exampleRun(t)
	p := openPage(t, chromium)

	// Over file://, where fetch() would fail, the whole session.
	url := fileURL(filepath.Join(dir, "index.html")) + "#" + strings.TrimSuffix(browserExample, ".scn")
	t0 = time.Now()
	if err := p.Navigate(url); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(`document.documentElement.getAttribute("data-ready") === "1"`, 90*time.Second); err != nil {
		t.Fatalf("%v; status %q; errors %v", err, evalString(t, p, `document.getElementById("status").textContent`), p.Errors())
	}
	t.Logf("page ready over file:// in %v", time.Since(t0).Round(time.Millisecond))
	checkPlaygroundSession(t, p, want)
	noScriptErrors(t, p, "file://")

	// Over http, from a server of the directory: it loads and runs the same.
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	if err := p.Navigate(srv.URL + "/index.html#" + browserExample); err != nil {
		t.Fatal(err)
	}
	if err := p.WaitFor(`document.documentElement.getAttribute("data-ready") === "1"`, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := evalString(t, p, `String(document.querySelectorAll("#steps li").length)`); n != fmt.Sprint(len(want.Steps)) {
		t.Errorf("over http: %s steps, want %d", n, len(want.Steps))
	}
	noScriptErrors(t, p, "http")
}

// checkPlaygroundSession uses the loaded playground: the example's steps
// and pictures, the arrow keys, the selectors, and mistakes at their line.
func checkPlaygroundSession(t *testing.T, p *browser.Page, want playground.Response) {
	t.Helper()
	if got := evalString(t, p, `document.getElementById("source").value`); !strings.HasPrefix(got, "# Lesson 4:") {
		t.Fatalf("the editor holds %.60q, want lesson 4 (picked by the URL)", got)
	}
	if n := evalString(t, p, `String(document.querySelectorAll("#steps li").length)`); n != fmt.Sprint(len(want.Steps)) {
		t.Fatalf("%s steps listed, want %d", n, len(want.Steps))
	}
	// The start: the lesson's opening comment and the initial picture.
	checkStep(t, p, want, 0)
	if got := evalString(t, p, `document.querySelector("#step .lesson").textContent`); !strings.Contains(got, "the union") {
		t.Errorf("start: lesson %q, want the lesson's opening comment", got)
	}
	press(t, p, "ArrowRight", screenshotStep+1)
	checkStep(t, p, want, screenshotStep+1)
	press(t, p, "ArrowLeft", 1)
	checkStep(t, p, want, screenshotStep)
	if got := evalString(t, p, `document.querySelector("#step .lesson").textContent`); !strings.Contains(got, "RELRO") {
		t.Errorf("step %d: lesson %q, want the comment above its statement", screenshotStep, got)
	}
	shot, err := p.Screenshot()
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "playground-64k.png", shot, filepath.Join("..", "..", "docs", "playground.png"))
	press(t, p, "End", 1)
	checkStep(t, p, want, len(want.Steps)-1)
	press(t, p, "Home", 1)
	checkStep(t, p, want, 0)
	if err := p.Click("#next"); err != nil {
		t.Fatal(err)
	}
	checkStep(t, p, want, 1)
	press(t, p, "ArrowRight", 1) // the focus is on the button now
	checkStep(t, p, want, 2)

	// The target selector: on the host alone, the host is all there is.
	setSelect(t, p, "target", "none")
	if got := evalString(t, p, `document.getElementById("machine").textContent`); !strings.HasPrefix(got, "host 64K-page") || strings.Contains(got, "guest") {
		t.Errorf("target none: machine %q, want the 64K host alone", got)
	}
	setSelect(t, p, "target", "")

	// Mistakes, typed: a line that does not parse is an error at its line;
	// a wrong expectation is a failure at its line, the steps before it kept.
	typeSource(t, p, "#! host=arm64-64k\nmmap(NULL, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\nmunmap(0x10000,\n")
	if err := p.WaitFor(`document.querySelector("#problems li.error")`, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := evalString(t, p, `document.querySelector("#problems li.error").textContent`); !strings.HasPrefix(got, "line 3: ") {
		t.Errorf("parse error listed as %q, want it at line 3", got)
	}
	if got := evalString(t, p, `document.querySelector('#gutter div[data-line="3"]').className`); got != "error" {
		t.Errorf("gutter line 3 has class %q, want error", got)
	}
	typeSource(t, p, "#! host=arm64-64k\n$a = mmap(NULL, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\npeek($a, 1) = SIGSEGV\n")
	if err := p.WaitFor(`document.querySelector("#problems li.failure")`, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := evalString(t, p, `document.querySelector("#problems li.failure").textContent`); !strings.HasPrefix(got, "line 3: want SIGSEGV, got ") {
		t.Errorf("failed expectation listed as %q, want it at line 3: want SIGSEGV, got ...", got)
	}
	if n := evalString(t, p, `String(document.querySelectorAll("#steps li").length)`); n != "3" {
		t.Errorf("%s steps after a failed expectation, want 3 (start and both statements)", n)
	}
}

// checkStep checks that step i is the one shown, as the Go run has it:
// its position, statement, result and picture.
func checkStep(t *testing.T, p *browser.Page, want playground.Response, i int) {
	t.Helper()
	s := want.Steps[i]
	if got := evalString(t, p, `document.getElementById("step").getAttribute("data-step")`); got != fmt.Sprint(i) {
		t.Fatalf("step %s shown, want %d", got, i)
	}
	if got, w := evalString(t, p, `document.getElementById("pos").textContent`), fmt.Sprintf("step %d / %d", i, len(want.Steps)-1); got != w {
		t.Errorf("position %q, want %q", got, w)
	}
	text := evalString(t, p, `document.querySelector("#step pre").textContent`)
	if !strings.Contains(text, s.Stmt) || (s.Line > 0 && !strings.Contains(text, "= "+s.Result)) {
		t.Errorf("step %d shows %q, want %q = %q", i, text, s.Stmt, s.Result)
	}
	if got := evalString(t, p, `document.querySelector("#step svg").textContent`); got != svgText(s.SVG) {
		t.Errorf("step %d: the picture's text differs from Go's:\n%s", i, firstDiff(svgText(s.SVG), got))
	}
	if s.Line > 0 {
		if got := evalString(t, p, `(document.querySelector("#gutter div.cur")||{}).textContent||""`); got != fmt.Sprint(s.Line) {
			t.Errorf("step %d: editor line %q marked, want %d", i, got, s.Line)
		}
	}
}

func setSelect(t *testing.T, p *browser.Page, id, value string) {
	t.Helper()
	js := fmt.Sprintf(`(function(){var s=document.getElementById(%q);s.value=%q;s.dispatchEvent(new Event("change"));return s.value;})()`, id, value)
	if got := evalString(t, p, js); got != value {
		t.Fatalf("select %s: value %q, want %q", id, got, value)
	}
}

// typeSource replaces the editor's text, as typing would (an input event),
// and waits for the run that follows.
func typeSource(t *testing.T, p *browser.Page, src string) {
	t.Helper()
	js := fmt.Sprintf(`(function(){var e=document.getElementById("source");e.focus();e.value=%q;e.dispatchEvent(new Event("input"));e.blur();return "ok";})()`, src)
	evalString(t, p, js)
	time.Sleep(600 * time.Millisecond) // the page runs 300 ms after the last keystroke
}

func saveScreenshot(t *testing.T, name string, png []byte, updatePath string) {
	t.Helper()
	if len(png) < 1000 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot %s: not a PNG (%d bytes)", name, len(png))
	}
	out := filepath.Join(artifactDir(t), name)
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", out)
	if *update && updatePath != "" {
		if err := os.MkdirAll(filepath.Dir(updatePath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(updatePath, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", updatePath)
	}
}

// TestBrowserHTMLPage steps through the page "mmapsim show --html" writes,
// with the arrow keys, checking each picture against the same run in Go.
func TestBrowserHTMLPage(t *testing.T) {
	chromium := needBrowser(t)
	want := exampleRun(t)
	out := filepath.Join(t.TempDir(), "show.html")
	inRepoRoot(t, func() {
		if code, o, e := runCLI("show", "--html", out, "examples/"+browserExample); code != 0 {
			t.Fatalf("show --html: exit %d\n%s%s", code, o, e)
		}
	})
	p := openPage(t, chromium)
	if err := p.Navigate(fileURL(out)); err != nil {
		t.Fatal(err)
	}
	n := len(want.Steps)
	if got := evalString(t, p, `String(document.querySelectorAll("section.step").length)`); got != fmt.Sprint(n) {
		t.Fatalf("%s step sections, want %d", got, n)
	}
	check := func(i int) {
		t.Helper()
		if got := evalString(t, p, `(document.querySelector("section.step:not([hidden])")||{}).id||""`); got != fmt.Sprintf("step-%d", i+1) {
			t.Fatalf("section %q shown, want step-%d", got, i+1)
		}
		if got, w := evalString(t, p, `document.getElementById("pos").textContent`), fmt.Sprintf("%d / %d", i+1, n); got != w {
			t.Errorf("position %q, want %q", got, w)
		}
		if got := evalString(t, p, `document.querySelector("section.step:not([hidden]) svg").textContent`); got != svgText(want.Steps[i].SVG) {
			t.Errorf("step %d: the picture's text differs from Go's:\n%s", i, firstDiff(svgText(want.Steps[i].SVG), got))
		}
	}
	check(0)
	press(t, p, "ArrowRight", screenshotStep+1)
	check(screenshotStep + 1)
	press(t, p, "ArrowLeft", 1)
	check(screenshotStep)
	shot, err := p.Screenshot()
	if err != nil {
		t.Fatal(err)
	}
	saveScreenshot(t, "show-html-64k.png", shot, "")
	press(t, p, "End", 1)
	check(n - 1)
	noScriptErrors(t, p, "show --html")
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// traceDir holds real strace logs (../shared beside the repository).
const traceDir = "../../../shared/traces"

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nosuchcommand"},
		{"run"},
		{"show"},
		{"replay"},
		{"replay", "--host", "nosuchhost", "x"},
		{"run", "--nosuchflag", "x"},
		{"run", "no/such/file.scn"},
		{"replay", "no/such/trace.strace"},
		{"playground"},
		{"playground", "a", "b"},
		{"playground", "--nosuchflag", "a"},
	} {
		if code, _, _ := runCLI(args...); code != 2 {
			t.Errorf("mmapsim %s: exit %d, want 2", strings.Join(args, " "), code)
		}
	}
}

func writeTemp(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const smallTrace = `100   brk(NULL) = 0x55555555a000
100   mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000010000
100   mmap(0x7f0000011000, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0) = 0x7f0000011000
100   write(1, "hi\n", 3) = 3
100   --- SIGCHLD {si_signo=SIGCHLD} ---
100   +++ exited with 0 +++
`

func TestReplayExitCodes(t *testing.T) {
	p := writeTemp(t, "small.strace", smallTrace)
	if code, out, errOut := runCLI("replay", p); code != 0 || !strings.Contains(out, "3 match, 0 diverge") {
		t.Errorf("replay at 4K: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := runCLI("replay", "--strict", p); code != 0 {
		t.Errorf("replay --strict at 4K: exit %d, want 0\n%s", code, out)
	}
	// At 16K the MAP_FIXED at a 4K-aligned address is refused.
	code, out, _ := runCLI("replay", "--host-page", "16K", p)
	if code != 0 || !strings.Contains(out, "1 sim-failed") || !strings.Contains(out, "EINVAL") {
		t.Errorf("replay at 16K: exit %d, want 0 and a sim-failed divergence\n%s", code, out)
	}
	if code, _, _ := runCLI("replay", "--strict", "--host-page", "16K", p); code != 1 {
		t.Errorf("replay --strict at 16K: exit %d, want 1", code)
	}
}

// TestReplayTraces replays every real trace through the CLI: at 4K with
// --strict (no divergence), at 16K and 64K and under a target (ran to the
// end), checking the summaries' shape.
func TestReplayTraces(t *testing.T) {
	traces, _ := filepath.Glob(filepath.Join(traceDir, "*.strace"))
	if len(traces) == 0 {
		t.Skip("no traces in " + traceDir)
	}
	summary := regexp.MustCompile(`(?m)^  \d+ lines: (\d+) memory calls \((\d+) match, (\d+) diverge`)
	for _, tr := range traces {
		for _, args := range [][]string{
			{"replay", "--strict", "--check"},
			{"replay", "--host-page", "16K"},
			{"replay", "--host-page", "64K"},
			{"replay", "--strict", "--check", "--target", "x86_64", "--host-page", "64K"},
			{"replay", "--strict", "--check", "--target", "x86_64", "--qemu-host-page", "64K"},
		} {
			code, out, errOut := runCLI(append(args, tr)...)
			if code != 0 {
				t.Errorf("mmapsim %s %s: exit %d\n%s%s", strings.Join(args, " "), tr, code, out, errOut)
				continue
			}
			if m := summary.FindStringSubmatch(out); m == nil {
				t.Errorf("mmapsim %s %s: no summary line in\n%s", strings.Join(args, " "), tr, out)
			}
		}
	}
}

func TestShowAndHTML(t *testing.T) {
	p := writeTemp(t, "s.scn", `#! target=i386 host=arm64-64k
$a = mmap(0x40001000, 0x2000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x40001000
mprotect($a, 0x1000, PROT_READ) = 0
`)
	code, out, errOut := runCLI("show", p)
	if code != 0 || !strings.Contains(out, "0x40000000 F   .  r-- rw-") {
		t.Errorf("show: exit %d\n%s%s", code, out, errOut)
	}
	code, out2, _ := runCLI("run", "--show", p)
	if code != 0 || out2 != out {
		t.Errorf("run --show differs from show (exit %d)", code)
	}
	html := filepath.Join(t.TempDir(), "out.html")
	code, out, errOut = runCLI("show", "--html", html, p)
	if code != 0 || !strings.Contains(out, "(3 steps)") {
		t.Fatalf("show --html: exit %d\n%s%s", code, out, errOut)
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(page, []byte("<!DOCTYPE html>")) || bytes.Count(page, []byte("<svg ")) != 3 {
		t.Errorf("show --html: not a page of 3 pictures")
	}
}

// TestRunDirectory checks that a directory argument stands for its *.scn
// files (so "mmapsim run examples/*" works with examples/testdata there).
func TestRunDirectory(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.scn"), []byte("mmap(NULL, 0, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 EINVAL (Invalid argument)\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a scenario"), 0o644)
	code, out, errOut := runCLI("run", dir)
	if code != 0 || !strings.Contains(out, "a.scn: ok: 1 statements") || strings.Contains(out, "notes") {
		t.Errorf("run DIR: exit %d\n%s%s", code, out, errOut)
	}
}

// TestRunRefusesWhatItCannotDo: an HTML page that cannot be written, and a
// directory with no scenario in it, are usage errors (exit 2, a message),
// not a silent success.
func TestRunRefusesWhatItCannotDo(t *testing.T) {
	scn := writeTemp(t, "ok.scn", "#! target=i386\nmmap(NULL, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = ?\n")
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "page.html")
	for _, c := range []struct {
		args       []string
		code       int
		stderr     string // what stderr contains
		stdoutHas  string
		stdoutNot  string
		fileExists string
	}{
		{args: []string{"run", "--html", filepath.Join(empty, "no", "such", "x.html"), scn}, code: 2,
			stderr: "no directory", stdoutNot: "wrote"},
		{args: []string{"show", "--html", filepath.Join(scn, "x.html"), scn}, code: 2, stderr: "no directory", stdoutNot: "wrote"},
		// The directory is there, the write fails (the page's name is a
		// directory): the error was once shadowed, and run said "wrote".
		{args: []string{"run", "--html", empty, scn}, code: 2, stderr: "mmapsim:", stdoutNot: "wrote"},
		{args: []string{"run", empty}, code: 2, stderr: "a directory with no .scn files"},
		{args: []string{"run", scn, empty}, code: 2, stderr: "a directory with no .scn files"},
		{args: []string{"run", "--html", page, scn}, code: 0, stdoutHas: "wrote " + page, fileExists: page},
	} {
		code, stdout, stderr := runCLI(c.args...)
		name := strings.Join(c.args, " ")
		if code != c.code || !strings.Contains(stderr, c.stderr) {
			t.Errorf("mmapsim %s: exit %d, stderr %q; want exit %d and %q", name, code, stderr, c.code, c.stderr)
		}
		if (c.stdoutHas != "" && !strings.Contains(stdout, c.stdoutHas)) || (c.stdoutNot != "" && strings.Contains(stdout, c.stdoutNot)) {
			t.Errorf("mmapsim %s: stdout %q", name, stdout)
		}
		if c.fileExists != "" {
			if st, err := os.Stat(c.fileExists); err != nil || st.Size() == 0 {
				t.Errorf("mmapsim %s: %s: %v", name, c.fileExists, err)
			}
		}
	}
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const demoGolden = "testdata/demo.golden"

// TestDemoGolden compares "mmapsim demo" with testdata/demo.golden byte
// for byte: the same on every OS and GOARCH. go test ./cmd/mmapsim -run
// Demo -update rewrites it.
func TestDemoGolden(t *testing.T) {
	code, out, errOut := runCLI("demo")
	if code != 0 || errOut != "" {
		t.Fatalf("mmapsim demo: exit %d\n%s", code, errOut)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(demoGolden), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(demoGolden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(demoGolden)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/mmapsim -run Demo -update)", err)
	}
	if !bytes.Equal([]byte(out), want) {
		t.Errorf("mmapsim demo differs from %s:\n%s", demoGolden, firstDiff(string(want), out))
	}
}

// TestDemo checks what the demo must show, whatever its wording: one
// screen; the 16K host refusing the loader's MAP_FIXED at a 4K offset;
// QEMU on the 64K host running it through a fragment with pread and a
// protection union; three next commands that exist.
func TestDemo(t *testing.T) {
	_, out, _ := runCLI("demo")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) > 80 {
		t.Errorf("demo prints %d lines, want at most 80", len(lines))
	}
	if strings.Contains(out, "\t") || strings.Contains(out, " \n") {
		t.Errorf("demo output has tabs or trailing spaces")
	}

	native, err := runDemo(demoMachines[0])
	if err != nil {
		t.Fatal(err)
	}
	large, err := runDemo(demoMachines[1])
	if err != nil {
		t.Fatal(err)
	}
	qemu, err := runDemo(demoMachines[2])
	if err != nil {
		t.Fatal(err)
	}
	step := demoStepIndex
	for name, r := range map[string]*demoRun{"4K": native, "QEMU": qemu} {
		if r.failed >= 0 {
			t.Errorf("%s: the loader failed at %q", name, demoProgram[r.failed].label)
		}
		if r.results[step("load")] != `"\x00\x04\x00\x00"` {
			t.Errorf("%s: the text reads %s, want the file's bytes at 0x1000", name, r.results[step("load")])
		}
	}
	for _, l := range []string{"store", "overflow"} {
		if native.results[step(l)] != "SIGSEGV" || qemu.results[step(l)] != "ok" {
			t.Errorf("%s: 4K %s, QEMU %s; want SIGSEGV natively, ok under QEMU (the union)", l, native.results[step(l)], qemu.results[step(l)])
		}
	}
	if large.failed != step("text") || large.results[step("text")] != "-1 EINVAL" || large.results[step("rodata")] != "" {
		t.Errorf("16K: failed at %d with %q, then %q; want EINVAL at the text segment, and ld.so stopping", large.failed, large.results[step("text")], large.results[step("rodata")])
	}
	pread := false
	for _, c := range qemu.hosts[step("text")] {
		pread = pread || strings.HasPrefix(c, "pread64(3, ")
	}
	if !pread {
		t.Errorf("QEMU: the text segment was not read with pread: %q", qemu.hosts[step("text")])
	}
	for _, want := range []string{"EINVAL", "failed to map segment", "0x004000000000 F  r-- r-x", "rwx\n", "host: pread64(3, "} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}

	// The three next commands: each names a verb that exists, and the
	// example it shows runs.
	i := strings.Index(out, "\nNext:\n")
	if i < 0 {
		t.Fatal("no next commands")
	}
	next := strings.Split(strings.TrimSpace(out[i+len("\nNext:\n"):]), "\n")
	if len(next) != 3 {
		t.Fatalf("%d next commands, want 3", len(next))
	}
	for j, verb := range []string{"show", "replay", "playground"} {
		f := strings.Fields(next[j])
		if len(f) < 4 || f[0] != "go" || f[2] != "./cmd/mmapsim" || f[3] != verb {
			t.Errorf("next command %d is %q, want go run ./cmd/mmapsim %s ...", j+1, next[j], verb)
		}
	}
	inRepoRoot(t, func() {
		f := strings.Fields(next[0])
		if code, _, errOut := runCLI(f[3:5]...); code != 0 {
			t.Errorf("%s: exit %d %s", next[0], code, errOut)
		}
	})
}

// TestREADMEDemo: the demo's excerpt in README.md is its output, in order
// ("..." stands for lines left out).
func TestREADMEDemo(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const start = "$ go run ./cmd/mmapsim demo\n"
	i := bytes.Index(readme, []byte(start))
	if i < 0 {
		t.Fatalf("README.md has no %q", start)
	}
	block, _, _ := strings.Cut(string(readme[i+len(start):]), "```")
	_, out, _ := runCLI("demo")
	lines := strings.Split(out, "\n")
	at := 0
	for _, want := range strings.Split(strings.TrimSuffix(block, "\n"), "\n") {
		if want == "..." {
			continue
		}
		for at < len(lines) && lines[at] != want {
			at++
		}
		if at == len(lines) {
			t.Errorf("README's demo line %q is not in the output (in order)", want)
			return
		}
		at++
	}
}

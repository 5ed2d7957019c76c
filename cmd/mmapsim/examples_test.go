package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output: examples/testdata/*.golden, testdata/demo.golden, and ../../docs/playground.png (TestBrowserPlayground)")

// inRepoRoot runs fn with the working directory at the repository root, so
// that file names in the output read "examples/NAME.scn", as in the README.
func inRepoRoot(t *testing.T, fn func()) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(filepath.Join("..", "..")); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := os.Chdir(wd); err != nil {
			t.Fatal(err)
		}
	}()
	fn()
}

func examples(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob("examples/*.scn")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 10 {
		t.Fatalf("found %d examples, want at least 10", len(names))
	}
	for i, n := range names {
		names[i] = filepath.ToSlash(n)
	}
	return names
}

// TestExamples runs every example with --check: each must hold all its
// expectations and invariants, except that a -seed example (which shows a
// defect of the seed) may break invariants, and only those.
func TestExamples(t *testing.T) {
	inRepoRoot(t, func() {
		for _, name := range examples(t) {
			f, err := syntax.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := scenario.Run(f, scenario.RunOptions{Check: true})
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			seed := strings.HasSuffix(name, "-seed.scn")
			for _, fl := range rep.Failures {
				if seed && fl.Want == "invariants to hold" {
					continue
				}
				t.Errorf("%s", fl)
			}
			if rep.Expectations == 0 {
				t.Errorf("%s: no expectations", name)
			}
		}
	})
}

// TestExamplesGolden compares "mmapsim show EXAMPLE" with
// examples/testdata/NAME.golden byte for byte: the output is the same on
// every OS and GOARCH. go test ./cmd/mmapsim -run Golden -update rewrites
// the files.
func TestExamplesGolden(t *testing.T) {
	inRepoRoot(t, func() {
		for _, name := range examples(t) {
			var out, errOut bytes.Buffer
			if code := run([]string{"show", name}, &out, &errOut); code != 0 {
				t.Errorf("mmapsim show %s: exit %d\n%s%s", name, code, out.String(), errOut.String())
				continue
			}
			golden := filepath.Join("examples", "testdata", strings.TrimSuffix(filepath.Base(name), ".scn")+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Errorf("%v (run go test ./cmd/mmapsim -run Golden -update)", err)
				continue
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("mmapsim show %s differs from %s:\n%s", name, golden, firstDiff(string(want), out.String()))
			}
		}
	})
}

// firstDiff shows the first line where got departs from want.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n  want " + w + "\n  got  " + g
		}
	}
	return "(no line differs)"
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// A verdict is what the tests made of a mutant.
type verdict int

const (
	invalid  verdict = iota // it does not compile: not counted
	killed                  // a test failed (or timed out)
	survived                // every test passed
)

func (v verdict) String() string { return [...]string{"invalid", "killed", "survived"}[v] }

// testRun is one go test invocation of the suite: a package, whether it
// runs with -short, and its timeout (set from a run of the unmutated tree).
type testRun struct {
	pkg     string
	short   bool
	timeout time.Duration
}

func (t testRun) String() string {
	if t.short {
		return t.pkg + " -short"
	}
	return t.pkg
}

// tester builds and tests mutants through an overlay.
type tester struct {
	root  string    // the module root
	tmp   string    // where mutated files and overlays go
	runs  []testRun // the suite, fastest first
	build []string  // the packages a mutant must compile in
}

// baseline runs the suite on the unmutated tree, which must pass, and sets
// each run's timeout to factor times what it took (at least floor): a
// mutant that makes a test hang is then killed in bounded time.
func (t *tester) baseline(factor int, floor time.Duration) error {
	for i := range t.runs {
		r := &t.runs[i]
		args := []string{"test", "-count=1"}
		if r.short {
			args = append(args, "-short")
		}
		start := time.Now()
		if out, err := t.goCmd(0, append(args, r.pkg)...); err != nil {
			return fmt.Errorf("%s fails on the unmutated tree:\n%s", r, out)
		}
		r.timeout = max(floor, time.Duration(factor)*time.Since(start).Round(time.Second))
	}
	return nil
}

// outcome is a mutant's verdict, the test run that killed it (and how),
// and how long it took.
type outcome struct {
	verdict verdict
	by      string
	run     int // the index in the suite of the run that killed it
	took    time.Duration
}

// test makes m in an overlay and runs the suite against it, stopping at
// the first test run that fails.
func (t *tester) test(m mutant) outcome {
	start := time.Now()
	abs := filepath.Join(t.root, filepath.FromSlash(m.File))
	src, err := os.ReadFile(abs)
	if err != nil {
		return outcome{invalid, err.Error(), -1, time.Since(start)}
	}
	mutated := filepath.Join(t.tmp, "mutant_"+filepath.Base(abs))
	if err := os.WriteFile(mutated, m.apply(src), 0o644); err != nil {
		return outcome{invalid, err.Error(), -1, time.Since(start)}
	}
	overlay := filepath.Join(t.tmp, "overlay.json")
	js, _ := json.Marshal(map[string]map[string]string{"Replace": {abs: mutated}})
	if err := os.WriteFile(overlay, js, 0o644); err != nil {
		return outcome{invalid, err.Error(), -1, time.Since(start)}
	}
	if out, err := t.goCmd(0, append([]string{"build", "-overlay", overlay}, t.build...)...); err != nil {
		return outcome{invalid, firstLine(out), -1, time.Since(start)}
	}
	for i, r := range t.runs {
		args := []string{"test", "-overlay", overlay, "-count=1", "-timeout", r.timeout.String()}
		if r.short {
			args = append(args, "-short")
		}
		out, err := t.goCmd(r.timeout+2*time.Minute, append(args, r.pkg)...)
		if err != nil && strings.Contains(out, "[build failed]") {
			// go test's vet checks refuse it: not a program either.
			return outcome{invalid, firstLine(out), -1, time.Since(start)}
		}
		if err != nil {
			how := "fails"
			if strings.Contains(out, "test timed out") || strings.Contains(out, "signal: killed") {
				how = "times out"
			}
			return outcome{killed, r.String() + " " + how, i, time.Since(start)}
		}
	}
	return outcome{survived, "", -1, time.Since(start)}
}

// goCmd runs the go command in the module root, with a deadline when
// limit is non-zero, and returns its combined output.
func (t *tester) goCmd(limit time.Duration, args ...string) (string, error) {
	ctx := context.Background()
	if limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = t.root
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.String(), err
}

// suiteRuns lists the test runs of suite: "props" is go test -short
// ./props alone; "whole" is every package whose tests depend on one of the
// mutated packages, the fast ones first, props -short before the full run;
// "both" is the whole suite with props -short moved first, so that one
// sample measures props alone (the mutants the first run kills) and the
// whole suite.
func suiteRuns(root, suite string, mutated []string) ([]testRun, error) {
	const module = "github.com/mmapsim/mmapsim/"
	propsShort := testRun{pkg: module + "props", short: true}
	switch suite {
	case "props":
		return []testRun{propsShort}, nil
	case "both":
		whole, err := suiteRuns(root, "whole", mutated)
		if err != nil {
			return nil, err
		}
		runs := []testRun{propsShort}
		for _, r := range whole {
			if r != propsShort {
				runs = append(runs, r)
			}
		}
		return runs, nil
	case "whole":
	default:
		return nil, fmt.Errorf("suite %q: want whole, props or both", suite)
	}
	t := &tester{root: root}
	out, err := t.goCmd(0, "list", "./...")
	if err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, out)
	}
	// The order: cheap and close to sim first; the full property run
	// and the comparison with a real QEMU last.
	first := []testRun{{pkg: module + "sim"}, {pkg: module + "sim/internal/base"}, propsShort}
	last := []testRun{{pkg: module + "props"}, {pkg: module + "props/qemudiff"}}
	runs := append([]testRun{}, first...)
	for _, pkg := range strings.Fields(out) {
		if pkg == module+"sim" || pkg == module+"sim/internal/base" || pkg == module+"props" || pkg == module+"props/qemudiff" {
			continue
		}
		deps, err := t.goCmd(0, "list", "-test", "-deps", pkg)
		if err != nil {
			return nil, fmt.Errorf("go list -test -deps %s: %v\n%s", pkg, err, deps)
		}
		for _, d := range strings.Fields(deps) {
			if contains(mutated, strings.TrimPrefix(d, module)) {
				runs = append(runs, testRun{pkg: pkg})
				break
			}
		}
	}
	return append(runs, last...), nil
}

// keepRuns is the runs of the packages pkgs (relative to the module root),
// in the suite's order; a package the suite does not test is an error.
func keepRuns(runs []testRun, pkgs []string) ([]testRun, error) {
	const module = "github.com/mmapsim/mmapsim/"
	var kept []testRun
	for _, p := range pkgs {
		found := false
		for _, r := range runs {
			if r.pkg == module+strings.TrimSpace(p) {
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("-runs: the suite does not test package %q", p)
		}
	}
	for _, r := range runs {
		for _, p := range pkgs {
			if r.pkg == module+strings.TrimSpace(p) {
				kept = append(kept, r)
				break
			}
		}
	}
	return kept, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return l
		}
	}
	return strings.TrimSpace(s)
}

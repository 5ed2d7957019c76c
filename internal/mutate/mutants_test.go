package main

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `package p

func f(a, b int, ok bool) int {
	if a < b && ok {
		a++
	}
	g(a)
	x := a + 1
	return x
}

func g(int) {}
`

// TestFileMutants: each operator finds its points in a function body, and
// every mutant, made, still parses (the edits are well-formed).
func TestFileMutants(t *testing.T) {
	ms, err := fileMutants("p.go", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]int{}
	for _, m := range ms {
		ops[m.Op]++
		if _, err := parser.ParseFile(token.NewFileSet(), "p.go", m.apply([]byte(sample)), 0); err != nil {
			t.Errorf("%s: the mutant does not parse: %v", m, err)
		}
	}
	// swaps: <, &&, +; literals: 1 (plus and minus); negate: the if;
	// delete: a++ and g(a) (x := ... declares, so it stays).
	want := map[string]int{"swap": 3, "plus-one": 1, "minus-one": 1, "negate": 1, "delete": 2}
	for op, n := range want {
		if ops[op] != n {
			t.Errorf("%s: %d points, want %d (all: %v)", op, ops[op], n, ops)
		}
	}
	for _, m := range ms {
		if m.Op == "negate" && !strings.Contains(string(m.apply([]byte(sample))), "if !(a < b && ok)") {
			t.Errorf("negate made %q", m.apply([]byte(sample)))
		}
	}
}

// TestChooseDeterministic: a seed chooses the same mutants in the
// enumeration's order; -only picks one by key.
func TestChooseDeterministic(t *testing.T) {
	ms, err := fileMutants("p.go", []byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	a, b := choose(ms, 3, 7, ""), choose(ms, 3, 7, "")
	if len(a) != 3 || a[0] != b[0] || a[1] != b[1] || a[2] != b[2] {
		t.Errorf("seed 7 chose %v, then %v", a, b)
	}
	if one := choose(ms, 3, 7, ms[2].Key()); len(one) != 1 || one[0] != ms[2] {
		t.Errorf("-only %s chose %v", ms[2].Key(), one)
	}
}

// TestKeepRuns: -runs keeps the named packages' runs in the suite's order
// (props -short and props are one package) and refuses a package the suite
// does not test.
func TestKeepRuns(t *testing.T) {
	const module = "github.com/mmapsim/mmapsim/"
	suite := []testRun{{pkg: module + "sim"}, {pkg: module + "sim/internal/base"}, {pkg: module + "props", short: true}, {pkg: module + "scenario"}, {pkg: module + "props"}}
	got, err := keepRuns(suite, []string{"props", "sim"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range got {
		names = append(names, strings.TrimPrefix(r.String(), module))
	}
	if want := "sim, props -short, props"; strings.Join(names, ", ") != want {
		t.Errorf("keepRuns(props, sim) = %s, want %s", strings.Join(names, ", "), want)
	}
	if _, err := keepRuns(suite, []string{"hostvm"}); err == nil {
		t.Errorf("keepRuns(hostvm) kept a package the suite does not test")
	}
}

// TestEquivalentKeysExist: every mutant equivalent.txt argues equivalent is
// a mutation point of today's sources. A key names a line and a column, so
// an edit above it moves the mutant and leaves the key naming nothing: the
// mutant would count against the score again, its argument silently lost.
// Such a key is to be moved to the line the code went to.
func TestEquivalentKeysExist(t *testing.T) {
	const root = "../.."
	equivalent, err := readEquivalent(filepath.Join(root, "internal/mutate/equivalent.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(equivalent) == 0 {
		t.Fatal("no mutant argued equivalent: the file was not read")
	}
	all, err := mutantsOf(root, []string{"sim", "sim/internal/base"})
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, m := range all {
		keys[m.Key()] = true
	}
	for key := range equivalent {
		if !keys[key] {
			t.Errorf("equivalent.txt names %s, which is no mutation point of sim's sources (did the line move?)", key)
		}
	}
}

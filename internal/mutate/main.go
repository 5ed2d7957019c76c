package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	var (
		n      = flag.Int("n", 150, "how many mutants to sample (0: all)")
		seed   = flag.Int64("seed", 1, "the sampling seed")
		suite  = flag.String("suite", "whole", "the tests to run: whole (every package whose tests use sim) or props (go test -short ./props)")
		dirs   = flag.String("dirs", "sim,sim/internal/base", "the packages to mutate, comma-separated, relative to the module root")
		factor = flag.Int("timeout-factor", 5, "each go test's -timeout is this many times its run on the unmutated tree (at least 20s): a mutant that makes a test hang is killed")
		only   = flag.String("only", "", "run only the mutant with this key (as the report prints it)")
		list   = flag.Bool("list", false, "list every mutation point and exit")
		equiv  = flag.String("equivalent", "internal/mutate/equivalent.txt", "the file of mutants argued equivalent, left out of the score")
		runsOf = flag.String("runs", "", "run only the suite's tests of these packages, comma-separated, relative to the module root (e.g. sim,sim/internal/base): a quick check of one mutant, not a score")
	)
	flag.Parse()
	root, err := moduleRoot()
	if err != nil {
		fatal(err)
	}
	mutated := strings.Split(*dirs, ",")
	all, err := mutantsOf(root, mutated)
	if err != nil {
		fatal(err)
	}
	if *list {
		for _, m := range all {
			fmt.Printf("%s\n    key %s\n", m, m.Key())
		}
		fmt.Printf("%d mutation points\n", len(all))
		return
	}
	sample := choose(all, *n, *seed, *only)
	if len(sample) == 0 {
		fatal(fmt.Errorf("no mutant to run (-only %q)", *only))
	}
	equivalent, err := readEquivalent(filepath.Join(root, *equiv))
	if err != nil {
		fatal(err)
	}
	runs, err := suiteRuns(root, *suite, mutated)
	if err != nil {
		fatal(err)
	}
	if *runsOf != "" {
		if runs, err = keepRuns(runs, strings.Split(*runsOf, ",")); err != nil {
			fatal(err)
		}
	}
	tmp, err := os.MkdirTemp("", "mutate")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(tmp)
	t := &tester{root: root, tmp: tmp, runs: runs}
	for _, d := range mutated {
		t.build = append(t.build, "./"+d)
	}
	if err := t.baseline(*factor, 20*time.Second); err != nil {
		fatal(err)
	}
	fmt.Printf("mutate: %d of %d mutation points in %s, seed %d, suite %s:", len(sample), len(all), *dirs, *seed, *suite)
	for _, r := range t.runs {
		fmt.Printf(" [%s, timeout %v]", strings.TrimPrefix(r.String(), "github.com/mmapsim/mmapsim/"), r.timeout)
	}
	fmt.Println()
	report(t, sample, equivalent, *suite == "both")
}

// choose samples n of all with seed (all of them for n <= 0), or picks the
// one whose key is only. The sample keeps the enumeration's order.
func choose(all []mutant, n int, seed int64, only string) []mutant {
	if only != "" {
		for _, m := range all {
			if m.Key() == only {
				return []mutant{m}
			}
		}
		return nil
	}
	if n <= 0 || n >= len(all) {
		return all
	}
	idx := rand.New(rand.NewSource(seed)).Perm(len(all))[:n]
	sort.Ints(idx)
	out := make([]mutant, n)
	for i, j := range idx {
		out[i] = all[j]
	}
	return out
}

// report tests each mutant, printing a line as each finishes, then the
// score and the survivors.
func report(t *tester, sample []mutant, equivalent map[string]string, both bool) {
	var counts [3]int
	var eq int
	var survivors []mutant
	// With both, the first run is props -short: what it kills, and what
	// got past it (argued equivalent or not), give props' own score.
	var propsKilled, propsEq int
	var propsMissed []mutant
	start := time.Now()
	for i, m := range sample {
		o := t.test(m)
		counts[o.verdict]++
		line := fmt.Sprintf("%3d/%d %-8s %s", i+1, len(sample), o.verdict, m)
		if o.by != "" {
			line += "  (" + strings.TrimPrefix(o.by, "github.com/mmapsim/mmapsim/") + ")"
		}
		if why, ok := equivalent[m.Key()]; ok && o.verdict == survived {
			eq++
			line += "  equivalent: " + why
		} else if o.verdict == survived {
			survivors = append(survivors, m)
		}
		fmt.Printf("%s  %.1fs\n", line, o.took.Seconds())
		switch _, isEq := equivalent[m.Key()]; {
		case o.verdict == killed && o.run == 0:
			propsKilled++
		case o.verdict == invalid:
		case isEq && o.verdict == survived:
			propsEq++
		default:
			propsMissed = append(propsMissed, m)
		}
	}
	counted := counts[killed] + counts[survived] - eq
	score := 0.0
	if counted > 0 {
		score = 100 * float64(counts[killed]) / float64(counted)
	}
	fmt.Printf("\n%d mutants in %v: %d killed, %d survived (%d of them argued equivalent), %d did not compile\n",
		len(sample), time.Since(start).Round(time.Second), counts[killed], counts[survived], eq, counts[invalid])
	fmt.Printf("mutation score: %.1f%% of %d non-equivalent mutants killed\n", score, counted)
	if both {
		pc := counts[killed] + counts[survived] - propsEq
		ps := 0.0
		if pc > 0 {
			ps = 100 * float64(propsKilled) / float64(pc)
		}
		fmt.Printf("props -short alone: %.1f%% (%d of %d non-equivalent mutants killed by the first run)\n", ps, propsKilled, pc)
		if len(propsMissed) > 0 {
			fmt.Println("missed by props -short alone:")
			for _, m := range propsMissed {
				fmt.Printf("  %s\n    key %s\n", m, m.Key())
			}
		}
	}
	if len(survivors) > 0 {
		fmt.Println("survivors:")
		for _, m := range survivors {
			fmt.Printf("  %s\n    key %s\n", m, m.Key())
		}
	}
}

// readEquivalent reads the mutants argued equivalent: one per line, the
// key, then "#" and the reason. A missing file is an empty list.
func readEquivalent(path string) (map[string]string, error) {
	out := map[string]string{}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, why, _ := strings.Cut(line, "#")
		out[strings.TrimSpace(key)] = strings.TrimSpace(why)
	}
	return out, sc.Err()
}

// moduleRoot finds the directory holding go.mod, from the working
// directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mutate:", err)
	os.Exit(2)
}

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mmapsim/mmapsim/picture"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// runCmd is "mmapsim run", and with show set "mmapsim show": the same
// run, drawing the address space after every statement.
func runCmd(args []string, stdout, stderr io.Writer, show bool) int {
	name := "run"
	if show {
		name = "show"
	}
	cmd := newCommand(name, stderr,
		"usage: mmapsim "+name+" [flags] FILE...\n\nA FILE that is a directory stands for its *.scn files.\n\nflags:\n",
		"check the invariants after every statement (host consistency, guest/host agreement, RESERVED_VA integrity)",
		"print only failures and the summary")
	showFlag := cmd.flags.Bool("show", show, "draw the address space after every statement (text)")
	htmlFile := cmd.flags.String("html", "", "write a self-contained HTML page stepping through the run to `FILE` (instead of text pictures)")
	set, ok := cmd.parse(args)
	if !ok {
		return 2
	}
	tuneGC()
	names, err := scenarioFiles(cmd.flags.Args())
	if err != nil {
		fmt.Fprintln(stderr, "mmapsim:", err)
		return 2
	}
	var rec *picture.HTMLRecorder
	if *htmlFile != "" {
		// The page is written after the runs: refuse a place it cannot
		// go before running them.
		if st, err := os.Stat(filepath.Dir(*htmlFile)); err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "mmapsim: --html %s: no directory %s to write it in\n", *htmlFile, filepath.Dir(*htmlFile))
			return 2
		}
		rec = &picture.HTMLRecorder{Title: "mmapsim " + name + " " + strings.Join(cmd.flags.Args(), " ")}
	}
	status := 0
	for _, file := range names {
		out := stdout
		if *cmd.quiet {
			out = io.Discard
		}
		opts := scenario.RunOptions{Settings: set, Check: *cmd.check, Out: out}
		if *showFlag && rec == nil {
			opts.Start, opts.After = picture.TextHooks(out)
		}
		if rec != nil {
			opts.Start, opts.After = rec.Hooks(file)
		}
		rep, err := runFile(file, opts)
		if err != nil {
			fmt.Fprintln(stderr, "mmapsim:", err)
			return 2
		}
		if *cmd.quiet {
			for _, fl := range rep.Failures {
				fmt.Fprintln(stdout, fl)
			}
			if more := rep.Failed - len(rep.Failures); more > 0 {
				fmt.Fprintf(stdout, "... %d more failures\n", more)
			}
		}
		if rep.Failed > 0 {
			status = 1
		}
		fmt.Fprintln(stdout, rep.Summary(file))
	}
	if rec != nil {
		var buf bytes.Buffer
		err := rec.WriteHTML(&buf)
		if err == nil {
			err = os.WriteFile(*htmlFile, buf.Bytes(), 0o644)
		}
		if err != nil {
			fmt.Fprintln(stderr, "mmapsim:", err)
			return 2
		}
		fmt.Fprintf(stdout, "wrote %s (%d steps)\n", *htmlFile, rec.Steps())
	}
	return status
}

// runFile runs the scenario in file as it reads it, in memory bounded by
// the simulated machine, whatever the file's length.
func runFile(file string, opts scenario.RunOptions) (*scenario.Report, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return scenario.RunReader(syntax.NewReader(file, fh), opts)
}

// scenarioFiles expands the arguments: a directory stands for its *.scn
// files, in name order; a directory without any is an error.
func scenarioFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || !st.IsDir() {
			out = append(out, a) // ReadFile reports a missing file
			continue
		}
		m, err := filepath.Glob(filepath.Join(a, "*.scn"))
		if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%s: a directory with no .scn files", a)
		}
		sort.Strings(m)
		for _, f := range m {
			// Slashes on every OS, so the output is byte-identical.
			out = append(out, filepath.ToSlash(f))
		}
	}
	return out, nil
}

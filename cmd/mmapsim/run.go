package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mmapsim/mmapsim/scenario"
)

// settingFlags defines one string flag per scenario setting, so every
// "#! key=value" can be given as --key value (flags win over the file).
func settingFlags(fs *flag.FlagSet) func() (*scenario.Settings, error) {
	vals := map[string]*string{}
	for _, k := range scenario.SettingKeys {
		vals[k.Key] = fs.String(k.Key, "", k.Help+" ("+k.Value+")")
	}
	return func() (*scenario.Settings, error) {
		s := scenario.NewSettings()
		var err error
		fs.Visit(func(f *flag.Flag) {
			if p, ok := vals[f.Name]; ok && err == nil {
				err = s.Set(f.Name, *p, "flag --"+f.Name)
			}
		})
		return s, err
	}
}

// runCmd is "mmapsim run", and with show set "mmapsim show": the same
// run, drawing the address space after every statement.
func runCmd(args []string, stdout, stderr io.Writer, show bool) int {
	cmd := "run"
	if show {
		cmd = "show"
	}
	fs := flag.NewFlagSet("mmapsim "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "check the invariants after every statement (host consistency, guest/host agreement, RESERVED_VA integrity)")
	quiet := fs.Bool("q", false, "print only failures and the summary")
	showFlag := fs.Bool("show", show, "draw the address space after every statement (text)")
	htmlFile := fs.String("html", "", "write a self-contained HTML page stepping through the run to `FILE` (instead of text pictures)")
	settings := settingFlags(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: mmapsim %s [flags] FILE...\n\nA FILE that is a directory stands for its *.scn files.\n\nflags:\n", cmd)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	set, err := settings()
	if err != nil {
		fmt.Fprintln(stderr, "mmapsim:", err)
		return 2
	}
	names, err := scenarioFiles(fs.Args())
	if err != nil {
		fmt.Fprintln(stderr, "mmapsim:", err)
		return 2
	}
	var rec *scenario.HTMLRecorder
	if *htmlFile != "" {
		rec = &scenario.HTMLRecorder{Title: "mmapsim " + cmd + " " + strings.Join(fs.Args(), " ")}
	}
	status := 0
	for _, name := range names {
		f, err := scenario.ReadFile(name)
		if err != nil {
			fmt.Fprintln(stderr, "mmapsim:", err)
			return 2
		}
		out := stdout
		if *quiet {
			out = io.Discard
		}
		opts := scenario.RunOptions{Settings: set, Check: *check, Out: out}
		if *showFlag && rec == nil {
			opts.Start, opts.After = scenario.ShowHooks(out)
		}
		if rec != nil {
			opts.Start, opts.After = rec.Hooks(name)
		}
		rep, err := scenario.Run(f, opts)
		if err != nil {
			fmt.Fprintln(stderr, "mmapsim:", err)
			return 2
		}
		if *quiet {
			for _, fl := range rep.Failures {
				fmt.Fprintln(stdout, fl)
			}
		}
		if len(rep.Failures) > 0 {
			status = 1
		}
		fmt.Fprintln(stdout, rep.Summary(name))
	}
	if rec != nil {
		var buf bytes.Buffer
		if err := rec.WriteHTML(&buf); err == nil {
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

// scenarioFiles expands the arguments: a directory stands for its *.scn
// files, in name order.
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
		sort.Strings(m)
		for _, f := range m {
			// Slashes on every OS, so the output is byte-identical.
			out = append(out, filepath.ToSlash(f))
		}
	}
	return out, nil
}

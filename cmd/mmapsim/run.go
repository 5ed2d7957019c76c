package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

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

func runCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mmapsim run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	check := fs.Bool("check", false, "check the invariants after every statement (host consistency, guest/host agreement, RESERVED_VA integrity)")
	quiet := fs.Bool("q", false, "print only failures and the summary")
	settings := settingFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mmapsim run [flags] FILE...")
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
	status := 0
	for _, name := range fs.Args() {
		f, err := scenario.ReadFile(name)
		if err != nil {
			fmt.Fprintln(stderr, "mmapsim:", err)
			return 2
		}
		out := stdout
		if *quiet {
			out = io.Discard
		}
		rep, err := scenario.Run(f, scenario.RunOptions{Settings: set, Check: *check, Out: out})
		var ue *scenario.UsageError
		if errors.As(err, &ue) {
			fmt.Fprintln(stderr, "mmapsim:", err)
			return 2
		} else if err != nil {
			fmt.Fprintln(stderr, "mmapsim:", err)
			return 2
		}
		if *quiet {
			for _, fl := range rep.Failures {
				fmt.Fprintln(stdout, fl)
			}
		}
		verdict := "ok"
		if len(rep.Failures) > 0 {
			verdict = "FAIL"
			status = 1
		}
		fmt.Fprintf(stdout, "%s: %s: %d statements, %d expectations, %d failed, %d skipped\n",
			name, verdict, rep.Statements, rep.Expectations, len(rep.Failures), len(rep.Skipped))
	}
	return status
}

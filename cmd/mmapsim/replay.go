package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/mmapsim/mmapsim/scenario"
)

func replayCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mmapsim replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	strict := fs.Bool("strict", false, "exit 1 when any call diverges from the trace")
	check := fs.Bool("check", false, "check the invariants after every memory call (a violation is a divergence)")
	quiet := fs.Bool("q", false, "print only the summary")
	verbose := fs.Bool("v", false, "print every replayed memory call with the simulation's result (and host calls under a target)")
	settings := settingFlags(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: mmapsim replay [flags] TRACE...

Replays real strace logs, recorded with
  strace -f -e trace=%memory,openat,close,newfstatat,fstat -o TRACE COMMAND
on a simulated host of another page size (--host-page 16K), or under the
simulated QEMU (--target x86_64 --host-page 64K). Each pid is its own process.
Prints a summary, then each divergence with its trace line. Exit status 0 when
every trace ran to the end, whatever the divergences (1 with --strict and a
divergence), 2 on a usage or input error.

flags:
`)
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
	for i, name := range fs.Args() {
		f, err := scenario.ReadFile(name)
		if err != nil {
			fmt.Fprintln(stderr, "mmapsim:", err)
			return 2
		}
		opts := scenario.ReplayOptions{Settings: set, Check: *check}
		if *verbose {
			opts.Log = stdout
		}
		rep, err := scenario.Replay(f, opts)
		if err != nil {
			fmt.Fprintln(stderr, "mmapsim:", err)
			return 2
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		rep.WriteSummary(stdout)
		if !*quiet {
			rep.WriteDetails(stdout)
		}
		if *strict && len(rep.Divergences) > 0 {
			status = 1
		}
	}
	return status
}

package main

import (
	"fmt"
	"io"

	"github.com/mmapsim/mmapsim/replay"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

const replayUsage = `usage: mmapsim replay [flags] TRACE...

Replays real strace logs, recorded with
  strace -f -e trace=%memory,openat,close,newfstatat,fstat -o TRACE COMMAND
on a simulated host of another page size (--host-page 16K), or under the
simulated QEMU (--target x86_64 --host-page 64K). Each pid is its own process.
Prints a summary, then each divergence with its trace line. Exit status 0 when
every trace ran to the end, whatever the divergences (1 with --strict and a
divergence), 2 on a usage or input error.

flags:
`

func replayCmd(args []string, stdout, stderr io.Writer) int {
	cmd := newCommand("replay", stderr, replayUsage,
		"check the invariants after every memory call (a violation is a divergence)",
		"print only the summary")
	strict := cmd.flags.Bool("strict", false, "exit 1 when any call diverges from the trace")
	verbose := cmd.flags.Bool("v", false, "print every replayed memory call with the simulation's result (and host calls under a target)")
	set, ok := cmd.parse(args)
	if !ok {
		return 2
	}
	status := 0
	for i, name := range cmd.flags.Args() {
		f, err := syntax.ReadFile(name)
		if err != nil {
			fmt.Fprintln(stderr, "mmapsim:", err)
			return 2
		}
		opts := replay.Options{Settings: set, Check: *cmd.check}
		if *verbose {
			opts.Log = stdout
		}
		rep, err := replay.Replay(f, opts)
		if err != nil {
			fmt.Fprintln(stderr, "mmapsim:", err)
			return 2
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		rep.WriteSummary(stdout)
		if !*cmd.quiet {
			rep.WriteDetails(stdout)
		}
		if *strict && len(rep.Divergences) > 0 {
			status = 1
		}
	}
	return status
}

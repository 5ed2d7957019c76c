package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/mmapsim/mmapsim/replay"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

var replayUsage = `usage: mmapsim replay [flags] TRACE...

Replays real strace logs, recorded with "mmapsim record -- COMMAND", which runs
  ` + recordCommandLine + `
on a simulated host of another page size (--host-page 16K), or under the
simulated QEMU (--target x86_64 --qemu-host-page 64K --policy qemu-7.2).
Threads share an address space, fork copies it, execve replaces it. TRACE "-"
is the standard input; a trace is read as it is replayed, in bounded memory
(a line may be at most 1 MiB long).

Prints first the verdict, per program image: "starts", "at risk" (under a
target, it relies on protections the host cannot enforce; natively, it fails
unless it asks the system its page size) or "fails at line N", with the cause
and the fix; then a summary, then each divergence with its trace line. Exit status 0 when every trace ran to the end, whatever the
divergences (1 with --strict and a divergence), 2 on a usage or input error.

flags:
`

func replayCmd(args []string, stdout, stderr io.Writer) int {
	cmd := newCommand("replay", stderr, replayUsage,
		"check the invariants after every memory call (a violation is a divergence)",
		"print only the verdict and the summary")
	strict := cmd.flags.Bool("strict", false, "exit 1 when any call diverges from the trace")
	verbose := cmd.flags.Bool("v", false, "print every replayed memory call with the simulation's result (and host calls under a target)")
	noFiles := cmd.flags.Bool("no-files", false, "do not read the ELF headers of the programs and libraries the trace names, even when they are on this machine")
	set, ok := cmd.parse(args)
	if !ok {
		return 2
	}
	tuneGC()
	status := 0
	for i, name := range cmd.flags.Args() {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		rep, err := replayFile(name, set, replay.Options{Check: *cmd.check, ReadFiles: !*noFiles}, *verbose, stdout)
		if rep != nil {
			rep.WriteVerdict(stdout)
			rep.WriteSummary(stdout)
			if !*cmd.quiet {
				rep.WriteDetails(stdout)
			}
			if *strict && len(rep.Divergences) > 0 {
				status = 1
			}
		}
		if err != nil {
			fmt.Fprintln(stderr, "mmapsim:", err)
			return 2
		}
	}
	return status
}

// tuneGC lets the heap grow to five times what is live before the garbage
// collector runs (GOGC=400), unless GOGC says otherwise: reading a trace
// allocates a statement per line that dies at once, and the live heap of
// a replay is small (the simulated processes), so collecting less often
// buys about a fifth of the time for some tens of MB.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

// stdin is what a TRACE of "-" reads; a variable so tests can give one.
var stdin io.Reader = os.Stdin

// replayFile replays the trace called name ("-": the standard input) as
// it reads it. A report comes with an error that ended the reading early.
func replayFile(name string, set *scenario.Settings, opts replay.Options, verbose bool, stdout io.Writer) (*replay.Report, error) {
	in := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		in = f
	}
	opts.Settings = set
	if verbose {
		opts.Log = stdout
	}
	r := syntax.NewReader(name, in)
	r.Reuse()
	rep, err := replay.ReplayReader(r, opts)
	var usage *scenario.UsageError
	if errors.As(err, &usage) {
		return nil, err
	}
	return rep, err
}

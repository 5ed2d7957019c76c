package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status: 0 success,
// 1 a failed expectation, 2 a usage or input error.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "run":
		return runCmd(args[1:], stdout, stderr, false)
	case "show":
		return runCmd(args[1:], stdout, stderr, true)
	case "replay":
		return replayCmd(args[1:], stdout, stderr)
	case "record":
		return recordCmd(args[1:], stdout, stderr)
	case "presets":
		return presetsCmd(args[1:], stdout, stderr)
	case "demo":
		return demo(stdout, stderr)
	case "playground":
		return playgroundCmd(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "mmapsim: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: mmapsim COMMAND [ARGS]

commands:
  run [flags] FILE...   run scenarios on the simulated host (or, with a target,
                        the simulated QEMU guest), checking expectations
                        (--show: pictures; --html FILE: an HTML page)
  show [flags] FILE...  run, drawing the address space after every step
  replay [flags] TRACE... replay real strace logs natively on a host of
                        another page size, or under the simulated QEMU
  record -- COMMAND     run COMMAND under strace, writing a log to replay
  presets               list host and target presets, policies and quirks
  demo                  run the built-in example
  playground DIR        write the playground (a page to try scenarios in a
                        browser) to DIR/index.html

Run "mmapsim run -h" or "mmapsim replay -h" for the flags.
`)
}

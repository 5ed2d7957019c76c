package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// recordFlags are the strace flags mmapsim record uses: follow every
// process (-f), print strings (paths, execve's arguments) up to 4096
// bytes, trace the memory calls, the process calls that say who shares
// an address space (clone, fork, vfork, execve, exit) and the file calls
// a replay follows to know what an mmap maps.
var recordFlags = []string{"-f", "-s", "4096", "-e", "trace=%memory,%process,open,openat,close,fstat,newfstatat"}

// recordCommandLine is the strace command mmapsim record runs, for help
// texts.
var recordCommandLine = "strace " + strings.Join(recordFlags, " ") + " -o TRACE COMMAND"

const recordUsage = `usage: mmapsim record [-o TRACE] [--strace PATH] -- COMMAND [ARG...]

Runs COMMAND under strace with the flags a replay needs:
  ` + "%s" + `
and writes the log to TRACE (default: COMMAND's base name with .strace, in
the current directory). Replay it with "mmapsim replay TRACE". COMMAND's own
exit status becomes record's.

flags:
`

// lookPath finds strace; a variable so tests can make it missing.
var lookPath = exec.LookPath

func recordCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mmapsim record", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("o", "", "write the trace to `TRACE`")
	straceBin := fs.String("strace", "strace", "the strace program to run")
	fs.Usage = func() {
		fmt.Fprintf(stderr, recordUsage, recordCommandLine)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	command := fs.Args()
	if len(command) == 0 {
		fs.Usage()
		return 2
	}
	path, err := lookPath(*straceBin)
	if err != nil {
		fmt.Fprintf(stderr, "mmapsim record: %s not found (%v): install strace (apt-get install strace, dnf install strace) or name it with --strace PATH\n", *straceBin, err)
		return 2
	}
	trace := *out
	if trace == "" {
		trace = filepath.Base(command[0]) + ".strace"
	}
	argv := append(append(append([]string{}, recordFlags...), "-o", trace, "--"), command...)
	c := exec.Command(path, argv...)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, stdout, stderr
	err = c.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		fmt.Fprintf(stderr, "mmapsim record: %s (the trace is in %s)\n", err, trace)
		if code := exit.ExitCode(); code > 0 {
			return code
		}
		return 1
	case err != nil:
		fmt.Fprintln(stderr, "mmapsim record:", err)
		return 2
	}
	fmt.Fprintf(stderr, "mmapsim record: wrote %s; replay it with: mmapsim replay %s\n", trace, trace)
	return 0
}

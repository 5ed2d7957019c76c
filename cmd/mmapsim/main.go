// Command mmapsim runs, replays and draws mmap scenarios on a simulated host
// kernel and a simulated QEMU linux-user guest.
//
// Usage:
//
//	mmapsim demo          run the built-in example and print what it did
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
	case "demo":
		return demo(stdout, stderr)
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
  demo    run the built-in example: map, fragment and unmap on a simulated
          4 KiB-page host, printing /proc/self/maps after each step
`)
}

package main

import (
	"strings"
	"testing"
)

// TestReplayStdin: a TRACE of "-" is the standard input.
func TestReplayStdin(t *testing.T) {
	defer func() { stdin = nil }()
	stdin = strings.NewReader(smallTrace)
	code, out, errOut := runCLI("replay", "-q", "-")
	if code != 0 || !strings.Contains(out, "-: replayed on host 4K-page") || !strings.Contains(out, "3 match, 0 diverge") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestLineTooLong: a line longer than the limit stops run with a usage
// error naming the place; replay prints what it replayed before it, and
// exits 2 too.
func TestLineTooLong(t *testing.T) {
	long := strings.Repeat("x", 1<<20+1)
	p := writeTemp(t, "long.scn", "close(3) = -1 EBADF (Bad file descriptor)\n"+long+"\n")
	code, _, errOut := runCLI("run", p)
	if code != 2 || !strings.Contains(errOut, "long.scn:2:1048577: line longer than 1048576 bytes") {
		t.Errorf("run: exit %d: %s", code, errOut)
	}
	p = writeTemp(t, "long.strace", smallTrace+long+"\n")
	code, out, errOut := runCLI("replay", "-q", p)
	if code != 2 || !strings.Contains(errOut, "line longer than") || !strings.Contains(out, "stopped early: ") ||
		!strings.Contains(out, "3 match, 0 diverge") {
		t.Errorf("replay: exit %d\n%s%s", code, out, errOut)
	}
}

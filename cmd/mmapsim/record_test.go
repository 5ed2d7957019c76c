package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRecordWithoutStrace: without strace, record says what is missing and
// how to get it, and exits 2.
func TestRecordWithoutStrace(t *testing.T) {
	defer func(f func(string) (string, error)) { lookPath = f }(lookPath)
	lookPath = func(string) (string, error) { return "", errors.New("executable file not found in $PATH") }
	code, _, errOut := runCLI("record", "--", "true")
	if code != 2 || !strings.Contains(errOut, "strace not found") || !strings.Contains(errOut, "install strace") {
		t.Errorf("exit %d: %s", code, errOut)
	}
	if code, _, _ := runCLI("record"); code != 2 {
		t.Errorf("record without a command: exit %d, want 2", code)
	}
}

// TestRecordAndReplay records a real program (when strace can trace here)
// and replays it: one program image, which starts at 4K.
func TestRecordAndReplay(t *testing.T) {
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("no strace")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	trace := filepath.Join(t.TempDir(), "sh.strace")
	code, _, errOut := runCLI("record", "-o", trace, "--", sh, "-c", "exit 3")
	if code != 3 {
		if code == 2 || !fileExists(trace) {
			t.Skipf("strace cannot trace here (exit %d): %s", code, errOut)
		}
		t.Fatalf("record: exit %d, want the command's 3: %s", code, errOut)
	}
	src, err := os.ReadFile(trace)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), "execve(") || !strings.Contains(string(src), "+++ exited with 3 +++") {
		t.Fatalf("the trace has no execve or exit line:\n%s", src)
	}
	code, out, errOut := runCLI("replay", "-q", "--strict", trace)
	if code != 0 || !strings.Contains(out, "1 program image:\n  "+sh+" (pid ") || !strings.Contains(out, "): starts\n") {
		t.Errorf("replay: exit %d\n%s%s", code, out, errOut)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

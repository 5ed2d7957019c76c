package scenario

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// runText runs scenario text and returns the log, the report's summary
// and the usage error, if any.
func runText(t *testing.T, src string) (log, summary, usage string) {
	t.Helper()
	f, err := syntax.Parse("t.scn", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep, err := Run(f, RunOptions{Out: &out, Check: true})
	if err != nil {
		usage = err.Error()
		if _, ok := err.(*UsageError); !ok {
			t.Errorf("%q: error %T, want *UsageError", src, err)
		}
	}
	if rep != nil {
		summary = rep.Summary("t.scn")
	}
	return out.String(), summary, usage
}

// TestRunInputErrors: input the runner refuses stops the run with a
// message naming the place; a bad line anywhere stops it before it starts.
func TestRunInputErrors(t *testing.T) {
	tests := []struct{ src, usage string }{
		{"close(3) = -1 EFOO (x)\nclose(0xZZ)\n", "t.scn:1:15: unknown errno name EFOO"},
		{"close(0xZZ)\nclose(3) = -1 EFOO (x)\n", "t.scn:1:7: malformed number 0xZZ"},
		{"munmap(0x10000, 0x1000, 3) = 0\n", "t.scn:1: munmap takes 2 arguments (addr, length), found 3"},
		{"mremap(0x10000, 0x1000, 0x2000) = 0\n", "t.scn:1: mremap takes 4 or 5 arguments (old_address, old_size, new_size, flags[, new_address]), found 3"},
		{"openat(AT_FDCWD, 3, O_RDONLY) = 3\n", "t.scn:1:18: openat: argument 2 (pathname): expected a string, found number"},
		{"mmap(NULL, 4096, PROT_BOGUS, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\n", "t.scn:1:18: unknown flag name PROT_BOGUS"},
		{"peek(0x10000, 0x10000000)\n", "t.scn:1: peek of 0x10000000 bytes: at most 64M at a time"},
		{"munmap($b, 1)\n", "t.scn:1:8: undefined variable $b"},
		{"close(3) = ? (>= zz)\n", "t.scn:1: expectation (>= zz): malformed number zz"},
	}
	for _, tt := range tests {
		if _, _, usage := runText(t, tt.src); usage != tt.usage {
			t.Errorf("%q:\ngot  %q\nwant %q", tt.src, usage, tt.usage)
		}
	}
}

// TestRunLog checks the log of a run under a target: a memory call shows
// its host calls, and a file call or memory statement after it none (the
// guest's last host calls are the mmap's still); a call with no model is
// skipped; a use of a variable whose call failed is a failure.
func TestRunLog(t *testing.T) {
	log, summary, usage := runText(t, `#! target=i386 host=arm64-64k
#! file f size=4K
openat(AT_FDCWD, "f", O_RDONLY) = 3
$a = mmap(0x40001000, 0x1000, PROT_READ, MAP_PRIVATE|MAP_FIXED, 3, 0) = 0x40001000
close(3) = 0
peek($a, 1) = "\x00"
mlock($a, 4096) = 0
$b = mmap(0, 0, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
munmap($b, 1) = 0
`)
	if usage != "" {
		t.Fatal(usage)
	}
	lines := strings.Split(log, "\n")
	var hostAfter []string // the statements host calls follow
	last := ""
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "host: ") {
			if len(hostAfter) == 0 || hostAfter[len(hostAfter)-1] != last {
				hostAfter = append(hostAfter, last)
			}
			continue
		}
		last = l
	}
	if len(hostAfter) != 1 || !strings.Contains(hostAfter[0], "$a = mmap(") {
		t.Errorf("host calls follow %q, want the mmap only; log:\n%s", hostAfter, log)
	}
	for _, want := range []string{
		"t.scn:7  mlock($a, 0x1000) = 0  # skipped: mmapsim does not simulate mlock",
		"t.scn:9: want $b to be bound, got unbound: its call at t.scn:8 failed",
	} {
		if !strings.Contains(strings.Join(strings.Fields(log), " "), strings.Join(strings.Fields(want), " ")) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if want := "t.scn: FAIL: 5 statements, 4 expectations, 1 failed, 1 skipped"; summary != want {
		t.Errorf("summary %q, want %q", summary, want)
	}
}

// TestPreadLocksUser: under QEMU a system call's buffer is checked whole
// before the host sees the call (lock_user's access_ok): a pread64 into a
// buffer whose second page is unmapped fails with EFAULT, where Linux
// would fill the first page; with both pages mapped it reads them all.
func TestPreadLocksUser(t *testing.T) {
	const head = "#! target=x86_64 policy=%s\n#! file f.bin size=0x3000 fill=seq\n" +
		"openat(AT_FDCWD, \"f.bin\", O_RDONLY) = 3\n" +
		"$a = mmap(NULL, 0x2000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = $a\n"
	for _, pol := range []string{"fixed", "seed", "qemu-11.1"} {
		for _, tc := range []struct{ body, want string }{
			{"munmap($a+0x1000, 0x1000) = 0\npread64(3, $a, 0x2000, 0) = -1 EFAULT (Bad address)\npeek($a, 1) = \"\\x00\"\n", "ok"},
			{"pread64(3, $a, 0x2000, 0) = 0x2000\npeek($a+0x1004, 1) = \"\\x01\"\n", "ok"},
		} {
			src := fmt.Sprintf(head, pol) + tc.body
			log, summary, usage := runText(t, src)
			if usage != "" || !strings.Contains(summary, ": "+tc.want+":") {
				t.Errorf("policy %s: %s %s\n%s\n%s", pol, summary, usage, src, log)
			}
		}
	}
}

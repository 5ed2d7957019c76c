//go:build linux

package qemudiff

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// run runs the guest under QEMU -p h with input, logging page layouts (-d
// page) to logPath, and returns its standard output and how it ended: nil,
// the exit status (with QEMU's messages), or errHang when it printed
// nothing for hangCPU of processor time (QEMU 7.2 can spin forever).
func (tl tool) run(h uint64, input, logPath string) ([]byte, error) {
	cmd := exec.Command(tl.qemuPath, "-p", fmt.Sprint(h), "-d", "page", "-D", logPath, tl.guest)
	cmd.Stdin = strings.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	lines := make(chan []byte)
	go func() {
		defer close(lines)
		r := bufio.NewReader(pipe)
		for {
			l, err := r.ReadBytes('\n')
			if len(l) > 0 {
				lines <- l
			}
			if err != nil {
				return
			}
		}
	}()
	var out []byte
	hung := false
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	cpuAtLine := cpuTime(cmd.Process.Pid)
loop:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				break loop
			}
			out = append(out, l...)
			cpuAtLine = cpuTime(cmd.Process.Pid)
		case <-tick.C:
			if cpuTime(cmd.Process.Pid)-cpuAtLine > hangCPU || time.Since(start) > runTimeout {
				hung = true
				cmd.Process.Kill()
				for range lines {
				}
				break loop
			}
		}
	}
	err = cmd.Wait()
	switch {
	case hung:
		err = errHang
	case err != nil && stderr.Len() > 0:
		err = fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return out, err
}

// The guest is taken for hung when QEMU has burnt hangCPU of processor time
// without printing a line (a call takes milliseconds, the final page check
// tens of them; loading QEMU's shared libraries from a slow disk takes
// wall-clock time, not processor time), or when it runs longer than
// runTimeout.
const (
	hangCPU    = 1500 * time.Millisecond
	runTimeout = 60 * time.Second
)

var errHang = errors.New("hung: spun for " + hangCPU.String() + " of processor time without output, killed")

// cpuTime is the processor time process pid has used, from /proc (0 if it
// cannot be read).
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which is in parentheses): state is
	// field 3, utime and stime are fields 14 and 15, in clock ticks.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return time.Duration(u+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

// qemuRun is what one run of a sequence under QEMU showed.
type qemuRun struct {
	out   []string // the outcome of each call ("" where the guest printed none)
	died  string   // how the guest process ended, if not normally
	death string   // died as an outcome ("ABORT ..."), "" if it did not die
	final []pageRun
	ok    bool              // final holds QEMU's last page dump
	pages map[uint64]string // the final check: page -> hash or "B"
	done  bool              // the final check ran to its end
	took  time.Duration
}

// runQEMU runs calls (then the final check) under QEMU with fresh files in
// dir and records what each call did.
func (tl tool) runQEMU(lay layout, calls []call, dir string, keep bool) (*qemuRun, error) {
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), fileData(f.size), 0o644); err != nil {
			return nil, err
		}
	}
	logPath := filepath.Join(dir, "page.log")
	os.Remove(logPath)
	var b strings.Builder
	for i, c := range calls {
		b.WriteString(c.line(i, dir))
		b.WriteByte('\n')
	}
	for _, r := range lay.pageRanges() {
		fmt.Fprintf(&b, "pages %d %#x %#x\n", len(calls), r[0], r[1])
	}
	input := b.String()
	t0 := time.Now()
	out, err := tl.run(lay.H, input, logPath)
	qr := &qemuRun{out: make([]string, len(calls)), pages: map[uint64]string{}, took: time.Since(t0)}
	if keep {
		os.WriteFile(filepath.Join(dir, "input"), []byte(input), 0o644)
		os.WriteFile(filepath.Join(dir, "output"), out, 0o644)
	}
	dumps := 0
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if f[0] == "P" && len(f) == 3 {
			a, err := strconv.ParseUint(f[1], 16, 64)
			if err == nil {
				qr.pages[a] = f[2]
			}
			continue
		}
		i, err := strconv.Atoi(f[1])
		if err != nil || i < 0 || i > len(calls) {
			continue
		}
		if f[0] == "D" {
			dumps++
			continue
		}
		if i == len(calls) || len(f) < 3 {
			continue
		}
		rest := f[2:]
		switch f[0] {
		case "R":
			if calls[i].Op == "open" && rest[0] != "E" {
				rest = []string{"ok"}
			}
		case "L", "S":
			if n := len(rest); n >= 4 && rest[n-4] == "F" && rest[n-3] == "7" {
				rest[n-1] = "?" // a SIGBUS's si_addr: see machine.go
			}
		case "X":
			// A signal in a system call: QEMU delivered a fault of its
			// own to the guest (see guest.c).
			qr.died = "signal " + strings.Join(rest, " ") + " in the system call"
			qr.out[i] = "ABORT signal " + rest[0] + " in a system call"
			continue
		default:
			continue
		}
		qr.out[i] = f[0] + " " + strings.Join(rest, " ")
	}
	qr.done = dumps == len(lay.pageRanges())
	if err != nil && qr.died == "" {
		qr.died = err.Error()
	}
	if qr.died != "" {
		qr.death = deathOutcome(qr.died)
	}
	if log, err := os.ReadFile(logPath); err == nil {
		qr.final, qr.ok = lastPageDump(log)
	}
	return qr, nil
}

var assertRE = regexp.MustCompile("([a-z_]+): Assertion `([^']*)' failed")

// deathOutcome is the outcome of the call at which the guest process died,
// from how it died: "ABORT func: assertion" for a failed assertion in QEMU
// (the first one: a second follows as QEMU unwinds), "ABORT SIGSEGV" for
// QEMU killed by a fault of its own, "ABORT hung" for QEMU spinning, and
// "ABORT signal N in a system call" for a fault QEMU took in its own code
// and delivered to the guest during a system call.
func deathOutcome(died string) string {
	if m := assertRE.FindStringSubmatch(died); m != nil {
		return "ABORT " + m[1] + ": " + m[2]
	}
	switch {
	case strings.HasPrefix(died, "signal ") && strings.HasSuffix(died, "in the system call"):
		return "ABORT signal " + strings.Fields(died)[1] + " in a system call"
	case strings.Contains(died, "segmentation fault"):
		return "ABORT SIGSEGV"
	case strings.HasPrefix(died, "hung"):
		return "ABORT hung"
	}
	return "ABORT " + died
}

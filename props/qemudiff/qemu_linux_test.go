//go:build linux

package qemudiff

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

var (
	flagSeed   = flag.Int64("qemudiff.seed", 1, "seed of the call sequences (printed)")
	flagSeqs   = flag.Int("qemudiff.seqs", 40, "sequences per host page size (4K, 16K, 64K)")
	flagCalls  = flag.Int("qemudiff.calls", 40, "calls per sequence")
	flagPolicy = flag.String("qemudiff.policy", "qemu-7.2", "the policy sim runs")
	flagQuirks = flag.Bool("qemudiff.quirks", false, "also replay every sequence with each quirk flipped, and print which setting agrees with QEMU")
	flagV      = flag.Bool("qemudiff.v", false, "print every sequence with a differing call")
	flagKeep   = flag.String("qemudiff.keep", "", "keep the guest's inputs, outputs and logs in this directory")
	flagDump   = flag.String("qemudiff.dump", "", "write every sequence with a differing call to this file")
)

// raceDivisor divides the default number of sequences (race_linux_test.go).
var raceDivisor = 1

// flagSet reports whether the flag called name was given.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// hostPages are the qemu_host_page_size values (-p) the sequences run with.
var hostPages = []uint64{4096, 16384, 65536}

// tools finds qemu-i386 and builds the guest, or says why it cannot.
func tools(t *testing.T) (qemu, guest string) {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skipf("qemudiff compares with qemu-i386 on an x86-64 host; these tests are built for %s", runtime.GOARCH)
	}
	qemu, err := exec.LookPath("qemu-i386")
	if err != nil {
		t.Skip("qemu-i386 not found (Debian: apt-get install qemu-user); .ci/run installs it")
	}
	out, err := exec.Command(qemu, "--version").Output()
	if err != nil {
		t.Skipf("qemu-i386 --version: %v", err)
	}
	version := strings.SplitN(string(out), "\n", 2)[0]
	if !strings.Contains(version, "version 7.2") {
		t.Logf("warning: %s is not QEMU 7.2; the qemu-7.2 policy and the known differences describe 7.2", version)
	}
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not found (Debian: apt-get install gcc gcc-multilib); .ci/run installs it")
	}
	guest = filepath.Join(t.TempDir(), "guest")
	cmd := exec.Command(gcc, "-m32", "-static", "-O1", "-o", guest, filepath.Join("testdata", "guest.c"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("gcc -m32 -static cannot build the i386 guest (Debian: apt-get install gcc-multilib): %v\n%s", err, out)
	}
	t.Logf("%s; guest built with gcc -m32 -static -O1", version)
	return qemu, guest
}

// readMmapMinAddr reads vm.mmap_min_addr, as QEMU does at start-up.
func readMmapMinAddr() {
	b, err := os.ReadFile("/proc/sys/vm/mmap_min_addr")
	if err != nil {
		return
	}
	if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && v != 0 {
		mmapMinAddr = v
	}
}

// runGuest runs the guest under qemu-i386 -p h with input, logging page
// layouts (-d page) to logPath, and returns its standard output and how it
// ended: nil, the exit status, or errHang when it printed nothing for
// hangTimeout (QEMU 7.2 can spin forever; see "qemu72-hang").
func runGuest(qemu, guest string, h uint64, input, logPath string) ([]byte, error) {
	cmd := exec.Command(qemu, "-p", fmt.Sprint(h), "-d", "page", "-D", logPath, guest)
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
// without printing a line (a call takes milliseconds; loading QEMU's shared
// libraries from a slow disk takes wall-clock time, not processor time), or
// when it runs longer than runTimeout.
const (
	hangCPU    = 500 * time.Millisecond
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

// lastPageDump parses the last page_dump of a -d page log: QEMU's page
// flags, one line per run of equal flags ("start-end size rwx").
func lastPageDump(log []byte) ([]pageRun, bool) {
	var cur, last []pageRun
	in := false
	found := false
	sc := bufio.NewScanner(bytes.NewReader(log))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "start ") && strings.HasSuffix(line, "prot") {
			cur, in = nil, true
			continue
		}
		if !in {
			continue
		}
		var s, e, size uint64
		var prot string
		if n, _ := fmt.Sscanf(line, "%x-%x %x %s", &s, &e, &size, &prot); n != 4 || len(prot) != 3 {
			in = false
			last, found = cur, true
			continue
		}
		p := uint64(0)
		for i, c := range "rwx" {
			if prot[i] == byte(c) {
				p |= 1 << i
			}
		}
		cur = appendRun(cur, pageRun{s, e, p})
	}
	if in {
		last, found = cur, true
	}
	return last, found
}

// probeAddr is guest.c's PROBE: the page it maps and unmaps before the
// first call, so that the last page dump of a run without calls is the
// layout the calls start from.
const probeAddr = 0x20000000

// startLayout runs the guest with no calls under -p h and reads the layout
// QEMU's start-up left.
func startLayout(qemu, guest string, h uint64, dir string) (layout, error) {
	logPath := filepath.Join(dir, fmt.Sprintf("start-%d.log", h))
	if _, err := runGuest(qemu, guest, h, "", logPath); err != nil {
		return layout{}, err
	}
	log, err := os.ReadFile(logPath)
	if err != nil {
		return layout{}, err
	}
	runs, ok := lastPageDump(log)
	if !ok || len(runs) == 0 {
		return layout{}, fmt.Errorf("no page dump in %s", logPath)
	}
	lay := layout{H: h, Reserved: 0xfffff000 &^ (h - 1), Top: ^uint64(0)}
	for _, r := range runs {
		if r.Start == probeAddr && r.End == probeAddr+pg {
			continue // the guest's probe (guest.c), unmapped at once
		}
		lay.Runs = append(lay.Runs, r)
	}
	for _, r := range lay.Runs {
		if r.Start >= 0x20000000 && r.Start < lay.Top {
			lay.Top = r.Start
		}
	}
	if lay.Top == ^uint64(0) {
		return layout{}, fmt.Errorf("-p %d: no start-up mapping above the program: %v", h, runs)
	}
	return lay, nil
}

// sequence is one generated sequence: its calls, and sim's outcome of each
// under the generating policy.
type sequence struct {
	id    int
	seed  int64
	lay   layout
	calls []call
	qemu  []string // QEMU's outcome of each call ("" where the guest printed none)
	died  string   // how the guest process ended, if not normally
	final []pageRun
	ok    bool // final holds QEMU's last page dump

	elapsed time.Duration // how long QEMU ran
}

// generate draws a sequence on sim under quirks: each call is drawn from
// the state sim is in, then run on it.
func generate(id int, seed int64, lay layout, quirks sim.QuirkSet, n int) (*sequence, error) {
	m, err := newMachine(lay, quirks)
	if err != nil {
		return nil, err
	}
	g := &gen{r: rand.New(rand.NewSource(seed)), m: m}
	sq := &sequence{id: id, seed: seed, lay: lay}
	for i, f := range files {
		sq.calls = append(sq.calls, call{Op: "open", File: i, Path: f.name, RW: f.rw})
	}
	for len(sq.calls) < len(files)+n {
		sq.calls = append(sq.calls, g.next())
		m.exec(sq.calls[len(sq.calls)-1])
	}
	// The sentinel: a last mapping whose page dump shows the final layout.
	sq.calls = append(sq.calls, call{Op: "mmap", Len: pg, Prot: 1, Flags: 0x22, File: -1})
	return sq, nil
}

// input is the sequence as the guest reads it, with the files in dir.
func (sq *sequence) input(dir string) string {
	var b strings.Builder
	for i, c := range sq.calls {
		b.WriteString(c.line(i, dir))
		b.WriteByte('\n')
	}
	return b.String()
}

// runQEMU runs the sequence under qemu-i386 with fresh files in dir and
// records the outcome of each call.
func (sq *sequence) runQEMU(qemu, guest, dir string) error {
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), fileData(f.size), 0o644); err != nil {
			return err
		}
	}
	logPath := filepath.Join(dir, "page.log")
	t0 := time.Now()
	input := sq.input(dir)
	out, err := runGuest(qemu, guest, sq.lay.H, input, logPath)
	sq.elapsed = time.Since(t0)
	if *flagKeep != "" {
		os.WriteFile(filepath.Join(dir, "input"), []byte(input), 0o644)
		os.WriteFile(filepath.Join(dir, "output"), out, 0o644)
	}
	if err != nil {
		sq.died = err.Error()
	}
	sq.qemu = make([]string, len(sq.calls))
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		i, err := strconv.Atoi(f[1])
		if err != nil || i < 0 || i >= len(sq.calls) {
			continue
		}
		rest := f[2:]
		switch f[0] {
		case "R":
			if sq.calls[i].Op == "open" && rest[0] != "E" {
				rest = []string{"ok"}
			}
		case "L", "S":
			if n := len(rest); n >= 4 && rest[n-4] == "F" && rest[n-3] == "7" {
				rest[n-1] = "?" // a SIGBUS's si_addr: see machine.go
			}
		default:
			continue
		}
		sq.qemu[i] = f[0] + " " + strings.Join(rest, " ")
	}
	if log, err := os.ReadFile(logPath); err == nil {
		sq.final, sq.ok = lastPageDump(log)
	}
	return nil
}

// verdict is the comparison of one sequence under one policy.
type verdict struct {
	compared, agreed int
	kinds            map[string]int // differing calls by kind
	unexplained      []string       // reports of differences no known difference names
	stopped          int            // calls not compared after a difference that leaves the states apart
	layout           string         // "agree", "differ", or "" when not compared
	first            int            // index of the first differing call, -1 if none
}

// compare replays the sequence on sim under quirks and compares every call
// with QEMU's outcome.
func (sq *sequence) compare(quirks sim.QuirkSet) (verdict, error) {
	v := verdict{kinds: map[string]int{}, first: -1}
	m, err := newMachine(sq.lay, quirks)
	if err != nil {
		return v, err
	}
	ctx := newKnownContext(m)
	for i, c := range sq.calls {
		ctx.before(c)
		got := m.exec(c)
		want := sq.qemu[i]
		if want == "" && sq.died != "" {
			want = "ABORT"
		}
		if c.Op == "open" {
			ctx.observe(c, got, want)
			continue
		}
		v.compared++
		if got == want {
			v.agreed++
			ctx.observe(c, got, want)
			continue
		}
		if v.first < 0 {
			v.first = i
		}
		name, stop := ctx.classify(c, want, got)
		if name == "" {
			name = "unexplained"
			v.unexplained = append(v.unexplained, fmt.Sprintf("call %d: %v\n\tqemu: %s\n\tsim:  %s", i, c, want, got))
		}
		v.kinds[name]++
		ctx.observe(c, got, want)
		if stop || name == "unexplained" {
			v.stopped = len(sq.calls) - 1 - i
			return v, nil
		}
	}
	if sq.ok && sq.died == "" {
		v.layout = "agree"
		if got := m.flagRuns(); !sameRuns(got, below(sq.final, sq.lay.Top)) {
			v.layout = "differ"
			if !ctx.tainted {
				v.unexplained = append(v.unexplained, fmt.Sprintf("final layout below %#x:\n\tqemu: %v\n\tsim:  %v",
					sq.lay.Top, below(sq.final, sq.lay.Top), got))
			}
		}
	}
	return v, nil
}

func below(rs []pageRun, top uint64) []pageRun {
	var out []pageRun
	for _, r := range rs {
		if r.Start < top {
			out = appendRun(out, pageRun{r.Start, min(r.End, top), r.Prot})
		}
	}
	return out
}

func sameRuns(a, b []pageRun) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// text is the sequence as a reproduction: how to run it and its calls with
// both outcomes.
func (sq *sequence) text(quirks sim.QuirkSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%v] sequence %d (seed %d): qemu-i386 -p %d, reserved_va %#x, start-up mappings from %#x; sim policy %s\n",
		sq.elapsed, sq.id, sq.seed, sq.lay.H, sq.lay.Reserved, sq.lay.Top, policy.PolicyString(quirks))
	m, err := newMachine(sq.lay, quirks)
	if err != nil {
		return b.String() + err.Error()
	}
	for i, c := range sq.calls {
		got := m.exec(c)
		mark := " "
		if got != sq.qemu[i] && c.Op != "open" {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s %3d %-60s qemu %-30s sim %s\n", mark, i, c.String(), sq.qemu[i], got)
	}
	if sq.died != "" {
		fmt.Fprintf(&b, "  the guest process: %s\n", sq.died)
	}
	return b.String()
}

// tally adds up verdicts.
type tally struct {
	seqs, compared, agreed, stopped int
	layoutAgree, layoutDiffer       int
	kinds                           map[string]int
}

func (t *tally) add(v verdict) {
	if t.kinds == nil {
		t.kinds = map[string]int{}
	}
	t.seqs++
	t.compared += v.compared
	t.agreed += v.agreed
	t.stopped += v.stopped
	for k, n := range v.kinds {
		t.kinds[k] += n
	}
	switch v.layout {
	case "agree":
		t.layoutAgree++
	case "differ":
		t.layoutDiffer++
	}
}

func (t *tally) kindText() string {
	var ks []string
	for k := range t.kinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s %d", k, t.kinds[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// TestQEMU72 runs random call sequences under Debian's qemu-i386 7.2 and
// on sim under the qemu-7.2 policy, and compares every call.
func TestQEMU72(t *testing.T) {
	qemu, guest := tools(t)
	readMmapMinAddr()
	pol, err := policy.ParsePolicy(*flagPolicy)
	quirks := pol.Quirks
	if err != nil {
		t.Fatal(err)
	}
	seqs := *flagSeqs
	if testing.Short() {
		seqs = max(seqs/4, 1)
	}
	if !flagSet("qemudiff.seqs") {
		seqs = max(seqs/raceDivisor, 1)
	}
	t.Logf("seed %d (-qemudiff.seed), %d sequences of %d calls per host page size (-qemudiff.seqs, -qemudiff.calls), policy %s, vm.mmap_min_addr %d",
		*flagSeed, seqs, *flagCalls, *flagPolicy, mmapMinAddr)
	dir := t.TempDir()
	if shm, err := os.MkdirTemp("/dev/shm", "qemudiff"); err == nil {
		// tmpfs: msync(MS_SYNC) of the guest's shared file mappings
		// writes to memory, not to a disk.
		dir = shm
		t.Cleanup(func() { os.RemoveAll(shm) })
	}
	if *flagKeep != "" {
		dir = *flagKeep
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	lays := map[uint64]layout{}
	for _, h := range hostPages {
		lay, err := startLayout(qemu, guest, h, dir)
		if err != nil {
			t.Fatalf("start-up layout under -p %d: %v", h, err)
		}
		lays[h] = lay
	}

	// Generate (sim), then run (QEMU) on every CPU.
	all := make([]*sequence, seqs*len(hostPages))
	errs := make([]error, len(all))
	sem := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	for i := range all {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			seed := *flagSeed*1_000_003 + int64(i)
			sq, err := generate(i, seed, lays[hostPages[i%len(hostPages)]], quirks, *flagCalls)
			if err == nil {
				d := filepath.Join(dir, fmt.Sprint("seq", i))
				if err = os.MkdirAll(d, 0o755); err == nil {
					err = sq.runQEMU(qemu, guest, d)
				}
			}
			all[i], errs[i] = sq, err
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("sequence %d: %v", i, err)
		}
	}

	byH := map[uint64]*tally{}
	var total tally
	failed := 0
	var dump strings.Builder
	defer func() {
		if *flagDump != "" {
			if err := os.WriteFile(*flagDump, []byte(dump.String()), 0o644); err != nil {
				t.Error(err)
			}
		}
	}()
	for _, sq := range all {
		v, err := sq.compare(quirks)
		if err != nil {
			t.Fatalf("sequence %d: %v", sq.id, err)
		}
		if byH[sq.lay.H] == nil {
			byH[sq.lay.H] = &tally{}
		}
		byH[sq.lay.H].add(v)
		total.add(v)
		if *flagDump != "" && (v.first >= 0 || len(v.unexplained) > 0) {
			fmt.Fprintf(&dump, "%s\n%s\n", strings.Join(v.unexplained, "\n"), sq.text(quirks))
		}
		if len(v.unexplained) > 0 {
			failed++
			if failed <= 3 {
				t.Errorf("unexplained difference:\n%s\n%s", strings.Join(v.unexplained, "\n"), sq.text(quirks))
			}
		} else if *flagV && v.first >= 0 {
			t.Logf("%s", sq.text(quirks))
		}
	}
	if failed > 3 {
		t.Errorf("%d more sequences with unexplained differences", failed-3)
	}
	t.Logf("agreement with QEMU 7.2 (policy %s, seed %d):\n%s", *flagPolicy, *flagSeed, table(byH, &total))

	if *flagQuirks {
		quirkEvidence(t, all, quirks)
	}
}

// table renders the tallies as the README's Markdown table.
func table(byH map[uint64]*tally, total *tally) string {
	var b strings.Builder
	b.WriteString("| -p | sequences | calls compared | agree | differ | not compared (after a difference) | final layout agrees | differing calls by kind |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	row := func(name string, t *tally) {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d of %d | %s |\n", name, t.seqs, t.compared, t.agreed,
			t.compared-t.agreed, t.stopped, t.layoutAgree, t.layoutAgree+t.layoutDiffer, t.kindText())
	}
	for _, h := range hostPages {
		if t := byH[h]; t != nil {
			row(fmt.Sprintf("%dK", h>>10), t)
		}
	}
	row("all", total)
	return b.String()
}

// quirkEvidence replays every sequence with each quirk flipped and counts
// the sequences that agree with QEMU longer (more calls before the first
// differing one) with the policy's setting, and those that agree longer
// with the quirk flipped.
func quirkEvidence(t *testing.T, all []*sequence, quirks sim.QuirkSet) {
	// first is the index of the first differing call, or the number of
	// calls when none differs.
	first := func(sq *sequence, q sim.QuirkSet) (int, int) {
		v, err := sq.compare(q)
		if err != nil {
			return 0, 0
		}
		if v.first < 0 {
			return len(sq.calls), v.agreed
		}
		return v.first, v.agreed
	}
	// results[p][i]: sequence i under policy p (0: the policy, 1+q: quirk
	// q flipped), computed on every CPU.
	policies := []sim.QuirkSet{quirks}
	for q := sim.Quirk(0); int(q) < sim.NumQuirks; q++ {
		policies = append(policies, quirks^sim.QuirkSet(0).With(q))
	}
	type res struct{ first, calls int }
	results := make([][]res, len(policies))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for p := range policies {
		results[p] = make([]res, len(all))
		for i := range all {
			wg.Add(1)
			sem <- struct{}{}
			go func(p, i int) {
				defer wg.Done()
				defer func() { <-sem }()
				f, n := first(all[i], policies[p])
				results[p][i] = res{f, n}
			}(p, i)
		}
	}
	wg.Wait()
	baseCalls := 0
	for i := range all {
		baseCalls += results[0][i].calls
	}
	var b strings.Builder
	b.WriteString("| quirk | in qemu-7.2 | sequences agreeing longer as in qemu-7.2 | longer flipped | agreeing calls as in qemu-7.2 | flipped |\n| --- | --- | --- | --- | --- | --- |\n")
	for q := sim.Quirk(0); int(q) < sim.NumQuirks; q++ {
		longerBase, longerFlip, calls := 0, 0, 0
		var flipIDs []string
		for i := range all {
			r, base := results[1+int(q)][i], results[0][i]
			calls += r.calls
			switch {
			case base.first > r.first:
				longerBase++
			case r.first > base.first:
				longerFlip++
				flipIDs = append(flipIDs, fmt.Sprintf("%d@%d", all[i].id, base.first))
			}
		}
		state := "off"
		if quirks.Has(q) {
			state = "on"
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d |\n", q, state, longerBase, longerFlip, baseCalls, calls)
		if *flagV && len(flipIDs) > 0 {
			t.Logf("%s flipped agrees longer in sequences (id@first difference as in the policy): %s", q, strings.Join(flipIDs, " "))
		}
	}
	t.Logf("quirk evidence (%d sequences):\n%s", len(all), b.String())
}

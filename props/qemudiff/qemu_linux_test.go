//go:build linux

package qemudiff

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

var (
	flagSeed   = flag.Int64("qemudiff.seed", 1, "seed of the call sequences (printed)")
	flagSeqs   = flag.Int("qemudiff.seqs", 40, "sequences per guest and host page size (4K, 16K, 64K)")
	flagCalls  = flag.Int("qemudiff.calls", 40, "calls per sequence")
	flagGuests = flag.String("qemudiff.guests", "i386,x86_64", "the guests: i386 (qemu-i386), x86_64 (qemu-x86_64)")
	flagPolicy = flag.String("qemudiff.policy", "qemu-7.2", "the policy sim runs")
	flagQuirks = flag.Bool("qemudiff.quirks", false, "also replay every sequence with each quirk flipped, and print which setting agrees with QEMU")
	flagV      = flag.Bool("qemudiff.v", false, "print every sequence with a differing call")
	flagKeep   = flag.String("qemudiff.keep", "", "keep the guest's inputs, outputs and logs in this directory")
	flagDump   = flag.String("qemudiff.dump", "", "write every sequence with a difference to this file")
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

// config is one guest under one -p.
type config struct {
	tool *tool
	lay  layout
}

func (c config) name() string { return fmt.Sprintf("%s %dK", c.tool.name, c.lay.H>>10) }

// TestQEMU72 runs random call sequences under Debian's qemu-i386 and
// qemu-x86_64 7.2 and on sim under the qemu-7.2 policy, and compares every
// call and the final state.
func TestQEMU72(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skipf("qemudiff compares with QEMU on an x86-64 host; these tests are built for %s", runtime.GOARCH)
	}
	tls := tools(t, strings.Split(*flagGuests, ","))
	readMmapMinAddr()
	pol, err := policy.ParsePolicy(*flagPolicy)
	if err != nil {
		t.Fatal(err)
	}
	quirks := pol.Quirks
	seqs := *flagSeqs
	if testing.Short() {
		seqs = max(seqs/4, 1)
	}
	if !flagSet("qemudiff.seqs") {
		seqs = max(seqs/raceDivisor, 1)
	}
	t.Logf("seed %d (-qemudiff.seed), %d sequences of %d calls per guest and host page size (-qemudiff.seqs, -qemudiff.calls), policy %s, vm.mmap_min_addr %d",
		*flagSeed, seqs, *flagCalls, *flagPolicy, mmapMinAddr)
	dir := t.TempDir()
	if shm, err := os.MkdirTemp("/dev/shm", "qemudiff"); err == nil {
		// tmpfs: msync(MS_SYNC) of the guest's shared file mappings
		// writes to memory, not to a disk.
		dir = shm
		t.Cleanup(func() { os.RemoveAll(shm) })
	}
	keep := *flagKeep != ""
	if keep {
		dir = *flagKeep
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var configs []config
	for i := range tls {
		errno, err := tls[i].startErrno(dir)
		if err != nil {
			t.Fatalf("%s: %v", tls[i].name, err)
		}
		t.Logf("%s: errno after start-up %d (%v)", tls[i].name, int(errno), errno)
		for _, h := range hostPages {
			lay, err := tls[i].startLayout(h, dir)
			if err != nil {
				t.Fatalf("%s: start-up layout under -p %d: %v", tls[i].name, h, err)
			}
			lay.StartErrno = errno
			configs = append(configs, config{&tls[i], lay})
		}
	}

	// Generate (sim), then play (QEMU and sim) on every CPU.
	all := make([]*sequence, seqs*len(configs))
	verdicts := make([]verdict, len(all))
	errs := make([]error, len(all))
	sem := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	for i := range all {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			cf := configs[i%len(configs)]
			seed := *flagSeed*1_000_003 + int64(i)
			sq, err := generate(i, seed, cf.tool, cf.lay, quirks, *flagCalls)
			if err == nil {
				d := filepath.Join(dir, fmt.Sprint("seq", i))
				if err = os.MkdirAll(d, 0o755); err == nil {
					verdicts[i], err = sq.play(quirks, d, keep)
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

	byConfig := map[string]*tally{}
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
	for i, sq := range all {
		v := verdicts[i]
		name := configs[i%len(configs)].name()
		if byConfig[name] == nil {
			byConfig[name] = &tally{}
		}
		byConfig[name].add(v)
		total.add(v)
		if len(v.diffs) == 0 {
			continue
		}
		report := fmt.Sprintf("%s\n%s", strings.Join(v.diffs, "\n"), sq.text(quirks))
		if *flagDump != "" {
			fmt.Fprintf(&dump, "%s\n", report)
		}
		if v.unexplained > 0 {
			failed++
			if failed <= 3 {
				t.Errorf("unexplained difference:\n%s", report)
			}
		} else if *flagV {
			t.Logf("%s", report)
		}
	}
	if failed > 3 {
		t.Errorf("%d more sequences with unexplained differences", failed-3)
	}
	t.Logf("agreement with QEMU 7.2 (policy %s, seed %d): %s of %d items agree\n%s", *flagPolicy, *flagSeed,
		percent(total.agreeing(), total.items()), total.items(), table(configs, byConfig, &total))

	if *flagQuirks {
		quirkEvidence(t, all, quirks)
	}
}

// table renders the tallies as the README's Markdown table.
func table(configs []config, byConfig map[string]*tally, total *tally) string {
	var b strings.Builder
	b.WriteString("| guest, -p | sequences | QEMU runs | calls | agree | differ | not compared | final state agrees | agreement (calls and final states) | differences by kind |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	row := func(name string, t *tally) {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %d | %d of %d | %s | %s |\n", name, t.seqs, t.runs, t.calls, t.agreed,
			t.calls-t.agreed-t.uncompared, t.uncompared, t.finalAgree, t.seqs, percent(t.agreeing(), t.items()), t.kindText())
	}
	for _, cf := range configs {
		if t := byConfig[cf.name()]; t != nil {
			row(cf.name(), t)
		}
	}
	row("all", total)
	return b.String()
}

// quirkEvidence replays every sequence's first QEMU run (the whole
// sequence) with each quirk flipped and counts the sequences that agree
// with QEMU longer (more calls before the first differing one) with the
// policy's setting, and those that agree longer with the quirk flipped.
func quirkEvidence(t *testing.T, all []*sequence, quirks sim.QuirkSet) {
	// first is the index of the first differing call, or the number of
	// calls when none differs, and the number of agreeing calls before it.
	first := func(sq *sequence, q sim.QuirkSet) int {
		at, _, _, err := compareRun(sq.lay, sq.calls, sq.first, q)
		if err != nil {
			return 0
		}
		if at < 0 {
			return len(sq.calls)
		}
		return at
	}
	policies := []sim.QuirkSet{quirks}
	for q := sim.Quirk(0); int(q) < sim.NumQuirks; q++ {
		policies = append(policies, quirks.Flip(q))
	}
	results := make([][]int, len(policies))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.NumCPU())
	for p := range policies {
		results[p] = make([]int, len(all))
		for i := range all {
			wg.Add(1)
			sem <- struct{}{}
			go func(p, i int) {
				defer wg.Done()
				defer func() { <-sem }()
				results[p][i] = first(all[i], policies[p])
			}(p, i)
		}
	}
	wg.Wait()
	sum := func(p int) int {
		n := 0
		for _, f := range results[p] {
			n += f
		}
		return n
	}
	var b strings.Builder
	b.WriteString("| quirk | in the policy | sequences agreeing longer as in the policy | longer flipped | calls before the first difference, as in the policy | flipped |\n| --- | --- | --- | --- | --- | --- |\n")
	for q := sim.Quirk(0); int(q) < sim.NumQuirks; q++ {
		longerBase, longerFlip := 0, 0
		var flipIDs []string
		for i := range all {
			r, base := results[1+int(q)][i], results[0][i]
			switch {
			case base > r:
				longerBase++
			case r > base:
				longerFlip++
				flipIDs = append(flipIDs, fmt.Sprintf("%d@%d", all[i].id, base))
			}
		}
		state := "off"
		if quirks.Has(q) {
			state = "on"
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %d | %d |\n", q, state, longerBase, longerFlip, sum(0), sum(1+int(q)))
		if *flagV && len(flipIDs) > 0 {
			t.Logf("%s flipped agrees longer in sequences (id@first difference as in the policy): %s", q, strings.Join(flipIDs, " "))
		}
	}
	t.Logf("quirk evidence (%d sequences):\n%s", len(all), b.String())
}

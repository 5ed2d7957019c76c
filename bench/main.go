package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// options are the run's sizes and budgets, set by the flags.
type options struct {
	quick      bool
	budget     time.Duration // minimum timed duration per measurement
	reps       int           // rounds of compare, each budget/reps long; the best counts
	batch      int           // operations per timed batch
	linuxVMAs  int           // section 1
	sizes      []int         // section 2
	simVMAs    int           // section 3
	traces     string        // section 4
	seed       int64         // section 5
	propSeqs   int
	propSteps  int
	propRounds int    // section 5: rounds, the setups taking turns; each setup's median round counts
	policy     string // sections 3 and 5: the algorithm measured, as ParsePolicy reads it
	memVMAs    int    // section 6
	touchPages int

	goals []*goal // issue 16's table, filled in by the sections

	start    time.Time
	progress func(format string, args ...any)
}

// defaults returns the full run's options, or the quick run's.
func defaults(quick bool) *options {
	o := &options{
		goals:      newGoals(),
		quick:      quick,
		budget:     900 * time.Millisecond,
		reps:       9,
		batch:      512,
		linuxVMAs:  10000,
		sizes:      []int{100, 1000, 10000, 100000, 1000000},
		simVMAs:    10000,
		traces:     filepath.Join("..", "shared", "traces"),
		seed:       1,
		propSeqs:   300,
		propSteps:  50,
		propRounds: 5,
		policy:     "fixed",
		memVMAs:    1000000,
		touchPages: 10000,
	}
	if quick {
		o.budget = 60 * time.Millisecond
		o.reps = 3
		o.batch = 128
		o.sizes = []int{100, 1000, 10000}
		o.propSeqs = 30
		o.propRounds = 1
		o.memVMAs = 100000
	}
	return o
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// sectionNames index the sections by number.
var sectionNames = []string{"", "linux", "scaling", "sim", "replay", "props", "memory", "qemu"}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write vmas.svg and results.txt into `DIR` (default: a new temporary directory)")
	quick := fs.Bool("quick", false, "small sizes and short timings (under 30 seconds)")
	sections := fs.String("sections", "1,2,3,4,5,6,7", "run only these `sections` (comma-separated numbers)")
	traces := fs.String("traces", filepath.Join("..", "shared", "traces"), "directory of *.strace files for section 4")
	seed := fs.Int64("seed", 1, "seed of the property-suite sequences (section 5)")
	pol := fs.String("policy", "fixed", "the policy sections 3 and 5 measure (fixed, qemu-11.1, ...)")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	readme := fs.String("readme", "", "rewrite the generated part of `FILE`'s performance section (README.md) from this run")
	plot := fs.String("plot", "", "write the plot to `FILE` instead of DIR/vmas.svg")
	child := fs.String("mem-child", "", "internal: make one memory measurement (`vmas,N or guest,HOST,PAGES`) in this process and print it")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./bench [flags]\n\nSections: 1 hostvm vs Linux, 2 VMA scaling (plotted), 3 sim overhead, 4 replay speed,\n5 property-suite throughput, 6 memory, 7 sim vs the real qemu-i386. The goals table of\nissue 16 follows.\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return 2
	}
	if *child != "" {
		if err := memChild(*child, stdout); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		return 0
	}
	o := defaults(*quick)
	o.traces, o.seed, o.policy = *traces, *seed, *pol
	o.start = time.Now()
	// The commit as the run starts: the plot it writes later would
	// otherwise count as an uncommitted change.
	at := commit()
	o.progress = func(format string, args ...any) {
		if !*quiet {
			fmt.Fprintf(stderr, "bench: %6.1fs %s\n", time.Since(o.start).Seconds(), fmt.Sprintf(format, args...))
		}
	}
	want := map[int]bool{}
	for _, f := range strings.Split(*sections, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n >= len(sectionNames) {
			fmt.Fprintf(stderr, "bench: --sections: %q is not a section number (1-%d)\n", f, len(sectionNames)-1)
			return 2
		}
		want[n] = true
	}
	dir := *out
	if dir == "" {
		d, err := os.MkdirTemp("", "mmapsim-bench-")
		if err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 1
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}

	var report bytes.Buffer
	w := io.MultiWriter(stdout, &report)
	mode := "full"
	if o.quick {
		mode = "quick"
	}
	fmt.Fprintf(w, "mmapsim bench (%s): %s %s/%s, GOMAXPROCS %d, kernel %s%s\n\n", mode, runtime.Version(), runtime.GOOS, runtime.GOARCH,
		runtime.GOMAXPROCS(0), kernelRelease(), loadAvg())
	status := 0
	fail := func(n int, err error) {
		fmt.Fprintf(w, "%d. %s: error: %v\n\n", n, sectionNames[n], err)
		status = 1
	}
	for n := 1; n < len(sectionNames); n++ {
		if !want[n] {
			continue
		}
		var t *table
		var err error
		switch n {
		case 1:
			t, err = sectionLinux(o)
		case 2:
			var pts []scalePoint
			t, pts, err = sectionScaling(o)
			if err == nil {
				name := filepath.Join(dir, "vmas.svg")
				if *plot != "" {
					name = *plot
				}
				if werr := os.WriteFile(name, scalingPlot(pts, plotSubtitle()).svg(), 0o644); werr != nil {
					err = werr
				} else {
					t.note("plot: %s", name)
				}
			}
		case 3:
			t, err = sectionSim(o)
		case 4:
			t, err = sectionReplay(o)
		case 5:
			t, err = sectionProps(o)
		case 6:
			t, err = sectionMemory(o)
		case 7:
			t, err = sectionQEMU(o, dir)
		}
		if err != nil {
			fail(n, err)
			continue
		}
		t.write(w)
	}
	goalsTable(o.goals).write(w)
	fmt.Fprintf(w, "total %v%s\n", time.Since(o.start).Round(100*time.Millisecond), loadAvg())
	name := filepath.Join(dir, "results.txt")
	if err := os.WriteFile(name, report.Bytes(), 0o644); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	fmt.Fprintf(stderr, "bench: wrote %s and the plot into %s\n", filepath.Base(name), dir)
	if *readme != "" {
		old, err := os.ReadFile(*readme)
		if err == nil {
			cmdline := strings.TrimSpace("go run ./bench " + strings.Join(args, " "))
			var text string
			text, err = rewriteReadme(string(old), readmeSection(o.start, machine(), at, cmdline, o.goals, report.Bytes()))
			if err == nil {
				err = os.WriteFile(*readme, []byte(text), 0o644)
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "bench: --readme %s: %v\n", *readme, err)
			return 1
		}
		fmt.Fprintf(stderr, "bench: rewrote the performance section of %s\n", *readme)
	}
	return status
}

// plotSubtitle says where and how the plot was measured.
func plotSubtitle() string {
	return fmt.Sprintf("go run ./bench, %s %s/%s, %d CPUs, %s; a logarithmic cost is a straight line here",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), time.Now().UTC().Format("2006-01-02"))
}

// loadAvg is ", load average A B C" from /proc/loadavg, or "" where there
// is none: timings taken while other programs run are slower and noisier.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return ", load average " + strings.Join(f[:3], " ")
}

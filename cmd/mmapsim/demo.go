package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/mmapsim/mmapsim/picture"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// "mmapsim demo": the whole point of the tool on one screen. One program
// (what the dynamic loader does to load a shared library linked for 4K
// pages, then two stores a buggy program makes) runs on three machines:
// natively on a 4K host, natively on a 16K host, and as a 4K guest of the
// simulated QEMU on a 64K host. The output is the same bytes every time
// (cmd/mmapsim/testdata/demo.golden).

// demoStep is one statement of the demo's program.
type demoStep struct {
	label  string // the step's name in the listing and the results table
	stmt   string // the statement, in the scenario language
	note   string // what the step does, when the statement does not say
	loader bool   // done by ld.so, which gives up at the first failure
}

// demoProgram mirrors the calls glibc's ld.so makes for a library (compare
// a real trace: reserve the whole span mapping the first segment, map each
// further segment MAP_FIXED at its 4K-aligned file offset, zero the bss,
// mprotect the RELRO part), then a thread stack with a guard page.
var demoProgram = []demoStep{
	{"open", `openat(AT_FDCWD, "libdemo.so", O_RDONLY|O_CLOEXEC)`, "", true},
	{"reserve", `$lib = mmap(NULL, 0x9000, PROT_READ, MAP_PRIVATE|MAP_DENYWRITE, 3, 0)`, "", true},
	{"text", `mmap($lib+0x1000, 0x3000, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x1000)`, "", true},
	{"rodata", `mmap($lib+0x4000, 0x1000, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x4000)`, "", true},
	{"data", `mmap($lib+0x5000, 0x3000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x5000)`, "", true},
	{"bss", `mmap($lib+0x8000, 0x1000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0)`, "", true},
	{"close", `close(3)`, "", true},
	{"relro", `mprotect($lib+0x5000, 0x1000, PROT_READ)`, "", true},
	{"stack", `$stack = mmap(NULL, 0x9000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK, -1, 0)`, "", false},
	{"guard", `mprotect($stack, 0x1000, PROT_NONE)`, "", false},
	{"load", `peek($lib+0x1000, 4)`, "the text's first bytes", false},
	{"store", `poke($lib+0x5000, "x")`, "a bug: a store to the RELRO page", false},
	{"overflow", `poke($stack, "x")`, "a bug: a store to the guard page", false},
}

// demoStepIndex is the index of the step called label in demoProgram.
func demoStepIndex(label string) int {
	for i, s := range demoProgram {
		if s.label == label {
			return i
		}
	}
	panic("demo: no step " + label) // a programmer error
}

// demoFile is the file the program opens: 36K, the 32-bit integers 0, 1,
// 2, ... (so the text at offset 0x1000 starts with 0x400).
const demoFile = `#! file libdemo.so size=0x9000 fill=seq`

// demoMachine is one of the three machines, as scenario settings.
type demoMachine struct {
	name     string   // the results table's column header
	about    string   // what it is, for the introduction
	settings []string // "key=value"
}

var demoMachines = []demoMachine{
	{"4K host, native", "x86-64 Linux with 4K pages", []string{"host=x86_64"}},
	{"16K host, native", "arm64 Linux with 16K pages (Apple silicon)", []string{"host=arm64-16k"}},
	// brk on a host page boundary keeps the heap out of the picture.
	{"64K host, QEMU", "arm64 Linux with 64K pages (a server); QEMU runs the x86-64 build",
		[]string{"host=arm64-64k", "target=x86_64", "brk=0x555555560000"}},
}

// demoRun is the program's run on one machine.
type demoRun struct {
	results []string // per step; "" where the step did not run
	failed  int      // the loader step that failed, or -1
	hosts   [][]string
	machine *scenario.Machine
}

// runDemo runs the program on machine m. When a loader step fails, ld.so
// gives up ("error while loading shared libraries") and nothing after it
// runs.
func runDemo(m demoMachine) (*demoRun, error) {
	var src strings.Builder
	src.WriteString(demoFile + "\n")
	for _, s := range demoProgram {
		src.WriteString(s.stmt + "\n")
	}
	f, err := syntax.Parse("demo.scn", []byte(src.String()))
	if err != nil {
		return nil, err
	}
	set := scenario.NewSettings()
	for _, kv := range m.settings {
		k, v, _ := strings.Cut(kv, "=")
		if err := set.Set(k, v, "demo"); err != nil {
			return nil, err
		}
	}
	run := &demoRun{results: make([]string, len(demoProgram)), hosts: make([][]string, len(demoProgram)), failed: -1}
	after := func(_ *scenario.Machine, st *syntax.Stmt, o scenario.Outcome) {
		i := st.Line - 2 // line 1 is the file directive
		if run.failed >= 0 || i < 0 || i >= len(demoProgram) {
			return
		}
		run.results[i] = demoResult(st, o)
		for _, c := range o.HostCalls {
			run.hosts[i] = append(run.hosts[i], c.String())
		}
		if demoProgram[i].loader && (o.Err != 0 || o.Abort != nil) {
			run.failed = i
		}
	}
	rep, err := scenario.Run(f, scenario.RunOptions{Settings: set, After: after})
	if err != nil {
		return nil, err
	}
	run.machine = rep.Machine
	return run, nil
}

// demoResult is a step's result as the table shows it: the value, the
// errno's name, the signal, the bytes read or "ok".
func demoResult(st *syntax.Stmt, o scenario.Outcome) string {
	switch {
	case o.Abort != nil:
		return "QEMU abort"
	case o.Err != 0:
		return "-1 " + o.Err.Name()
	}
	return o.Text(st)
}

// demo runs the program on the three machines and explains the results.
func demo(stdout, stderr io.Writer) int {
	runs := make([]*demoRun, len(demoMachines))
	for i, m := range demoMachines {
		r, err := runDemo(m)
		if err != nil {
			fmt.Fprintln(stderr, "mmapsim: demo:", err)
			return 1
		}
		runs[i] = r
	}
	w := &strings.Builder{}
	writeDemo(w, runs)
	io.WriteString(stdout, w.String())
	return 0
}

func writeDemo(w io.Writer, runs []*demoRun) {
	native, large, qemu := runs[0], runs[1], runs[2]
	fmt.Fprint(w, `mmapsim demo: one program, three machines

One program, linked for 4K pages, on three simulated machines:
`)
	for _, m := range demoMachines {
		fmt.Fprintf(w, "  %-18s%s\n", m.name, m.about)
	}
	fmt.Fprint(w, `Its dynamic loader, ld.so, loads libdemo.so as glibc does; then it starts a
thread (a stack with a guard page), reads its code, and has two bugs. The
calls as strace writes them, and its loads and stores (peek, poke):
`)
	for _, s := range demoProgram {
		line := fmt.Sprintf("  %-9s%s", s.label, s.stmt)
		if s.note != "" {
			line = fmt.Sprintf("%-36s%s", line, s.note)
		}
		fmt.Fprintln(w, line)
	}

	// The results, side by side; "<-" marks a departure from the 4K host.
	fmt.Fprintln(w)
	const col = 20
	line := fmt.Sprintf("  %-9s", "")
	for _, m := range demoMachines {
		line += fmt.Sprintf("%-*s", col, m.name)
	}
	fmt.Fprintln(w, strings.TrimRight(line, " "))
	for i, s := range demoProgram {
		line := fmt.Sprintf("  %-9s", s.label)
		for _, r := range runs {
			res := r.results[i]
			switch {
			case res == "":
				res = "-"
			case r != native && res != native.results[i] && !strings.HasPrefix(res, "0x"):
				res += " <-"
			}
			line += fmt.Sprintf("%-*s", col, res)
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}

	fmt.Fprintln(w)
	fmt.Fprint(w, `On the 4K host, the page size the library was linked for, everything works,
and both bugs fault (SIGSEGV) as they should.
`)
	if large.failed >= 0 {
		fmt.Fprint(w, `
On the 16K host, ld.so's "text" mmap fails with EINVAL: a kernel with 16K
pages maps files in whole 16K pages, and the segment starts at $lib+0x1000,
file offset 0x1000: 4K multiples, not 16K ones. ld.so gives up ("error while
loading shared libraries: libdemo.so: failed to map segment from shared
object"); the program never starts. Linking with -z max-page-size=16384 fixes
it (examples/00-host-16k.scn).
`)
	}
	fmt.Fprint(w, `
Under QEMU on the 64K host, the library's nine guest pages share one host
page, which has one protection. QEMU's mmap_frag makes it a fragment (F):
anonymous memory into which it reads each file segment with pread, as here
for "text":
`)
	for _, c := range qemu.hosts[demoStepIndex("text")] {
		fmt.Fprintf(w, "  host: %s\n", c)
	}
	fmt.Fprint(w, `A host page gets the union of its guest pages' protections (rwx for the
library, rw- for the stack), so the RELRO page is writable and the guard page
is no guard: both bugs go unseen. The guest pages, one row per host page,
and the host page's protection at the right, after the last step:
`)
	picture.New(qemu.machine).WriteText(w)
	fmt.Fprint(w, `
Next:
  go run ./cmd/mmapsim show examples/04-prot-union.scn  a lesson, drawn step by step
  go run ./cmd/mmapsim replay --host-page 16K TRACE      TRACE: a program's strace log (replay -h)
  go run ./cmd/mmapsim playground /tmp/mmapsim-play      the lessons, in your browser
`)
}

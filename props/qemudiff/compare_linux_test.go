//go:build linux

package qemudiff

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// sequence is one generated sequence: its calls (the files' opens first,
// the sentinel last), drawn on sim under the generating policy.
type sequence struct {
	id    int
	seed  int64
	tool  *tool
	lay   layout
	calls []call
	first *qemuRun // QEMU's run of the whole sequence
}

// The sentinel: a last mapping whose page dump shows the final layout.
var sentinel = call{Op: "mmap", Len: pg, Prot: 1, Flags: 0x22, File: -1}

// generate draws a sequence on sim under quirks: each call is drawn from
// the state sim is in, then run on it.
func generate(id int, seed int64, tl *tool, lay layout, quirks sim.QuirkSet, n int) (*sequence, error) {
	m, err := newMachine(lay, quirks)
	if err != nil {
		return nil, err
	}
	g := &gen{r: rand.New(rand.NewSource(seed)), m: m}
	sq := &sequence{id: id, seed: seed, tool: tl, lay: lay}
	for i, f := range files {
		sq.calls = append(sq.calls, call{Op: "open", File: i, Path: f.name, RW: f.rw})
		m.exec(sq.calls[i])
	}
	for len(sq.calls) < len(files)+n {
		sq.calls = append(sq.calls, g.next())
		m.exec(sq.calls[len(sq.calls)-1])
	}
	sq.calls = append(sq.calls, sentinel)
	if lay.Reserved == 0 {
		// Left out of a rerun, a call can only leave mmap_next_start
		// lower: placements grow it, nothing else moves it.
		next := m.sim.(*sim.Sim).MmapNextStart()
		sq.lay.Above = min((next+1<<20-1)&^(1<<20-1)+1<<20, lay.End+16<<20)
	}
	return sq, nil
}

// generated reports whether call i is one of the generated calls (not an
// open, not the sentinel).
func (sq *sequence) generated(i int) bool { return i >= len(files) && i < len(sq.calls)-1 }

// verdict is how one sequence compared under one policy.
type verdict struct {
	calls       int            // generated calls
	agreed      int            // of them, compared and agreeing
	kinds       map[string]int // differing calls by kind
	uncompared  int            // not compared: the reruns ran out first
	final       string         // the final state: "agree", or what differs ("" if never compared)
	runs        int            // QEMU runs
	diffs       []string       // a report of each difference
	unexplained int            // differences no known difference names
}

// maxRuns bounds the runs of one sequence: each difference costs one.
const maxRuns = 12

// play compares the sequence under QEMU and on sim under quirks: it runs
// it, and after a differing call runs it again from a fresh start without
// that call, until a run agrees throughout (or maxRuns). A call at which
// both sides die the same way agrees, and is left out of the next run so
// that the calls after it are compared too. Then it compares the final
// state: the page layout and the bytes of every page the final check reads.
func (sq *sequence) play(quirks sim.QuirkSet, dir string, keep bool) (verdict, error) {
	v := verdict{kinds: map[string]int{}}
	for i := range sq.calls {
		if sq.generated(i) {
			v.calls++
		}
	}
	active := make([]int, len(sq.calls))
	for i := range active {
		active[i] = i
	}
	decided := map[int]bool{} // calls that differed, or died alike, in some run
	for v.runs < maxRuns {
		cs := make([]call, len(active))
		for j, i := range active {
			cs[j] = sq.calls[i]
		}
		d := filepath.Join(dir, fmt.Sprint("run", v.runs))
		if err := os.MkdirAll(d, 0o755); err != nil {
			return v, err
		}
		qr, err := sq.tool.runQEMU(sq.lay, cs, d, keep)
		if err != nil {
			return v, err
		}
		if v.runs == 0 {
			sq.first = qr
		}
		v.runs++
		at, want, got, err := compareRun(sq.lay, cs, qr, quirks)
		if err != nil {
			return v, err
		}
		if at < 0 {
			for _, i := range active {
				if sq.generated(i) && !decided[i] {
					v.agreed++
				}
			}
			v.final = compareFinal(sq.lay, cs, qr, quirks, &v)
			return v, nil
		}
		i := active[at]
		if !sq.generated(i) {
			// The sentinel (or an open) differs: the final state cannot
			// be compared.
			v.diffs = append(v.diffs, fmt.Sprintf("sentinel %v\n\tqemu: %s\n\tsim:  %s", cs[at], want, got))
			for _, k := range active[:at] {
				if sq.generated(k) && !decided[k] {
					v.agreed++
				}
			}
			v.final = "sentinel"
			return v, nil
		}
		decided[i] = true
		if want == got {
			v.agreed++ // both died alike
		} else {
			kind := classify(sq, cs, at, want, got)
			if kind == "" {
				kind = "unexplained"
				v.unexplained++
			}
			v.kinds[kind]++
			v.diffs = append(v.diffs, fmt.Sprintf("call %d (%s): %v\n\tqemu: %s\n\tsim:  %s", i, kind, cs[at], want, got))
		}
		active = append(active[:at:at], active[at+1:]...)
	}
	for _, i := range active {
		if sq.generated(i) && !decided[i] {
			v.uncompared++
		}
	}
	return v, nil
}

// compareRun replays calls on sim under quirks and compares each call's
// outcome with QEMU's. It returns the index of the first call that differs
// or at which both died (and both outcomes), or -1.
func compareRun(lay layout, calls []call, qr *qemuRun, quirks sim.QuirkSet) (int, string, string, error) {
	m, err := newMachine(lay, quirks)
	if err != nil {
		return 0, "", "", err
	}
	for i, c := range calls {
		got := m.exec(c)
		want := qr.out[i]
		if want == "" && qr.death != "" {
			want = qr.death
		}
		if c.Op == "open" && got == want {
			continue
		}
		if got != want || strings.HasPrefix(got, "ABORT") {
			return i, want, got, nil
		}
	}
	return -1, "", "", nil
}

// compareFinal compares the final state of a run in which every call
// agreed: QEMU's last page dump with sim's page flags, and the pages the
// final check read. It returns "agree" or what differs, adding a report.
func compareFinal(lay layout, calls []call, qr *qemuRun, quirks sim.QuirkSet, v *verdict) string {
	m, err := newMachine(lay, quirks)
	if err != nil {
		v.diffs = append(v.diffs, err.Error())
		return "error"
	}
	for _, c := range calls {
		m.exec(c)
	}
	simPages, simDied := m.pages()
	if !qr.ok || !qr.done && (!simDied || qr.death != "ABORT SIGSEGV") {
		v.diffs = append(v.diffs, fmt.Sprintf("final state: QEMU printed no page dump or no page check (%s; sim dies in the check: %v)", qr.died, simDied))
		return "missing"
	}
	var what []string
	if simDied != !qr.done {
		what = append(what, "death")
		v.diffs = append(v.diffs, fmt.Sprintf("final check: sim dies in it: %v, QEMU: %v", simDied, qr.died))
	}
	var qemuRuns []pageRun
	for _, r := range qr.final {
		if r.Start < lay.SpaceEnd {
			qemuRuns = appendRun(qemuRuns, pageRun{r.Start, min(r.End, lay.SpaceEnd), r.Prot})
		}
	}
	if simRuns := m.flagRuns(); !sameRuns(qemuRuns, simRuns) {
		what = append(what, "layout")
		v.diffs = append(v.diffs, fmt.Sprintf("final layout:\n\tqemu: %v\n\tsim:  %v", qemuRuns, simRuns))
	}
	var bad []string
	for _, a := range unionKeys(qr.pages, simPages) {
		if qr.pages[a] != simPages[a] {
			bad = append(bad, fmt.Sprintf("%#x qemu %q sim %q", a, qr.pages[a], simPages[a]))
		}
	}
	if len(bad) > 0 {
		what = append(what, "bytes")
		if len(bad) > 6 {
			bad = append(bad[:6], fmt.Sprintf("and %d more", len(bad)-6))
		}
		v.diffs = append(v.diffs, "final pages: "+strings.Join(bad, ", "))
	}
	if len(what) == 0 {
		return "agree"
	}
	return strings.Join(what, "+")
}

func unionKeys(a, b map[uint64]string) []uint64 {
	var ks []uint64
	for k := range a {
		ks = append(ks, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			ks = append(ks, k)
		}
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
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

// text is QEMU's first run of the sequence (the whole sequence) as a
// reproduction: how to run it and its calls with both outcomes.
func (sq *sequence) text(quirks sim.QuirkSet) string {
	var b strings.Builder
	qr := sq.first
	fmt.Fprintf(&b, "[%v] sequence %d (seed %d): %s -p %d, reserved_va %#x, start-up mappings %#x-%#x, mmap_next_start %#x; sim policy %s\n",
		qr.took, sq.id, sq.seed, sq.tool.qemu, sq.lay.H, sq.lay.Reserved, sq.lay.Top, sq.lay.End, sq.lay.NextStart, policy.PolicyString(quirks))
	m, err := newMachine(sq.lay, quirks)
	if err != nil {
		return b.String() + err.Error()
	}
	for i, c := range sq.calls {
		got := m.exec(c)
		want := qr.out[i]
		if want == "" && qr.death != "" {
			want = qr.death
		}
		mark := " "
		if got != want {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s %3d %-60s qemu %-30s sim %s\n", mark, i, c.String(), want, got)
	}
	if qr.died != "" {
		fmt.Fprintf(&b, "  the guest process: %s\n", qr.died)
	}
	return b.String()
}

// tally adds up verdicts.
type tally struct {
	seqs, calls, agreed, uncompared, runs int
	finalAgree, finalDiffer               int
	unexplained                           int
	kinds                                 map[string]int
}

func (t *tally) add(v verdict) {
	if t.kinds == nil {
		t.kinds = map[string]int{}
	}
	t.seqs++
	t.calls += v.calls
	t.agreed += v.agreed
	t.uncompared += v.uncompared
	t.runs += v.runs
	t.unexplained += v.unexplained
	for k, n := range v.kinds {
		t.kinds[k] += n
	}
	if v.final == "agree" {
		t.finalAgree++
	} else {
		t.finalDiffer++
		t.kinds["final state: "+v.final]++
	}
}

// items are what the agreement counts: every generated call and each
// sequence's final state.
func (t *tally) items() int { return t.calls + t.seqs }

func (t *tally) agreeing() int { return t.agreed + t.finalAgree }

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

// percent renders n/d to two decimals, rounded down (so 99.5 is reached,
// not rounded up to).
func percent(n, d int) string {
	if d == 0 {
		return "-"
	}
	bp := n * 10000 / d
	return fmt.Sprintf("%d.%02d%%", bp/100, bp%100)
}

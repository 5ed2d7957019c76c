package main

import (
	"fmt"
	"strings"
)

// Issue 16's table: each goal the sections measure, filled in as they run
// and printed together at the end, so one run shows every ratio.

// goalID names a row of the goals table.
type goalID int

const (
	goalPair goalID = iota // hostvm pair / Linux pair, at each of linuxSizes
	goalFixed
	goalMergeProt
	goalSplitProt
	goalGrow
	goalSpread   // munmap spread, most VMAs / fewest
	goalQEMUPair // sim i386 pair on -p 65536 / real qemu-i386
	goalProps    // fifty-op sequences per CPU-second, slowest setup
	goalReplay   // gcc.strace native calls/s
	goalHeap     // heap per VMA at memVMAs
	numGoals
)

// goal is one row: what is measured, the limit, and what was.
type goal struct {
	what   string
	limit  float64
	atMost bool   // the value must be <= limit (else >= limit)
	unit   string // "x" for ratios, else a unit after the number
	got    []float64
	label  []string // what each value is ("100 VMAs"), when there are several
	note   string
}

// newGoals returns the table's rows, empty.
func newGoals() []*goal {
	g := make([]*goal, numGoals)
	g[goalPair] = &goal{what: "hostvm anonymous mmap+munmap pair / raw Linux syscall pair", limit: 0.25, atMost: true, unit: "x"}
	g[goalFixed] = &goal{what: "MAP_FIXED over 3 VMAs / Linux", limit: 0.5, atMost: true, unit: "x"}
	g[goalMergeProt] = &goal{what: "mprotect that merges / Linux", limit: 0.5, atMost: true, unit: "x"}
	g[goalSplitProt] = &goal{what: "mprotect that splits / Linux", limit: 0.5, atMost: true, unit: "x"}
	g[goalGrow] = &goal{what: "mremap grow / Linux", limit: 0.5, atMost: true, unit: "x"}
	g[goalSpread] = &goal{what: "munmap spread over 512 places, most VMAs / fewest", limit: 2, atMost: true, unit: "x"}
	g[goalQEMUPair] = &goal{what: "sim i386 guest pair on a 64K qemu host page / real qemu-i386 -p 65536 pair", limit: 0.25, atMost: true, unit: "x"}
	g[goalProps] = &goal{what: "props, fifty-op sequences per CPU-second (GOMAXPROCS=1), slowest setup", limit: 2500, unit: "/s"}
	g[goalReplay] = &goal{what: "replay of gcc.strace, native, in-process", limit: 300000, unit: " calls/s"}
	g[goalHeap] = &goal{what: "heap per VMA", limit: 134, atMost: true, unit: " B"}
	return g
}

// set records a value of row id, labelled when the row has several.
func (o *options) set(id goalID, label string, v float64) {
	g := o.goals[id]
	g.got = append(g.got, v)
	g.label = append(g.label, label)
}

// linuxRatio records section 1's median ratio of mix operation op at vmas
// VMAs: the pair at every size, the others at the largest.
func (o *options) linuxRatio(op, vmas int, v float64, largest bool) {
	switch {
	case op == 0:
		o.set(goalPair, count(int64(vmas))+" VMAs", v)
	case largest:
		o.set([]goalID{goalFixed, goalMergeProt, goalSplitProt, goalGrow}[op-1], count(int64(vmas))+" VMAs", v)
	}
}

// format renders v in the row's unit.
func (g *goal) format(v float64) string {
	switch g.unit {
	case "x":
		return fmt.Sprintf("%.2fx", v)
	case " calls/s", "/s":
		return rate(v) + g.unit
	}
	return fmt.Sprintf("%.1f%s", v, g.unit)
}

// met reports whether every value meets the limit; false with none.
func (g *goal) met() bool {
	for _, v := range g.got {
		if g.atMost && v > g.limit || !g.atMost && v < g.limit {
			return false
		}
	}
	return len(g.got) > 0
}

// goalsTable is the summary: each row's values, its goal, and whether it
// holds.
func goalsTable(goals []*goal) *table {
	t := &table{
		title:  "Issue 16's goals, from this run",
		header: []string{"what", "measured", "goal", "holds"},
	}
	for _, g := range goals {
		var vals []string
		for i, v := range g.got {
			s := g.format(v)
			if g.label[i] != "" {
				s += " (" + g.label[i] + ")"
			}
			vals = append(vals, s)
		}
		got, holds := "not measured", "-"
		if len(vals) > 0 {
			got, holds = strings.Join(vals, ", "), "no"
			if g.met() {
				holds = "yes"
			}
		}
		cmp := ">= "
		if g.atMost {
			cmp = "<= "
		}
		t.add(g.what, got, cmp+g.format(g.limit), holds)
		if g.note != "" {
			t.note("%s: %s", g.what, g.note)
		}
	}
	t.note("ratios: medians of per-round ratios (interleaved rounds), except munmap spread (best rounds of separate runs)")
	return t
}

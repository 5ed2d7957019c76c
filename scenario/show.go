package scenario

import (
	"fmt"
	"io"
)

// ShowHooks returns Run hooks that draw the machine as text on w: the
// legend and the initial state at the start, then a picture after every
// statement (under the statement's line and its host calls, which Run
// writes to its Out), or "(picture unchanged)" when it is the same as the
// last one.
func ShowHooks(w io.Writer) (start func(*Machine), after func(*Machine, *Stmt, Outcome)) {
	last := ""
	draw := func(m *Machine) {
		pic := NewPicture(m).String()
		if pic == last {
			io.WriteString(w, "  (picture unchanged)\n\n")
			return
		}
		last = pic
		io.WriteString(w, pic+"\n")
	}
	start = func(m *Machine) {
		io.WriteString(w, PictureLegend)
		draw(m)
	}
	after = func(m *Machine, st *Stmt, o Outcome) { draw(m) }
	return start, after
}

// Chain returns hooks that call a and then b; either may be nil.
func Chain(a, b func(*Machine, *Stmt, Outcome)) func(*Machine, *Stmt, Outcome) {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(m *Machine, st *Stmt, o Outcome) { a(m, st, o); b(m, st, o) }
}

// ChainStart is Chain for Start hooks.
func ChainStart(a, b func(*Machine)) func(*Machine) {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return func(m *Machine) { a(m); b(m) }
}

// Summary is the one-line verdict of a run of the scenario called name, as
// mmapsim run prints it.
func (r *Report) Summary(name string) string {
	verdict := "ok"
	if len(r.Failures) > 0 {
		verdict = "FAIL"
	}
	return fmt.Sprintf("%s: %s: %d statements, %d expectations, %d failed, %d skipped",
		name, verdict, r.Statements, r.Expectations, len(r.Failures), len(r.Skipped))
}

package picture

import (
	"io"

	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// TextHooks returns scenario.RunOptions hooks that draw the machine as
// text on w: the legend and the initial state at the start, then a picture
// after every statement (under the statement's line and its host calls,
// which scenario.Run writes to its Out), or "(picture unchanged)" when it
// is the same as the last one.
func TextHooks(w io.Writer) (start func(*scenario.Machine), after func(*scenario.Machine, *syntax.Stmt, scenario.Outcome)) {
	last := ""
	draw := func(m *scenario.Machine) {
		pic := New(m).String()
		if pic == last {
			io.WriteString(w, "  (picture unchanged)\n\n")
			return
		}
		last = pic
		io.WriteString(w, pic+"\n")
	}
	start = func(m *scenario.Machine) {
		io.WriteString(w, Legend)
		if _, ok := m.Sim.(HostRecorder); ok {
			io.WriteString(w, RecorderLegend)
		}
		draw(m)
	}
	after = func(m *scenario.Machine, st *syntax.Stmt, o scenario.Outcome) { draw(m) }
	return start, after
}

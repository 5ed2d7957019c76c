package replay

import (
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// result is the trace's result of a call: a value, an errno, or unknown.
type result struct {
	known bool
	value uint64
	errno hostvm.Errno
}

func (res result) ok() bool { return res.known && res.errno == 0 }

// traceResult reads st's "= RESULT".
//
// Preconditions: scenario.CheckNames(st) == nil.
func traceResult(st *syntax.Stmt) result {
	w := st.Want
	if w == nil {
		return result{}
	}
	switch w.Kind {
	case syntax.ExpectErrno:
		if errno, err := scenario.ExpectedErrno(w); err == nil {
			return result{known: true, errno: errno}
		}
	case syntax.ExpectValue:
		if v, err := w.Value.Eval(syntax.Env{}); err == nil {
			return result{known: true, value: v}
		}
	}
	return result{}
}

// traceBody is the trace's text of st without strace's pid and timestamp
// prefix, with the padding strace puts before " = " squeezed.
func traceBody(st *syntax.Stmt) string {
	if st.Line != st.EndLine || st.Kind != syntax.KindCall {
		return syntax.Format(st)
	}
	t := st.Text
	if st.Call != nil {
		if i := strings.Index(t, st.Call.Name+"("); i >= 0 {
			t = t[i:]
		}
	}
	if i := strings.LastIndex(t, ")"); i >= 0 {
		rest := strings.TrimLeft(t[i+1:], " \t")
		if strings.HasPrefix(rest, "= ") {
			t = t[:i+1] + " " + rest
		}
	}
	return t
}

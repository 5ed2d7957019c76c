package replay

import (
	"strconv"
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

// textResult reads the result at the end of a line that did not parse:
// "= 25540", "= -1 ENOENT (...)"; an errno is known only to have failed.
func textResult(text string) result {
	j := strings.LastIndexByte(text, ')')
	if j < 0 {
		return result{}
	}
	i := strings.Index(text[j:], "= ")
	if i < 0 || strings.TrimSpace(text[j+1:j+i]) != "" {
		return result{}
	}
	f := strings.Fields(text[j+i+2:])
	if len(f) == 0 {
		return result{}
	}
	if f[0] == "-1" && len(f) > 1 {
		if e, ok := hostvm.ErrnoByName(f[1]); ok {
			return result{known: true, errno: e}
		}
		return result{known: true, errno: hostvm.EINVAL}
	}
	v, err := strconv.ParseUint(strings.TrimRight(f[0], "<"), 0, 64)
	if err != nil {
		if j := strings.IndexByte(f[0], '<'); j > 0 {
			v, err = strconv.ParseUint(f[0][:j], 0, 64)
		}
	}
	if err != nil {
		return result{}
	}
	return result{known: true, value: v}
}

// stmtResult is the result of a call line, whether it parsed or not.
func stmtResult(st *syntax.Stmt) result {
	if st.Kind == syntax.KindCall {
		if scenario.CheckNames(st) != nil {
			return textResult(st.Text)
		}
		return traceResult(st)
	}
	return textResult(st.Text)
}

// traceBody is the trace's text of st without strace's pid and timestamp
// prefix, with the padding strace puts before " = " squeezed.
func traceBody(st *syntax.Stmt) string {
	if st.Line != st.EndLine || st.Kind != syntax.KindCall {
		if st.Kind == syntax.KindBad {
			return st.Text
		}
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

// lineCallName is the name of the call a line shows, read from its text
// (for a line that did not parse): after strace's pid and timestamp, a
// name followed by '(', or the NAME of "<... NAME resumed>". "" when there
// is none.
func lineCallName(text string) string {
	t := strings.TrimLeft(text, " \t")
	if rest, ok := strings.CutPrefix(t, "[pid"); ok {
		if i := strings.IndexByte(rest, ']'); i >= 0 {
			t = rest[i+1:]
		}
	}
	for range 2 { // a pid, then a timestamp
		t = strings.TrimLeft(t, " \t")
		i := 0
		for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == ':' || t[i] == '.') {
			i++
		}
		if i > 0 && i < len(t) && (t[i] == ' ' || t[i] == '\t') {
			t = t[i:]
		}
	}
	t = strings.TrimLeft(t, " \t")
	if rest, ok := strings.CutPrefix(t, "<..."); ok {
		if f := strings.Fields(rest); len(f) >= 2 && strings.HasPrefix(f[1], "resumed>") {
			return f[0]
		}
		return ""
	}
	i := 0
	for i < len(t) && isWordByte(t[i]) {
		i++
	}
	if i == 0 || i == len(t) || t[i] != '(' {
		return ""
	}
	return t[:i]
}

func isWordByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// hasWord reports whether text holds w as a whole word (CLONE_VM, not
// CLONE_VMX).
func hasWord(text, w string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		if (start == 0 || !isWordByte(text[start-1])) && (end == len(text) || !isWordByte(text[end])) {
			return true
		}
		i = end
	}
}

// firstString reads the first C string literal of text after its call's
// '(' ("/usr/bin/ls" of execve("/usr/bin/ls", ...)), for lines that did
// not parse; ok is false when there is none.
func firstString(text string) (string, bool) {
	i := strings.IndexByte(text, '(')
	if i < 0 {
		return "", false
	}
	j := strings.IndexByte(text[i:], '"')
	if j < 0 {
		return "", false
	}
	start := i + j
	for k := start + 1; k < len(text); k++ {
		switch text[k] {
		case '\\':
			k++
		case '"':
			s, err := strconv.Unquote(text[start : k+1])
			return s, err == nil
		}
	}
	return "", false
}

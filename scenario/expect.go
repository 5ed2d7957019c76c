package scenario

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// The language keeps names as names (package syntax); the runner gives
// them meaning. An errno name is Linux's (hostvm.ErrnoByName); a signal
// is SIGSEGV or SIGBUS, which the parser already checked.

// ExpectedErrno returns the errno of an "= -1 ENAME" expectation. A name
// Linux does not have is an error at the name.
//
// Preconditions: w.Kind == syntax.ExpectErrno.
func ExpectedErrno(w *syntax.Expect) (hostvm.Errno, *syntax.Error) {
	errno, ok := hostvm.ErrnoByName(w.Name)
	if !ok {
		return 0, &syntax.Error{Pos: w.NamePos, Msg: "unknown errno name " + w.Name}
	}
	return errno, nil
}

// CheckNames checks the names a statement's meaning depends on: the errno
// of an "= -1 ENAME" result. A replay notes a statement that fails it as
// one that does not parse; Run refuses the file.
func CheckNames(st *syntax.Stmt) *syntax.Error {
	if st.Want == nil || st.Want.Kind != syntax.ExpectErrno {
		return nil
	}
	_, err := ExpectedErrno(st.Want)
	return err
}

// matches compares an outcome with the statement's expectation and
// returns the expectation as text.
func (r *runner) matches(st *syntax.Stmt, o Outcome) (string, bool, error) {
	w := st.Want
	switch w.Kind {
	case syntax.ExpectAny:
		// "= ? (success)" asks for any success, "= ? (>= N)" for a value of
		// at least N; a plain "= ?", or any other text, accepts anything.
		okay := o.Abort == nil && o.Err == 0 && o.Fault == nil
		switch {
		case w.Msg == "success":
			return "success", okay, nil
		case strings.HasPrefix(w.Msg, ">= "):
			n, err := syntax.ParseNum(strings.TrimSpace(w.Msg[3:]))
			if err != nil {
				return "", false, r.usage(st, "expectation (%s): %v", w.Msg, err)
			}
			want := n.Value
			return "a value >= " + formatValue(want), okay && o.Value >= want, nil
		}
		return "anything", true, nil
	case syntax.ExpectErrno:
		errno, err := ExpectedErrno(w)
		if err != nil {
			return "", false, &UsageError{err.Error()}
		}
		want := fmt.Sprintf("-1 %s (%s)", errno.Name(), errno.Error())
		return want, o.Abort == nil && o.Err == errno, nil
	case syntax.ExpectSignal:
		return w.Name, o.Fault != nil && o.Fault.Signal.String() == w.Name, nil
	case syntax.ExpectBytes:
		return syntax.Quote(w.Bytes), o.Fault == nil && o.Abort == nil && bytes.Equal(o.Bytes, w.Bytes), nil
	case syntax.ExpectValue:
		v, err := w.Value.Eval(syntax.Env{Vars: r.lookup})
		if err != nil {
			if name, where, ok := r.failedVar(err); ok {
				return "$" + name + " (unbound: its call at " + where + " failed)", false, nil
			}
			return "", false, &UsageError{err.Error()}
		}
		v = r.machine.Word(v)
		ok := o.Abort == nil && o.Err == 0 && o.Fault == nil && o.Bytes == nil && o.Value == v
		return formatValue(v), ok, nil
	}
	return "", false, r.usage(st, "unknown expectation")
}

// failedVar reports whether err is the use of a variable whose binding
// call failed.
func (r *runner) failedVar(err error) (name, where string, ok bool) {
	msg := err.Error()
	i := strings.Index(msg, "undefined variable $")
	if i < 0 {
		return "", "", false
	}
	name = msg[i+len("undefined variable $"):]
	if j := strings.IndexAny(name, " \n"); j >= 0 {
		name = name[:j]
	}
	where, ok = r.failed[name]
	return name, where, ok
}

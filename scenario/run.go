package scenario

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// RunOptions control Run.
type RunOptions struct {
	// Settings from the command line; they win over the file's "#!" lines.
	Settings *Settings
	// Check verifies the invariants (Machine.Check) after every statement
	// and reports a violation as a failed expectation.
	Check bool
	// Out receives each statement with its result, and the host calls a
	// guest call made; nil discards it.
	Out io.Writer
	// After, when set, is called after each executed statement (to draw a
	// picture, say: package picture has hooks).
	After func(m *Machine, st *syntax.Stmt, o Outcome)
	// Start, when set, is called once the machine is built and the header
	// written, before the first statement (to draw the initial state).
	Start func(m *Machine)
}

// Failure is an expectation that did not hold.
type Failure struct {
	Pos  string // "file:line"
	Want string
	Got  string
	Text string // the statement, canonical
}

func (f Failure) String() string { return f.Pos + ": want " + f.Want + ", got " + f.Got }

// MaxDetails bounds the failures and the skipped statements a Report
// keeps with their text: the first MaxDetails of each. Beyond them only
// the counts grow (Failed, SkipCount), so a run's memory does not grow
// with the length of its scenario.
const MaxDetails = 1000

// Report is what a run found.
type Report struct {
	Machine      *Machine
	Statements   int       // calls and memory statements executed
	Expectations int       // "= ..." results checked
	Failures     []Failure // the first MaxDetails failed expectations
	Failed       int       // every failed expectation
	Skipped      []string  // "file:line: name: why" for the first MaxDetails statements not run
	SkipCount    int       // every statement not run
}

// Summary is the one-line verdict of a run of the scenario called name, as
// mmapsim run prints it.
func (r *Report) Summary(name string) string {
	verdict := "ok"
	if r.Failed > 0 {
		verdict = "FAIL"
	}
	return fmt.Sprintf("%s: %s: %d statements, %d expectations, %d failed, %d skipped",
		name, verdict, r.Statements, r.Expectations, r.Failed, r.SkipCount)
}

func (r *Report) addFailure(f Failure) {
	r.Failed++
	if len(r.Failures) < MaxDetails {
		r.Failures = append(r.Failures, f)
	}
}

func (r *Report) addSkipped(s string) {
	r.SkipCount++
	if len(r.Skipped) < MaxDetails {
		r.Skipped = append(r.Skipped, s)
	}
}

// UsageError is a problem with the input itself (a parse error, an unknown
// setting or flag name, a statement of the wrong shape): exit status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Run executes a scenario: its settings (overridden by opts.Settings), its
// file directives, then each statement in order, comparing results with
// expectations. Failed expectations go in the report; a UsageError stops the
// run (what ran so far is in the report and was written to opts.Out). A
// File is read strictly first: a bad line anywhere stops the run before it
// starts.
func Run(f *syntax.File, opts RunOptions) (*Report, error) {
	if err := checkFile(f); err != nil {
		return nil, &UsageError{err.Error()}
	}
	stmts := f.Stmts
	return run(f.Name, func() (*syntax.Stmt, error) {
		if len(stmts) == 0 {
			return nil, io.EOF
		}
		st := stmts[0]
		stmts = stmts[1:]
		return st, nil
	}, opts)
}

// RunReader executes the scenario r reads, as Run does, statement by
// statement as it reads them, so that memory grows with the simulated
// machine, not with the length of the scenario. The settings are those of
// the "#!" lines before the first call. A bad line, or a reading error (a
// line longer than syntax.MaxLineLength), stops the run where it is, as a
// UsageError: what ran before it is in the report and was written to
// opts.Out.
func RunReader(r *syntax.Reader, opts RunOptions) (*Report, error) {
	return run(r.Name(), r.Next, opts)
}

// run executes the statements next returns (io.EOF after the last).
func run(name string, next func() (*syntax.Stmt, error), opts RunOptions) (*Report, error) {
	// The settings: every "#!" line before the first call. File
	// directives wait for the machine.
	settings := NewSettings()
	var head []*syntax.Stmt
	var st *syntax.Stmt
	for {
		var err error
		if st, err = nextChecked(next); err == io.EOF {
			st = nil
			break
		} else if err != nil {
			return nil, err
		}
		if st.Kind == syntax.KindDirective {
			if err := settings.setAll(st, name); err != nil {
				return nil, err
			}
			continue
		}
		if st.Kind == syntax.KindFileDirective {
			if err := checkFileNamed(head, st, name); err != nil {
				return nil, err
			}
			head = append(head, st)
			continue
		}
		if st.Kind == syntax.KindCall || st.Kind == syntax.KindMemory || st.Kind == syntax.KindUnfinished || st.Kind == syntax.KindResumed {
			break
		}
	}
	if opts.Settings != nil {
		settings.Merge(opts.Settings)
	}
	m, err := settings.Build()
	if err != nil {
		return nil, &UsageError{err.Error()}
	}
	r := &runner{name: name, machine: m, opts: opts, vars: map[string]uint64{}, failed: map[string]string{}, out: opts.Out,
		halves: map[int]*syntax.Stmt{}}
	if r.out == nil {
		r.out = io.Discard
	}
	rep := &Report{Machine: m}
	r.rep = rep
	fmt.Fprintf(r.out, "# %s: %s\n", name, m.Describe())
	if opts.Start != nil {
		opts.Start(m)
	}
	for _, h := range head {
		if err := r.stmt(h); err != nil {
			return rep, err
		}
	}
	for st != nil {
		if err := r.stmt(st); err != nil {
			return rep, err
		}
		if st, err = nextChecked(next); err == io.EOF {
			break
		} else if err != nil {
			return rep, err
		}
		if st.Kind == syntax.KindDirective {
			return rep, &UsageError{fmt.Sprintf("%s:%d: settings must come before the first call", name, st.Line)}
		}
	}
	r.finish()
	return rep, nil
}

// nextChecked returns next's statement read strictly: a Bad statement, an
// errno name Linux does not have or a reading error is a UsageError.
func nextChecked(next func() (*syntax.Stmt, error)) (*syntax.Stmt, error) {
	st, err := next()
	switch {
	case err == io.EOF:
		return nil, err
	case err != nil:
		return nil, &UsageError{err.Error()}
	case st.Kind == syntax.KindBad:
		return nil, &UsageError{st.Err.Error()}
	}
	if err := CheckNames(st); err != nil {
		return nil, &UsageError{err.Error()}
	}
	return st, nil
}

// setAll sets the pairs of directive st, in the file called name.
func (s *Settings) setAll(st *syntax.Stmt, name string) error {
	if st.Late {
		return &UsageError{fmt.Sprintf("%s:%d: settings must come before the first call", name, st.Line)}
	}
	for _, p := range st.Pairs {
		if first, dup := s.pos[p.Key]; dup {
			return &UsageError{fmt.Sprintf("%s: %s set twice (first at %s): a scenario sets each key once", p.Pos, p.Key, first)}
		}
		if err := s.Set(p.Key, p.Value, p.Pos.String()); err != nil {
			return &UsageError{err.Error()}
		}
	}
	return nil
}

// checkFileNamed refuses a second "#! file" line for a name an earlier one
// in head made: each would replace the other's file.
func checkFileNamed(head []*syntax.Stmt, st *syntax.Stmt, name string) error {
	for _, h := range head {
		if h.FileSpec.Name == st.FileSpec.Name {
			return &UsageError{fmt.Sprintf("%s:%d: file %s is made twice (first at %s:%d): a scenario makes each file once",
				name, st.Line, st.FileSpec.Name, name, h.Line)}
		}
	}
	return nil
}

// checkFile reads f strictly: its first Bad statement, or errno name
// Linux does not have, is an error.
func checkFile(f *syntax.File) error {
	for _, st := range f.Stmts {
		if st.Kind == syntax.KindBad {
			return st.Err
		}
		if err := CheckNames(st); err != nil {
			return err
		}
	}
	return nil
}

// runner is one run of a scenario.
type runner struct {
	name    string // the scenario's name in messages
	machine *Machine
	opts    RunOptions
	vars    map[string]uint64
	// failed names the variables whose binding call failed, and where:
	// a later use is a failed statement, not an input error.
	failed map[string]string
	halves map[int]*syntax.Stmt // by pid: an unfinished call whose resumed half may come
	out    io.Writer
	rep    *Report
}

func (r *runner) pos(st *syntax.Stmt) string { return fmt.Sprintf("%s:%d", r.name, st.Line) }

func (r *runner) usage(st *syntax.Stmt, format string, args ...any) error {
	return &UsageError{r.pos(st) + ": " + fmt.Sprintf(format, args...)}
}

// unpaired reports pid's unfinished half, if it waits still, as skipped.
func (r *runner) unpaired(pid int) {
	if h, ok := r.halves[pid]; ok {
		delete(r.halves, pid)
		r.skipHalf(h)
	}
}

// skipHalf reports a half of an unfinished/resumed pair as skipped.
func (r *runner) skipHalf(st *syntax.Stmt) {
	r.rep.addSkipped(r.pos(st) + ": " + st.Call.Name + ": half of an unfinished/resumed pair")
	fmt.Fprintf(r.out, "%s  %s  # skipped: unpaired\n", r.pos(st), st.Text)
}

// finish reports the unfinished halves still waiting, in line order.
func (r *runner) finish() {
	pids := make([]int, 0, len(r.halves))
	for pid := range r.halves {
		pids = append(pids, pid)
	}
	sort.Slice(pids, func(i, j int) bool { return r.halves[pids[i]].Line < r.halves[pids[j]].Line })
	for _, pid := range pids {
		r.unpaired(pid)
	}
}

func (r *runner) stmt(st *syntax.Stmt) error {
	if h, ok := r.halves[st.Pid]; ok && st.Kind != syntax.KindUnfinished {
		if h.Line == st.Line {
			delete(r.halves, st.Pid) // st joins it
		} else if st.Kind == syntax.KindCall || st.Kind == syntax.KindMemory {
			r.unpaired(st.Pid)
		}
	}
	switch st.Kind {
	case syntax.KindFileDirective:
		if st.Late {
			return r.usage(st, "file directives must come before the first call")
		}
		return r.makeFile(st)
	case syntax.KindCall, syntax.KindMemory:
	case syntax.KindUnfinished:
		// A reader returns the half at its line, before its resumed half
		// (if any) comes: it is unpaired only once its pid does something
		// else, exits, or the scenario ends.
		r.unpaired(st.Pid)
		r.halves[st.Pid] = st
		return nil
	case syntax.KindResumed:
		r.skipHalf(st)
		return nil
	case syntax.KindExit:
		r.unpaired(st.Pid)
		return nil
	default:
		return nil
	}
	o, ran, err := r.exec(st)
	if err != nil {
		if name, where, ok := r.failedVar(err); ok {
			r.fail(st, "$"+name+" to be bound", "unbound: its call at "+where+" failed")
			return nil
		}
		return err
	}
	text := syntax.Format(st)
	if !ran {
		r.rep.addSkipped(r.pos(st) + ": " + st.Call.Name + ": " + o.Note)
		fmt.Fprintf(r.out, "%-14s %s  # skipped: %s\n", r.pos(st), text, o.Note)
		return nil
	}
	r.rep.Statements++
	if st.Bind != "" {
		if o.Err == 0 && o.Abort == nil && o.Fault == nil {
			r.vars[st.Bind] = o.Value
			delete(r.failed, st.Bind)
		} else {
			r.failed[st.Bind] = r.pos(st)
		}
	}
	fmt.Fprintf(r.out, "%-14s %s = %s\n", r.pos(st), withoutResult(st, text), o.Text(st))
	for _, c := range o.HostCalls {
		fmt.Fprintf(r.out, "%-14s   host: %s\n", "", c)
	}
	if st.Want != nil {
		r.rep.Expectations++
		if want, ok, err := r.matches(st, o); err != nil {
			return err
		} else if !ok {
			r.fail(st, want, o.String())
		}
	}
	if r.opts.Check {
		if err := r.machine.Check(); err != nil {
			r.fail(st, "invariants to hold", err.Error())
		}
	}
	if r.opts.After != nil {
		r.opts.After(r.machine, st, o)
	}
	return nil
}

// withoutResult cuts the expected result off text, the canonical form of
// st, so the log can write the outcome there instead.
func withoutResult(st *syntax.Stmt, text string) string {
	switch {
	case st.Want == nil:
	case st.Bind == "":
		if i := strings.Index(text, " = "); i >= 0 {
			return text[:i]
		}
	default:
		if j := strings.LastIndex(text, ") = "); j >= 0 {
			return text[:j+1]
		}
	}
	return text
}

func (r *runner) fail(st *syntax.Stmt, want, got string) {
	fl := Failure{Pos: r.pos(st), Want: want, Got: got, Text: syntax.Format(st)}
	r.rep.addFailure(fl)
	fmt.Fprintf(r.out, "%s\n", fl)
}

func (r *runner) lookup(name string) (uint64, bool) {
	v, ok := r.vars[name]
	return v, ok
}

// exec runs one call or memory statement through the call table. ran is
// false for a call the runner skips (Outcome.Note says why).
func (r *runner) exec(st *syntax.Stmt) (o Outcome, ran bool, err error) {
	call := st.Call
	spec, ok := LookupCall(call.Name)
	if !ok || spec.Class == UnmodelledCall {
		return Outcome{Note: "mmapsim does not simulate " + call.Name}, false, nil
	}
	if err := spec.CheckArity(len(call.Args), true); err != nil {
		return o, false, r.usage(st, "%v", err)
	}
	args, err := spec.Eval(call, r.lookup)
	if err != nil {
		return o, false, &UsageError{err.Error()}
	}
	o, err = spec.Run(r.machine, args)
	if err != nil {
		return o, false, r.usage(st, "%v", err)
	}
	return o, true, nil
}

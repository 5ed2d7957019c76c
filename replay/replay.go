package replay

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// Options control Replay. The zero value replays natively on the default
// host (x86_64).
type Options struct {
	// Settings describe the machine every process runs on, as a
	// scenario's do (scenario.Settings).
	Settings *scenario.Settings
	// TracePage is the page size of the machine the trace was recorded
	// on; the address map works in its pages. Default 4096.
	TracePage uint64
	// Check verifies the machine's invariants (scenario.Machine.Check)
	// after every replayed memory call; a violation is a divergence of
	// kind DivInvariant.
	Check bool
	// Log, when set, receives every replayed memory call: the trace's
	// line, the call as the simulation ran it with its result, and under a
	// target the host calls it made.
	Log io.Writer
	// ReadFiles lets the verdict read the ELF program headers of the
	// files the trace names (programs, libraries) when they exist on this
	// machine, to name their segments' alignment. Off, the verdict
	// depends on the trace alone.
	ReadFiles bool
}

// Replay replays the strace log f (read leniently: Bad lines become
// notes) on the machine opts.Settings describe. Its only error is a
// *scenario.UsageError for settings that do not build a machine.
func Replay(f *syntax.File, opts Options) (*Report, error) {
	s, err := newSession(f.Name, opts)
	if err != nil {
		return nil, err
	}
	for _, st := range withHalves(f.Stmts) {
		s.step(st)
	}
	return s.finish(), nil
}

// ReplayReader replays the strace log r reads, statement by statement as
// it reads them, so that memory grows with the simulated processes, not
// with the length of the log. It keeps copies of the statements it keeps,
// so r may reuse its statements (syntax.Reader.Reuse), which is faster. A reading error (a line longer than
// syntax.MaxLineLength, a read error) ends the replay: the report covers
// the lines before it and holds the error in Err, which is also returned.
// Settings that do not build a machine are a *scenario.UsageError.
func ReplayReader(r *syntax.Reader, opts Options) (*Report, error) {
	s, err := newSession(r.Name(), opts)
	if err != nil {
		return nil, err
	}
	for {
		st, err := r.Next()
		if err == io.EOF {
			return s.finish(), nil
		}
		if err != nil {
			rep := s.finish()
			rep.Err = err
			return rep, err
		}
		s.step(st)
	}
}

// withHalves puts back, at their own lines, the unfinished halves of the
// joined calls of a parsed file, so a replay of a File sees what a replay
// of a stream sees (syntax.Reader.Next): a clone entered, the child
// speaking, the clone returning.
func withHalves(stmts []*syntax.Stmt) []*syntax.Stmt {
	var halves []*syntax.Stmt
	for _, st := range stmts {
		if st.EndLine > st.Line && (st.Kind == syntax.KindCall || st.Kind == syntax.KindBad) {
			first, _, _ := strings.Cut(st.Text, "\n")
			half := &syntax.Stmt{Kind: syntax.KindUnfinished, Line: st.Line, EndLine: st.Line, Pid: st.Pid,
				Time: st.Time, Text: first, Call: &syntax.Call{Name: lineCallName(first)}, Partial: first}
			if i := strings.LastIndex(first, "<unfinished ...>"); i >= 0 {
				half.Partial = strings.TrimSpace(first[:i])
				if j := strings.Index(half.Partial, half.Call.Name+"("); j >= 0 {
					half.Partial = half.Partial[j:]
				}
			}
			halves = append(halves, half)
		}
	}
	if len(halves) == 0 {
		return stmts
	}
	sort.SliceStable(halves, func(i, j int) bool { return halves[i].Line < halves[j].Line })
	out := make([]*syntax.Stmt, 0, len(stmts)+len(halves))
	for _, st := range stmts {
		for len(halves) > 0 && halves[0].Line < st.EndLine {
			out = append(out, halves[0])
			halves = halves[1:]
		}
		out = append(out, st)
	}
	return append(out, halves...)
}

// session is one replay of one trace: the statements go in one at a time
// (step), in file order, and the report comes out at the end (finish).
type session struct {
	name     string
	opts     Options
	settings *scenario.Settings
	first    *scenario.Machine // built to validate the settings; the first space gets it
	tasks    map[int]*task     // live, by pid
	cloning  []*task           // live tasks with a clone entered and not returned, in order of entry
	seq      int               // tasks made so far
	report   *Report
	// sawProcess: the trace shows process calls (clone, execve, ...), so
	// who shares what is traced, not inferred; sawExec: it shows execve,
	// so program images are traced, not inferred.
	sawProcess, sawExec bool
	recent              *space // the space of the latest memory call, for inference
	// execMoved holds, by the pid it moves to, the program of a thread's
	// execve whose line ended "<pid changed to N ...>".
	execMoved map[int]string
}

func newSession(name string, opts Options) (*session, error) {
	settings := scenario.NewSettings()
	if opts.Settings != nil {
		settings.Merge(opts.Settings)
	}
	m, err := settings.Build()
	if err != nil {
		return nil, &scenario.UsageError{Msg: err.Error()}
	}
	if opts.TracePage == 0 {
		opts.TracePage = 4096
	}
	if opts.TracePage&(opts.TracePage-1) != 0 {
		return nil, &scenario.UsageError{Msg: fmt.Sprintf("trace page size %#x: want a power of two", opts.TracePage)}
	}
	return &session{name: name, opts: opts, settings: settings, first: m, tasks: map[int]*task{}, execMoved: map[int]string{},
		report: &Report{Name: name, Machine: m.Describe(), target: m.Sim != nil, emulator: m.Policy.Emulator()}}, nil
}

func (s *session) pos(st *syntax.Stmt) string { return fmt.Sprintf("%s:%d", s.name, st.Line) }

// diverge reports a divergence of t's call st, and counts it for t's
// program image by its severity: the first fatal one is the image's
// Fatal, the first page-size risk its Risk (diverge then returns true,
// for the caller to explain it); any after either is a consequence.
func (s *session) diverge(t *task, st *syntax.Stmt, k DivergenceKind, sim string, sev severity) bool {
	d := Divergence{Kind: k, Pos: s.pos(st), Line: st.Line, Pid: st.Pid, Trace: traceBody(st), Sim: sim}
	img := t.space.image
	first := false
	switch {
	case k == DivInvariant: // the simulator's, not the program's
	case img.Fatal != nil:
		d.Consequence = true
		img.Consequences++
	case sev == fatal:
		f := d
		img.Fatal, first = &f, true
	case img.Risk != nil:
		d.Consequence = true
		img.Consequences++
	case sev == pageSizeRisk:
		r := d
		img.Risk, first = &r, true
	default:
		img.Nonfatal++
	}
	s.report.addDivergence(d)
	return first
}

func (s *session) note(st *syntax.Stmt, k NoteKind, msg string) {
	s.report.addNote(Note{Kind: k, Pos: s.pos(st), Pid: st.Pid, Trace: traceBody(st), Msg: msg})
}

// step replays one statement of the trace.
func (s *session) step(st *syntax.Stmt) {
	s.report.Lines = max(s.report.Lines, st.EndLine)
	switch st.Kind {
	case syntax.KindCall:
		if t, ok := s.tasks[st.Pid]; ok && t.half != nil && t.half.Line == st.Line {
			t.half = nil // this call joins it
		}
		name := st.Call.Name
		spec, known := scenario.LookupCall(name)
		if !known && processCallNames[name] {
			s.processCall(st, name)
			return
		}
		if !known || spec.Class != scenario.MemoryCall && spec.Class != scenario.UnmodelledCall && spec.FD == scenario.FDNone {
			s.report.Skipped++
			return
		}
		t := s.task(st.Pid)
		if err := scenario.CheckNames(st); err != nil {
			s.note(st, NoteUnparsed, err.Msg)
			return
		}
		t.call(st, spec)
	case syntax.KindBad:
		s.bad(st)
	case syntax.KindUnfinished:
		t := s.task(st.Pid)
		s.unpaired(t) // a call before it that never resumed
		t.half = st.Clone()
		if isCloneCall(st.Call.Name) {
			s.endClone(t)
			t.clone = &pendingClone{flags: readCloneFlags(st.Call.Name, st.Partial), line: st.Line}
			s.cloning = append(s.cloning, t)
		}
	case syntax.KindResumed:
		s.report.Skipped++
		if (st.Call.Name == "execve" || st.Call.Name == "execveat") && s.execResumed(st) {
			return
		}
		if followed(st.Call.Name) {
			s.note(st, NoteUnpaired, "the resumed half of a call whose unfinished half is missing: not replayed")
		}
	case syntax.KindExit:
		s.exit(st)
	default:
		s.report.Skipped++
	}
}

// followed says whether the replay follows calls called name: memory
// calls, calls on descriptors, process calls.
func followed(name string) bool {
	if processCallNames[name] {
		return true
	}
	spec, ok := scenario.LookupCall(name)
	return ok && (spec.Class == scenario.MemoryCall || spec.Class == scenario.UnmodelledCall || spec.FD != scenario.FDNone)
}

// bad handles a line that did not parse. One of a call the replay does
// not follow (wait4's status, say) is skipped and counted; one of a call
// it follows is a note that says why; a process call is still followed
// from its text (its flags, its result, its program).
func (s *session) bad(st *syntax.Stmt) {
	name := lineCallName(st.Text)
	if t, ok := s.tasks[st.Pid]; ok && t.half != nil && t.half.Line == st.Line {
		t.half = nil // this line joins it
	}
	msg := "does not parse"
	if st.Err != nil {
		msg = st.Err.Msg
	}
	switch {
	case processCallNames[name]:
		s.processCall(st, name)
	case followed(name):
		s.note(st, NoteUnparsed, name+": "+msg)
	case name == "":
		s.note(st, NoteUnparsed, "not a call strace writes (two processes' output interleaved?): "+msg)
	default:
		s.report.Skipped++
		s.report.Unparsed++
	}
}

// finish ends the tasks still live at the end of the trace and returns
// the report.
func (s *session) finish() *Report {
	for _, t := range s.sortedTasks() {
		s.remove(t)
	}
	// An image no execve started that made no memory call (a process
	// that only closed descriptors and exited) has nothing to judge.
	images := s.report.Images[:0]
	for _, img := range s.report.Images {
		if img.Calls > 0 || img.Start == "execve" {
			images = append(images, img)
		}
	}
	s.report.Images = images
	return s.report
}

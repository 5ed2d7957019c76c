package replay

import (
	"fmt"
	"io"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
	"github.com/mmapsim/mmapsim/sim"
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
}

// Replay replays the strace log f (read leniently: Bad lines become
// notes) on the machine opts.Settings describe. Its only error is a
// *scenario.UsageError for settings that do not build a machine.
func Replay(f *syntax.File, opts Options) (*Report, error) {
	s, err := newSession(f.Name, opts)
	if err != nil {
		return nil, err
	}
	for _, st := range f.Stmts {
		s.step(st)
	}
	return s.finish(), nil
}

// session is one replay of one trace: the statements go in one at a time
// (step), in file order, and the report comes out at the end (finish).
type session struct {
	name      string
	opts      Options
	settings  *scenario.Settings
	first     *scenario.Machine // built to validate the settings; the first process gets it
	processes map[int]*process  // live, by pid
	order     []*process        // live processes, in order of first appearance
	report    *Report
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
	return &session{name: name, opts: opts, settings: settings, first: m, processes: map[int]*process{},
		report: &Report{Name: name, Machine: m.Describe()}}, nil
}

func (s *session) pos(st *syntax.Stmt) string { return fmt.Sprintf("%s:%d", s.name, st.Line) }

func (s *session) diverge(st *syntax.Stmt, k DivergenceKind, sim string) {
	s.report.Divergences = append(s.report.Divergences, Divergence{Kind: k, Pos: s.pos(st), Pid: st.Pid, Trace: traceBody(st), Sim: sim})
}

func (s *session) note(st *syntax.Stmt, k NoteKind, msg string) {
	s.report.Notes = append(s.report.Notes, Note{Kind: k, Pos: s.pos(st), Pid: st.Pid, Trace: traceBody(st), Msg: msg})
}

// step replays one statement of the trace.
func (s *session) step(st *syntax.Stmt) {
	s.report.Lines = max(s.report.Lines, st.EndLine)
	switch st.Kind {
	case syntax.KindCall:
		if err := scenario.CheckNames(st); err != nil {
			s.note(st, NoteUnparsed, err.Msg)
			return
		}
		p := s.process(st.Pid)
		if p == nil {
			s.report.Skipped++
			return
		}
		p.call(st)
	case syntax.KindBad:
		msg := "does not parse"
		if st.Err != nil {
			msg = st.Err.Msg
		}
		s.note(st, NoteUnparsed, msg)
	case syntax.KindUnfinished, syntax.KindResumed:
		s.note(st, NoteUnpaired, "half of an unfinished/resumed pair; the other half is missing")
	case syntax.KindExit:
		s.report.Skipped++
		if p, ok := s.processes[st.Pid]; ok {
			s.exit(p)
		}
	default:
		s.report.Skipped++
	}
}

// process returns pid's process, starting it at its first appearance. It
// returns nil only if the machine cannot be built, which newSession
// checked.
func (s *session) process(pid int) *process {
	if p, ok := s.processes[pid]; ok {
		return p
	}
	m := s.first
	s.first = nil
	if m == nil {
		var err error
		if m, err = s.settings.Build(); err != nil {
			return nil
		}
	}
	m.Settings = s.settings
	loadBrkTail(m)
	p := &process{session: s, pid: pid, machine: m, fds: map[uint64]traceFile{}, sum: &ProcessSummary{Pid: pid}}
	s.processes[pid] = p
	s.order = append(s.order, p)
	s.report.Processes = append(s.report.Processes, p.sum)
	return p
}

// loadBrkTail maps, under a target, what QEMU's ELF loader maps and sim
// does not: the end of the last host page of the program's bss, from the
// initial break up to the next qemu_host_page_size boundary. QEMU's do_brk
// zeroes that tail when the heap first grows past it, and with a host page
// larger than the target's it is otherwise unmapped on the host, so the
// emulator would abort on the memset. The fixed do_brk (quirk
// brk-host-pages off) maps the heap in guest pages and clears nothing:
// there the tail stays unmapped, as under the guest's kernel.
func loadBrkTail(m *scenario.Machine) {
	if m.Sim == nil || !m.Policy.Quirks.Has(sim.QuirkBrkHostPages) {
		return
	}
	start := m.Sim.BrkStart()
	h := m.Sim.Config().HostPageSize
	end, ok := hostvm.AlignUp(start, h)
	if !ok || end <= start {
		return
	}
	m.Mmap(start, end-start, uint64(hostvm.ProtRead|hostvm.ProtWrite),
		uint64(hostvm.MapPrivate|hostvm.MapFixed|hostvm.MapAnonymous), ^uint64(0), 0)
}

// exit ends process p at its exit line: a later line of its pid starts a
// new process.
func (s *session) exit(p *process) {
	s.total(p)
	delete(s.processes, p.pid)
	for i, q := range s.order {
		if q == p {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
}

// total adds a process's counts to the report.
func (s *session) total(p *process) {
	s.report.Calls += p.sum.Calls
	s.report.Matches += p.sum.Matches
	s.report.Diverged += p.sum.Divergences
	if p.afterAbort > 0 {
		s.report.Notes = append(s.report.Notes, Note{Kind: NoteAfterAbort, Pos: s.name, Pid: p.pid,
			Msg: fmt.Sprintf("%d later memory calls of pid %d were not run: the emulator had aborted", p.afterAbort, p.pid)})
		p.afterAbort = 0
	}
}

// finish totals the processes still live at the end of the trace and
// returns the report.
func (s *session) finish() *Report {
	for _, p := range s.order {
		s.total(p)
	}
	s.order = nil
	return s.report
}

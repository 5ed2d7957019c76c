package replay

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// process is one traced process replayed on its own Machine: its address
// map from the trace's addresses to the simulation's, its descriptors, and
// what it has established about its break.
type process struct {
	session *session
	pid     int
	machine *scenario.Machine
	addrs   addrMap
	fds     map[uint64]traceFile // by the trace's descriptor number
	sum     *ProcessSummary

	brkKnown      bool   // the first brk established brkDelta
	brkDelta      uint64 // simulated break = trace break + brkDelta
	traceBrkStart uint64 // the trace's break at the first brk
	aborted       bool   // the emulator aborted: later calls are not run
	afterAbort    int    // calls not run since
	matched       bool   // the call being replayed matched the trace

	// The memory call being replayed and its trace result, for the
	// scenario.Translator methods (translate.go).
	stmt *syntax.Stmt
	res  result
}

// call replays one call statement of this process, by the class the call
// table gives its call: a memory call is run and judged, a call on
// descriptors followed, an unmodelled memory call reported, any other
// skipped.
func (p *process) call(st *syntax.Stmt) {
	name := st.Call.Name
	spec, known := scenario.LookupCall(name)
	switch {
	case known && spec.FD != scenario.FDNone:
		p.session.report.FileCalls++
		p.follow(st, spec)
	case known && spec.Class == scenario.UnmodelledCall:
		p.sum.Calls++
		p.sum.Divergences++
		p.session.diverge(st, DivNotSimulated, "mmapsim has no model of "+name)
	case known && spec.Class == scenario.MemoryCall:
		p.replayCall(st, spec)
	default:
		p.session.report.Skipped++
	}
}

// replayCall runs a memory call with its addresses and descriptors
// translated (spec.Translate), and judges its outcome against the trace's.
// A call it cannot read (too few arguments, a name that does not resolve)
// is a divergence of kind DivNotSimulated; arguments beyond the call's
// parameters are ignored.
//
// Preconditions: spec.Class == scenario.MemoryCall.
func (p *process) replayCall(st *syntax.Stmt, spec *scenario.CallSpec) {
	s := p.session
	p.sum.Calls++
	before := len(s.report.Divergences)
	p.matched = false
	defer func() {
		switch {
		case len(s.report.Divergences) > before:
			p.sum.Divergences++
		case p.matched:
			p.sum.Matches++
		}
	}()
	if p.aborted {
		p.afterAbort++
		return
	}
	args, err := spec.Eval(st.Call, nil)
	if err != nil {
		s.diverge(st, DivNotSimulated, "cannot read the arguments: "+err.Error())
		return
	}
	if err := spec.CheckArity(len(st.Call.Args), false); err != nil {
		s.diverge(st, DivNotSimulated, err.Error())
		return
	}
	res := traceResult(st)
	p.stmt, p.res = st, res
	spec.Translate(p, args)
	c := simCall{text: spec.Format(args)}
	if c.o, err = spec.Run(p.machine, args); err != nil {
		s.diverge(st, DivNotSimulated, c.text+": "+err.Error())
		return
	}
	switch spec.Result {
	case scenario.ResultRange:
		c.fixed = spec.Fixed(args)
		c.fixedAt = args[spec.Index(scenario.ParamHint)].Num
		if res.ok() && c.o.Err == 0 && c.o.Abort == nil {
			p.record(res.value, args[spec.Index(scenario.ParamNewLen)].Num, c.o.Value)
		}
	case scenario.ResultBreak:
		c.brk = true
	}
	p.judge(st, c, res)
	if s.opts.Check && !p.aborted {
		if err := p.machine.Check(); err != nil {
			s.diverge(st, DivInvariant, c.text+": "+err.Error())
		}
	}
}

// simCall is what the simulation ran for a trace call, and its outcome.
type simCall struct {
	text    string // the call as run, strace-style, without the result
	o       scenario.Outcome
	fixedAt uint64 // for a call that must return one address (MAP_FIXED): it, else 0
	fixed   bool
	brk     bool // o.Value is a break, to compare after subtracting brkDelta
}

// judge compares the simulation's outcome with the trace's result.
func (p *process) judge(st *syntax.Stmt, c simCall, res result) {
	s := p.session
	full := c.text + " = " + c.o.String()
	if w := s.opts.Log; w != nil {
		pos := s.pos(st)
		indent := strings.Repeat(" ", len(pos))
		fmt.Fprintf(w, "%s  %s\n%s  sim: %s\n", pos, traceBody(st), indent, full)
		for _, hc := range c.o.HostCalls {
			fmt.Fprintf(w, "%s    host: %s\n", indent, hc)
		}
	}
	o := c.o
	simOK := o.Err == 0 && o.Abort == nil
	var kind DivergenceKind
	switch {
	case o.Abort != nil:
		kind = DivAbort
		p.aborted = true
	case !res.known:
		s.report.Unchecked++
		return
	case res.errno == 0 && !simOK:
		kind = DivSimFailed
	case res.errno != 0 && simOK:
		kind = DivSimSucceeded
	case res.errno != 0 && o.Err != res.errno:
		kind = DivErrno
	case c.brk && p.machine.Word(o.Value-p.brkDelta) != p.machine.Word(res.value),
		c.fixed && o.Value != p.machine.Word(c.fixedAt):
		kind = DivValue
	default:
		p.matched = true
		return
	}
	s.diverge(st, kind, full)
}

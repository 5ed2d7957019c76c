package replay

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// call replays one call statement of this task, by the class the call
// table gives its call: a memory call is run and judged, a call on
// descriptors followed, an unmodelled memory call reported.
//
// Preconditions: spec is the call table's entry for st.Call.Name, of class
// MemoryCall or UnmodelledCall, or with an FD effect.
func (t *task) call(st *syntax.Stmt, spec *scenario.CallSpec) {
	s := t.sess
	if t.space == nil && spec.Class != scenario.MemoryCall {
		if s.inferring() && len(t.deferred) < maxDeferred {
			// Wait for a memory call to say where the task belongs.
			t.deferred = append(t.deferred, st.Clone())
			return
		}
		args, _ := spec.Eval(st.Call, nil)
		s.place(t, st, spec, args, result{})
		t.flushDeferred()
	}
	switch {
	case spec.FD != scenario.FDNone:
		s.report.FileCalls++
		t.follow(st, spec)
	case spec.Class == scenario.UnmodelledCall:
		t.count(true, false)
		s.diverge(t, st, DivNotSimulated, "mmapsim has no model of "+st.Call.Name, survivable)
	default:
		t.replayCall(st, spec)
	}
}

// maxDeferred bounds the file calls a task whose address space is not
// known yet holds back (see session.inferring).
const maxDeferred = 64

// flushDeferred replays the file calls the task held back before its
// address space was known.
func (t *task) flushDeferred() {
	d := t.deferred
	t.deferred = nil
	for _, st := range d {
		if spec, ok := scenario.LookupCall(st.Call.Name); ok {
			t.call(st, spec)
		}
	}
}

// count adds a memory call to the task's, the image's and the report's
// counts.
func (t *task) count(diverged, matched bool) {
	r, img := t.sess.report, t.space.image
	t.sum.Calls++
	r.Calls++
	img.Calls++
	switch {
	case diverged:
		t.sum.Divergences++
		r.Diverged++
		img.Diverged++
	case matched:
		t.sum.Matches++
		r.Matches++
		img.Matches++
	}
}

// replayCall runs a memory call with its addresses and descriptors
// translated (spec.Translate), and judges its outcome against the trace's.
// A call it cannot read (too few arguments, a name that does not resolve)
// is a divergence of kind DivNotSimulated; arguments beyond the call's
// parameters are ignored.
//
// Preconditions: spec.Class == scenario.MemoryCall.
func (t *task) replayCall(st *syntax.Stmt, spec *scenario.CallSpec) {
	s := t.sess
	args, err := spec.Eval(st.Call, nil)
	if err == nil {
		err = spec.CheckArity(len(st.Call.Args), false)
	}
	res := traceResult(st)
	s.place(t, st, spec, args, res)
	t.flushDeferred()
	sp := t.space
	if err != nil {
		t.count(true, false)
		s.diverge(t, st, DivNotSimulated, "cannot read the arguments: "+err.Error(), survivable)
		return
	}
	if sp.aborted {
		sp.afterAbort++
		t.count(false, false)
		return
	}
	t.stmt, t.res = st, res
	t.noreplace = false
	if i := spec.Index(scenario.ParamMapFlags); i >= 0 {
		t.noreplace = hostvm.MapFlags(args[i].Num)&hostvm.MapFixedNoReplace != 0
	}
	t.traceArgs = append(t.traceArgs[:0], args...)
	traceArgs := t.traceArgs
	spec.Translate(t, args)
	probe := t.probeProtections(spec, args)
	c := simCall{spec: spec, args: args}
	if c.o, err = spec.Run(sp.machine, args); err != nil {
		t.count(true, false)
		s.diverge(t, st, DivNotSimulated, c.text()+": "+err.Error(), survivable)
		return
	}
	switch spec.Result {
	case scenario.ResultRange:
		c.fixed = spec.Fixed(args)
		c.fixedAt = args[spec.Index(scenario.ParamHint)].Num
		if res.ok() && c.o.Err == 0 && c.o.Abort == nil {
			t.record(res.value, args[spec.Index(scenario.ParamNewLen)].Num, c.o.Value, mappedKind(spec, args, t.space))
		}
	case scenario.ResultBreak:
		c.brk = true
	}
	t.judge(st, spec, c, res, traceArgs, args)
	if !sp.aborted {
		t.afterCall(st, spec, traceArgs, args, c.o, probe)
		if s.opts.Check {
			if err := sp.machine.Check(); err != nil {
				s.diverge(t, st, DivInvariant, c.text()+": "+err.Error(), survivable)
			}
		}
	}
}

// mappedKind is the kind of memory a successful mmap or mremap made.
func mappedKind(spec *scenario.CallSpec, args scenario.CallArgs, sp *space) memKind {
	i := spec.Index(scenario.ParamMapFlags)
	if i < 0 { // mremap moves what was there
		if s, ok := sp.addrs.find(args[0].Num); ok {
			return s.kind
		}
		return memAnon
	}
	if hostvm.MapFlags(args[i].Num)&hostvm.MapAnonymous != 0 {
		return memAnon
	}
	return memFile
}

// simCall is what the simulation ran for a trace call, and its outcome.
type simCall struct {
	spec    *scenario.CallSpec
	args    scenario.CallArgs // as run
	o       scenario.Outcome
	fixedAt uint64 // for a call that must return one address (MAP_FIXED): it, else 0
	fixed   bool
	brk     bool // o.Value is a break, to compare after subtracting the break's delta
}

// text is the call as run, strace-style, without the result: written
// only when a divergence or the log needs it.
func (c *simCall) text() string { return c.spec.Format(c.args) }

// judge compares the simulation's outcome with the trace's result. Two
// failures with one errno match, whatever address a MAP_FIXED asked for.
func (t *task) judge(st *syntax.Stmt, spec *scenario.CallSpec, c simCall, res result, traceArgs, args scenario.CallArgs) {
	s, sp := t.sess, t.space
	full := func() string { return c.text() + " = " + c.o.String() }
	if w := s.opts.Log; w != nil {
		pos := s.pos(st)
		indent := strings.Repeat(" ", len(pos))
		fmt.Fprintf(w, "%s  %s\n%s  sim: %s\n", pos, traceBody(st), indent, full())
		for _, hc := range c.o.HostCalls {
			fmt.Fprintf(w, "%s    host: %s\n", indent, hc)
		}
	}
	o := c.o
	m := sp.machine
	simOK := o.Err == 0 && o.Abort == nil
	var kind DivergenceKind
	switch {
	case o.Abort != nil:
		kind = DivAbort
		sp.aborted = true
	case !res.known:
		s.report.Unchecked++
		t.count(false, false)
		return
	case res.errno == 0 && !simOK:
		kind = DivSimFailed
	case res.errno != 0 && simOK:
		kind = DivSimSucceeded
	case res.errno != 0 && o.Err != res.errno:
		kind = DivErrno
	case res.errno != 0: // both failed alike
		t.count(false, true)
		return
	case c.brk && m.Word(o.Value-sp.brk.delta) != m.Word(res.value),
		c.fixed && o.Value != m.Word(c.fixedAt):
		kind = DivValue
	default:
		t.count(false, true)
		return
	}
	t.count(true, false)
	if s.diverge(t, st, kind, full(), t.severity(kind, spec, traceArgs, args)) {
		sp.image.Cause, sp.image.Fix = t.explain(st, spec, traceArgs, args, o)
	}
}

// severity is how much a divergence matters to the program.
type severity uint8

const (
	survivable   severity = iota // the program goes on (see isFatal)
	pageSizeRisk                 // fatal, unless the program computes its addresses from the page size (see severity)
	fatal                        // the program dies here
)

// severity judges a divergence of kind k on a call of spec: fatal as
// isFatal says, except that natively a call on anonymous memory refused
// for its alignment only may be an artefact of the trace: a program that
// computes its addresses from the page size the system reports (Go's
// runtime, glibc's malloc, the JVM) asked for 4K-aligned memory on the
// trace's 4K machine and asks for other memory on a larger-page host.
// A file's layout does not adapt so: the dynamic loader's calls stay fatal.
func (t *task) severity(k DivergenceKind, spec *scenario.CallSpec, traceArgs, args scenario.CallArgs) severity {
	if !isFatal(k, spec) {
		return survivable
	}
	if k == DivSimFailed && t.space.machine.Sim == nil && t.anonymousAlignment(spec, traceArgs, args) {
		return pageSizeRisk
	}
	return fatal
}

// anonymousAlignment says whether a call that works on anonymous memory
// (an anonymous MAP_FIXED, an mprotect or mremap of anonymous memory or
// the heap) starts at an address the host page does not align.
func (t *task) anonymousAlignment(spec *scenario.CallSpec, traceArgs, args scenario.CallArgs) bool {
	page := t.space.machine.Kernel.PageSize()
	switch spec.Name {
	case "mmap", "mmap2":
		return spec.Fixed(args) && hostvm.MapFlags(args[3].Num)&hostvm.MapAnonymous != 0 && args[0].Num%page != 0
	case "mprotect", "mremap":
		seg, ok := t.space.addrs.find(traceArgs[0].Num)
		return ok && (seg.kind == memAnon || seg.kind == memHeap) && args[0].Num%page != 0
	}
	return false
}

// isFatal says whether a divergence of kind k on a call of spec ends the
// program: QEMU's own abort, or a failing mmap, mprotect or mremap, which
// the dynamic loader and allocators do not survive. A failing munmap,
// madvise, msync or brk is survived (malloc falls back to mmap), and so is
// a call that succeeds where the trace's failed.
func isFatal(k DivergenceKind, spec *scenario.CallSpec) bool {
	switch k {
	case DivAbort:
		return true
	case DivSimFailed:
		switch spec.Name {
		case "mmap", "mmap2", "mprotect", "mremap":
			return true
		}
	}
	return false
}

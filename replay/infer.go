package replay

import (
	"fmt"

	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// Inference: a trace recorded without the process calls (strace's
// %process class; older recordings) does not say which pids are threads
// of one process and when a pid runs a new program. The replay then
// infers it from the memory calls, and says so in a note:
//   - a pid whose first memory call names memory another live process
//     mapped (munmap, mprotect, madvise, a MAP_FIXED over it) is a thread
//     of that process;
//   - a pid whose first memory call is brk(NULL) starts a program image of
//     its own (a child that ran execve);
//   - a pid whose first memory call names no memory (an mmap(NULL, ...))
//     is taken for a thread of the process of the latest memory call;
//   - without execve lines, a brk(NULL) that returns another break than
//     the process's latest one starts a new program image in that pid
//     (ld.so reads the break first thing; a program's own brk(NULL) reads
//     the break it has).

// place decides, before t's memory call st runs, which address space it
// runs in when the trace has not said: t has none yet, or a brk(NULL)
// shows that it runs a new program (without execve lines).
func (s *session) place(t *task, st *syntax.Stmt, spec *scenario.CallSpec, args scenario.CallArgs, res result) {
	defer func() { s.recent = t.space }()
	readsBreak := spec.Result == scenario.ResultBreak && len(args) > 0 && args[0].Num == 0 && res.ok()
	if sp := t.space; sp != nil {
		if readsBreak && !s.sawExec && sp.brk.known && res.value != sp.brk.cur {
			was := sp.brk.cur
			s.freshSpace(t, "", st.Line).image.Start = "inferred"
			s.note(st, NoteInferred, fmt.Sprintf("pid %d starts a new program image here: brk(NULL) returns %#x, not its break %#x (the trace has no execve lines)",
				t.pid, res.value, was))
		}
		return
	}
	if !s.inferring() {
		s.freshSpace(t, "", st.Line).image.Start = "first"
		return
	}
	if readsBreak {
		s.freshSpace(t, "", st.Line).image.Start = "inferred"
		s.note(st, NoteInferred, fmt.Sprintf("pid %d runs a program image of its own: its first memory call is brk(NULL) (the trace has no process lines)", t.pid))
		return
	}
	if addr, ok := callAddr(spec, args); ok {
		if owner := s.spaceHolding(addr); owner != nil {
			s.join(t, owner)
			s.note(st, NoteInferred, fmt.Sprintf("pid %d is a thread of %s: its first memory call names its memory at %#x (the trace has no process lines)",
				t.pid, owner.image.Name(), addr))
			return
		}
	}
	s.join(t, s.recent)
	s.note(st, NoteInferred, fmt.Sprintf("pid %d is taken for a thread of %s, whose memory call came last: its first memory call names no memory the trace mapped (the trace has no process lines)",
		t.pid, s.recent.image.Name()))
}

// inferring says whether a task without an address space is placed by
// inference: the trace has shown no process calls, and another process
// is live.
func (s *session) inferring() bool {
	return !s.sawProcess && s.recent != nil && s.recent.users > 0
}

// callAddr is the trace address of the memory a call works on or over:
// its range's start, a MAP_FIXED's address, or brk's break.
func callAddr(spec *scenario.CallSpec, args scenario.CallArgs) (uint64, bool) {
	if len(args) != len(spec.Params) {
		return 0, false
	}
	if i := spec.Index(scenario.ParamAddr); i >= 0 {
		return args[i].Num, true
	}
	if i := spec.Index(scenario.ParamBreak); i >= 0 && args[i].Num != 0 {
		return args[i].Num, true
	}
	if spec.Result == scenario.ResultRange && spec.Fixed(args) {
		return args[spec.Index(scenario.ParamHint)].Num, true
	}
	return 0, false
}

// spaceHolding returns a live address space whose trace map holds addr,
// preferring the latest one used; nil when none does.
func (s *session) spaceHolding(addr uint64) *space {
	if s.recent != nil && s.recent.users > 0 {
		if _, ok := s.recent.addrs.lookup(addr); ok {
			return s.recent
		}
	}
	for _, o := range s.sortedTasks() {
		if o.space != nil {
			if _, ok := o.space.addrs.lookup(addr); ok {
				return o.space
			}
		}
	}
	return nil
}

// join makes t a thread of address space sp: it shares the space and the
// descriptor table of a task already there.
func (s *session) join(t *task, sp *space) {
	t.space = sp
	sp.users++
	sp.image.Threads++
	for _, o := range s.sortedTasks() {
		if o != t && o.space == sp {
			t.fds.release(nil)
			t.fds = o.fds
			t.fds.users++
			return
		}
	}
}

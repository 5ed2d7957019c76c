package scenario

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
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
	// picture, say).
	After func(m *Machine, st *Stmt, o Outcome)
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

// Report is what a run found.
type Report struct {
	Machine      *Machine
	Statements   int // calls and memory statements executed
	Expectations int // "= ..." results checked
	Failures     []Failure
	Skipped      []string // "file:line: name: why" for statements not run
}

// UsageError is a problem with the input itself (a parse error, an unknown
// setting or flag name, a statement of the wrong shape): exit status 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Run executes a scenario: its settings (overridden by opts.Settings), its
// file directives, then each statement in order, comparing results with
// expectations. Failed expectations go in the report; a UsageError stops the
// run (what ran so far is in the report and was written to opts.Out).
func Run(f *File, opts RunOptions) (*Report, error) {
	if err := f.Err(); err != nil {
		return nil, &UsageError{err.Error()}
	}
	settings := NewSettings()
	for _, st := range f.Stmts {
		if st.Kind != KindDirective {
			continue
		}
		if st.Late {
			return nil, &UsageError{fmt.Sprintf("%s:%d: settings must come before the first call", f.Name, st.Line)}
		}
		for _, p := range st.Pairs {
			if err := settings.Set(p.Key, p.Value, p.Pos.String()); err != nil {
				return nil, &UsageError{err.Error()}
			}
		}
	}
	if opts.Settings != nil {
		settings.Merge(opts.Settings)
	}
	m, err := settings.Build()
	if err != nil {
		return nil, &UsageError{err.Error()}
	}
	r := &runner{f: f, m: m, opts: opts, vars: map[string]uint64{}, failed: map[string]string{}, out: opts.Out}
	if r.out == nil {
		r.out = io.Discard
	}
	rep := &Report{Machine: m}
	r.rep = rep
	fmt.Fprintf(r.out, "# %s: %s\n", f.Name, m.Describe())
	if opts.Start != nil {
		opts.Start(m)
	}
	for _, st := range f.Stmts {
		if err := r.stmt(st); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

type runner struct {
	f    *File
	m    *Machine
	opts RunOptions
	vars map[string]uint64
	// failed names the variables whose binding call failed, and where:
	// a later use is a failed statement, not an input error.
	failed map[string]string
	out    io.Writer
	rep    *Report
}

func (r *runner) pos(st *Stmt) string { return fmt.Sprintf("%s:%d", r.f.Name, st.Line) }

func (r *runner) usage(st *Stmt, format string, args ...any) error {
	return &UsageError{r.pos(st) + ": " + fmt.Sprintf(format, args...)}
}

func (r *runner) stmt(st *Stmt) error {
	switch st.Kind {
	case KindFileDirective:
		if st.Late {
			return r.usage(st, "file directives must come before the first call")
		}
		return r.makeFile(st)
	case KindCall, KindMemory:
	case KindUnfinished, KindResumed:
		r.rep.Skipped = append(r.rep.Skipped, r.pos(st)+": "+st.Call.Name+": half of an unfinished/resumed pair")
		fmt.Fprintf(r.out, "%s  %s  # skipped: unpaired\n", r.pos(st), st.Text)
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
	text := Format(st)
	if !ran {
		r.rep.Skipped = append(r.rep.Skipped, r.pos(st)+": "+st.Call.Name+": "+o.Note)
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
	line := text
	if i := strings.Index(line, " = "); i >= 0 && st.Want != nil && st.Bind == "" {
		line = line[:i]
	} else if st.Want != nil && st.Bind != "" {
		if j := strings.LastIndex(line, ") = "); j >= 0 {
			line = line[:j+1]
		}
	}
	res := o.String()
	if st.Kind == KindMemory && st.Call.Name != "peek" && o.Fault == nil {
		res = "ok"
	}
	fmt.Fprintf(r.out, "%-14s %s = %s\n", r.pos(st), line, res)
	if st.Kind == KindCall && guestCalls[st.Call.Name] {
		for _, c := range r.m.HostCalls() {
			fmt.Fprintf(r.out, "%-14s   host: %s\n", "", c)
		}
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
		if err := r.m.Check(); err != nil {
			r.fail(st, "invariants to hold", err.Error())
		}
	}
	if r.opts.After != nil {
		r.opts.After(r.m, st, o)
	}
	return nil
}

func (r *runner) fail(st *Stmt, want, got string) {
	fl := Failure{Pos: r.pos(st), Want: want, Got: got, Text: Format(st)}
	r.rep.Failures = append(r.rep.Failures, fl)
	fmt.Fprintf(r.out, "%s\n", fl)
}

// matches compares an outcome with the statement's expectation and
// returns the expectation as text.
func (r *runner) matches(st *Stmt, o Outcome) (string, bool, error) {
	w := st.Want
	switch w.Kind {
	case ExpectAny:
		// "= ? (success)" asks for any success, "= ? (>= N)" for a value of
		// at least N; a plain "= ?", or any other text, accepts anything.
		okay := o.Abort == nil && o.Err == 0 && o.Fault == nil
		switch {
		case w.Msg == "success":
			return "success", okay, nil
		case strings.HasPrefix(w.Msg, ">= "):
			n, err := parseNum(strings.TrimSpace(w.Msg[3:]))
			if err != nil {
				return "", false, r.usage(st, "expectation (%s): %v", w.Msg, err)
			}
			want := n.Value
			return "a value >= " + formatValue(want), okay && o.Value >= want, nil
		}
		return "anything", true, nil
	case ExpectErrno:
		want := fmt.Sprintf("-1 %s (%s)", w.Errno.Name(), w.Errno.Error())
		return want, o.Abort == nil && o.Err == w.Errno, nil
	case ExpectSignal:
		return w.Signal.String(), o.Fault != nil && o.Fault.Signal == w.Signal, nil
	case ExpectBytes:
		return Quote(w.Bytes), o.Fault == nil && o.Abort == nil && bytes.Equal(o.Bytes, w.Bytes), nil
	case ExpectValue:
		v, err := w.Value.Eval(Env{Vars: r.lookup, Flags: nil})
		if err != nil {
			if name, where, ok := r.failedVar(err); ok {
				return "$" + name + " (unbound: its call at " + where + " failed)", false, nil
			}
			return "", false, &UsageError{err.Error()}
		}
		v = r.m.word(v)
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

func (r *runner) lookup(name string) (uint64, bool) {
	v, ok := r.vars[name]
	return v, ok
}

// arg evaluates argument i of st's call as a number (NULL is 0) at the
// machine's word width.
func (r *runner) arg(st *Stmt, i int) (uint64, error) {
	c := st.Call
	if i >= len(c.Args) {
		return 0, r.usage(st, "%s needs at least %d arguments, has %d", c.Name, i+1, len(c.Args))
	}
	v, err := c.Uint(i, r.lookup)
	if err != nil {
		return 0, &UsageError{err.Error()}
	}
	return v, nil
}

func (r *runner) args(st *Stmt, n int) ([]uint64, error) {
	out := make([]uint64, n)
	for i := range out {
		v, err := r.arg(st, i)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (r *runner) str(st *Stmt, i int) ([]byte, error) {
	c := st.Call
	if i >= len(c.Args) || c.Args[i].Kind != ArgString {
		return nil, r.usage(st, "%s: argument %d: expected a string", c.Name, i+1)
	}
	return c.Args[i].Bytes, nil
}

// exec runs one call or memory statement. ran is false for a call the
// runner skips (Outcome.Note says why).
func (r *runner) exec(st *Stmt) (o Outcome, ran bool, err error) {
	c := st.Call
	m := r.m
	if st.Kind == KindMemory {
		return r.memory(st)
	}
	want := map[string]int{"mmap": 6, "mmap2": 6, "munmap": 2, "mprotect": 3, "mremap": 4,
		"msync": 3, "madvise": 3, "brk": 1, "close": 1, "ftruncate": 2}
	if n, ok := want[c.Name]; ok && len(c.Args) < n {
		return o, false, r.usage(st, "%s takes %d arguments, found %d", c.Name, n, len(c.Args))
	}
	switch c.Name {
	case "mmap", "mmap2":
		a, err := r.args(st, 6)
		if err != nil {
			return o, false, err
		}
		off := a[5]
		if c.Name == "mmap2" {
			off *= 4096
		}
		return m.Mmap(a[0], a[1], a[2], a[3], a[4], off), true, nil
	case "munmap":
		a, err := r.args(st, 2)
		if err != nil {
			return o, false, err
		}
		return m.Munmap(a[0], a[1]), true, nil
	case "mprotect":
		a, err := r.args(st, 3)
		if err != nil {
			return o, false, err
		}
		return m.Mprotect(a[0], a[1], a[2]), true, nil
	case "mremap":
		a, err := r.args(st, min(len(c.Args), 5))
		if err != nil {
			return o, false, err
		}
		a = append(a, 0)
		return m.Mremap(a[0], a[1], a[2], a[3], a[4]), true, nil
	case "msync":
		a, err := r.args(st, 3)
		if err != nil {
			return o, false, err
		}
		return m.Msync(a[0], a[1], a[2]), true, nil
	case "madvise":
		a, err := r.args(st, 3)
		if err != nil {
			return o, false, err
		}
		return m.Madvise(a[0], a[1], a[2]), true, nil
	case "brk":
		a, err := r.args(st, 1)
		if err != nil {
			return o, false, err
		}
		return m.Brk(a[0]), true, nil
	case "open", "openat":
		return r.open(st)
	case "close":
		a, err := r.args(st, 1)
		if err != nil {
			return o, false, err
		}
		return m.outcome(0, m.Kernel.Close(int(int64(a[0])))), true, nil
	case "ftruncate":
		a, err := r.args(st, 2)
		if err != nil {
			return o, false, err
		}
		return m.outcome(0, m.Kernel.Ftruncate(int(int64(a[0])), int64(a[1]))), true, nil
	case "pread64", "pwrite64":
		return r.preadwrite(st)
	case "fstat":
		a, err := r.args(st, 1)
		if err != nil {
			return o, false, err
		}
		_, ferr := m.Kernel.Fstat(int(int64(a[0])))
		return m.outcome(0, ferr), true, nil
	case "newfstatat":
		return r.newfstatat(st)
	}
	return Outcome{Note: "mmapsim does not simulate " + c.Name}, false, nil
}

func (r *runner) open(st *Stmt) (Outcome, bool, error) {
	c := st.Call
	pi := 0
	if c.Name == "openat" {
		pi = 1
	}
	path, err := r.str(st, pi)
	if err != nil {
		return Outcome{}, false, err
	}
	flags, err := r.arg(st, pi+1)
	if err != nil {
		return Outcome{}, false, err
	}
	mode := uint64(0o644)
	if len(c.Args) > pi+2 {
		if mode, err = r.arg(st, pi+2); err != nil {
			return Outcome{}, false, err
		}
	}
	fd, oerr := r.m.Kernel.Open(string(path), hostvm.OpenFlags(flags), uint32(mode))
	return r.m.outcome(uint64(int64(fd)), oerr), true, nil
}

func (r *runner) newfstatat(st *Stmt) (Outcome, bool, error) {
	c := st.Call
	if len(c.Args) < 2 {
		return Outcome{}, false, r.usage(st, "newfstatat takes 4 arguments, found %d", len(c.Args))
	}
	dirfd, err := r.arg(st, 0)
	if err != nil {
		return Outcome{}, false, err
	}
	path, err := r.str(st, 1)
	if err != nil {
		return Outcome{}, false, err
	}
	k := r.m.Kernel
	if len(path) == 0 {
		_, ferr := k.Fstat(int(int64(dirfd)))
		return r.m.outcome(0, ferr), true, nil
	}
	fd, oerr := k.Open(string(path), hostvm.ORdOnly, 0)
	if oerr != nil {
		return r.m.outcome(0, oerr), true, nil
	}
	k.Close(fd)
	return Outcome{}, true, nil
}

// preadwrite runs pread64/pwrite64. The buffer is an address in the
// machine's memory, or, as strace prints it, a string: pwrite64 writes its
// bytes; pread64 reads into a buffer outside the simulated memory.
func (r *runner) preadwrite(st *Stmt) (Outcome, bool, error) {
	c := st.Call
	if len(c.Args) < 4 {
		return Outcome{}, false, r.usage(st, "%s takes 4 arguments, found %d", c.Name, len(c.Args))
	}
	fd, err := r.arg(st, 0)
	if err != nil {
		return Outcome{}, false, err
	}
	count, err := r.arg(st, 2)
	if err != nil {
		return Outcome{}, false, err
	}
	off, err := r.arg(st, 3)
	if err != nil {
		return Outcome{}, false, err
	}
	k := r.m.Kernel
	if c.Args[1].Kind == ArgString {
		if c.Name == "pwrite64" {
			data := c.Args[1].Bytes
			if uint64(len(data)) > count {
				data = data[:count]
			}
			n, werr := k.FilePwrite(int(int64(fd)), data, int64(off))
			return r.m.outcome(uint64(n), werr), true, nil
		}
		buf := make([]byte, min(count, 1<<24))
		n, rerr := k.FilePread(int(int64(fd)), buf, int64(off))
		return r.m.outcome(uint64(n), rerr), true, nil
	}
	buf, err := r.arg(st, 1)
	if err != nil {
		return Outcome{}, false, err
	}
	var n uint64
	var ioerr error
	if c.Name == "pwrite64" {
		n, ioerr = k.Pwrite(int(int64(fd)), r.m.hostAddr(buf), count, int64(off))
	} else {
		n, ioerr = k.Pread(int(int64(fd)), r.m.hostAddr(buf), count, int64(off))
	}
	return r.m.outcome(n, ioerr), true, nil
}

// memory runs poke, peek and fill.
func (r *runner) memory(st *Stmt) (Outcome, bool, error) {
	c := st.Call
	addr, err := r.arg(st, 0)
	if err != nil {
		return Outcome{}, false, err
	}
	switch c.Name {
	case "poke":
		data, err := r.str(st, 1)
		if err != nil {
			return Outcome{}, false, err
		}
		return r.m.Store(addr, data), true, nil
	case "fill":
		a, err := r.args(st, 3)
		if err != nil {
			return Outcome{}, false, err
		}
		if a[1] > 1<<26 {
			return Outcome{}, false, r.usage(st, "fill of %#x bytes: at most 64M at a time", a[1])
		}
		return r.m.Store(addr, bytes.Repeat([]byte{byte(a[2])}, int(a[1]))), true, nil
	case "peek":
		n, err := r.arg(st, 1)
		if err != nil {
			return Outcome{}, false, err
		}
		if n > 1<<26 {
			return Outcome{}, false, r.usage(st, "peek of %#x bytes: at most 64M at a time", n)
		}
		return r.m.Load(addr, int(n)), true, nil
	}
	return Outcome{}, false, r.usage(st, "unknown memory statement %s", c.Name)
}

// makeFile carries out "#! file NAME size=N fill=BYTE|seq mode=M": fill=seq
// writes consecutive 32-bit little-endian integers, as QEMU's own mmap test
// does.
func (r *runner) makeFile(st *Stmt) error {
	fs := st.FileSpec
	k := r.m.Kernel
	mode := uint64(0o644)
	if fs.Mode != nil {
		mode = fs.Mode.Value
	}
	if fs.Size.Value > 1<<30 {
		return r.usage(st, "file %s: size %#x: at most 1G", fs.Name, fs.Size.Value)
	}
	fd, err := k.Open(fs.Name, hostvm.ORdWr|hostvm.OCreat|hostvm.OTrunc, uint32(mode))
	if err != nil {
		return r.usage(st, "file %s: %v", fs.Name, err)
	}
	defer k.Close(fd)
	size := fs.Size.Value
	if err := k.Ftruncate(fd, int64(size)); err != nil {
		return r.usage(st, "file %s: %v", fs.Name, err)
	}
	if !fs.Seq && (fs.Fill == nil || fs.Fill.Value == 0) {
		return nil
	}
	const chunk = 1 << 16
	buf := make([]byte, chunk)
	for off := uint64(0); off < size; off += chunk {
		n := min(chunk, size-off)
		for i := uint64(0); i < n; i++ {
			if fs.Seq {
				var w [4]byte
				binary.LittleEndian.PutUint32(w[:], uint32((off+i)/4))
				buf[i] = w[(off+i)%4]
			} else {
				buf[i] = byte(fs.Fill.Value)
			}
		}
		if _, err := k.FilePwrite(fd, buf[:n], int64(off)); err != nil {
			return r.usage(st, "file %s: %v", fs.Name, err)
		}
	}
	return nil
}

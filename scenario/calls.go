package scenario

import (
	"fmt"
	"sort"
	"strings"
)

// The table of calls: the one place that says, for every call a scenario
// or a trace may name, how many arguments it takes, what each argument is
// (and so which flag names it may use and how it is written), how to run
// it on a Machine, and how a replay translates a trace's addresses in it.
// mmapsim run (Run) and mmapsim replay (package replay) both read it.
//
// One file per call family holds its calls, as etcd's raft rafttest keeps
// one file per command:
//
//	calls_mapping.go     mmap, mmap2, munmap, mremap
//	calls_range.go       mprotect, madvise, msync
//	calls_brk.go         brk
//	calls_file.go        open, openat, close, ftruncate, fstat, newfstatat, pread64, pwrite64
//	calls_memory.go      poke, peek, fill (the scenario's memory statements)
//	calls_unmodelled.go  the memory calls strace traces that mmapsim has no model of
//
// params.go says what each kind of parameter is; call_args.go evaluates a
// statement's arguments against a CallSpec.

// CallClass says where a call runs and what a replay does with it.
type CallClass uint8

// Call classes.
const (
	// MemoryCall runs under the simulated QEMU when there is a target
	// (which makes host calls for it), else on the host kernel; a replay
	// runs it and judges its result against the trace's.
	MemoryCall CallClass = iota + 1
	// FileCall runs on the host kernel; a replay follows the ones with an
	// FDEffect and skips the others.
	FileCall
	// MemoryStatement is a scenario's own poke, peek or fill: a memory
	// access by the guest's (or host's) CPU.
	MemoryStatement
	// UnmodelledCall is a memory call strace's %memory class traces that
	// mmapsim has no model of: a scenario skips it, a replay reports it.
	UnmodelledCall
)

// ResultKind says what a call returns.
type ResultKind uint8

// Result kinds.
const (
	ResultStatus ResultKind = iota + 1 // 0, or -1 ERRNO
	ResultRange                        // the address of a new range, ParamNewLen long, placed at ParamHint when Fixed
	ResultBreak                        // the new (or unchanged) program break
	ResultFD                           // a new file descriptor
	ResultCount                        // a count of bytes
	ResultNone                         // a memory statement: a fault, or for peek the bytes read
)

// FDEffect says what a call does to the process's file descriptors, which
// a replay follows (the trace is the truth there: nothing is judged).
type FDEffect uint8

// Descriptor effects.
const (
	FDNone  FDEffect = iota
	FDOpen           // opens ParamPath with ParamOpenFlags; the result is the descriptor
	FDClose          // closes ParamFD
	FDStat           // reports the size of ParamFD's file (or ParamDirFD's, with an empty ParamPath) in ParamStat
)

// Param is one parameter of a call.
type Param struct {
	Name    string // as the Linux man page calls it: "addr", "length"
	Kind    ParamKind
	Default uint64 // an optional parameter the call omits: the value it runs with
}

// CallSpec describes one call. Read it; never change it.
type CallSpec struct {
	Name   string
	Class  CallClass
	Params []Param
	// Min is how many Params a statement must give; the rest are
	// optional, as strace omits them (open's mode, mremap's new_address).
	Min    int
	Result ResultKind
	FD     FDEffect
	// Fixed, for a ResultRange call, reports whether the call must place
	// its range at its ParamHint (MAP_FIXED, MREMAP_FIXED); nil: never.
	Fixed func(args CallArgs) bool
	// Translate, for a MemoryCall, maps the trace addresses and
	// descriptors in args to the machine's, in argument order.
	Translate func(t Translator, args CallArgs)

	run func(m *Machine, args CallArgs) (Outcome, error) // nil for an UnmodelledCall
}

// Translator maps the addresses and descriptors a recorded trace names to
// the machine's own, for CallSpec.Translate. Package replay implements it
// with its address map.
type Translator interface {
	// Range translates the start of a range the call works on, which the
	// trace's process must have mapped.
	Range(addr, length uint64) uint64
	// Hint translates a placement hint, which need not be mapped.
	Hint(addr uint64) uint64
	// FD translates a file descriptor.
	FD(fd uint64) uint64
	// MapFD translates the descriptor of a file mapping of length bytes at
	// offset. A recorded trace shows no write(): a file whose size the trace
	// never showed may be grown to cover the mapping, as the program's
	// untraced writes made it.
	MapFD(fd, offset, length uint64) uint64
	// Break translates a program break.
	Break(addr uint64) uint64
}

// Run runs the call on m with args from Eval on this spec. Under a target,
// the Outcome of a MemoryCall carries the host calls it made. The error is
// a problem with the arguments themselves (a fill too large to make, args
// not of this spec, a call mmapsim has no model of), never the call's
// failure, which is in the Outcome.
func (c *CallSpec) Run(m *Machine, args CallArgs) (Outcome, error) {
	switch {
	case c.run == nil:
		return Outcome{}, fmt.Errorf("mmapsim does not simulate %s", c.Name)
	case len(args) != len(c.Params):
		return Outcome{}, fmt.Errorf("%s: %d arguments evaluated for %d parameters", c.Name, len(args), len(c.Params))
	}
	o, err := c.run(m, args)
	if err == nil && c.Class == MemoryCall {
		o.HostCalls = m.HostCalls()
	}
	return o, err
}

// Index returns the position of the first parameter of kind k, or -1.
func (c *CallSpec) Index(k ParamKind) int {
	for i, p := range c.Params {
		if p.Kind == k {
			return i
		}
	}
	return -1
}

// CheckArity checks that a statement gives n arguments: at least Min and,
// when strict (scenario files), at most len(Params). A replay of a strace
// log is lenient: strace may print more than mmapsim reads.
func (c *CallSpec) CheckArity(n int, strict bool) error {
	if n >= c.Min && (!strict || n <= len(c.Params)) {
		return nil
	}
	return fmt.Errorf("%s takes %s, found %d", c.Name, c.arity(), n)
}

// arity describes the arguments c takes: "2 arguments (addr, length)",
// "4 or 5 arguments (old_address, old_size, new_size, flags[, new_address])".
func (c *CallSpec) arity() string {
	var count string
	switch all, required := len(c.Params), c.Min; {
	case all == required && all == 1:
		count = "1 argument"
	case all == required:
		count = fmt.Sprintf("%d arguments", all)
	case all == required+1:
		count = fmt.Sprintf("%d or %d arguments", required, all)
	default:
		count = fmt.Sprintf("%d to %d arguments", required, all)
	}
	var names strings.Builder
	for i, p := range c.Params {
		switch {
		case i >= c.Min && i > 0:
			names.WriteString("[, ")
		case i >= c.Min:
			names.WriteString("[")
		case i > 0:
			names.WriteString(", ")
		}
		names.WriteString(p.Name)
	}
	names.WriteString(strings.Repeat("]", len(c.Params)-c.Min))
	return count + " (" + names.String() + ")"
}

// callTable holds every CallSpec by name.
var callTable = indexCalls(mappingCalls, rangeCalls, brkCalls, fileCalls, memoryStatements, unmodelledCalls)

func indexCalls(families ...[]*CallSpec) map[string]*CallSpec {
	table := map[string]*CallSpec{}
	for _, family := range families {
		for _, c := range family {
			if _, dup := table[c.Name]; dup {
				panic("scenario: call " + c.Name + " described twice")
			}
			table[c.Name] = c
		}
	}
	return table
}

// LookupCall returns the description of the call called name.
func LookupCall(name string) (*CallSpec, bool) {
	c, ok := callTable[name]
	return c, ok
}

// callNames lists the table's calls in name order.
func callNames() []string {
	names := make([]string, 0, len(callTable))
	for n := range callTable {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

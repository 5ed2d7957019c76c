package syntax

import "strconv"

// File is a parsed scenario or strace log: every line becomes a statement,
// in line order (a joined unfinished/resumed pair sits at its resumed line).
type File struct {
	Name  string  // as given to Parse; prefixes every message
	Stmts []*Stmt // never nil entries
}

// Err returns the first Bad statement's error, or nil when there is none.
// Scenario files are read strictly (any Bad line is an error); trace replay
// reads leniently and skips or reports Bad statements itself.
func (f *File) Err() error {
	for _, s := range f.Stmts {
		if s.Kind == KindBad {
			return s.Err
		}
	}
	return nil
}

// Kind says what a statement is, and so which Stmt fields are set.
type Kind uint8

// Statement kinds.
const (
	KindBad           Kind = iota // a line that did not parse: Err is set
	KindBlank                     // empty or only white space
	KindComment                   // "# text": Comment
	KindDirective                 // "#! key=value ...": Pairs
	KindFileDirective             // "#! file NAME size=N ...": FileSpec
	KindCall                      // a system call: Call, Bind, Want
	KindMemory                    // poke/peek/fill: Call, Want
	KindSignal                    // "--- SIGCHLD {...} ---": Signal
	KindExit                      // "+++ exited with 0 +++": Exit
	KindUnfinished                // "... <unfinished ...>" never resumed: Call.Name, Partial
	KindResumed                   // "<... NAME resumed> ..." never started: Call.Name, Partial
)

var kindNames = [...]string{"bad", "blank", "comment", "directive", "file directive",
	"call", "memory", "signal", "exit", "unfinished", "resumed"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind " + strconv.Itoa(int(k))
}

// Stmt is one statement: usually one line, two for a joined
// unfinished/resumed call.
type Stmt struct {
	Kind    Kind
	Line    int    // first line, 1-based
	EndLine int    // last line; == Line except for a joined unfinished/resumed call
	Pid     int    // strace's pid prefix ("3458  " or "[pid 3458] "); 0 when absent
	Time    string // strace's -t/-tt/-ttt/-r timestamp as written; "" when absent
	Text    string // the original line(s), joined by "\n", without line ends

	Bind string  // KindCall: "$a = mmap(...)" binds "a" (no '$'); "" when not bound
	Call *Call   // KindCall, KindMemory; KindUnfinished and KindResumed: Name only
	Want *Expect // KindCall, KindMemory: the "= RESULT" part; nil when absent

	Duration string // strace's -T "<0.000123>" without the brackets; "" when absent
	Comment  string // KindComment, or a trailing "# text": the text, trimmed
	Partial  string // KindUnfinished, KindResumed: the text of the half that is there

	Pairs    []Pair      // KindDirective, in written order
	FileSpec *FileSpec   // KindFileDirective
	Late     bool        // KindDirective, KindFileDirective: after the first call
	Signal   *SignalInfo // KindSignal
	Exit     *ExitInfo   // KindExit

	Err *Error // KindBad: what is wrong and where
}

// Call is a system call (or memory statement) and its arguments.
type Call struct {
	Name string
	Pos  Pos // of the name
	Args []Arg
}

// ArgKind is the type of an argument.
type ArgKind uint8

// Argument kinds.
const (
	ArgExpr   ArgKind = iota + 1 // a number expression: Expr
	ArgNull                      // NULL
	ArgString                    // "bytes": Bytes, Truncated
	ArgStruct                    // {name=value, ...}: Fields, More
	ArgArray                     // [a, b, ...]: Elems, More
	ArgCall                      // name(args) inside an argument, as strace's makedev(0x1, 0x3): Name, Elems
)

var argKindNames = [...]string{"invalid", "number", "NULL", "string", "struct", "array", "call"}

func (k ArgKind) String() string {
	if int(k) < len(argKindNames) {
		return argKindNames[k]
	}
	return "arg kind " + strconv.Itoa(int(k))
}

// Arg is one argument, or a struct field's value, or an array element.
// Kind says which fields are meaningful.
type Arg struct {
	Kind      ArgKind
	Truncated bool // ArgString: strace's "..."... marker followed the string
	More      bool // ArgStruct, ArgArray: ended with strace's "..." elision
	Pos       Pos
	Src       string // the source text, for messages

	Expr   Expr    // ArgExpr
	Bytes  []byte  // ArgString, escapes decoded
	Fields []Field // ArgStruct, in written order
	Elems  []Arg   // ArgArray elements; ArgCall arguments
	Name   string  // ArgCall

	// Label is the name strace gives a call argument it prints as
	// name=value ("child_stack=NULL" in clone); "" when none.
	Label string
	// Decor is strace's -y/-yy decoration of a descriptor, the text
	// between the angle brackets written right after the value
	// ("3</usr/lib/libc.so.6>", "AT_FDCWD</home>"); "" when none.
	Decor string
	// Out is the value on exit strace prints after "=>" for an argument
	// the call changes ("{flags=..., ...} => {parent_tid=[42]}"); nil
	// when none.
	Out *Arg
}

// Field is a struct field: st_size=36987.
type Field struct {
	Name  string
	Value Arg
}

// Field returns the struct field called name.
func (a *Arg) Field(name string) (*Arg, bool) {
	if a.Kind != ArgStruct {
		return nil, false
	}
	for i := range a.Fields {
		if a.Fields[i].Name == name {
			return &a.Fields[i].Value, true
		}
	}
	return nil, false
}

// Expr is a sum of signed terms: "$a+0x1000", "-1", "PROT_READ|PROT_WRITE".
// It has at least one term.
type Expr struct {
	Terms []Term
}

// TermKind is the type of a term.
type TermKind uint8

// Term kinds.
const (
	TermNum   TermKind = iota + 1 // an integer literal: Num
	TermVar                       // $name: Var
	TermFlags                     // NAME|NAME|0x400: Names, Rest
)

// Term is one operand of an Expr.
type Term struct {
	Pos   Pos
	Neg   bool // subtracted (or the leading unary minus)
	Kind  TermKind
	Num   Num      // TermNum
	Var   string   // TermVar, without the '$'
	Names []string // TermFlags, in written order; never empty
	Rest  *Num     // TermFlags: the numeric leftovers or'ed together; nil when none
}

// Num is an integer literal and how it was written, so the printer can
// write it back the same way.
type Num struct {
	Value  uint64 // suffix applied
	Base   int    // 8, 10 or 16 as written; 0 when built by a program
	Suffix byte   // 0, 'K', 'M' or 'G' as written
}

// ExpectKind is the type of an expected result.
type ExpectKind uint8

// Expected result kinds.
const (
	ExpectAny    ExpectKind = iota + 1 // "= ?": anything
	ExpectValue                        // "= 0x7f84ffec0000": Value
	ExpectErrno                        // "= -1 EINVAL (Invalid argument)": Name
	ExpectBytes                        // peek's "= "hello"": Bytes
	ExpectSignal                       // memory statements' "= SIGSEGV" or "= SIGBUS": Name
)

// Expect is a statement's expected result: the part after " = ". Names
// stay names: which errnos exist is the runner's business (the scenario
// package resolves them with hostvm.ErrnoByName), not the language's.
type Expect struct {
	Kind    ExpectKind
	Pos     Pos
	Value   Expr   // ExpectValue
	Name    string // ExpectErrno: the errno ("ENOENT"); ExpectSignal: "SIGSEGV" or "SIGBUS"; ExpectAny: a name strace printed after '?' ("ERESTARTSYS") or ""
	NamePos Pos    // of Name, when set
	Msg     string // text in parentheses after the value, errno or name, trimmed; "" when absent
	Bytes   []byte // ExpectBytes
	Decor   string // ExpectValue: strace's -y decoration of a returned descriptor ("3</usr/lib/libc.so.6>"); "" when none
}

// Pair is one key=value of a "#!" directive line. Neither part is empty;
// the value may contain anything but white space (commas, '=' included).
type Pair struct {
	Key, Value string
	Pos        Pos // of the key
}

// FileSpec is a file directive: "#! file NAME size=N fill=BYTE|seq mode=0644".
type FileSpec struct {
	Name string // the path; non-empty
	Size Num
	Fill *Num // the byte every position holds; nil when absent (zero) or Seq
	Seq  bool // fill=seq: byte i holds i mod 256
	Mode *Num // nil when absent
}

// SignalInfo is a signal line: "--- SIGSEGV {si_signo=SIGSEGV, ...} ---".
type SignalInfo struct {
	Name   string // the first word: "SIGSEGV"
	Detail string // the rest, as written, trimmed
	Info   *Arg   // Detail parsed, when it is a struct; else nil
}

// ExitInfo is an exit line: "+++ exited with 0 +++", "+++ killed by SIGSEGV +++".
type ExitInfo struct {
	Detail string // the text between the markers, trimmed
	Status int    // "exited with N": N; -1 otherwise
	Signal string // "killed by SIGSEGV": "SIGSEGV"; "" otherwise
	Core   bool   // "killed by ... (core dumped)"
}

// Pos is a position in a named source: line and column are 1-based, and a
// column counts bytes (a tab is one column).
type Pos struct {
	Name      string
	Line, Col int
}

func (p Pos) String() string {
	return p.Name + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Col)
}

// Error is a parse or evaluation error at a position.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

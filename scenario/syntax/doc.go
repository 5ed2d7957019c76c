// Package syntax parses and prints mmapsim's scenario language: strace's
// own output syntax, so a real strace log is a valid input, plus a few
// extensions for hand-written scenarios (bindings, expressions, memory
// statements and directives).
//
// It is the bottom layer of the scenario tools and imports nothing of
// mmapsim's: it knows the shape of a statement, not what a call does,
// which flag names exist or which errnos. Those belong to the runner
// (package scenario, whose call table gives each argument its flag names),
// to replay (package replay) and to the pictures (package picture).
//
// # Files
//
//   - ast.go: File, Stmt and the argument, expression and result types
//   - reader.go: Reader, which reads a file a statement at a time, the
//     line limit (MaxLineLength), and Parse and ReadFile built on it
//   - lexer.go: tokens of one statement, number and string literals (ParseNum)
//   - line.go: lines, strace's prefixes, signal and exit lines, joining
//     unfinished/resumed pairs
//   - directive.go: "#!" lines
//   - parser.go: the grammar of a call statement and of its result
//   - args.go: the grammar of arguments and expressions
//   - arena.go: the chunks a line's slices are carved from
//   - expr.go: evaluating expressions in an Env
//   - printer.go: Format, the canonical form, and Quote
//
// # Reading
//
// Parse never stops at a bad line: every line becomes a Stmt, and one it
// cannot understand is a KindBad statement whose Err reads
// "name:line:col: expected X, found Y". Trace replay reads leniently and
// skips or reports Bad statements; scenario files are read strictly with
// (*File).Err, which returns the first one. Columns count bytes from 1, so
// a tab is one column. Lines end in "\n"; a "\r" before it is dropped, and
// the last line needs no line end.
//
// A Reader reads the same statements one at a time from an io.Reader, so
// a file of any length (a strace log of a long build, /dev/zero) is read
// in memory bounded by its longest line: a line may be at most
// MaxLineLength (1 MiB) long, and a longer one is an error that ends the
// reading (the statements before it were returned). Parse and ReadFile
// stop there too. A stream cannot wait for the resumed half of an
// unfinished call before going on, so a Reader returns the unfinished half
// at its line, and later the joined call (see Reader.Next); Parse and
// ReadFile drop such halves, as a File has always had them joined.
//
// # Grammar
//
// One statement per line. White space (space, tab, \r, \v, \f) and C
// comments ("/* 20 vars */", which strace prints) may separate tokens.
//
//	line       = blank | comment | directive | [ prefix ] body .
//	comment    = "#" text .                          (not "#!")
//	directive  = "#!" pair { pair } [ comment ]
//	           | "#!" "file" NAME { pair } [ comment ] .
//	pair       = key "=" value .                     (runs of non-space bytes; neither empty)
//	prefix     = ( pid | "[pid" pid "]" ) [ time ] | time .
//	time       = H ":" MM ":" SS [ "." digits ] | digits "." digits .
//	body       = statement | signal | exit | unfinished | resumed .
//	signal     = "---" NAME detail "---" .           ("--- SIGCHLD {si_signo=SIGCHLD, ...} ---")
//	exit       = "+++" detail "+++" .                ("+++ exited with 0 +++", "+++ killed by SIGSEGV +++")
//	unfinished = NAME "(" text "<unfinished ...>" .
//	resumed    = "<..." NAME "resumed>" text .
//	statement  = [ var "=" ] call [ "=" result ] [ duration ] [ comment ] .
//	call       = NAME "(" [ [ NAME "=" ] arg { "," [ NAME "=" ] arg } ] ")" .
//	arg        = value [ decoration ] [ "=>" arg ] .
//	value      = "NULL" | string | struct | array | NAME "(" [ arg { "," arg } ] ")" | expr .
//	decoration = "<" text ">" .                      (right after the value: strace -y/-yy)
//	string     = '"' { char | escape } '"' [ "..." ] .  ("..." marks strace's truncation)
//	struct     = "{" [ field { "," field } [ "," "..." ] | "..." ] "}" .
//	field      = NAME "=" arg .
//	array      = "[" [ arg { "," arg } [ "," "..." ] | "..." ] "]" .
//	expr       = [ "-" ] term { ( "+" | "-" ) term } .
//	term       = var | item { "|" item } .
//	item       = NAME | number .
//	var        = "$" NAME .
//	number     = ( decimal | "0x" hex | "0" octal ) [ "K" | "M" | "G" ] .
//	result     = "?" [ NAME ] [ msg ] | expr [ decoration ] [ msg ] | "-1" ERRNO [ msg ]
//	           | string | "SIGSEGV" | "SIGBUS" .      (the last three: memory statements only)
//	msg        = "(" text ")" .                      (parentheses may nest)
//	duration   = "<" digits "." digits ">" .         (strace -T)
//
// Notes on the grammar:
//
//   - strace's own forms: a call's argument may carry a label, as clone's
//     "child_stack=NULL, flags=CLONE_VM|..." (Arg.Label); a value may carry
//     -y's or -yy's decoration written right after it, "3</usr/lib/libc.so.6>",
//     "AT_FDCWD</home>", "3<TCP:[1.2.3.4:5->6.7.8.9:10]>" (Arg.Decor, and
//     Expect.Decor for a result; angles nest, and count only outside
//     brackets), and the value on exit strace prints after "=>", as clone3's
//     "{flags=...} => {parent_tid=[42]}" (Arg.Out). An angle after white
//     space is no decoration (-T's duration).
//   - A pid is a run of digits followed by white space at the start of a
//     line; statements never start with a digit otherwise. It is 0 when
//     absent.
//   - Numbers are unsigned 64-bit; a literal that does not fit is an error
//     ("out of range"). A size suffix multiplies by 1<<10, 1<<20 or 1<<30
//     and must be upper case (64K, 4M, 1G); it is accepted everywhere,
//     though only scenarios use it. "0644" is octal, as strace prints modes.
//   - String escapes are C's: \n \t \r \v \f \a \b \\ \" \' \?, octal \0 to
//     \377 (at most three digits) and hex \xHH (at most two digits, as
//     strace writes them, so "\x7fELF" is 0x7f 'E' 'L' 'F'). Any other
//     escape is an error.
//   - A term that is a set of names (MAP_PRIVATE|MAP_FIXED, S_IFREG|0644,
//     MAP_PRIVATE|0x400) keeps its names and or's its numbers into Rest. The
//     bare name NULL is an ArgNull argument. Expressions have only + and -.
//   - "-1 ERRNO" takes any NAME: the parser keeps it in Expect.Name, and
//     the runner refuses a name Linux does not have (hostvm.ErrnoByName),
//     at the name's position (Expect.NamePos).
//   - A statement whose name is poke, peek or fill is a memory statement
//     (KindMemory) and may not be bound:
//     poke(addr, "bytes"), peek(addr, len), fill(addr, len, byte). Their
//     result may be ?, SIGSEGV or SIGBUS, and for peek "bytes".
//   - Every other name is a system call (KindCall), known to the runner or
//     not: the parser checks no arity.
//   - An unfinished call waits for the resumed line of the same pid and
//     name; the pair becomes one statement, placed at the resumed line, with
//     Line the first line and EndLine the second. A half without its partner
//     (an exit of the pid drops the waiting one) stays as a KindUnfinished or
//     KindResumed statement.
//   - "#!" lines belong at the top; one after the first call statement is
//     still parsed, with Late set, and the runner may refuse it. A file
//     directive takes size=N (required, suffixes allowed), fill=BYTE or
//     fill=seq (byte i holds i mod 256), and mode=N. Its NAME is a word
//     without '=' or a C string.
//
// # Examples
//
// A strace line, with pid:
//
//	3458  mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7fbe84f1a000
//
// A scenario:
//
//	#! host=x86_64 target=i386 host-page=64K target-page=4K policy=fixed-except=A,B
//	#! file data.bin size=0x1100 fill=seq
//	openat(AT_FDCWD, "data.bin", O_RDWR) = 3
//	$a = mmap(NULL, 0x3000, PROT_READ|PROT_WRITE, MAP_SHARED, 3, 0)
//	peek($a+0x10, 2) = "\x10\x11"
//	poke($a, "hello\x00")
//	peek($a+0x2000, 1) = SIGBUS   # beyond EOF
//	munmap($a, 12K) = 0
//
// # Evaluating
//
// Expr.Eval computes an expression in an Env, which resolves $variables and
// flag names through functions the runner provides, so the runner decides
// which table applies to which argument (package scenario's call table
// has strace's tables by call and parameter). Arg.Uint evaluates a number
// argument, NULL as 0.
//
// # Printing
//
// Format writes a statement in canonical form, which Parse reads back to an
// equal statement; see Format for the rules.
package syntax

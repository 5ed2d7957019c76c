package syntax

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// grammarTests are one-line inputs: each parses to one statement of kind,
// which Format writes as out (out == "" means the input itself), or, for
// KindBad, fails with err (the whole message, position included).
var grammarTests = []struct {
	name  string
	in    string
	kind  Kind
	out   string
	err   string
	check func(t *testing.T, s *Stmt)
}{
	// strace lines.
	{name: "mmap", in: "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f84ffec0000",
		kind: KindCall, out: "mmap(NULL, 0x2000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f84ffec0000",
		check: func(t *testing.T, s *Stmt) {
			wantArgKinds(t, s, ArgNull, ArgExpr, ArgExpr, ArgExpr, ArgExpr, ArgExpr)
			wantUint(t, s, 1, 8192)
			wantUint(t, s, 2, 3)
			wantUint(t, s, 3, 0x22)
			wantUint(t, s, 4, 0xffffffffffffffff)
			if got := s.Call.Args[2].Src; got != "PROT_READ|PROT_WRITE" {
				t.Errorf("Src = %q, want %q", got, "PROT_READ|PROT_WRITE")
			}
			if s.Want.Kind != ExpectValue || mustEval(t, s.Want.Value) != 0x7f84ffec0000 {
				t.Errorf("Want = %+v", s.Want)
			}
		}},
	{name: "pid", in: "3458  brk(NULL)                         = 0x5593a335b000",
		kind: KindCall, out: "brk(NULL) = 0x5593a335b000",
		check: func(t *testing.T, s *Stmt) { wantInt(t, "Pid", s.Pid, 3458) }},
	{name: "pid brackets", in: "[pid  3458] close(3) = 0", kind: KindCall, out: "close(3) = 0",
		check: func(t *testing.T, s *Stmt) { wantInt(t, "Pid", s.Pid, 3458) }},
	{name: "time -t", in: "12:34:56 close(3) = 0", kind: KindCall, out: "close(3) = 0",
		check: func(t *testing.T, s *Stmt) { wantStr(t, "Time", s.Time, "12:34:56") }},
	{name: "time -tt and -T", in: "3458  12:34:56.123456 close(3) = 0 <0.000123>", kind: KindCall, out: "close(3) = 0",
		check: func(t *testing.T, s *Stmt) {
			wantInt(t, "Pid", s.Pid, 3458)
			wantStr(t, "Time", s.Time, "12:34:56.123456")
			wantStr(t, "Duration", s.Duration, "0.000123")
		}},
	{name: "time -ttt", in: "1700000000.123456 close(3) = 0", kind: KindCall, out: "close(3) = 0",
		check: func(t *testing.T, s *Stmt) { wantStr(t, "Time", s.Time, "1700000000.123456") }},
	{name: "errno", in: `openat(AT_FDCWD, "/f/x", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)`, kind: KindCall,
		check: func(t *testing.T, s *Stmt) {
			if s.Want.Kind != ExpectErrno || s.Want.Name != "ENOENT" || s.Want.Msg != "No such file or directory" {
				t.Errorf("Want = %+v", s.Want)
			}
			wantUint(t, s, 0, 0xffffffffffffff9c)
			wantUint(t, s, 2, 0x80000)
		}},
	{name: "errno without message", in: "munmap(0, 1) = -1 EINVAL", kind: KindCall},
	{name: "errno any name", in: "close(3) = -1 EFOO (Foo)", kind: KindCall, // the runner refuses it
		check: func(t *testing.T, s *Stmt) {
			wantStr(t, "Name", s.Want.Name, "EFOO")
			wantInt(t, "NamePos.Col", s.Want.NamePos.Col, 15)
		}},
	{name: "errno message with parentheses", in: "munmap(0, 1) = -1 EINVAL (a (b) c)", kind: KindCall,
		check: func(t *testing.T, s *Stmt) { wantStr(t, "Msg", s.Want.Msg, "a (b) c") }},
	{name: "any", in: "exit_group(0) = ?", kind: KindCall},
	{name: "any with name", in: "pause() = ? ERESTARTNOHAND (To be restarted if no handler)", kind: KindCall,
		check: func(t *testing.T, s *Stmt) { wantStr(t, "Name", s.Want.Name, "ERESTARTNOHAND") }},
	{name: "value with note", in: "fcntl(3, F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE)", kind: KindCall},
	{name: "no result", in: "close(3)", kind: KindCall,
		check: func(t *testing.T, s *Stmt) {
			if s.Want != nil {
				t.Errorf("Want = %+v, want nil", s.Want)
			}
		}},
	{name: "no arguments", in: "getpid() = 42", kind: KindCall},
	// strace's process calls and -y/-yy decorations.
	{name: "clone named arguments", in: "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0e770a5a10) = 25572",
		kind: KindCall, out: "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0e770a5a10) = 0x63e4",
		check: func(t *testing.T, s *Stmt) {
			wantArgKinds(t, s, ArgNull, ArgExpr, ArgExpr)
			wantStr(t, "Label", s.Call.Args[0].Label, "child_stack")
			wantStr(t, "Label", s.Call.Args[1].Label, "flags")
			wantStr(t, "Src", s.Call.Args[1].Src, "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD")
		}},
	{name: "clone3 value on exit", in: "clone3({flags=CLONE_VM|CLONE_THREAD, child_tid=0x7ff03778f990, exit_signal=0} => {parent_tid=[24869]}, 88) = 24869",
		kind: KindCall, out: "clone3({flags=CLONE_VM|CLONE_THREAD, child_tid=0x7ff03778f990, exit_signal=0} => {parent_tid=[0x6125]}, 88) = 0x6125",
		check: func(t *testing.T, s *Stmt) {
			wantArgKinds(t, s, ArgStruct, ArgExpr)
			out := s.Call.Args[0].Out
			if out == nil || out.Kind != ArgStruct || len(out.Fields) != 1 || out.Fields[0].Name != "parent_tid" {
				t.Errorf("Out = %+v", out)
			}
		}},
	{name: "arrow in array", in: "accept(3, {sa_family=AF_UNIX}, [110 => 2]) = 4", kind: KindCall},
	{name: "decorated descriptor", in: "mmap(NULL, 38499, PROT_READ, MAP_PRIVATE, 3</etc/ld.so.cache>, 0) = 0x7f6483e70000",
		kind: KindCall, out: "mmap(NULL, 0x9663, PROT_READ, MAP_PRIVATE, 3</etc/ld.so.cache>, 0) = 0x7f6483e70000",
		check: func(t *testing.T, s *Stmt) {
			wantUint(t, s, 4, 3)
			wantStr(t, "Decor", s.Call.Args[4].Decor, "/etc/ld.so.cache")
		}},
	{name: "decorated result and dirfd", in: `openat(AT_FDCWD</tmp/rt>, "/lib/libc.so.6", O_RDONLY|O_CLOEXEC) = 3</usr/lib/libc.so.6>`,
		kind: KindCall,
		check: func(t *testing.T, s *Stmt) {
			wantStr(t, "Decor", s.Call.Args[0].Decor, "/tmp/rt")
			wantStr(t, "Want.Decor", s.Want.Decor, "/usr/lib/libc.so.6")
			if v := mustEval(t, s.Want.Value); v != 3 {
				t.Errorf("result %d, want 3", v)
			}
		}},
	{name: "decoration -yy nested", in: "close(1</dev/pts/0<char 136:0>>) = 0", kind: KindCall,
		check: func(t *testing.T, s *Stmt) { wantStr(t, "Decor", s.Call.Args[0].Decor, "/dev/pts/0<char 136:0>") }},
	{name: "decoration -yy socket", in: "close(3<TCP:[127.0.0.1:45678->127.0.0.1:80]>) = 0", kind: KindCall,
		check: func(t *testing.T, s *Stmt) {
			wantStr(t, "Decor", s.Call.Args[0].Decor, "TCP:[127.0.0.1:45678->127.0.0.1:80]")
		}},
	{name: "decoration and duration", in: "close(3</x>) = 0 <0.000012>", kind: KindCall, out: "close(3</x>) = 0",
		check: func(t *testing.T, s *Stmt) { wantStr(t, "Duration", s.Duration, "0.000012") }},
	{name: "decoration unterminated", in: "close(3</x) = 0", err: "t:1:8: unterminated <...>"},
	{name: "octal mode", in: `openat(AT_FDCWD, "data.bin", O_RDWR|O_CREAT, 0644) = 3`, kind: KindCall,
		check: func(t *testing.T, s *Stmt) { wantUint(t, s, 3, 0644) }},
	{name: "numeric leftover", in: "mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|0x400, -1, 0)", kind: KindCall,
		out:   "mmap(NULL, 0x1000, PROT_READ, MAP_PRIVATE|0x400, -1, 0)",
		check: func(t *testing.T, s *Stmt) { wantUint(t, s, 3, 0x402) }},
	{name: "leftover first", in: "mmap(NULL, 1, PROT_READ, 0x400|MAP_FIXED|MAP_PRIVATE, -1, 0)", kind: KindCall,
		out:   "mmap(NULL, 1, PROT_READ, MAP_FIXED|MAP_PRIVATE|0x400, -1, 0)",
		check: func(t *testing.T, s *Stmt) { wantUint(t, s, 3, 0x412) }},
	{name: "numbers or'ed", in: "f(1|2|4)", kind: KindCall, out: "f(7)"},
	{name: "stat", in: `newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=36987, ...}, AT_EMPTY_PATH) = 0`, kind: KindCall,
		out: `newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=0x907b, ...}, AT_EMPTY_PATH) = 0`,
		check: func(t *testing.T, s *Stmt) {
			st := &s.Call.Args[2]
			if st.Kind != ArgStruct || !st.More || len(st.Fields) != 2 {
				t.Fatalf("struct = %+v", st)
			}
			env := Env{Flags: Table(testFlags)}
			size, _ := st.Field("st_size")
			if v, err := size.Uint(env); err != nil || v != 36987 {
				t.Errorf("st_size = %d, %v; want 36987", v, err)
			}
			mode, _ := st.Field("st_mode")
			if v, err := mode.Uint(env); err != nil || v != 0100644 {
				t.Errorf("st_mode = %#o, %v; want 0100644", v, err)
			}
			if mode.Src != "S_IFREG|0644" {
				t.Errorf("st_mode Src = %q", mode.Src)
			}
			if _, ok := st.Field("st_nlink"); ok {
				t.Errorf("found st_nlink")
			}
			wantUint(t, s, 3, 0x1000)
		}},
	{name: "nested call", in: `newfstatat(1, "", {st_mode=S_IFCHR|0666, st_rdev=makedev(0x1, 0x3), ...}, AT_EMPTY_PATH) = 0`,
		kind: KindCall, check: func(t *testing.T, s *Stmt) {
			rdev, _ := s.Call.Args[2].Field("st_rdev")
			if rdev.Kind != ArgCall || rdev.Name != "makedev" || len(rdev.Elems) != 2 {
				t.Errorf("st_rdev = %+v", rdev)
			}
		}},
	{name: "sticky dir", in: `newfstatat(AT_FDCWD, "/f/tmp", {st_mode=S_IFDIR|S_ISVTX|0777, st_size=4096, ...}, 0) = 0`,
		kind: KindCall, out: `newfstatat(AT_FDCWD, "/f/tmp", {st_mode=S_IFDIR|S_ISVTX|0777, st_size=0x1000, ...}, 0) = 0`},
	{name: "escapes", in: `pwrite64(3, "\x7fELF\2\1\1\3\0", 9, 0) = 9`, kind: KindCall,
		out:   `pwrite64(3, "\x7fELF\x02\x01\x01\x03\x00", 9, 0) = 9`,
		check: func(t *testing.T, s *Stmt) { wantBytes(t, s.Call.Args[1].Bytes, "\x7fELF\x02\x01\x01\x03\x00") }},
	{name: "all escapes", in: `f("a\n\t\\\"b\r\v\f\a\b\'\?\177\1234\xA")`, kind: KindCall,
		out:   `f("a\n\t\\\"b\r\x0b\x0c\x07\x08'?\x7fS4\n")`,
		check: func(t *testing.T, s *Stmt) { wantBytes(t, s.Call.Args[0].Bytes, "a\n\t\\\"b\r\v\f\a\b'?\x7fS4\n") }},
	{name: "raw high bytes", in: "f(\"caf\xc3\xa9\")", kind: KindCall, out: `f("caf\xc3\xa9")`},
	{name: "truncated string", in: `read(3, "\177ELF"..., 832) = 832`, kind: KindCall, out: `read(3, "\x7fELF"..., 832) = 832`,
		check: func(t *testing.T, s *Stmt) {
			if !s.Call.Args[1].Truncated {
				t.Errorf("Truncated = false")
			}
		}},
	{name: "arrays", in: "f([1, 2, ...], [], [...], {}, {...})", kind: KindCall},
	{name: "c comment", in: `execve("/bin/ls", ["ls", "-la"], 0x7ffd30 /* 20 vars */) = 0`, kind: KindCall,
		out: `execve("/bin/ls", ["ls", "-la"], 0x7ffd30) = 0`},
	{name: "tabs", in: "\tmmap(NULL,\t4096, PROT_READ,\tMAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\t=\t0x1000", kind: KindCall,
		out: "mmap(NULL, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x1000"},

	// Scenario extensions.
	{name: "binding", in: "$a = mmap(NULL, 0x3000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)", kind: KindCall,
		check: func(t *testing.T, s *Stmt) { wantStr(t, "Bind", s.Bind, "a") }},
	{name: "expressions", in: "mprotect($a - 4096, 64K, PROT_NONE) = 0", kind: KindCall, out: "mprotect($a-0x1000, 64K, PROT_NONE) = 0",
		check: func(t *testing.T, s *Stmt) {
			v, err := s.Call.Args[0].Uint(Env{Vars: Table(map[string]uint64{"a": 0x10000})})
			if err != nil || v != 0xf000 {
				t.Errorf("arg 0 = %#x, %v; want 0xf000", v, err)
			}
			wantUint(t, s, 1, 64<<10)
		}},
	{name: "expression terms", in: "munmap(-$a+0x10-PROT_READ+$b, 1G) = $a+4M", kind: KindCall,
		out: "munmap(-$a+0x10-PROT_READ+$b, 1G) = $a+4M"},
	{name: "suffixes", in: "f(1K, 2M, 3G, 0x10K, 0K)", kind: KindCall, out: "f(1K, 2M, 3G, 16K, 0K)",
		check: func(t *testing.T, s *Stmt) {
			wantUint(t, s, 0, 1<<10)
			wantUint(t, s, 1, 2<<20)
			wantUint(t, s, 2, 3<<30)
			wantUint(t, s, 3, 16<<10)
		}},
	{name: "poke", in: `poke($a+0x10, "hello\x00")`, kind: KindMemory, out: `poke($a+0x10, "hello\x00")`},
	{name: "fill", in: "fill($a, 0x1000, 0xaa)", kind: KindMemory},
	{name: "peek bytes", in: `peek($a, 5) = "hello"`, kind: KindMemory,
		check: func(t *testing.T, s *Stmt) {
			if s.Want.Kind != ExpectBytes {
				t.Errorf("Want = %+v", s.Want)
			}
			wantBytes(t, s.Want.Bytes, "hello")
		}},
	{name: "peek segv", in: "peek($a+0x1000, 1) = SIGSEGV", kind: KindMemory,
		check: func(t *testing.T, s *Stmt) {
			if s.Want.Kind != ExpectSignal || s.Want.Name != "SIGSEGV" {
				t.Errorf("Want = %+v", s.Want)
			}
		}},
	{name: "poke bus", in: `poke($a, "x") = SIGBUS`, kind: KindMemory,
		check: func(t *testing.T, s *Stmt) {
			if s.Want.Kind != ExpectSignal || s.Want.Name != "SIGBUS" {
				t.Errorf("Want = %+v", s.Want)
			}
		}},
	{name: "peek NULL", in: "peek(NULL, 1) = SIGSEGV", kind: KindMemory},
	{name: "fill any", in: "fill($a, 1, 2) = ?", kind: KindMemory},
	{name: "trailing comment", in: "peek($a, 1) = SIGSEGV   # past the end ", kind: KindMemory,
		out: "peek($a, 1) = SIGSEGV  # past the end", check: func(t *testing.T, s *Stmt) { wantStr(t, "Comment", s.Comment, "past the end") }},
	{name: "ftruncate", in: "ftruncate(3, 0x1100) = 0", kind: KindCall},
	{name: "pwrite", in: `pwrite64(3, "\xaa\xaa", 2, 0) = 2`, kind: KindCall},

	// Directives, comments, blank lines.
	{name: "directive", in: "#! host=x86_64 target=i386 host-page=64K qemu-host-page=64K target-page=4K target-bits=32 reserved-va=0xf7000000 guest-base=0x10000 policy=fixed-except=QUIRK1,QUIRK2",
		kind: KindDirective, check: func(t *testing.T, s *Stmt) {
			if len(s.Pairs) != 9 {
				t.Fatalf("Pairs = %v", s.Pairs)
			}
			last := s.Pairs[8]
			if last.Key != "policy" || last.Value != "fixed-except=QUIRK1,QUIRK2" || last.Pos.Col != 133 {
				t.Errorf("last pair = %+v", last)
			}
		}},
	{name: "directive comment", in: "#!host-page=64K\t# like ppc64le", kind: KindDirective, out: "#! host-page=64K  # like ppc64le"},
	{name: "file seq", in: "#! file data.bin size=0x1100 fill=seq", kind: KindFileDirective,
		check: func(t *testing.T, s *Stmt) {
			fs := s.FileSpec
			if fs.Name != "data.bin" || fs.Size.Value != 0x1100 || !fs.Seq || fs.Fill != nil || fs.Mode != nil {
				t.Errorf("FileSpec = %+v", fs)
			}
		}},
	{name: "file quoted", in: `#! file "my file" size=4K fill=0xaa mode=0644 # x`, kind: KindFileDirective,
		out: `#! file "my file" size=4K fill=0xaa mode=0644  # x`,
		check: func(t *testing.T, s *Stmt) {
			fs := s.FileSpec
			if fs.Name != "my file" || fs.Size.Value != 4096 || fs.Fill.Value != 0xaa || fs.Mode.Value != 0644 {
				t.Errorf("FileSpec = %+v", fs)
			}
		}},
	{name: "file minimal", in: "#! file x size=0", kind: KindFileDirective},
	{name: "comment", in: "# hello  ", kind: KindComment, out: "# hello"},
	{name: "empty comment", in: "#", kind: KindComment},
	{name: "blank", in: " \t ", kind: KindBlank, out: "-"},

	// Signals and exits.
	{name: "signal", in: "3466  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=3468, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---",
		kind: KindSignal, out: "--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=3468, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---",
		check: func(t *testing.T, s *Stmt) {
			if s.Signal.Name != "SIGCHLD" || s.Signal.Info == nil || len(s.Signal.Info.Fields) != 7 {
				t.Errorf("Signal = %+v", s.Signal)
			}
		}},
	{name: "segv", in: "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x1234} ---", kind: KindSignal,
		check: func(t *testing.T, s *Stmt) {
			addr, ok := s.Signal.Info.Field("si_addr")
			if !ok || mustEval(t, addr.Expr) != 0x1234 {
				t.Errorf("si_addr = %+v", addr)
			}
		}},
	{name: "stopped", in: "--- stopped by SIGSTOP ---", kind: KindSignal,
		check: func(t *testing.T, s *Stmt) {
			if s.Signal.Name != "stopped" || s.Signal.Detail != "by SIGSTOP" || s.Signal.Info != nil {
				t.Errorf("Signal = %+v", s.Signal)
			}
		}},
	{name: "exited", in: "3458  +++ exited with 0 +++", kind: KindExit, out: "+++ exited with 0 +++",
		check: func(t *testing.T, s *Stmt) {
			if *s.Exit != (ExitInfo{Detail: "exited with 0", Status: 0}) {
				t.Errorf("Exit = %+v", s.Exit)
			}
		}},
	{name: "killed", in: "+++ killed by SIGSEGV +++", kind: KindExit,
		check: func(t *testing.T, s *Stmt) {
			if *s.Exit != (ExitInfo{Detail: "killed by SIGSEGV", Status: -1, Signal: "SIGSEGV"}) {
				t.Errorf("Exit = %+v", s.Exit)
			}
		}},
	{name: "core", in: "+++ killed by SIGSEGV (core dumped) +++", kind: KindExit,
		check: func(t *testing.T, s *Stmt) {
			if *s.Exit != (ExitInfo{Detail: "killed by SIGSEGV (core dumped)", Status: -1, Signal: "SIGSEGV", Core: true}) {
				t.Errorf("Exit = %+v", s.Exit)
			}
		}},
	{name: "signal not a struct", in: "--- SIGUSR1\t{si_signo=SIGUSR1} extra ---", kind: KindSignal, out: "--- SIGUSR1 {si_signo=SIGUSR1} extra ---",
		check: func(t *testing.T, s *Stmt) {
			if s.Signal.Info != nil {
				t.Errorf("Info = %+v, want nil", s.Signal.Info)
			}
		}},
	{name: "everything after the result", in: "f(0) = 0 (a) <0.1> # c", kind: KindCall, out: "f(0) = 0 (a)  # c"},
	{name: "empty message", in: "f() = -1 ENOENT ()", kind: KindCall, out: "f() = -1 ENOENT"},
	{name: "any with message", in: "f() = ? (x)", kind: KindCall},
	{name: "zeros", in: "f(0x0, 00, 0)", kind: KindCall},
	{name: "comment inside flags", in: "f(A/* x */|B)", kind: KindCall, out: "f(A|B)"},
	{name: "orphan unfinished", in: "mmap(NULL, 4096, PROT_READ <unfinished ...>", kind: KindUnfinished,
		check: func(t *testing.T, s *Stmt) {
			wantStr(t, "Name", s.Call.Name, "mmap")
			wantStr(t, "Partial", s.Partial, "mmap(NULL, 4096, PROT_READ")
		}},
	{name: "orphan resumed", in: "<... mmap resumed>, -1, 0) = 0x1000", kind: KindResumed,
		check: func(t *testing.T, s *Stmt) {
			wantStr(t, "Name", s.Call.Name, "mmap")
			wantStr(t, "Partial", s.Partial, ", -1, 0) = 0x1000")
		}},

	// Errors.
	{name: "bad hex", in: "mmap(NULL, 0xZZ)", err: "t:1:12: malformed number 0xZZ"},
	{name: "bad decimal", in: "mmap(NULL, 12abc)", err: "t:1:12: malformed number 12abc"},
	{name: "bad octal", in: "f(09)", err: "t:1:3: malformed number 09"},
	{name: "lower suffix", in: "f(64k)", err: "t:1:3: malformed number 64k (size suffixes are K, M and G)"},
	{name: "huge", in: "mmap(0x1ffffffffffffffff)", err: "t:1:6: number 0x1ffffffffffffffff out of range"},
	{name: "huge suffix", in: "f(0x400000000000000G)", err: "t:1:3: number 0x400000000000000G out of range"},
	{name: "unterminated string", in: `openat(AT_FDCWD, "abc, O_RDONLY) = 3`, err: "t:1:18: unterminated string"},
	{name: "unknown escape", in: `f("a\qb")`, err: `t:1:5: unknown escape \q`},
	{name: "bad hex escape", in: `f("\xg")`, err: `t:1:4: expected hex digit after \x`},
	{name: "big octal escape", in: `f("\400")`, err: `t:1:4: octal escape \400 out of range`},
	{name: "unclosed call", in: "mmap(NULL, 4096", err: "t:1:16: expected ',' or ')', found end of line"},
	{name: "extra paren", in: "close(3)) = 0", err: "t:1:9: expected '=' or end of line, found ')'"},
	{name: "unclosed message", in: "close(3) = -1 EBADF (Bad file", err: "t:1:21: expected ')' to close this '(', found end of line"},
	{name: "unclosed struct", in: "f({a=1, b=2)", err: "t:1:12: expected ',' or '}', found ')'"},
	{name: "unclosed array", in: "f([1, 2)", err: "t:1:8: expected ',' or ']', found ')'"},
	{name: "errno not after -1", in: "close(3) = 2 EBADF", err: "t:1:14: expected end of line, found name EBADF"},
	{name: "unavailable", in: "close(3) = 0x55 <unavailable>", err: "t:1:17: expected end of line, found <unavailable>"},
	{name: "string result", in: `close(3) = "x"`, err: `t:1:12: expected result (number, -1 ERRNO or ?), found string "x"`},
	{name: "bound memory", in: `$a = poke($a, "x")`, err: "t:1:1: poke cannot be bound to $a: it returns nothing"},
	{name: "poke arity", in: "poke($a)", err: "t:1:1: poke wants 2 arguments (addr, bytes), found 1"},
	{name: "poke number", in: "poke($a, 5)", err: "t:1:10: expected string for poke argument bytes, found 5"},
	{name: "poke truncated", in: `poke($a, "x"...)`, err: `t:1:10: expected string for poke argument bytes, found "x"...`},
	{name: "peek string addr", in: `peek("x", 1)`, err: "t:1:6: expected number for peek argument addr, found string"},
	{name: "fill bytes", in: `fill($a, 1, 2) = "x"`, err: "t:1:18: expected ?, SIGSEGV or SIGBUS as the result of fill, found a string"},
	{name: "peek value", in: "peek($a, 1) = 5", err: `t:1:15: expected ?, SIGSEGV, SIGBUS or "bytes", found number 5`},
	{name: "peek other signal", in: "peek($a, 1) = SIGILL", err: `t:1:15: expected ?, SIGSEGV, SIGBUS or "bytes", found name SIGILL`},
	{name: "peek truncated", in: `peek($a, 1) = "x"...`, err: `t:1:15: expected complete string, found truncated "x"...`},
	{name: "multiplication", in: "munmap($a+2*4K, 1)", err: "t:1:12: unexpected character '*'"},
	{name: "unary plus", in: "f(+1)", err: "t:1:3: expected number, $variable or flag name, found '+'"},
	{name: "double minus", in: "f(--1)", err: "t:1:4: expected number, $variable or flag name, found '-'"},
	{name: "dangling pipe", in: "f(A|)", err: "t:1:5: expected flag name or number after '|', found ')'"},
	{name: "empty field", in: "f({a=})", err: "t:1:6: expected number, $variable or flag name, found '}'"},
	{name: "unnamed field", in: "f({1})", err: "t:1:4: expected field name, found number 1"},
	{name: "ellipsis in call", in: "f(1, ...)", err: "t:1:6: expected number, $variable or flag name, found '...'"},
	{name: "bare dollar", in: "$ = mmap()", err: "t:1:1: expected variable name after $"},
	{name: "binding without =", in: "$a mmap()", err: "t:1:4: expected '=' after $a, found name mmap"},
	{name: "no call", in: "(3) = 0", err: "t:1:1: expected system call, found '('"},
	{name: "name without parens", in: "close 3", err: "t:1:7: expected '(' after close, found number 3"},
	{name: "unterminated comment", in: "close(3 /* x) = 0", err: "t:1:9: unterminated comment"},
	{name: "deep nesting", in: "f(" + strings.Repeat("[", 65) + strings.Repeat("]", 65) + ")", err: "t:1:67: expected at most 64 levels of nested arguments, found more"},
	{name: "nesting limit", in: "f(" + strings.Repeat("{a=", 63) + "1" + strings.Repeat("}", 63) + ")", kind: KindCall},
	{name: "high byte", in: "close(\xff)", err: `t:1:7: unexpected byte "\xff"`},
	{name: "corrupt strace line", in: `3467  newfstatat(4, ""} ---`, err: "t:1:23: expected ',' or ')', found '}'"},
	{name: "pid only", in: "3458  ", err: "t:1:7: expected system call, found end of line"},
	{name: "digits only", in: "3458", err: `t:1:1: expected pid or timestamp, found "3458"`},
	{name: "bad timestamp", in: "12:3:56 close(3)", err: `t:1:1: expected pid or timestamp, found "12:3:56"`},
	{name: "bad pid bracket", in: "[pid 12 close(3)", err: `t:1:1: expected [pid N], found "[pid 12 close(3)"`},
	{name: "huge pid", in: "99999999999 close(3)", err: "t:1:1: pid 99999999999 out of range"},
	{name: "signal unclosed", in: "--- SIGSEGV {si_signo=SIGSEGV}", err: `t:1:31: expected " ---" at the end of the line, found end of line`},
	{name: "signal empty", in: "--- ---", err: `t:1:5: expected signal name, found "---"`},
	{name: "exit empty", in: "++++++", err: `t:1:4: expected exit status, found "+++"`},
	{name: "bad resumed", in: "<... mmap>, 0) = 0", err: `t:1:1: expected <... NAME resumed>, found "<... mmap>"`},
	{name: "bad unfinished", in: "--x <unfinished ...>", err: `t:1:1: expected system call before <unfinished ...>, found "--x "`},
	{name: "directive key only", in: "#! key", err: `t:1:4: expected key=value, found "key"`},
	{name: "directive empty key", in: "#! host=x86_64 =x", err: `t:1:16: expected key before '=', found "=x"`},
	{name: "directive empty value", in: "#! key=", err: `t:1:8: expected value after "key=", found end of word`},
	{name: "directive empty", in: "#!  ", err: "t:1:5: expected key=value after #!, found end of line"},
	{name: "file no name", in: "#! file", err: "t:1:8: expected file name after #! file, found end of line"},
	{name: "file key as name", in: "#! file size=1", err: `t:1:9: expected file name after #! file, found "size=1" (quote a name that contains '=')`},
	{name: "file no size", in: "#! file x fill=1", err: "t:1:17: expected size=N in file directive, found end of line"},
	{name: "file unknown key", in: "#! file x size=1 colour=red", err: "t:1:18: expected file directive key size, fill or mode, found colour"},
	{name: "file fill range", in: "#! file x size=1 fill=256", err: "t:1:18: fill: byte 256 out of range (0 to 255, or seq)"},
	{name: "file duplicate", in: "#! file x size=1 size=2", err: "t:1:18: duplicate file directive key size"},
	{name: "file bad size", in: "#! file x size=12abc", err: "t:1:11: size: malformed number 12abc"},
	{name: "file empty name", in: `#! file "" size=1`, err: `t:1:9: expected file name, found ""`},
	{name: "file name glued", in: `#! file "a"size=1`, err: `t:1:12: expected space after file name, found "s"`},
}

func TestGrammar(t *testing.T) {
	for _, tt := range grammarTests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse("t", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Stmts) != 1 {
				t.Fatalf("got %d statements, want 1", len(f.Stmts))
			}
			s := f.Stmts[0]
			if s.Text != tt.in || s.Line != 1 || s.EndLine != 1 {
				t.Errorf("Text, Line, EndLine = %q, %d, %d", s.Text, s.Line, s.EndLine)
			}
			if tt.err != "" {
				if s.Kind != KindBad {
					t.Fatalf("got %s statement %q, want error %q", s.Kind, Format(s), tt.err)
				}
				if got := s.Err.Error(); got != tt.err {
					t.Errorf("got error %q, want %q", got, tt.err)
				}
				if f.Err() == nil {
					t.Errorf("File.Err() = nil")
				}
				return
			}
			if s.Kind != tt.kind {
				t.Fatalf("got %s statement (%v), want %s", s.Kind, s.Err, tt.kind)
			}
			if f.Err() != nil {
				t.Errorf("File.Err() = %v", f.Err())
			}
			want := tt.out
			switch want {
			case "":
				want = tt.in
			case "-":
				want = ""
			}
			if got := Format(s); got != want {
				t.Errorf("Format:\ngot  %s\nwant %s", got, want)
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

func TestFiles(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // per statement: kind, line, endline and Format
	}{
		{name: "empty", in: "", want: nil},
		{name: "one blank line", in: "\n", want: []string{"blank 1-1 "}},
		{name: "no final newline", in: "close(3) = 0\nclose(4) = 0", want: []string{
			"call 1-1 close(3) = 0", "call 2-2 close(4) = 0"}},
		{name: "CRLF", in: "#! a=b\r\n# x\r\n\r\nclose(3) = 0\r\n", want: []string{
			"directive 1-1 #! a=b", "comment 2-2 # x", "blank 3-3 ", "call 4-4 close(3) = 0"}},
		{name: "join", in: "100 mmap(NULL, 4096, PROT_READ <unfinished ...>\n" +
			"101 close(3) = 0\n" +
			"100 <... mmap resumed>, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000\n",
			want: []string{
				"call 2-2 close(3) = 0",
				"call 1-3 mmap(NULL, 0x1000, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000"}},
		{name: "join output argument", in: "[pid 7] newfstatat(3, \"\",  <unfinished ...>\n" +
			"[pid 8] --- SIGCHLD {si_signo=SIGCHLD} ---\n" +
			"[pid 7] <... newfstatat resumed>{st_mode=S_IFREG|0644, st_size=5, ...}, AT_EMPTY_PATH) = 0 <0.000010>\n",
			want: []string{
				"signal 2-2 --- SIGCHLD {si_signo=SIGCHLD} ---",
				`call 1-3 newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=5, ...}, AT_EMPTY_PATH) = 0`}},
		{name: "orphans", in: "1 mmap(NULL <unfinished ...>\n" +
			"2 <... munmap resumed>) = 0\n" +
			"1 +++ exited with 0 +++\n" +
			"1 <... mmap resumed>, 1) = 0\n" +
			"3 close(3 <unfinished ...>\n" +
			"3 <... open resumed>) = 0\n" +
			"4 brk(0 <unfinished ...>\n",
			want: []string{
				"unfinished 1-1 mmap(NULL <unfinished ...>",
				"resumed 2-2 <... munmap resumed>) = 0",
				"exit 3-3 +++ exited with 0 +++",
				"resumed 4-4 <... mmap resumed>, 1) = 0",
				"unfinished 5-5 close(3 <unfinished ...>",
				"resumed 6-6 <... open resumed>) = 0",
				"unfinished 7-7 brk(0 <unfinished ...>"}},
		{name: "late directive", in: "#! a=1\nclose(3)\n#! b=2\n#! file f size=1\n", want: []string{
			"directive 1-1 #! a=1", "call 2-2 close(3)", "directive(late) 3-3 #! b=2", "file directive(late) 4-4 #! file f size=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := Parse("t", []byte(tt.in))
			var got []string
			for _, s := range f.Stmts {
				kind := s.Kind.String()
				if s.Late {
					kind += "(late)"
				}
				got = append(got, fmt.Sprintf("%s %d-%d %s", kind, s.Line, s.EndLine, Format(s)))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestJoinedText(t *testing.T) {
	f, _ := Parse("t", []byte("5 mmap(NULL, 4096 <unfinished ...>\r\n5 <... mmap resumed>, PROT_READ) = 0\n"))
	s := f.Stmts[0]
	if s.Text != "5 mmap(NULL, 4096 <unfinished ...>\n5 <... mmap resumed>, PROT_READ) = 0" || s.Pid != 5 {
		t.Errorf("Text, Pid = %q, %d", s.Text, s.Pid)
	}
}

// TestJoinedErrorPosition checks that an error in either half of a joined
// call points into the right line.
func TestJoinedErrorPosition(t *testing.T) {
	for _, tt := range []struct{ in, err string }{
		{"1 mmap(NULL, 0xZZ <unfinished ...>\n1 <... mmap resumed>, 1) = 0\n", "t:1:14: malformed number 0xZZ"},
		{"1 mmap(NULL, 4096 <unfinished ...>\n1 <... mmap resumed>, 1 2) = 0\n", "t:2:25: expected ',' or ')', found number 2"},
	} {
		f, _ := Parse("t", []byte(tt.in))
		if len(f.Stmts) != 1 || f.Stmts[0].Kind != KindBad {
			t.Fatalf("%q: got %d statements", tt.in, len(f.Stmts))
		}
		s := f.Stmts[0]
		if s.Err.Error() != tt.err || s.Line != 1 || s.EndLine != 2 {
			t.Errorf("%q: got %v (lines %d-%d), want %s", tt.in, s.Err, s.Line, s.EndLine, tt.err)
		}
	}
}

func TestStrict(t *testing.T) {
	f, err := Parse("s.scn", []byte("close(3) = 0\nclose(0xZZ)\nclose(4 = 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Stmts) != 3 {
		t.Fatalf("got %d statements, want 3", len(f.Stmts))
	}
	if got, want := f.Err().Error(), "s.scn:2:7: malformed number 0xZZ"; got != want {
		t.Errorf("Err() = %q, want %q", got, want)
	}
	var perr *Error
	if !errors.As(f.Err(), &perr) || perr.Pos.Line != 2 {
		t.Errorf("Err() = %#v, want *Error at line 2", f.Err())
	}
	ok, _ := Parse("s.scn", []byte("close(3) = 0\n"))
	if ok.Err() != nil {
		t.Errorf("Err() = %v, want nil", ok.Err())
	}
}

func TestExampleScenario(t *testing.T) {
	f, err := ReadFile("testdata/example.scn")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile("testdata/no-such-file"); err == nil {
		t.Errorf("ReadFile of a missing file: no error")
	}
}

func wantArgKinds(t *testing.T, s *Stmt, kinds ...ArgKind) {
	t.Helper()
	if len(s.Call.Args) != len(kinds) {
		t.Fatalf("got %d args, want %d", len(s.Call.Args), len(kinds))
	}
	for i, k := range kinds {
		if s.Call.Args[i].Kind != k {
			t.Errorf("arg %d is %s, want %s", i, s.Call.Args[i].Kind, k)
		}
	}
}

func wantUint(t *testing.T, s *Stmt, i int, want uint64) {
	t.Helper()
	got, err := s.Call.Args[i].Uint(Env{Flags: Table(testFlags)})
	if err != nil || got != want {
		t.Errorf("arg %d = %#x, %v; want %#x", i, got, err, want)
	}
}

func mustEval(t *testing.T, e Expr) uint64 {
	t.Helper()
	v, err := e.Eval(Env{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wantInt(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %d, want %d", what, got, want)
	}
}

func wantStr(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func wantBytes(t *testing.T, got []byte, want string) {
	t.Helper()
	if !bytes.Equal(got, []byte(want)) {
		t.Errorf("bytes = %q, want %q", got, want)
	}
}

package syntax

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every Bad statement has a
// positioned error, and that every other statement survives Format and
// Parse (see checkRoundTrip). Evaluating whatever parsed must not panic
// either.
func FuzzParse(f *testing.F) {
	for _, tt := range grammarTests {
		f.Add([]byte(tt.in))
	}
	for _, s := range []string{
		"3458  mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7fbe84f1a000\n",
		"3458  newfstatat(3, \"\", {st_mode=S_IFREG|0644, st_size=36987, ...}, AT_EMPTY_PATH) = 0\n",
		"3462  newfstatat(AT_FDCWD, \"/f/commondir\", 0x7ffe64f7f050, AT_SYMLINK_NOFOLLOW) = -1 ENOENT (No such file or directory)\n",
		"3467  newfstatat(4, \"\"} ---\n3466  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=3468} ---\n",
		"100 mmap(NULL, 4096 <unfinished ...>\n101 close(3) = 0\n100 <... mmap resumed>, -1, 0) = 0x7f00\n3458  +++ exited with 0 +++\n",
		"#! a=b c=d,e\r\n#! file x size=4K fill=seq\r\n$a = mmap(NULL, 4K, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\r\npeek($a, 1) = \"\\0\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("fuzz", src)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range file.Stmts {
			if s.Kind == KindBad {
				if s.Err == nil || !strings.HasPrefix(s.Err.Error(), fmt.Sprintf("fuzz:%d:", s.Err.Pos.Line)) ||
					s.Err.Pos.Line < s.Line || s.Err.Pos.Line > s.EndLine || s.Err.Pos.Col < 1 {
					t.Fatalf("line %d: bad error %v", s.Line, s.Err)
				}
				continue
			}
			checkRoundTrip(t, s)
			evalAll(s)
		}
		_ = file.Format()
	})
}

// evalAll evaluates every expression of s, for panics.
func evalAll(s *Stmt) {
	env := Env{
		Vars:  func(string) (uint64, bool) { return 1, true },
		Flags: func(string) (uint64, bool) { return 2, true },
	}
	if s.Call != nil {
		for i := range s.Call.Args {
			evalArg(&s.Call.Args[i], env)
		}
	}
	if s.Want != nil {
		_, _ = s.Want.Value.Eval(env)
	}
}

func evalArg(a *Arg, env Env) {
	_, _ = a.Uint(env)
	for i := range a.Fields {
		evalArg(&a.Fields[i].Value, env)
	}
	for i := range a.Elems {
		evalArg(&a.Elems[i], env)
	}
}

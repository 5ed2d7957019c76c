package syntax

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// traceDir holds real strace logs (see its README); they never change.
const traceDir = "../../../shared/traces"

// traceWant is what each trace holds: call statements by name, and the
// other kinds by line.
var traceWant = map[string]struct {
	calls  map[string]int
	other  map[int]Kind // line → kind of every non-call statement
	stmts  int
	badErr string
}{
	"ls.strace": {
		calls: map[string]int{"brk": 3, "close": 31, "mmap": 30, "mprotect": 5, "munmap": 1, "newfstatat": 31, "openat": 44},
		other: map[int]Kind{146: KindExit},
		stmts: 146,
	},
	"git.strace": {
		calls: map[string]int{"brk": 3, "close": 26, "mmap": 20, "mprotect": 5, "munmap": 1, "newfstatat": 72, "openat": 35},
		other: map[int]Kind{163: KindExit},
		stmts: 163,
	},
	"gcc.strace": {
		calls:  map[string]int{"brk": 16, "close": 42, "mmap": 88, "mprotect": 20, "munmap": 3, "newfstatat": 98, "openat": 59},
		other:  map[int]Kind{194: KindBad, 302: KindExit, 303: KindSignal, 330: KindExit},
		stmts:  330,
		badErr: "gcc.strace:194:23: expected ',' or ')', found '}'",
	},
}

// readTraces parses every trace, skipping the test when they are missing.
func readTraces(t testing.TB) map[string]*File {
	t.Helper()
	if _, err := os.Stat(traceDir); err != nil {
		t.Skipf("no traces: %v", err)
	}
	files := map[string]*File{}
	for name := range traceWant {
		src, err := os.ReadFile(filepath.Join(traceDir, name))
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(name, src)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		files[name] = f
	}
	return files
}

func TestTraces(t *testing.T) {
	for name, f := range readTraces(t) {
		want := traceWant[name]
		t.Run(name, func(t *testing.T) {
			if len(f.Stmts) != want.stmts {
				t.Errorf("got %d statements, want %d", len(f.Stmts), want.stmts)
			}
			calls := map[string]int{}
			other := map[int]Kind{}
			for _, s := range f.Stmts {
				if s.Pid == 0 || s.Line != s.EndLine {
					t.Errorf("line %d: Pid %d, lines %d-%d", s.Line, s.Pid, s.Line, s.EndLine)
				}
				if s.Kind == KindCall {
					calls[s.Call.Name]++
				} else {
					other[s.Line] = s.Kind
				}
			}
			if !reflect.DeepEqual(calls, want.calls) {
				t.Errorf("calls:\ngot  %v\nwant %v", calls, want.calls)
			}
			if !reflect.DeepEqual(other, want.other) {
				t.Errorf("other statements:\ngot  %v\nwant %v", other, want.other)
			}
			var gotErr string
			if err := f.Err(); err != nil {
				gotErr = err.Error()
			}
			if gotErr != want.badErr {
				t.Errorf("Err() = %q, want %q", gotErr, want.badErr)
			}
		})
	}
}

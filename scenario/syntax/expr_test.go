package syntax

import (
	"testing"
)

// testFlags stands in for the runner's flag tables (package scenario has
// the real ones, by call and parameter): a few of strace's names.
var testFlags = map[string]uint64{
	"PROT_NONE": 0, "PROT_READ": 1, "PROT_WRITE": 2,
	"MAP_SHARED": 1, "MAP_PRIVATE": 2, "MAP_FIXED": 0x10, "MAP_ANONYMOUS": 0x20,
	"AT_FDCWD": 0xffffffffffffff9c, "AT_EMPTY_PATH": 0x1000,
	"O_RDONLY": 0, "O_RDWR": 2, "O_CREAT": 0x40, "O_CLOEXEC": 0x80000,
	"S_IFREG": 0100000,
}

func TestEval(t *testing.T) {
	vars := Table(map[string]uint64{"a": 0x7f0000001000, "b": 3})
	tests := []struct {
		in    string // an argument of f(...)
		flags map[string]uint64
		want  uint64
		err   string
	}{
		{in: "0", want: 0},
		{in: "-1", want: 0xffffffffffffffff},
		{in: "$a+0x1000", want: 0x7f0000002000},
		{in: "$a - 4096", want: 0x7f0000000000},
		{in: "-$b", want: 0xfffffffffffffffd},
		{in: "0xffffffffffffffff+2", want: 1},
		{in: "$a+4K-1K", want: 0x7f0000001c00},
		{in: "PROT_READ|PROT_WRITE", flags: testFlags, want: 3},
		{in: "PROT_NONE", flags: testFlags, want: 0},
		{in: "MAP_PRIVATE|0x400", flags: testFlags, want: 0x402},
		{in: "MAP_SHARED|MAP_FIXED+0x1000", flags: testFlags, want: 0x1011},
		{in: "NULL", want: 0},
		{in: "MAP_PRIVATE|MAP_BOGUS", flags: testFlags, err: "t:1:3: unknown flag name MAP_BOGUS in MAP_PRIVATE|MAP_BOGUS"},
		{in: "NULL+0x10", want: 0x10},
		{in: "1+PROT_READ", err: "t:1:5: unknown flag name PROT_READ"},
		{in: "$a+$zz", err: "t:1:6: undefined variable $zz"},
		{in: `"x"`, err: `t:1:3: expected number, found string "x"`},
		{in: "{a=1}", err: "t:1:3: expected number, found struct {a=1}"},
	}
	for _, tt := range tests {
		f, _ := Parse("t", []byte("f("+tt.in+")"))
		s := f.Stmts[0]
		if s.Kind != KindCall {
			t.Fatalf("%s: %v", tt.in, s.Err)
		}
		got, err := s.Call.Args[0].Uint(Env{Vars: vars, Flags: Table(tt.flags)})
		var gotErr string
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.err {
			t.Errorf("%s: got %#x, %q; want %#x, %q", tt.in, got, gotErr, tt.want, tt.err)
		}
	}
}

func TestEvalNoEnv(t *testing.T) {
	f, _ := Parse("t", []byte("f($a, X)"))
	c := f.Stmts[0].Call
	if _, err := c.Args[0].Uint(Env{}); err == nil || err.Error() != "t:1:3: undefined variable $a" {
		t.Errorf("got %v", err)
	}
	if _, err := c.Args[1].Uint(Env{}); err == nil || err.Error() != "t:1:7: unknown flag name X" {
		t.Errorf("got %v", err)
	}
	if _, err := (Expr{}).Eval(Env{}); err == nil {
		t.Errorf("empty Expr: no error")
	}
}

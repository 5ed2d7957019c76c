package scenario

import (
	"testing"
)

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
		{in: "PROT_READ|PROT_WRITE", flags: FlagTable("mmap", 2), want: 3},
		{in: "PROT_NONE", flags: FlagTable("mprotect", 2), want: 0},
		{in: "MAP_PRIVATE|0x400", flags: FlagTable("mmap", 3), want: 0x402},
		{in: "MAP_SHARED|MAP_FIXED+0x1000", flags: FlagTable("mmap", 3), want: 0x1011},
		{in: "NULL", want: 0},
		{in: "MAP_PRIVATE|MAP_BOGUS", flags: FlagTable("mmap", 3), err: "t:1:3: unknown flag name MAP_BOGUS in MAP_PRIVATE|MAP_BOGUS"},
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
	if _, err := c.Uint(0, nil); err == nil || err.Error() != "t:1:3: undefined variable $a" {
		t.Errorf("got %v", err)
	}
	if _, err := c.Args[1].Uint(Env{}); err == nil || err.Error() != "t:1:7: unknown flag name X" {
		t.Errorf("got %v", err)
	}
	if _, err := c.Uint(2, nil); err == nil || err.Error() != "t:1:1: f has no argument 3 (it has 2)" {
		t.Errorf("got %v", err)
	}
	if _, err := (Expr{}).Eval(Env{}); err == nil {
		t.Errorf("empty Expr: no error")
	}
}

func TestFlagTable(t *testing.T) {
	tests := []struct {
		call string
		arg  int
		name string
		want uint64
	}{
		{"mmap", 2, "PROT_EXEC", 4},
		{"mmap2", 3, "MAP_FIXED", 0x10},
		{"mmap", 3, "MAP_DENYWRITE", 0x800},
		{"mprotect", 2, "PROT_READ", 1},
		{"mremap", 3, "MREMAP_MAYMOVE", 1},
		{"msync", 2, "MS_SYNC", 4},
		{"madvise", 2, "MADV_DONTNEED", 4},
		{"openat", 0, "AT_FDCWD", 0xffffffffffffff9c},
		{"openat", 2, "O_CLOEXEC", 0x80000},
		{"open", 1, "O_RDWR", 2},
		{"newfstatat", 0, "AT_FDCWD", 0xffffffffffffff9c},
		{"newfstatat", 2, "S_IFDIR", 0040000},
		{"newfstatat", 3, "AT_EMPTY_PATH", 0x1000},
		{"newfstatat", 3, "AT_SYMLINK_NOFOLLOW", 0x100},
		{"fstat", 1, "S_IFREG", 0100000},
	}
	for _, tt := range tests {
		got, ok := FlagTable(tt.call, tt.arg)[tt.name]
		if !ok || got != tt.want {
			t.Errorf("FlagTable(%q, %d)[%s] = %#x, %v; want %#x", tt.call, tt.arg, tt.name, got, ok, tt.want)
		}
	}
	for _, none := range []struct {
		call string
		arg  int
	}{{"mmap", 0}, {"mmap", 4}, {"munmap", 1}, {"close", 0}, {"poke", 0}, {"nosuchcall", 2}} {
		if m := FlagTable(none.call, none.arg); m != nil {
			t.Errorf("FlagTable(%q, %d) = %v, want nil", none.call, none.arg, m)
		}
	}
	m := FlagTable("mmap", 2)
	m["PROT_READ"] = 99
	if FlagTable("mmap", 2)["PROT_READ"] != 1 {
		t.Errorf("FlagTable shares its maps")
	}
}

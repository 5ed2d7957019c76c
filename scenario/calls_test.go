package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// TestCallTable checks that every call is described consistently: a
// simulated call runs, a memory call says how a replay translates it, its
// result kind names the parameters the replay reads, and every parameter
// kind is known.
func TestCallTable(t *testing.T) {
	for _, name := range callNames() {
		c := callTable[name]
		if c.Name != name {
			t.Errorf("%s: indexed as %s", c.Name, name)
		}
		if c.Class == UnmodelledCall {
			if c.run != nil || c.Params != nil {
				t.Errorf("%s: an unmodelled call with a model", name)
			}
			continue
		}
		if c.run == nil || c.Min > len(c.Params) || c.Result == 0 {
			t.Errorf("%s: run %v, Min %d of %d params, Result %d", name, c.run != nil, c.Min, len(c.Params), c.Result)
		}
		if (c.Class == MemoryCall) != (c.Translate != nil) {
			t.Errorf("%s: class %d, Translate %v", name, c.Class, c.Translate != nil)
		}
		if c.Result == ResultRange && (c.Index(ParamHint) < 0 || c.Index(ParamNewLen) < 0) {
			t.Errorf("%s: returns a range but has no hint or new length", name)
		}
		if c.FD == FDOpen && (c.Index(ParamPath) < 0 || c.Index(ParamOpenFlags) < 0) ||
			c.FD == FDClose && c.Index(ParamFD) < 0 ||
			c.FD == FDStat && (c.Index(ParamStat) < 0 || c.Index(ParamFD) < 0 && c.Index(ParamDirFD) < 0) {
			t.Errorf("%s: FD effect %d without the parameters it reads", name, c.FD)
		}
		for _, p := range c.Params {
			if p.Kind == 0 || p.Kind >= numParamKinds || p.Name == "" {
				t.Errorf("%s: parameter %+v", name, p)
			}
		}
	}
}

// TestMemoryStatementsAgree checks that the table's memory statements are
// the ones the parser knows, taking the same arguments: the parser takes
// a statement with one argument of each parameter's type, and refuses one
// with an argument fewer.
func TestMemoryStatementsAgree(t *testing.T) {
	for _, c := range memoryStatements {
		var args []string
		for _, p := range c.Params {
			if p.Kind == ParamBytes {
				args = append(args, `"x"`)
			} else {
				args = append(args, "1")
			}
		}
		full := c.Name + "(" + strings.Join(args, ", ") + ")"
		short := c.Name + "(" + strings.Join(args[:len(args)-1], ", ") + ")"
		f, _ := syntax.Parse("t", []byte(full+"\n"+short+"\n"))
		if st := f.Stmts[0]; st.Kind != syntax.KindMemory {
			t.Errorf("%s: parsed as %s (%v)", full, st.Kind, st.Err)
		}
		if st := f.Stmts[1]; st.Kind != syntax.KindBad {
			t.Errorf("%s: parsed as %s, want an error", short, st.Kind)
		}
	}
}

func TestArity(t *testing.T) {
	tests := []struct {
		call   string
		n      int
		strict bool
		want   string // "" for no error
	}{
		{"munmap", 2, true, ""},
		{"munmap", 1, false, "munmap takes 2 arguments (addr, length), found 1"},
		{"munmap", 3, true, "munmap takes 2 arguments (addr, length), found 3"},
		{"munmap", 3, false, ""},
		{"brk", 0, true, "brk takes 1 argument (addr), found 0"},
		{"mremap", 5, true, ""},
		{"mremap", 6, true, "mremap takes 4 or 5 arguments (old_address, old_size, new_size, flags[, new_address]), found 6"},
		{"newfstatat", 1, true, "newfstatat takes 2 to 4 arguments (dirfd, pathname[, statbuf[, flags]]), found 1"},
		{"openat", 4, true, ""},
		{"open", 4, true, "open takes 2 or 3 arguments (pathname, flags[, mode]), found 4"},
	}
	for _, tt := range tests {
		c, _ := LookupCall(tt.call)
		var got string
		if err := c.CheckArity(tt.n, tt.strict); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s with %d arguments (strict %v): got %q, want %q", tt.call, tt.n, tt.strict, got, tt.want)
		}
	}
}

// TestParamNames checks the flag names each call's arguments may use, by
// call and position, as strace prints them.
func TestParamNames(t *testing.T) {
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
		{"mprotect", 2, "PROT_NONE", 0},
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
		c, _ := LookupCall(tt.call)
		got, ok := c.Params[tt.arg].Kind.Names()[tt.name]
		if !ok || got != tt.want {
			t.Errorf("%s argument %d: %s = %#x, %v; want %#x", tt.call, tt.arg, tt.name, got, ok, tt.want)
		}
	}
	for _, none := range []struct {
		call string
		arg  int
	}{{"mmap", 0}, {"mmap", 4}, {"munmap", 1}, {"close", 0}, {"poke", 0}} {
		c, _ := LookupCall(none.call)
		if m := c.Params[none.arg].Kind.Names(); m != nil {
			t.Errorf("%s argument %d takes names %v, want none", none.call, none.arg, m)
		}
	}
	names := ParamProt.Names()
	names["PROT_READ"] = 99
	if v, _ := ParamProt.Env(nil).Flags("PROT_READ"); v != 1 {
		t.Errorf("Names shares its map")
	}
}

// TestTraceValues evaluates every argument of every call in the real
// traces with the call table: every flag name strace printed there must
// be known, and every call must be in the table.
func TestTraceValues(t *testing.T) {
	names, _ := filepath.Glob("../../shared/traces/*.strace")
	if len(names) == 0 {
		t.Skip("no traces")
	}
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, _ := syntax.Parse(filepath.Base(name), src)
		for _, st := range f.Stmts {
			if st.Kind != syntax.KindCall {
				continue
			}
			c, ok := LookupCall(st.Call.Name)
			if !ok {
				t.Errorf("%s:%d: %s is not in the call table", f.Name, st.Line, st.Call.Name)
				continue
			}
			if err := c.CheckArity(len(st.Call.Args), true); err != nil {
				t.Errorf("%s:%d: %v", f.Name, st.Line, err)
			}
			if _, err := c.Eval(st.Call, nil); err != nil {
				t.Errorf("%s: %v", f.Name, err)
			}
			if i := c.Index(ParamStat); i >= 0 && i < len(st.Call.Args) && st.Call.Args[i].Kind == syntax.ArgStruct {
				for _, field := range []string{"st_mode", "st_size"} {
					if v, ok := st.Call.Args[i].Field(field); ok {
						if _, err := v.Uint(ParamStat.Env(nil)); err != nil {
							t.Errorf("%s: %v", f.Name, err)
						}
					}
				}
			}
			if err := CheckNames(st); err != nil {
				t.Errorf("%s: %v", f.Name, err)
			}
		}
	}
}

// TestFormat checks that a call is written back as strace writes it, an
// omitted optional argument with the value it runs with.
func TestFormat(t *testing.T) {
	tests := []struct{ in, want string }{
		{"mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)",
			"mmap(0, 0x2000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)"},
		{"mremap(0x1000, 4096, 8192, MREMAP_MAYMOVE)", "mremap(0x1000, 0x1000, 0x2000, MREMAP_MAYMOVE, 0)"},
		{"madvise(0x1000, 4096, MADV_DONTNEED)", "madvise(0x1000, 0x1000, MADV_DONTNEED)"},
		{`openat(AT_FDCWD, "a.so", O_RDONLY|O_CLOEXEC)`, `openat(AT_FDCWD, "a.so", O_RDONLY|O_CLOEXEC, 0644)`},
		{`newfstatat(3, "", {st_size=1, ...}, AT_EMPTY_PATH)`, `newfstatat(3, "", {...}, 0x1000)`},
		{`pwrite64(3, "ab", 2, 0)`, `pwrite64(3, "ab", 2, 0)`},
	}
	for _, tt := range tests {
		f, _ := syntax.Parse("t", []byte(tt.in))
		st := f.Stmts[0]
		c, _ := LookupCall(st.Call.Name)
		args, err := c.Eval(st.Call, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if got := c.Format(args); got != tt.want {
			t.Errorf("%s:\ngot  %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

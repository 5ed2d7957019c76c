package syntax

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// canon copies s without what Format does not keep: positions, source
// text, pid, timestamp, duration, Late (which depends on the lines before)
// and how numbers were written.
func canon(s *Stmt) Stmt {
	c := *s
	c.Line, c.EndLine, c.Pid, c.Time, c.Text, c.Duration, c.Late = 0, 0, 0, "", "", "", false
	if c.Call != nil {
		call := *c.Call
		call.Pos = Pos{}
		call.Args = canonArgs(call.Args)
		c.Call = &call
	}
	if c.Want != nil {
		w := *c.Want
		w.Pos, w.NamePos = Pos{}, Pos{}
		w.Value = canonExpr(w.Value)
		c.Want = &w
	}
	if c.Pairs != nil {
		c.Pairs = append([]Pair(nil), c.Pairs...)
		for i := range c.Pairs {
			c.Pairs[i].Pos = Pos{}
		}
	}
	if c.FileSpec != nil {
		fs := *c.FileSpec
		fs.Size = canonNum(fs.Size)
		if fs.Fill != nil {
			n := canonNum(*fs.Fill)
			fs.Fill = &n
		}
		if fs.Mode != nil {
			n := canonNum(*fs.Mode)
			fs.Mode = &n
		}
		c.FileSpec = &fs
	}
	if c.Signal != nil {
		sig := *c.Signal
		if sig.Info != nil {
			info := canonArg(*sig.Info)
			sig.Info = &info
		}
		c.Signal = &sig
	}
	return c
}

func canonArgs(args []Arg) []Arg {
	if args == nil {
		return nil
	}
	out := make([]Arg, len(args))
	for i, a := range args {
		out[i] = canonArg(a)
	}
	return out
}

func canonArg(a Arg) Arg {
	a.Pos, a.Src = Pos{}, ""
	if a.Out != nil {
		out := canonArg(*a.Out)
		a.Out = &out
	}
	a.Expr = canonExpr(a.Expr)
	a.Elems = canonArgs(a.Elems)
	if a.Fields != nil {
		fields := make([]Field, len(a.Fields))
		for i, f := range a.Fields {
			fields[i] = Field{Name: f.Name, Value: canonArg(f.Value)}
		}
		a.Fields = fields
	}
	return a
}

func canonExpr(e Expr) Expr {
	if e.Terms == nil {
		return e
	}
	terms := make([]Term, len(e.Terms))
	for i, t := range e.Terms {
		t.Pos = Pos{}
		t.Num = canonNum(t.Num)
		if t.Rest != nil {
			n := canonNum(*t.Rest)
			t.Rest = &n
		}
		terms[i] = t
	}
	return Expr{Terms: terms}
}

func canonNum(n Num) Num {
	n.Base = 0
	return n
}

// checkRoundTrip checks that Format(s) parses back to s, and that
// formatting is then stable.
func checkRoundTrip(t testing.TB, s *Stmt) {
	t.Helper()
	out := Format(s)
	f, err := Parse("re", []byte(out+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Stmts) != 1 {
		t.Fatalf("%s: Format gave %q, which parses to %d statements", s.Err, out, len(f.Stmts))
	}
	r := f.Stmts[0]
	if got, want := canon(r), canon(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip of line %d %q through %q:\ngot  %s\nwant %s", s.Line, s.Text, out, dump(&got), dump(&want))
	}
	if again := Format(r); again != out {
		t.Fatalf("Format not stable: %q, then %q", out, again)
	}
}

func TestRoundTripTraces(t *testing.T) {
	for _, f := range readTraces(t) {
		for _, s := range f.Stmts {
			if s.Kind != KindBad {
				checkRoundTrip(t, s)
			}
		}
		g, _ := Parse("re", []byte(f.Format()))
		if len(g.Stmts) != len(f.Stmts) {
			t.Fatalf("%s: File.Format parses to %d statements, want %d", f.Name, len(g.Stmts), len(f.Stmts))
		}
		for i, s := range f.Stmts {
			if s.Kind != KindBad && !reflect.DeepEqual(canon(g.Stmts[i]), canon(s)) {
				t.Errorf("%s line %d: File.Format round trip differs", f.Name, s.Line)
			}
		}
	}
}

func TestRoundTripTables(t *testing.T) {
	for _, tt := range grammarTests {
		f, _ := Parse("t", []byte(tt.in))
		for _, s := range f.Stmts {
			if s.Kind != KindBad {
				checkRoundTrip(t, s)
			}
		}
	}
	src, err := os.ReadFile("testdata/example.scn")
	if err != nil {
		t.Fatal(err)
	}
	f, _ := Parse("example.scn", src)
	for _, s := range f.Stmts {
		checkRoundTrip(t, s)
	}
	g, _ := Parse("re", []byte(f.Format()))
	for i, s := range f.Stmts {
		if c := canon(s); !reflect.DeepEqual(canon(g.Stmts[i]), c) || g.Stmts[i].Late != s.Late {
			t.Errorf("example.scn line %d: File.Format round trip differs", s.Line)
		}
	}
}

// dump renders a statement for failure messages.
func dump(s *Stmt) string {
	b, err := json.Marshal(s)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

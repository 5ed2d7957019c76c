package syntax

// Clone returns a deep copy of s, sharing nothing with it but strings
// (which do not change): a statement to keep past the next call of
// Reader.Next when the reader reuses its statements (Reader.Reuse).
func (s *Stmt) Clone() *Stmt {
	c := *s
	if s.Call != nil {
		call := *s.Call
		call.Args = cloneArgs(s.Call.Args)
		c.Call = &call
	}
	if s.Want != nil {
		w := *s.Want
		w.Value = cloneExpr(w.Value)
		w.Bytes = cloneBytes(w.Bytes)
		c.Want = &w
	}
	if s.Pairs != nil {
		c.Pairs = append([]Pair(nil), s.Pairs...)
	}
	if s.FileSpec != nil {
		fs := *s.FileSpec
		fs.Fill, fs.Mode = cloneNum(fs.Fill), cloneNum(fs.Mode)
		c.FileSpec = &fs
	}
	if s.Signal != nil {
		sig := *s.Signal
		if sig.Info != nil {
			info := cloneArg(*sig.Info)
			sig.Info = &info
		}
		c.Signal = &sig
	}
	if s.Exit != nil {
		x := *s.Exit
		c.Exit = &x
	}
	if s.Err != nil {
		e := *s.Err
		c.Err = &e
	}
	return &c
}

func cloneArgs(args []Arg) []Arg {
	if args == nil {
		return nil
	}
	out := make([]Arg, len(args))
	for i, a := range args {
		out[i] = cloneArg(a)
	}
	return out
}

func cloneArg(a Arg) Arg {
	a.Expr = cloneExpr(a.Expr)
	a.Bytes = cloneBytes(a.Bytes)
	a.Elems = cloneArgs(a.Elems)
	if a.Fields != nil {
		fields := make([]Field, len(a.Fields))
		for i, f := range a.Fields {
			fields[i] = Field{Name: f.Name, Value: cloneArg(f.Value)}
		}
		a.Fields = fields
	}
	if a.Out != nil {
		out := cloneArg(*a.Out)
		a.Out = &out
	}
	return a
}

func cloneExpr(e Expr) Expr {
	if e.Terms == nil {
		return e
	}
	terms := make([]Term, len(e.Terms))
	for i, t := range e.Terms {
		if t.Names != nil {
			t.Names = append([]string(nil), t.Names...)
		}
		t.Rest = cloneNum(t.Rest)
		terms[i] = t
	}
	return Expr{Terms: terms}
}

func cloneNum(n *Num) *Num {
	if n == nil {
		return nil
	}
	c := *n
	return &c
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

package syntax

// This file parses the arguments of a call: lists, structs, arrays,
// expressions and their terms, with strace's labels ("child_stack=NULL"),
// decorations ("3</usr/lib/libc.so.6>") and values on exit ("=> {...}").

// parseList reads comma-separated arguments up to the closing token, which
// it consumes. With dots, a final "..." is allowed and reported by more;
// with labels, an argument may be labelled (name=value, as strace prints
// clone's).
func (p *parser) parseList(close tokKind, closeName string, dots, labels bool) (args []Arg, more bool, err *Error) {
	if p.tok.kind == close {
		p.advance()
		return nil, false, nil
	}
	base := len(p.scratch)
	defer func() { p.scratch = p.scratch[:base] }()
	for {
		if dots && p.tok.kind == tEllipsis {
			p.advance()
			return p.list(base), true, p.expectAfter(close, closeName, " after ...")
		}
		label := ""
		if labels && p.tok.kind == tIdent && p.assignNext() {
			label = p.tok.text
			p.advance()
			p.advance()
		}
		a, err := p.parseArg()
		if err != nil {
			return nil, false, err
		}
		a.Label = label
		p.scratch = append(p.scratch, a)
		if p.tok.kind == close {
			p.advance()
			return p.list(base), false, nil
		}
		if p.tok.kind != tComma {
			return nil, false, p.unexpected("',' or " + closeName)
		}
		p.advance()
	}
}

// list copies the arguments gathered since base out of the scratch.
func (p *parser) list(base int) []Arg {
	out := p.args.take(len(p.scratch) - base)
	copy(out, p.scratch[base:])
	return out
}

// parseArg reads one argument.
func (p *parser) parseArg() (Arg, *Error) {
	start := p.tok.off
	if p.depth >= maxDepth {
		return Arg{}, p.src.errorf(start, "expected at most %d levels of nested arguments, found more", maxDepth)
	}
	p.depth++
	defer func() { p.depth-- }()
	a := Arg{Pos: p.src.pos(start)}
	var err *Error
	switch p.tok.kind {
	case tString:
		a.Kind, a.Bytes, a.Truncated = ArgString, p.tok.str, p.tok.trunc
		p.advance()
	case tLBrace:
		a.Kind = ArgStruct
		p.advance()
		a.Fields, a.More, err = p.parseFields()
	case tLBrack:
		a.Kind = ArgArray
		p.advance()
		a.Elems, a.More, err = p.parseList(tRBrack, "']'", true, false)
	case tIdent:
		if c, ok := p.nextByte(); ok && c == '(' {
			var c *Call
			c, err = p.parseCall()
			if err == nil {
				a.Kind, a.Name, a.Elems = ArgCall, c.Name, c.Args
			}
			break
		}
		fallthrough
	default:
		a.Kind = ArgExpr
		a.Expr, err = p.parseExpr()
		if err == nil && isNull(a.Expr) {
			a.Kind, a.Expr = ArgNull, Expr{}
		}
	}
	if err != nil {
		return Arg{}, err
	}
	a.Decor = p.decoration()
	if p.tok.kind == tArrow {
		p.advance()
		out, err := p.parseArg()
		if err != nil {
			return Arg{}, err
		}
		a.Out = &out
	}
	a.Src = p.src.text[start:p.prevEnd]
	return a, nil
}

// decoration reads strace's -y/-yy decoration, an angle-bracketed text
// written right after a value ("3</usr/lib/libc.so.6>"), and returns its
// text; "" when the current token is not one. An angle after white space
// is not a decoration (it is -T's duration, say).
func (p *parser) decoration() string {
	if p.tok.kind != tAngle || p.tok.off != p.prevEnd {
		return ""
	}
	d := p.tok.text[1 : len(p.tok.text)-1]
	p.advance()
	return d
}

// isNull says whether e is the bare name NULL, which is an ArgNull.
func isNull(e Expr) bool {
	if len(e.Terms) != 1 {
		return false
	}
	t := e.Terms[0]
	return t.Kind == TermFlags && !t.Neg && t.Rest == nil && len(t.Names) == 1 && t.Names[0] == "NULL"
}

// parseFields reads a struct's fields after its '{': name "=" arg, ...,
// with an optional final "...".
func (p *parser) parseFields() (fields []Field, more bool, err *Error) {
	if p.tok.kind == tRBrace {
		p.advance()
		return nil, false, nil
	}
	base := len(p.fieldScratch)
	defer func() { p.fieldScratch = p.fieldScratch[:base] }()
	gathered := func() []Field {
		out := p.fields.take(len(p.fieldScratch) - base)
		copy(out, p.fieldScratch[base:])
		return out
	}
	for {
		if p.tok.kind == tEllipsis {
			p.advance()
			return gathered(), true, p.expect(tRBrace, "'}' after ...")
		}
		if p.tok.kind != tIdent {
			return nil, false, p.unexpected("field name")
		}
		f := Field{Name: p.tok.text}
		p.advance()
		if err := p.expectAfter(tAssign, "'=' after field ", f.Name); err != nil {
			return nil, false, err
		}
		if f.Value, err = p.parseArg(); err != nil {
			return nil, false, err
		}
		p.fieldScratch = append(p.fieldScratch, f)
		if p.tok.kind == tRBrace {
			p.advance()
			return gathered(), false, nil
		}
		if p.tok.kind != tComma {
			return nil, false, p.unexpected("',' or '}'")
		}
		p.advance()
	}
}

// parseExpr reads [ "-" ] term { ( "+" | "-" ) term }.
func (p *parser) parseExpr() (Expr, *Error) {
	var terms [2]Term // most expressions have one term: gathered here first
	var more []Term
	n := 0
	neg := false
	if p.tok.kind == tMinus {
		neg = true
		p.advance()
	}
	for {
		t, err := p.parseTerm(neg)
		if err != nil {
			return Expr{}, err
		}
		if n < len(terms) {
			terms[n] = t
		} else {
			more = append(more, t)
		}
		n++
		switch p.tok.kind {
		case tPlus:
			neg = false
		case tMinus:
			neg = true
		default:
			e := Expr{Terms: p.terms.take(n)}
			copy(e.Terms[copy(e.Terms, terms[:min(n, len(terms))]):], more)
			return e, nil
		}
		p.advance()
	}
}

// parseTerm reads a $variable, or a flag set: ( name | number ) { "|" ( name | number ) }.
// A flag set of numbers only is a number.
func (p *parser) parseTerm(neg bool) (Term, *Error) {
	t := Term{Pos: p.src.pos(p.tok.off), Neg: neg}
	if p.tok.kind == tVar {
		t.Kind, t.Var = TermVar, p.tok.text[1:]
		p.advance()
		return t, nil
	}
	var num Num // the numbers or'ed together
	nums := 0
	var names [4]string // most flag sets are short: names are gathered here first
	n := 0
	for {
		switch p.tok.kind {
		case tIdent:
			if n < len(names) {
				names[n] = p.tok.text
			} else {
				if n == len(names) {
					t.Names = append(t.Names, names[:]...)
				}
				t.Names = append(t.Names, p.tok.text)
			}
			n++
		case tNumber:
			if nums == 0 {
				num = p.tok.num
			} else {
				num.Value |= p.tok.num.Value
				num.Suffix = 0
			}
			nums++
		default:
			what := "number, $variable or flag name"
			if n+nums > 0 {
				what = "flag name or number after '|'"
			}
			return Term{}, p.unexpected(what)
		}
		p.advance()
		if p.tok.kind != tPipe {
			break
		}
		p.advance()
	}
	if n > 0 && n <= len(names) {
		t.Names = p.names.take(n)
		copy(t.Names, names[:n])
	}
	if len(t.Names) == 0 {
		t.Kind, t.Num = TermNum, num
		return t, nil
	}
	t.Kind = TermFlags
	if nums > 0 {
		rest := num
		t.Rest = &rest
	}
	return t, nil
}

package syntax

import (
	"fmt"
	"strings"
)

// This file parses the token-level grammar of a statement: the call, its
// arguments and expressions, and its result. line.go cuts the file into
// lines and deals with everything around a call.

// parser reads one statement's tokens with one token of lookahead.
type parser struct {
	src     *source
	lx      lexer
	tok     token // the current token
	prevEnd int   // end offset of the token before tok
	depth   int   // of nested arguments, bounded by maxDepth
	// scratch and fieldScratch are where parseList and parseFields
	// gather a list's arguments or a struct's fields before copying them
	// into a slice of the right size; nested lists stack on top of their
	// outer list's.
	scratch      []Arg
	fieldScratch []Field
	// The arenas the slices of the statements come from.
	args    arena[Arg]
	fields  arena[Field]
	terms   arena[Term]
	expects arena[Expect]
	names   arena[string]
	calls   arena[Call]
}

// maxDepth bounds the nesting of structs, arrays and calls in arguments,
// so that no input can exhaust the stack.
const maxDepth = 64

func newParser(src *source, off int) *parser {
	p := &parser{}
	p.reset(src, off)
	return p
}

// reset readies p to parse src from off, keeping its scratch space.
func (p *parser) reset(src *source, off int) {
	*p = parser{src: src, lx: lexer{src: src, off: off}, prevEnd: off,
		scratch: p.scratch[:0], fieldScratch: p.fieldScratch[:0], args: p.args, fields: p.fields, terms: p.terms, expects: p.expects, names: p.names, calls: p.calls}
	p.tok = p.lx.next()
}

func (p *parser) advance() {
	p.prevEnd = p.tok.end
	p.tok = p.lx.next()
}

// nextByte returns the first byte after the current token that is not
// white space, and whether there is one: a cheap look at the next token
// where its first byte tells it ('(', '=').
func (p *parser) nextByte() (byte, bool) {
	t := p.src.text
	i := p.tok.end
	for i < len(t) && isSpace(t[i]) {
		i++
	}
	if i == len(t) {
		return 0, false
	}
	return t[i], true
}

// assignNext says whether the token after the current one is '=' (not
// "=>").
func (p *parser) assignNext() bool {
	c, ok := p.nextByte()
	if !ok || c != '=' {
		return false
	}
	l := p.lx
	return l.next().kind == tAssign
}

// unexpected reports the current token where something else was expected.
// An illegal token reports its own problem instead.
func (p *parser) unexpected(what string) *Error {
	if p.tok.kind == tIllegal {
		return p.src.errorf(p.tok.errOff, "%s", p.tok.err)
	}
	return p.src.errorf(p.tok.off, "expected %s, found %s", what, p.tok.describe())
}

func (p *parser) expect(k tokKind, what string) *Error {
	return p.expectAfter(k, what, "")
}

// expectAfter is expect with what+after for the message, joined only when
// the message is needed: parsing a good line builds no strings.
func (p *parser) expectAfter(k tokKind, what, after string) *Error {
	if p.tok.kind != k {
		return p.unexpected(what + after)
	}
	p.advance()
	return nil
}

// memoryCalls are the scenario-only memory statements, with their
// argument names (which say how many they take).
var memoryCalls = map[string][]string{
	"poke": {"addr", "bytes"},
	"peek": {"addr", "len"},
	"fill": {"addr", "len", "byte"},
}

// parseStmt reads a call statement into s:
//
//	[ "$" name "=" ] call [ "=" result ] [ duration ] [ "#" comment ]
func (p *parser) parseStmt(s *Stmt) *Error {
	bindTok := p.tok
	if p.tok.kind == tVar {
		s.Bind = p.tok.text[1:]
		p.advance()
		if err := p.expectAfter(tAssign, "'=' after ", bindTok.text); err != nil {
			return err
		}
	}
	if p.tok.kind != tIdent {
		return p.unexpected("system call")
	}
	call, err := p.parseCall()
	if err != nil {
		return err
	}
	s.Kind, s.Call = KindCall, call
	_, memory := memoryCalls[call.Name]
	if memory {
		s.Kind = KindMemory
		if s.Bind != "" {
			return p.src.errorf(bindTok.off, "%s cannot be bound to %s: it returns nothing", call.Name, bindTok.text)
		}
	}
	if p.tok.kind == tAssign {
		p.advance()
		if s.Want, err = p.parseResult(memory); err != nil {
			return err
		}
	}
	if p.tok.kind == tAngle {
		d, ok := duration(p.tok.text)
		if !ok {
			return p.unexpected("end of line")
		}
		s.Duration = d
		p.advance()
	}
	if p.tok.kind == tHash {
		s.Comment = trimSpace(p.tok.text[1:])
		p.advance()
	}
	if p.tok.kind != tEOF {
		if s.Want == nil && p.tok.kind != tIllegal {
			return p.unexpected("'=' or end of line")
		}
		return p.unexpected("end of line")
	}
	if memory {
		return checkMemory(p.src, s)
	}
	return nil
}

// duration recognises strace's -T suffix "<0.000123>".
func duration(angle string) (string, bool) {
	d := angle[1 : len(angle)-1]
	dot := strings.IndexByte(d, '.')
	if dot <= 0 || dot == len(d)-1 || !allDigits(d[:dot]) || !allDigits(d[dot+1:]) {
		return "", false
	}
	return d, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// checkMemory checks the shape of poke, peek and fill.
func checkMemory(src *source, s *Stmt) *Error {
	c := s.Call
	want := memoryCalls[c.Name]
	if len(c.Args) != len(want) {
		return &Error{Pos: c.Pos, Msg: fmt.Sprintf("%s wants %d arguments (%s), found %d",
			c.Name, len(want), strings.Join(want, ", "), len(c.Args))}
	}
	for i, a := range c.Args {
		switch {
		case want[i] == "bytes":
			if a.Kind != ArgString || a.Truncated {
				return &Error{Pos: a.Pos, Msg: fmt.Sprintf("expected string for %s argument %s, found %s", c.Name, want[i], a.Src)}
			}
		case a.Kind != ArgExpr && a.Kind != ArgNull:
			return &Error{Pos: a.Pos, Msg: fmt.Sprintf("expected number for %s argument %s, found %s", c.Name, want[i], a.Kind)}
		}
	}
	if s.Want != nil && s.Want.Kind == ExpectBytes && c.Name != "peek" {
		return &Error{Pos: s.Want.Pos, Msg: fmt.Sprintf("expected ?, SIGSEGV or SIGBUS as the result of %s, found a string", c.Name)}
	}
	return nil
}

// parseCall reads name "(" [ arg { "," arg } ] ")".
// Precondition: p.tok is the name.
func (p *parser) parseCall() (*Call, *Error) {
	c := &p.calls.take(1)[0]
	c.Name, c.Pos = p.tok.text, p.src.pos(p.tok.off)
	p.advance()
	if err := p.expectAfter(tLParen, "'(' after ", c.Name); err != nil {
		return nil, err
	}
	var err *Error
	c.Args, _, err = p.parseList(tRParen, "')'", false, true)
	return c, err
}

// parseResult reads what follows " = ". Calls expect "?", a value, or
// "-1 ERRNO"; memory statements expect "?", SIGSEGV, SIGBUS or "bytes".
// Either may end with a parenthesised message.
func (p *parser) parseResult(memory bool) (*Expect, *Error) {
	w := &p.expects.take(1)[0]
	w.Pos = p.src.pos(p.tok.off)
	switch {
	case p.tok.kind == tQuest:
		w.Kind = ExpectAny
		p.advance()
		if p.tok.kind == tIdent {
			w.Name, w.NamePos = p.tok.text, p.src.pos(p.tok.off)
			p.advance()
		}
	case !memory:
		switch p.tok.kind {
		case tMinus, tNumber, tIdent, tVar:
		default:
			return nil, p.unexpected("result (number, -1 ERRNO or ?)")
		}
		e, err := p.parseExpr()
		if err != nil {
			return nil, err
		}
		w.Kind, w.Value = ExpectValue, e
		w.Decor = p.decoration()
		if p.tok.kind == tIdent && w.Decor == "" {
			if !isMinusOne(e) {
				return nil, p.unexpected("end of line")
			}
			w.Kind, w.Value = ExpectErrno, Expr{}
			w.Name, w.NamePos = p.tok.text, p.src.pos(p.tok.off)
			p.advance()
		}
	case p.tok.kind == tString:
		if p.tok.trunc {
			return nil, p.src.errorf(p.tok.off, "expected complete string, found truncated %s", shorten(p.tok.text))
		}
		w.Kind, w.Bytes = ExpectBytes, p.tok.str
		p.advance()
		return w, nil
	case p.tok.kind == tIdent && (p.tok.text == "SIGSEGV" || p.tok.text == "SIGBUS"):
		w.Kind, w.Name, w.NamePos = ExpectSignal, p.tok.text, p.src.pos(p.tok.off)
		p.advance()
		return w, nil
	default:
		return nil, p.unexpected(`?, SIGSEGV, SIGBUS or "bytes"`)
	}
	if p.tok.kind == tLParen {
		msg, err := p.rawParens()
		if err != nil {
			return nil, err
		}
		w.Msg = msg
	}
	return w, nil
}

// isMinusOne says whether e is "-1", strace's prefix of an errno result.
func isMinusOne(e Expr) bool {
	return len(e.Terms) == 1 && e.Terms[0].Neg && e.Terms[0].Kind == TermNum && e.Terms[0].Num.Value == 1
}

// rawParens reads "(text)" as raw text, parentheses nested, and returns
// the text trimmed. strace's messages ("Can't ...") are not tokens.
// Precondition: p.tok is '('.
func (p *parser) rawParens() (string, *Error) {
	t := p.src.text
	depth := 0
	for i := p.tok.off; i < len(t); i++ {
		switch t[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				msg := trimSpace(t[p.tok.off+1 : i])
				p.lx.off = i + 1
				p.prevEnd = i + 1
				p.tok = p.lx.next()
				return msg, nil
			}
		}
	}
	return "", p.src.errorf(p.tok.off, "expected ')' to close this '(', found end of line")
}

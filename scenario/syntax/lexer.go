package syntax

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// source is the text of one statement (one line, or the two halves of an
// unfinished/resumed pair glued together) and the map from its byte offsets
// back to file positions.
type source struct {
	name string
	text string
	segs []segment // sorted by off; segs[0].off == 0
}

// segment says that text[off:] (up to the next segment) starts at line:col.
type segment struct {
	off, line, col int
}

// lineSource is the source of a single line.
func lineSource(name string, line int, text string) *source {
	return &source{name: name, text: text, segs: []segment{{0, line, 1}}}
}

// pos maps a byte offset of s.text to a file position.
func (s *source) pos(off int) Pos {
	sg := s.segs[0]
	for _, g := range s.segs[1:] {
		if g.off > off {
			break
		}
		sg = g
	}
	return Pos{Name: s.name, Line: sg.line, Col: sg.col + off - sg.off}
}

func (s *source) errorf(off int, format string, args ...any) *Error {
	return &Error{Pos: s.pos(off), Msg: fmt.Sprintf(format, args...)}
}

// tokKind is a token's type.
type tokKind uint8

const (
	tEOF     tokKind = iota
	tIllegal         // err says why
	tIdent           // MAP_PRIVATE, mmap
	tVar             // $a: text is "$a"
	tNumber          // num is its value
	tString          // str and trunc are its value
	tAngle           // <...>: strace's <unfinished ...>, <0.000123>, <unavailable>
	tHash            // '#' and the rest of the line: a trailing comment
	tLParen
	tRParen
	tLBrack
	tRBrack
	tLBrace
	tRBrace
	tComma
	tAssign
	tPipe
	tPlus
	tMinus
	tQuest
	tEllipsis // ...
	tArrow    // =>: strace's "value on entry => value on exit"
)

var punct = map[byte]tokKind{'(': tLParen, ')': tRParen, '[': tLBrack, ']': tRBrack,
	'{': tLBrace, '}': tRBrace, ',': tComma, '=': tAssign, '|': tPipe, '+': tPlus,
	'-': tMinus, '?': tQuest}

type token struct {
	kind     tokKind
	off, end int    // byte offsets in the source text
	text     string // source text
	num      Num    // tNumber
	str      []byte // tString
	trunc    bool   // tString: followed by "..."
	err      string // tIllegal
	errOff   int    // tIllegal: where the problem is
}

// describe renders a token for "expected X, found Y" messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of line"
	case tIdent:
		return "name " + t.text
	case tVar:
		return "variable " + t.text
	case tNumber:
		return "number " + t.text
	case tString:
		return "string " + shorten(t.text)
	case tAngle:
		return shorten(t.text)
	case tHash:
		return "comment"
	}
	return "'" + shorten(t.text) + "'"
}

func shorten(s string) string {
	if len(s) > 24 {
		return s[:21] + "..."
	}
	return s
}

// lexer cuts a source into tokens, from off to the end of its text.
type lexer struct {
	src *source
	off int
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}
func isLetter(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isWordByte(c byte) bool {
	return isLetter(c) || isDigit(c)
}

// skip passes white space and C comments (strace prints "/* 20 vars */").
// It returns the offset of an unterminated comment, or -1.
func (l *lexer) skip() int {
	t := l.src.text
	for l.off < len(t) {
		switch {
		case isSpace(t[l.off]):
			l.off++
		case strings.HasPrefix(t[l.off:], "/*"):
			end := strings.Index(t[l.off+2:], "*/")
			if end < 0 {
				return l.off
			}
			l.off += 2 + end + 2
		default:
			return -1
		}
	}
	return -1
}

// next returns the next token.
func (l *lexer) next() token {
	if bad := l.skip(); bad >= 0 {
		tok := token{kind: tIllegal, off: bad, end: len(l.src.text), text: l.src.text[bad:],
			err: "unterminated comment", errOff: bad}
		l.off = len(l.src.text)
		return tok
	}
	t := l.src.text
	start := l.off
	if start >= len(t) {
		return token{kind: tEOF, off: start, end: start}
	}
	c := t[start]
	tok := token{off: start}
	switch {
	case isLetter(c):
		l.off = wordEnd(t, start)
		tok.kind = tIdent
	case c == '$':
		l.off = wordEnd(t, start+1)
		tok.kind = tVar
		if l.off == start+1 || !isLetter(t[start+1]) {
			tok.kind, tok.err, tok.errOff = tIllegal, "expected variable name after $", start
		}
	case isDigit(c):
		l.off = wordEnd(t, start)
		tok.kind = tNumber
		var err error
		if tok.num, err = ParseNum(t[start:l.off]); err != nil {
			tok.kind, tok.err, tok.errOff = tIllegal, err.Error(), start
		}
	case c == '"':
		l.lexString(&tok)
	case c == '<':
		end := angleEnd(t, start)
		if end < 0 {
			l.off = len(t)
			tok.kind, tok.err, tok.errOff = tIllegal, "unterminated <...>", start
		} else {
			l.off = end
			tok.kind = tAngle
		}
	case strings.HasPrefix(t[start:], "=>"):
		l.off = start + 2
		tok.kind = tArrow
	case c == '#':
		l.off = len(t)
		tok.kind = tHash
	case strings.HasPrefix(t[start:], "..."):
		l.off = start + 3
		tok.kind = tEllipsis
	default:
		l.off = start + 1
		if k, ok := punct[c]; ok {
			tok.kind = k
		} else {
			tok.kind, tok.errOff = tIllegal, start
			tok.err = "unexpected character " + strconv.QuoteRune(rune(c))
			if c >= 0x80 {
				tok.err = "unexpected byte " + strconv.Quote(string([]byte{c}))
			}
		}
	}
	tok.end = l.off
	tok.text = t[start:l.off]
	return tok
}

// angleEnd returns the offset after the '>' that closes the '<' at i, or
// -1. strace's -yy decorations nest ("1</dev/pts/0<char 136:0>>") and
// hold arrows inside brackets ("3<TCP:[127.0.0.1:1->127.0.0.1:2]>"), so
// angles count only outside brackets.
func angleEnd(t string, i int) int {
	depth, brackets := 0, 0
	for ; i < len(t); i++ {
		switch t[i] {
		case '[':
			brackets++
		case ']':
			if brackets > 0 {
				brackets--
			}
		case '<':
			if brackets == 0 {
				depth++
			}
		case '>':
			if brackets == 0 {
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
	}
	return -1
}

func wordEnd(t string, i int) int {
	for i < len(t) && isWordByte(t[i]) {
		i++
	}
	return i
}

// lexString reads a C string literal with strace's escapes and its
// optional truncation marker: "abc"...
func (l *lexer) lexString(tok *token) {
	t := l.src.text
	i := l.off + 1
	// Room for the bytes up to the next quote: all of them, unless an
	// escaped quote comes first.
	room := strings.IndexByte(t[i:], '"')
	if room < 0 {
		room = len(t) - i
	}
	buf := make([]byte, 0, room)
	fail := func(at int, msg string) {
		tok.kind, tok.err, tok.errOff = tIllegal, msg, at
		l.off = len(t)
	}
	for {
		if i >= len(t) {
			fail(l.off, "unterminated string")
			return
		}
		c := t[i]
		if c == '"' {
			i++
			break
		}
		if c != '\\' {
			buf = append(buf, c)
			i++
			continue
		}
		b, n, msg := unescape(t[i:])
		if msg != "" {
			fail(i, msg)
			return
		}
		buf = append(buf, b)
		i += n
	}
	tok.kind, tok.str = tString, buf
	if strings.HasPrefix(t[i:], "...") {
		tok.trunc = true
		i += 3
	}
	l.off = i
}

// unescape decodes the escape at the start of s (s[0] == '\\'): it returns
// the byte, the length of the escape, or a message. Hex escapes take at
// most two digits and octal ones at most three, as strace writes them.
func unescape(s string) (b byte, n int, msg string) {
	if len(s) < 2 {
		return 0, 0, "unterminated string"
	}
	switch c := s[1]; c {
	case 'n':
		return '\n', 2, ""
	case 't':
		return '\t', 2, ""
	case 'r':
		return '\r', 2, ""
	case 'v':
		return '\v', 2, ""
	case 'f':
		return '\f', 2, ""
	case 'a':
		return '\a', 2, ""
	case 'b':
		return '\b', 2, ""
	case '\\', '"', '\'', '?':
		return c, 2, ""
	case 'x':
		v, k := 0, 2
		for k < len(s) && k < 4 && hexVal(s[k]) >= 0 {
			v = v*16 + hexVal(s[k])
			k++
		}
		if k == 2 {
			return 0, 0, `expected hex digit after \x`
		}
		return byte(v), k, ""
	case '0', '1', '2', '3', '4', '5', '6', '7':
		v, k := 0, 1
		for k < len(s) && k < 4 && '0' <= s[k] && s[k] <= '7' {
			v = v*8 + int(s[k]-'0')
			k++
		}
		if v > 0377 {
			return 0, 0, "octal escape \\" + s[1:k] + " out of range"
		}
		return byte(v), k, ""
	default:
		if c < 0x20 || c >= 0x7f {
			return 0, 0, "unknown escape " + strconv.Quote(string([]byte{'\\', c}))
		}
		return 0, 0, `unknown escape \` + string(c)
	}
}

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// ParseNum reads an integer literal: decimal, 0x hex or 0-prefixed octal,
// with an optional size suffix K, M or G (binary: 1<<10, 1<<20, 1<<30).
// It is the language's number, also used for the values of "#!" settings.
func ParseNum(s string) (Num, error) {
	n := Num{Base: 10}
	digits := s
	if k := len(s) - 1; k > 0 && (s[k] == 'K' || s[k] == 'M' || s[k] == 'G') {
		n.Suffix = s[k]
		digits = s[:k]
	}
	switch {
	case len(digits) > 2 && (digits[:2] == "0x" || digits[:2] == "0X"):
		n.Base, digits = 16, digits[2:]
	case len(digits) > 1 && digits[0] == '0':
		n.Base, digits = 8, digits[1:]
	}
	v, err := strconv.ParseUint(digits, n.Base, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return Num{}, errorString("number " + s + " out of range")
		}
		msg := "malformed number " + s
		if last := s[len(s)-1]; last == 'k' || last == 'm' || last == 'g' {
			msg += " (size suffixes are K, M and G)"
		}
		return Num{}, errorString(msg)
	}
	if sh := suffixShift(n.Suffix); sh > 0 {
		if v > ^uint64(0)>>sh {
			return Num{}, errorString("number " + s + " out of range")
		}
		v <<= sh
	}
	n.Value = v
	return n, nil
}

func suffixShift(s byte) uint {
	switch s {
	case 'K':
		return 10
	case 'M':
		return 20
	case 'G':
		return 30
	}
	return 0
}

type errorString string

func (e errorString) Error() string { return string(e) }

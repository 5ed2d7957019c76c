package syntax

import (
	"strconv"
	"strings"
)

// This file cuts a file into lines and parses what surrounds calls: strace's
// pid and timestamp prefixes, signal and exit lines, unfinished/resumed
// pairs, comments and "#!" directives.

// lineParser holds what crosses lines: per pid the call strace left
// unfinished, and whether a call came before (later directives are Late).
// It keeps no statement it has returned, so memory stays bounded by the
// number of pids with an unfinished call, whatever the input's length.
type lineParser struct {
	name    string
	pending map[int]*pending
	sawCall bool // a call statement came before: later directives are Late

	joinedHalf *Stmt // set by resumed when it joins a pair: the unfinished half

	// Kept from line to line, so that parsing a line allocates little
	// more than its statement: the line's source, and the parser with its
	// scratch (nothing keeps a pointer to either past the line).
	src   source
	seg   [1]segment
	p     parser
	stmts arena[Stmt]
	reuse bool // Reader.Reuse: statements live until the next line
}

// pending is an unfinished call waiting for its resumed half.
type pending struct {
	half *Stmt  // its KindUnfinished statement, already returned
	name string // the call's name
	raw  string // its line
	body int    // offset of the call in raw (after pid and timestamp)
	end  int    // offset in raw where its text ends (before " <unfinished ...>")
}

const (
	unfinishedMarker = "<unfinished ...>"
	resumedPrefix    = "<..."
)

// line parses line n, raw without its line end, into its statement. When
// raw is the resumed half of an unfinished call, the statement is the
// joined call and half is the unfinished half returned earlier.
func (lp *lineParser) line(n int, raw string) (s, half *Stmt) {
	s = &lp.stmts.take(1)[0]
	*s = Stmt{Line: n, EndLine: n, Text: raw}
	lp.joinedHalf = nil
	lp.parseLine(s, raw)
	if pend, ok := lp.pending[s.Pid]; ok && pend.half == s && lp.reuse {
		// The half waits for its resumed half past this line: it must
		// not live in the arenas the next line reuses.
		c := *s
		s, pend.half = &c, &c
	}
	return s, lp.joinedHalf
}

// rewind lets the next line reuse the arenas (with Reader.Reuse).
func (lp *lineParser) rewind() {
	lp.stmts.rewind()
	p := &lp.p
	p.args.rewind()
	p.fields.rewind()
	p.terms.rewind()
	p.expects.rewind()
	p.names.rewind()
	p.calls.rewind()
}

// parseLine fills s, the statement of line raw.
func (lp *lineParser) parseLine(s *Stmt, raw string) {
	n := s.Line
	lp.src = source{name: lp.name, text: raw, segs: lp.seg[:]}
	lp.seg[0] = segment{0, n, 1}
	src := &lp.src
	i := skipSpace(raw, 0)
	switch {
	case i == len(raw):
		s.Kind = KindBlank
		return
	case strings.HasPrefix(raw[i:], "#!"):
		lp.directive(s, src, i+2)
		return
	case raw[i] == '#':
		s.Kind, s.Comment = KindComment, trimSpace(raw[i+1:])
		return
	}
	body, err := prefix(s, src, i)
	if err != nil {
		bad(s, err)
		return
	}
	rest := trimRight(raw[body:])
	switch {
	case strings.HasPrefix(rest, "---"):
		lp.marked(s, src, body, "---")
	case strings.HasPrefix(rest, "+++"):
		lp.marked(s, src, body, "+++")
	case strings.HasPrefix(rest, resumedPrefix):
		lp.resumed(s, src, body)
	case strings.HasSuffix(rest, unfinishedMarker):
		lp.unfinished(s, src, body, body+len(rest)-len(unfinishedMarker))
	default:
		lp.call(s, src, body)
	}
}

func bad(s *Stmt, err *Error) {
	*s = Stmt{Kind: KindBad, Line: s.Line, EndLine: s.EndLine, Pid: s.Pid, Time: s.Time, Text: s.Text, Err: err}
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// spaceEnd returns the end of the word of non-space bytes starting at i.
func spaceEnd(s string, i int) int {
	for i < len(s) && !isSpace(s[i]) {
		i++
	}
	return i
}

const spaces = " \t\r\v\f" // the bytes isSpace accepts

func trimSpace(s string) string { return strings.Trim(s, spaces) }
func trimRight(s string) string { return strings.TrimRight(s, spaces) }

// prefix reads strace's optional pid ("3458  " or "[pid  3458] ") and
// timestamp ("12:34:56", "12:34:56.123456", "1700000000.123456") starting
// at i, sets s.Pid and s.Time, and returns the offset of what follows.
func prefix(s *Stmt, src *source, i int) (int, *Error) {
	t := src.text
	switch {
	case strings.HasPrefix(t[i:], "[pid"):
		j := skipSpace(t, i+4)
		k := j
		for k < len(t) && isDigit(t[k]) {
			k++
		}
		if k == j || k >= len(t) || t[k] != ']' {
			return 0, src.errorf(i, "expected [pid N], found %s", strconv.Quote(shorten(t[i:])))
		}
		pid, err := strconv.ParseInt(t[j:k], 10, 32)
		if err != nil {
			return 0, src.errorf(j, "pid %s out of range", t[j:k])
		}
		s.Pid = int(pid)
		i = skipSpace(t, k+1)
	case i < len(t) && isDigit(t[i]):
		k := i
		for k < len(t) && isDigit(t[k]) {
			k++
		}
		if k < len(t) && isSpace(t[k]) {
			pid, err := strconv.ParseInt(t[i:k], 10, 32)
			if err != nil {
				return 0, src.errorf(i, "pid %s out of range", t[i:k])
			}
			s.Pid = int(pid)
			i = skipSpace(t, k)
		}
	}
	if i < len(t) && isDigit(t[i]) {
		k := i
		for k < len(t) && (isDigit(t[k]) || t[k] == ':' || t[k] == '.') {
			k++
		}
		if !isTimestamp(t[i:k]) || k == len(t) || !isSpace(t[k]) {
			return 0, src.errorf(i, "expected pid or timestamp, found %s", strconv.Quote(shorten(t[i:k])))
		}
		s.Time = t[i:k]
		i = skipSpace(t, k)
	}
	return i, nil
}

// isTimestamp recognises strace's -t "12:34:56", -tt "12:34:56.123456",
// and -ttt or -r "1700000000.123456".
func isTimestamp(ts string) bool {
	clock, frac, hasFrac := strings.Cut(ts, ".")
	if hasFrac && !allDigits(frac) {
		return false
	}
	parts := strings.Split(clock, ":")
	switch len(parts) {
	case 1:
		return hasFrac && allDigits(parts[0])
	case 3:
		return allDigits(parts[0]) && len(parts[1]) == 2 && allDigits(parts[1]) &&
			len(parts[2]) == 2 && allDigits(parts[2])
	}
	return false
}

// call parses a call statement starting at off.
func (lp *lineParser) call(s *Stmt, src *source, off int) {
	// The parser lives on the stack for the line (its token is rewritten
	// at every step); its scratch and arenas are kept in lp.
	var p parser
	p.scratch, p.fieldScratch = lp.p.scratch, lp.p.fieldScratch
	p.args, p.fields, p.terms, p.expects, p.names, p.calls = lp.p.args, lp.p.fields, lp.p.terms, lp.p.expects, lp.p.names, lp.p.calls
	p.reset(src, off)
	err := p.parseStmt(s)
	lp.p.scratch, lp.p.fieldScratch = p.scratch, p.fieldScratch
	lp.p.args, lp.p.fields, lp.p.terms, lp.p.expects, lp.p.names, lp.p.calls = p.args, p.fields, p.terms, p.expects, p.names, p.calls
	if err != nil {
		bad(s, err)
		return
	}
	lp.sawCall = true
}

// marked parses a line between two markers: "--- SIGNAL detail ---" or
// "+++ exited with N +++".
func (lp *lineParser) marked(s *Stmt, src *source, off int, mark string) {
	t := trimRight(src.text)
	if len(t)-off < 2*len(mark) || !strings.HasSuffix(t, mark) {
		bad(s, src.errorf(len(t), "expected %q at the end of the line, found end of line", " "+mark))
		return
	}
	start := skipSpace(t, off+len(mark))
	end := trimRight(t[:len(t)-len(mark)])
	if start >= len(end) {
		what := "signal name"
		if mark == "+++" {
			what = "exit status"
		}
		bad(s, src.errorf(start, "expected %s, found %q", what, mark))
		return
	}
	inner := end[start:]
	if mark == "+++" {
		s.Kind, s.Exit = KindExit, exitInfo(inner)
		delete(lp.pending, s.Pid)
		return
	}
	name := inner[:spaceEnd(inner, 0)]
	detail := trimSpace(inner[len(name):])
	sig := &SignalInfo{Name: name, Detail: detail}
	if strings.HasPrefix(detail, "{") {
		// Parse the detail on its own, with the offsets it has in the line.
		sub := &source{name: src.name, text: end, segs: src.segs}
		p := newParser(sub, len(end)-len(detail))
		if a, err := p.parseArg(); err == nil && p.tok.kind == tEOF && a.Kind == ArgStruct {
			sig.Info = &a
		}
	}
	s.Kind, s.Signal = KindSignal, sig
}

// exitInfo reads "exited with N", "killed by SIGX" and "killed by SIGX (core dumped)".
func exitInfo(detail string) *ExitInfo {
	x := &ExitInfo{Detail: detail, Status: -1}
	if n, ok := strings.CutPrefix(detail, "exited with "); ok {
		if v, err := strconv.Atoi(n); err == nil && v >= 0 {
			x.Status = v
		}
	} else if sig, ok := strings.CutPrefix(detail, "killed by "); ok {
		sig, x.Core = strings.CutSuffix(sig, " (core dumped)")
		if sig != "" && !strings.ContainsAny(sig, " \t") {
			x.Signal = sig
		} else {
			x.Core = false
		}
	}
	return x
}

// unfinished records "mmap(NULL, 4096, <unfinished ...>": marker is the
// offset of "<unfinished ...>".
func (lp *lineParser) unfinished(s *Stmt, src *source, off, marker int) {
	t := src.text
	end := off + len(trimRight(t[off:marker]))
	name := t[off:wordEnd(t, off)]
	if name == "" || !isLetter(name[0]) || off+len(name) >= len(t) || t[off+len(name)] != '(' {
		bad(s, src.errorf(off, "expected system call before %s, found %s", unfinishedMarker, strconv.Quote(shorten(t[off:marker]))))
		return
	}
	s.Kind, s.Call, s.Partial = KindUnfinished, &Call{Name: name, Pos: src.pos(off)}, t[off:end]
	lp.pending[s.Pid] = &pending{half: s, name: name, raw: t, body: off, end: end}
	lp.sawCall = true
}

// resumed joins "<... mmap resumed>, -1, 0) = 0x7f..." with its unfinished
// half, or records an orphan.
func (lp *lineParser) resumed(s *Stmt, src *source, off int) {
	t := src.text
	gt := strings.IndexByte(t[off:], '>')
	if gt < 0 {
		bad(s, src.errorf(off, "expected <... NAME resumed>, found %s", strconv.Quote(shorten(t[off:]))))
		return
	}
	words := strings.Fields(t[off+len(resumedPrefix) : off+gt])
	if len(words) != 2 || words[1] != "resumed" || !isName(words[0]) {
		bad(s, src.errorf(off, "expected <... NAME resumed>, found %s", strconv.Quote(t[off:off+gt+1])))
		return
	}
	name, rest := words[0], off+gt+1
	p, ok := lp.pending[s.Pid]
	delete(lp.pending, s.Pid)
	if !ok || p.name != name {
		s.Kind, s.Call = KindResumed, &Call{Name: name, Pos: src.pos(off + strings.Index(t[off:], name))}
		s.Partial = trimSpace(t[rest:])
		lp.sawCall = true
		return
	}
	// Glue the halves into one source whose offsets map back to both lines.
	first := p.half
	lp.joinedHalf = first
	joined := &source{
		name: src.name,
		text: p.raw[:p.end] + t[rest:],
		segs: []segment{{0, first.Line, 1}, {p.end, s.Line, rest + 1}},
	}
	s.Line, s.Time, s.Text = first.Line, first.Time, first.Text+"\n"+s.Text
	lp.call(s, joined, p.body)
}

func isName(w string) bool {
	return w != "" && isLetter(w[0]) && wordEnd(w, 0) == len(w)
}

package syntax

import (
	"strconv"
	"strings"
)

// directive parses a "#!" line from off (just after "#!"):
//
//	"#!" key "=" value { key "=" value } [ "#" comment ]
//	"#!" "file" NAME key "=" value { key "=" value } [ "#" comment ]
//
// Keys and values are runs of non-space bytes; the runner validates the
// keys of a plain directive, the parser those of a file directive.
func (lp *lineParser) directive(s *Stmt, src *source, off int) {
	t := src.text
	s.Late = lp.sawCall
	i := skipSpace(t, off)
	var fs *FileSpec
	if t[i:spaceEnd(t, i)] == "file" {
		name, next, err := fileName(src, skipSpace(t, i+len("file")))
		if err != nil {
			bad(s, err)
			return
		}
		fs, i = &FileSpec{Name: name}, next
	}
	var pairs []Pair
	for {
		i = skipSpace(t, i)
		if i == len(t) {
			break
		}
		if t[i] == '#' {
			s.Comment = trimSpace(t[i+1:])
			break
		}
		j := spaceEnd(t, i)
		w := t[i:j]
		k, v, ok := strings.Cut(w, "=")
		switch {
		case !ok:
			bad(s, src.errorf(i, "expected key=value, found %s", strconv.Quote(w)))
			return
		case k == "":
			bad(s, src.errorf(i, "expected key before '=', found %s", strconv.Quote(w)))
			return
		case v == "":
			bad(s, src.errorf(j, "expected value after %s, found end of word", strconv.Quote(w)))
			return
		}
		pairs = append(pairs, Pair{Key: k, Value: v, Pos: src.pos(i)})
		i = j
	}
	if fs == nil {
		if len(pairs) == 0 {
			bad(s, src.errorf(i, "expected key=value after #!, found end of line"))
			return
		}
		s.Kind, s.Pairs = KindDirective, pairs
		return
	}
	if err := fs.set(src, pairs, i); err != nil {
		bad(s, err)
		return
	}
	s.Kind, s.FileSpec = KindFileDirective, fs
}

// fileName reads a file directive's NAME at i: a C string, or a word
// without '=' (which would make it look like a key).
func fileName(src *source, i int) (name string, next int, err *Error) {
	t := src.text
	if i < len(t) && t[i] == '"' {
		lx := lexer{src: src, off: i}
		tok := lx.next()
		switch {
		case tok.kind == tIllegal:
			return "", 0, src.errorf(tok.errOff, "%s", tok.err)
		case tok.trunc:
			return "", 0, src.errorf(i, "expected file name, found truncated string")
		case len(tok.str) == 0:
			return "", 0, src.errorf(i, `expected file name, found ""`)
		case tok.end < len(t) && !isSpace(t[tok.end]):
			return "", 0, src.errorf(tok.end, "expected space after file name, found %s", strconv.Quote(t[tok.end:tok.end+1]))
		}
		return string(tok.str), tok.end, nil
	}
	j := spaceEnd(t, i)
	w := t[i:j]
	switch {
	case w == "":
		return "", 0, src.errorf(i, "expected file name after #! file, found end of line")
	case w[0] == '#':
		return "", 0, src.errorf(i, "expected file name after #! file, found comment")
	case strings.Contains(w, "="):
		return "", 0, src.errorf(i, "expected file name after #! file, found %s (quote a name that contains '=')", strconv.Quote(w))
	}
	return w, j, nil
}

// set fills fs from a file directive's pairs: size=N (required),
// fill=BYTE|seq, mode=N. end is where the line ends, for a missing size.
func (fs *FileSpec) set(src *source, pairs []Pair, end int) *Error {
	seen := map[string]bool{}
	hasSize := false
	for _, p := range pairs {
		if seen[p.Key] {
			return &Error{Pos: p.Pos, Msg: "duplicate file directive key " + p.Key}
		}
		seen[p.Key] = true
		if p.Key == "fill" && p.Value == "seq" {
			fs.Seq = true
			continue
		}
		if p.Key != "size" && p.Key != "fill" && p.Key != "mode" {
			return &Error{Pos: p.Pos, Msg: "expected file directive key size, fill or mode, found " + p.Key}
		}
		n, err := ParseNum(p.Value)
		if err != nil {
			return &Error{Pos: p.Pos, Msg: p.Key + ": " + err.Error()}
		}
		switch p.Key {
		case "size":
			fs.Size, hasSize = n, true
		case "fill":
			if n.Value > 0xff {
				return &Error{Pos: p.Pos, Msg: "fill: byte " + p.Value + " out of range (0 to 255, or seq)"}
			}
			fs.Fill = &n
		case "mode":
			fs.Mode = &n
		}
	}
	if !hasSize {
		return src.errorf(end, "expected size=N in file directive, found end of line")
	}
	return nil
}

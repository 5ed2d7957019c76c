package syntax

import (
	"strconv"
	"strings"
)

// Format renders a statement in canonical form, one line without its line
// end, which Parse reads back to an equal statement (equal but for
// positions, source text, strace's pid, timestamp and duration, and how
// numbers were written). The canonical form:
//   - drops the pid, the timestamp and the -T duration;
//   - writes integers in hex when written in hex or when >= 0x1000, in octal
//     when written in octal, with their K/M/G suffix when written with one,
//     else in decimal;
//   - writes strings with C escapes (\n, \t, \r, \\, \", else \xHH for bytes
//     outside printable ASCII), flag sets as names joined by '|' with any
//     numeric leftover last, and expressions without spaces ("$a+0x1000");
//   - writes a joined unfinished/resumed pair as one call.
//
// A Bad statement is written as its original text. An orphan unfinished or
// resumed half is written as strace wrote it; without its pid it may pair
// with another orphan when a whole file is re-read.
func Format(s *Stmt) string {
	var b strings.Builder
	writeStmt(&b, s)
	return b.String()
}

// Format renders every statement, one per line, each line ending in "\n".
func (f *File) Format() string {
	var b strings.Builder
	for _, s := range f.Stmts {
		writeStmt(&b, s)
		b.WriteByte('\n')
	}
	return b.String()
}

func writeStmt(b *strings.Builder, s *Stmt) {
	switch s.Kind {
	case KindBad:
		b.WriteString(s.Text)
		return
	case KindBlank:
		return
	case KindComment:
		b.WriteByte('#')
		if s.Comment != "" {
			b.WriteString(" " + s.Comment)
		}
		return
	case KindDirective:
		b.WriteString("#!")
		writePairs(b, s.Pairs)
	case KindFileDirective:
		writeFileSpec(b, s.FileSpec)
	case KindCall, KindMemory:
		if s.Bind != "" {
			b.WriteString("$" + s.Bind + " = ")
		}
		writeCall(b, s.Call.Name, s.Call.Args)
		if s.Want != nil {
			b.WriteString(" = ")
			writeExpect(b, s.Want)
		}
	case KindSignal:
		b.WriteString("--- " + s.Signal.Name)
		if s.Signal.Detail != "" {
			b.WriteString(" " + s.Signal.Detail)
		}
		b.WriteString(" ---")
	case KindExit:
		b.WriteString("+++ " + s.Exit.Detail + " +++")
	case KindUnfinished:
		b.WriteString(s.Partial + " " + unfinishedMarker)
	case KindResumed:
		b.WriteString(resumedPrefix + " " + s.Call.Name + " resumed>" + s.Partial)
	}
	if s.Comment != "" {
		b.WriteString("  # " + s.Comment)
	}
}

func writePairs(b *strings.Builder, pairs []Pair) {
	for _, p := range pairs {
		b.WriteString(" " + p.Key + "=" + p.Value)
	}
}

func writeFileSpec(b *strings.Builder, fs *FileSpec) {
	b.WriteString("#! file ")
	if isBareFileName(fs.Name) {
		b.WriteString(fs.Name)
	} else {
		writeString(b, []byte(fs.Name))
	}
	b.WriteString(" size=")
	writeNum(b, fs.Size)
	switch {
	case fs.Seq:
		b.WriteString(" fill=seq")
	case fs.Fill != nil:
		b.WriteString(" fill=")
		writeNum(b, *fs.Fill)
	}
	if fs.Mode != nil {
		b.WriteString(" mode=")
		writeNum(b, *fs.Mode)
	}
}

// isBareFileName says whether a file name can be written without quotes.
func isBareFileName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isWordByte(c) && !strings.ContainsRune("._/+-,:@%~", rune(c)) {
			return false
		}
	}
	return true
}

func writeCall(b *strings.Builder, name string, args []Arg) {
	b.WriteString(name + "(")
	writeArgs(b, args, false)
	b.WriteByte(')')
}

func writeArgs(b *strings.Builder, args []Arg, more bool) {
	for i := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		writeArg(b, &args[i])
	}
	if more {
		if len(args) > 0 {
			b.WriteString(", ")
		}
		b.WriteString("...")
	}
}

func writeArg(b *strings.Builder, a *Arg) {
	if a.Label != "" {
		b.WriteString(a.Label + "=")
	}
	writeValue(b, a)
	if a.Decor != "" {
		b.WriteString("<" + a.Decor + ">")
	}
	if a.Out != nil {
		b.WriteString(" => ")
		writeArg(b, a.Out)
	}
}

// writeValue writes an argument's value, without label, decoration or
// value on exit.
func writeValue(b *strings.Builder, a *Arg) {
	switch a.Kind {
	case ArgExpr:
		writeExpr(b, a.Expr)
	case ArgNull:
		b.WriteString("NULL")
	case ArgString:
		writeString(b, a.Bytes)
		if a.Truncated {
			b.WriteString("...")
		}
	case ArgStruct:
		b.WriteByte('{')
		for i, f := range a.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.Name + "=")
			writeArg(b, &a.Fields[i].Value)
		}
		if a.More {
			if len(a.Fields) > 0 {
				b.WriteString(", ")
			}
			b.WriteString("...")
		}
		b.WriteByte('}')
	case ArgArray:
		b.WriteByte('[')
		writeArgs(b, a.Elems, a.More)
		b.WriteByte(']')
	case ArgCall:
		writeCall(b, a.Name, a.Elems)
	}
}

// String renders a in canonical form.
func (a Arg) String() string {
	var b strings.Builder
	writeArg(&b, &a)
	return b.String()
}

// String renders e in canonical form: "$a+0x1000".
func (e Expr) String() string {
	var b strings.Builder
	writeExpr(&b, e)
	return b.String()
}

func writeExpr(b *strings.Builder, e Expr) {
	for i, t := range e.Terms {
		switch {
		case t.Neg:
			b.WriteByte('-')
		case i > 0:
			b.WriteByte('+')
		}
		switch t.Kind {
		case TermNum:
			writeNum(b, t.Num)
		case TermVar:
			b.WriteString("$" + t.Var)
		case TermFlags:
			b.WriteString(strings.Join(t.Names, "|"))
			if t.Rest != nil {
				b.WriteByte('|')
				writeNum(b, *t.Rest)
			}
		}
	}
}

// String renders n as the printer writes it.
func (n Num) String() string {
	var b strings.Builder
	writeNum(&b, n)
	return b.String()
}

func writeNum(b *strings.Builder, n Num) {
	if sh := suffixShift(n.Suffix); sh > 0 && n.Value&(1<<sh-1) == 0 {
		b.WriteString(strconv.FormatUint(n.Value>>sh, 10))
		b.WriteByte(n.Suffix)
		return
	}
	switch {
	case n.Base == 8:
		b.WriteString("0" + strconv.FormatUint(n.Value, 8))
	case n.Base == 16 || n.Value >= 0x1000:
		b.WriteString("0x" + strconv.FormatUint(n.Value, 16))
	default:
		b.WriteString(strconv.FormatUint(n.Value, 10))
	}
}

func writeString(b *strings.Builder, s []byte) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c >= 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

func writeExpect(b *strings.Builder, w *Expect) {
	switch w.Kind {
	case ExpectAny:
		b.WriteByte('?')
		if w.Name != "" {
			b.WriteString(" " + w.Name)
		}
	case ExpectValue:
		writeExpr(b, w.Value)
		if w.Decor != "" {
			b.WriteString("<" + w.Decor + ">")
		}
	case ExpectErrno:
		b.WriteString("-1 " + w.Name)
	case ExpectBytes:
		writeString(b, w.Bytes)
	case ExpectSignal:
		b.WriteString(w.Name)
	}
	if w.Msg != "" {
		b.WriteString(" (" + w.Msg + ")")
	}
}

// Quote writes b as a scenario string literal, with C escapes.
func Quote(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + 2)
	writeString(&sb, b)
	return sb.String()
}

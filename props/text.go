package props

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario/syntax"
	"github.com/mmapsim/mmapsim/sim"
)

// The run as scenario text (System.lines): a line per call, in the
// language `mmapsim run` replays, whose expectations are the guest
// kernel's results. After a named divergence that keeps QEMU's outcome, the
// line's expectation becomes QEMU's.

// anySuccess is the expectation of a call whose result may legitimately
// differ (a placement): any success, but not an error or an abort.
const anySuccess = "? (success)"

// textLine is a line of the run's text. Most runs' text is never read, so
// a line keeps what it shows and is rendered only when read (String): a
// format and its arguments (values, or the spellings below, which render
// themselves), and the bytes it shows (data, when quoted).
type textLine struct {
	text   string        // the line, or with args its format
	args   []any         // when set, the line is fmt.Sprintf(text, args...)
	render func() string // when set, the line (emitFunc)
	data   []byte
	quoted bool // the line is its text followed by data quoted
}

// String renders the line.
func (l textLine) String() string {
	text := l.text
	switch {
	case l.render != nil:
		text = l.render()
	case l.args != nil:
		text = fmt.Sprintf(l.text, l.args...)
	}
	if l.quoted {
		return text + quote(l.data)
	}
	return text
}

// emit appends line to the run's text.
func (s *System) emit(line string) { s.lines = append(s.lines, textLine{text: line}) }

// emitf appends the line fmt.Sprintf(format, args...), rendered when the
// text is read: args are values, or spellings that keep what they show.
func (s *System) emitf(format string, args ...any) {
	s.lines = append(s.lines, textLine{text: format, args: args})
}

// emitFunc appends the line render returns, rendered when the text is
// read. It is emitf for the calls every operation makes: render's closure
// is one allocation where emitf boxes each argument. render must read
// only values that do not change afterwards (its caller's copies).
func (s *System) emitFunc(render func() string) {
	s.lines = append(s.lines, textLine{render: render})
}

// emitQuoted appends the line fmt.Sprintf(format, args...) followed by
// data quoted, rendered when the text is read (a copy of data is kept).
func (s *System) emitQuoted(data []byte, format string, args ...any) {
	s.lines = append(s.lines, textLine{text: format, args: args, data: bytes.Clone(data), quoted: true})
}

// lastLine returns the last line of the run's text, rendered, for a change.
func (s *System) lastLine() string {
	n := len(s.lines) - 1
	return s.lines[n].String()
}

// handleName is the scenario name of mapping i: $m<i>.
func handleName(i int) string { return "$m" + strconv.Itoa(i) }

// concrete replaces a "= ?" expectation on the last line with the guest
// kernel's actual result, so the counterexample fails when replayed where
// it failed here.
//
// Preconditions: the call's line is the last of the run's text.
func (s *System) concrete(v uint64, err error) {
	n := len(s.lines) - 1
	if line := s.lastLine(); strings.HasSuffix(line, " = "+anySuccess) {
		s.lines[n] = textLine{text: strings.TrimSuffix(line, anySuccess) + expectText(v, err)}
	}
}

// reexpect replaces the expectation old on the last line with new, where
// the run keeps QEMU's outcome after a named divergence. A line that does
// not show old is left as it is.
//
// Preconditions: the call's line is the last of the run's text.
func (s *System) reexpect(old, new string) {
	n := len(s.lines) - 1
	s.lines[n] = textLine{text: strings.Replace(s.lastLine(), " = "+old, " = "+new, 1)}
}

// mmapLine is an mmap call's arguments as its scenario line shows them.
type mmapLine struct {
	addr   uint64
	at     addrText // the address: a handle expression, a number or NULL
	length uint64
	op     Op
	prot   hostvm.Prot
	flags  hostvm.MapFlags
	fd     int
	offset uint64
}

// emitMmap writes the mmap line with the guest kernel's outcome (want,
// kernelErr) as its expectation, binding the next handle when bind is set
// and the guest kernel's call succeeded, and returns the expectation
// written.
func (s *System) emitMmap(line mmapLine, want uint64, kernelErr error, bind bool) expectArg {
	prefix := ""
	if bind && kernelErr == nil {
		prefix = handleName(len(s.handles)) + " = "
	}
	exp := expectArg{v: want, err: kernelErr}
	if kernelErr == nil && line.op.Place != PlaceFixed && line.op.Place != PlaceNoReplace {
		exp = expectArg{any: true} // placement may differ
	}
	shown := exp
	s.emitFunc(func() string {
		return fmt.Sprintf("%smmap(%v, %v, %v, %v, %d, %v) = %v", prefix, line.at, hexArg(line.length), protArg(line.prot),
			mapFlagsArg(line.flags), line.fd, hexArg(line.offset), shown)
	})
	return exp
}

// Scenario spellings. The types render, when the text is read, what
// the functions spell at once.

// addrText spells an address: a handle plus an offset ($m2+0x1000), a
// number, or a word (NULL, 0).
type addrText struct {
	word   string // when set, the spelling
	handle int    // when >= 0, the handle the address is off from
	off    int64  // the offset from the handle
	addr   uint64 // the address, spelled in hex when there is no handle
}

// wordText is the address spelled as word.
func wordText(word string) addrText { return addrText{word: word, handle: -1} }

func (a addrText) String() string {
	switch {
	case a.word != "":
		return a.word
	case a.handle < 0:
		return hexText(a.addr)
	case a.off > 0:
		return handleName(a.handle) + "+" + hexText(uint64(a.off))
	case a.off < 0:
		return handleName(a.handle) + "-" + hexText(uint64(-a.off))
	}
	return handleName(a.handle)
}

// hexArg spells a number in hex (hexText).
type hexArg uint64

func (h hexArg) String() string { return hexText(uint64(h)) }

// protArg spells a protection (protText).
type protArg hostvm.Prot

func (p protArg) String() string { return protText(hostvm.Prot(p)) }

// mapFlagsArg spells mmap flags (mapFlagsText).
type mapFlagsArg hostvm.MapFlags

func (f mapFlagsArg) String() string { return mapFlagsText(hostvm.MapFlags(f)) }

// quoteArg spells bytes quoted (quote); they must not change afterwards.
type quoteArg []byte

func (q quoteArg) String() string { return quote(q) }

// expectArg spells an outcome as an expectation (expectText), or any
// success (anySuccess).
type expectArg struct {
	v   uint64
	err error
	any bool
}

func (e expectArg) String() string {
	if e.any {
		return anySuccess
	}
	return expectText(e.v, e.err)
}

func hexText(v uint64) string { return "0x" + strconv.FormatUint(v, 16) }

func protText(p hostvm.Prot) string { return p.FlagString() }

// mapFlagsText renders mmap flags as the scenario language reads them: an
// invalid map type as its number ("0x4|MAP_ANONYMOUS").
func mapFlagsText(f hostvm.MapFlags) string {
	return strings.Replace(f.String(), "MAP_TYPE_", "", 1)
}

func quote(b []byte) string { return syntax.Quote(b) }

// expectText renders an outcome as a scenario expectation.
func expectText(v uint64, err error) string {
	if err != nil {
		if e, ok := err.(hostvm.Errno); ok {
			return fmt.Sprintf("-1 %s (%s)", e.Name(), e.Error())
		}
		return "?"
	}
	if v >= 0x1000 {
		return hexText(v)
	}
	return fmt.Sprint(v)
}

func faultText(f *hostvm.Fault) string { return f.Signal.String() }

// Failure message spellings.

func errString(err error) string {
	if err == nil {
		return "success"
	}
	if e, ok := err.(hostvm.Errno); ok {
		return e.Name()
	}
	return err.Error()
}

func faultString(f *hostvm.Fault) string {
	if f == nil {
		return "completes"
	}
	return "faults with " + f.Error()
}

// flagText renders page flags as rwx, followed by " anon" for PageAnon.
func flagText(f uint32) string {
	out := []byte("---")
	for i, c := range []struct {
		bit uint32
		ch  byte
	}{{sim.PageRead, 'r'}, {sim.PageWrite, 'w'}, {sim.PageExec, 'x'}} {
		if f&c.bit != 0 {
			out[i] = c.ch
		}
	}
	text := string(out)
	if f&sim.PageAnon != 0 {
		text += " anon"
	}
	return text
}

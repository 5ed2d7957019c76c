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

// textLine is a line of the run's text. A line that shows bytes keeps
// them (data, when quoted) and quotes them only when the text is read
// (String): most runs' text is never read.
type textLine struct {
	text   string
	data   []byte
	quoted bool // the line is text followed by data quoted
}

// String renders the line.
func (l textLine) String() string {
	if l.quoted {
		return l.text + quote(l.data)
	}
	return l.text
}

// emit appends line to the run's text.
func (s *System) emit(line string) { s.lines = append(s.lines, textLine{text: line}) }

// emitQuoted appends the line prefix followed by data quoted (a copy of
// data is kept).
func (s *System) emitQuoted(prefix string, data []byte) {
	s.lines = append(s.lines, textLine{text: prefix, data: bytes.Clone(data), quoted: true})
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
	at     string // the address: a handle expression, a number or NULL
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
func (s *System) emitMmap(line mmapLine, want uint64, kernelErr error, bind bool) string {
	prefix := ""
	if bind && kernelErr == nil {
		prefix = handleName(len(s.handles)) + " = "
	}
	exp := expectText(want, kernelErr)
	if kernelErr == nil && line.op.Place != PlaceFixed && line.op.Place != PlaceNoReplace {
		exp = anySuccess // placement may differ
	}
	s.emit(fmt.Sprintf("%smmap(%s, %s, %s, %v, %d, %s) = %s", prefix, line.at, hexText(line.length), protText(line.prot),
		mapFlagsText(line.flags), line.fd, hexText(line.offset), exp))
	return exp
}

// Scenario spellings.

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

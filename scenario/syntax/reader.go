package syntax

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// MaxLineLength is the longest line a Reader (and so Parse and ReadFile)
// accepts, in bytes, its line end ("\n" or "\r\n") not counted: 1 MiB. strace's longest
// lines (an execve with a long argument list, strings of -s 4096) are far
// shorter. A longer line is an error (ErrLineTooLong) that ends the
// reading, so no input can make a reader hold more than this much of it.
const MaxLineLength = 1 << 20

// ErrLineTooLong is the message of the error a Reader returns for a line
// longer than MaxLineLength.
var ErrLineTooLong = errors.New("line too long")

// Reader reads a scenario or strace log one statement at a time, so that a
// file of any length is read in memory bounded by its longest line and the
// number of pids with an unfinished call (see Next). Parse and ReadFile
// are built on it.
type Reader struct {
	lp    lineParser
	lines lineCutter
	n     int   // lines read
	err   error // sticky: io.EOF, a read error, or a line too long
}

// lineCutter yields a file's lines without their line end ("\n"; a "\r"
// before it stays). ok is false at the end; err is a read error.
type lineCutter interface {
	readLine() (line []byte, ok bool, err error)
}

// NewReader returns a Reader of r, named name in messages.
func NewReader(name string, r io.Reader) *Reader {
	return newReader(name, &streamLines{br: bufio.NewReaderSize(r, 64<<10)})
}

func newReader(name string, lines lineCutter) *Reader {
	return &Reader{lp: lineParser{name: name, pending: map[int]*pending{}}, lines: lines}
}

// Reuse lets Next reuse the memory of the statements it returned before:
// each statement is then valid only until the next call of Next, and a
// caller that keeps one longer keeps a copy (Stmt.Clone). A line then
// costs little more than its text, which a reader of millions of lines
// (a replay) feels. Call it before the first Next.
func (r *Reader) Reuse() {
	r.lp.reuse = true
	p := &r.lp.p
	p.args.reuse, p.fields.reuse, p.terms.reuse, p.expects.reuse, p.names.reuse, p.calls.reuse = true, true, true, true, true, true
	r.lp.stmts.reuse = true
}

// Name is the name the reader gives its input in messages.
func (r *Reader) Name() string { return r.lp.name }

// Line is the number of lines read so far.
func (r *Reader) Line() int { return r.n }

// Next returns the next statement, in line order, and io.EOF after the
// last. Every line becomes one statement, as Parse describes, with one
// difference a stream cannot avoid: an unfinished call is returned at its
// line as a KindUnfinished statement, before anyone knows whether its
// resumed half will come; when that half comes, the joined call is
// returned at its line (its Line is the unfinished half's, its EndLine the
// resumed half's), and the earlier KindUnfinished statement was, in
// hindsight, its first half. Parse drops such halves.
//
// Any other error ends the reading and is returned again by every later
// call: a read error, or a *Error at the line's position whose message
// says that the line is longer than MaxLineLength (errors.Is(err,
// ErrLineTooLong) reports it).
func (r *Reader) Next() (*Stmt, error) {
	s, _, err := r.next()
	return s, err
}

// next is Next, also returning the unfinished half a joined call completes.
func (r *Reader) next() (s, half *Stmt, err error) {
	if r.err != nil {
		return nil, nil, r.err
	}
	line, ok, err := r.lines.readLine()
	switch {
	case errors.Is(err, ErrLineTooLong):
		r.err = &lineTooLong{&Error{Pos: Pos{Name: r.lp.name, Line: r.n + 1, Col: MaxLineLength + 1},
			Msg: fmt.Sprintf("line longer than %d bytes (the limit of a line)", MaxLineLength)}}
		return nil, nil, r.err
	case err != nil:
		r.err = fmt.Errorf("%s:%d: %w", r.lp.name, r.n+1, err)
		return nil, nil, r.err
	case !ok:
		r.err = io.EOF
		return nil, nil, r.err
	}
	r.n++
	r.lp.rewind()
	s, half = r.lp.line(r.n, strings.TrimSuffix(string(line), "\r"))
	return s, half, nil
}

// lineTooLong is the *Error of an overlong line; errors.Is matches it to
// ErrLineTooLong.
type lineTooLong struct{ err *Error }

func (e *lineTooLong) Error() string        { return e.err.Error() }
func (e *lineTooLong) Is(target error) bool { return target == ErrLineTooLong }

// Unwrap gives the positioned *Error, for errors.As.
func (e *lineTooLong) Unwrap() error { return e.err }

// streamLines reads lines from a buffered stream, holding at most
// MaxLineLength bytes of one.
type streamLines struct {
	br  *bufio.Reader
	buf []byte
}

func (sl *streamLines) readLine() ([]byte, bool, error) {
	sl.buf = sl.buf[:0]
	for {
		chunk, err := sl.br.ReadSlice('\n')
		line := chunk
		if len(sl.buf) > 0 || err == bufio.ErrBufferFull {
			sl.buf = append(sl.buf, chunk...)
			line = sl.buf
		}
		if len(line) > MaxLineLength+2 { // room for "\r\n"
			return nil, false, ErrLineTooLong
		}
		content := line
		if err == nil {
			content = content[:len(content)-1] // the line end
		}
		if err != bufio.ErrBufferFull && len(bytes.TrimSuffix(content, []byte("\r"))) > MaxLineLength {
			return nil, false, ErrLineTooLong
		}
		switch err {
		case nil:
			return content, true, nil
		case bufio.ErrBufferFull:
		case io.EOF:
			return line, len(line) > 0, nil
		default:
			return nil, false, err
		}
	}
}

// byteLines cuts lines out of a byte slice.
type byteLines struct{ src []byte }

func (bl *byteLines) readLine() ([]byte, bool, error) {
	if len(bl.src) == 0 {
		return nil, false, nil
	}
	line := bl.src
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line, bl.src = line[:i], line[i+1:]
	} else {
		bl.src = nil
	}
	if len(bytes.TrimSuffix(line, []byte("\r"))) > MaxLineLength {
		return nil, false, ErrLineTooLong
	}
	return line, true, nil
}

// Parse parses src, named name in messages. Every line becomes a statement;
// a line it cannot understand becomes a KindBad statement whose Err says
// "name:line:col: expected X, found Y", and parsing goes on. Use
// (*File).Err to read strictly. An unfinished call and its resumed half
// become one statement, at the resumed line.
//
// The error result is for a line longer than MaxLineLength, where parsing
// stops: the File then holds the statements before it. Parse does not
// panic on any input.
func Parse(name string, src []byte) (*File, error) {
	return collect(newReader(name, &byteLines{src: src}))
}

// ReadFile reads and parses the file at path, named path in messages, as
// Parse does; its errors are also the file's read errors.
func ReadFile(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return collect(NewReader(path, fh))
}

// collect reads every statement of r into a File, dropping the unfinished
// halves of joined calls.
func collect(r *Reader) (*File, error) {
	f := &File{Name: r.Name()}
	joined := map[*Stmt]bool{}
	for {
		s, half, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return dropHalves(f, joined), err
		}
		if half != nil {
			joined[half] = true
		}
		f.Stmts = append(f.Stmts, s)
	}
	return dropHalves(f, joined), nil
}

func dropHalves(f *File, joined map[*Stmt]bool) *File {
	if len(joined) == 0 {
		return f
	}
	out := f.Stmts[:0]
	for _, s := range f.Stmts {
		if !joined[s] {
			out = append(out, s)
		}
	}
	f.Stmts = out
	return f
}

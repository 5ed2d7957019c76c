package syntax

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

// readAll reads every statement of r until an error, returning both.
func readAll(r *Reader) ([]*Stmt, error) {
	var out []*Stmt
	for {
		s, err := r.Next()
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
}

// TestReaderLikeParse: a Reader returns Parse's statements, with the
// unfinished half of each joined call also returned, at its own line.
func TestReaderLikeParse(t *testing.T) {
	src := "100 mmap(NULL, 4096, PROT_READ <unfinished ...>\n" +
		"101 close(3) = 0\r\n" +
		"100 <... mmap resumed>, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f00\n" +
		"102 brk(0 <unfinished ...>\n" +
		"102 +++ exited with 0 +++\n" +
		"#! late=1\n" +
		"103 munmap(0x1000, 4096) = 0" // no line end
	f, err := Parse("t", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	stream, err := readAll(NewReader("t", strings.NewReader(src)))
	if err != io.EOF {
		t.Fatalf("Next: %v, want io.EOF", err)
	}
	var got, want []string
	for _, s := range f.Stmts {
		want = append(want, s.Kind.String()+" "+Format(s))
	}
	for _, s := range stream {
		got = append(got, s.Kind.String()+" "+Format(s))
	}
	wantStream := append([]string{"unfinished mmap(NULL, 4096, PROT_READ <unfinished ...>"}, want...)
	if strings.Join(got, "\n") != strings.Join(wantStream, "\n") {
		t.Errorf("stream:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantStream, "\n"))
	}
	if j := stream[2]; j.Line != 1 || j.EndLine != 3 || j.Kind != KindCall {
		t.Errorf("joined call: lines %d-%d, kind %s", j.Line, j.EndLine, j.Kind)
	}
	if !stream[len(stream)-2].Late {
		t.Errorf("directive after a call not Late")
	}
}

// TestLineTooLong: a line longer than MaxLineLength ends the reading with
// a positioned error, from a Reader and from Parse; what came before is
// kept.
func TestLineTooLong(t *testing.T) {
	long := "close(3) = 0\n" + strings.Repeat("x", MaxLineLength+1) + "\nclose(4) = 0\n"
	want := "t:2:1048577: line longer than 1048576 bytes (the limit of a line)"
	f, err := Parse("t", []byte(long))
	if err == nil || err.Error() != want || !errors.Is(err, ErrLineTooLong) {
		t.Errorf("Parse: %v, want %q", err, want)
	}
	var perr *Error
	if !errors.As(err, &perr) || perr.Pos.Line != 2 {
		t.Errorf("Parse's error is not a *Error at line 2: %#v", err)
	}
	if f == nil || len(f.Stmts) != 1 {
		t.Errorf("Parse kept %v, want the first statement", f)
	}
	r := NewReader("t", strings.NewReader(long))
	stmts, err := readAll(r)
	if len(stmts) != 1 || err == nil || err.Error() != want {
		t.Errorf("Reader: %d statements, %v", len(stmts), err)
	}
	if _, again := r.Next(); again != err {
		t.Errorf("error not sticky: %v", again)
	}
	// A line of exactly the limit is fine, with or without "\r\n".
	for _, end := range []string{"\n", "\r\n", ""} {
		exact := strings.Repeat("#", MaxLineLength) + end
		if _, err := Parse("t", []byte(exact)); err != nil {
			t.Errorf("Parse of a line of %d bytes + %q: %v", MaxLineLength, end, err)
		}
		if _, err := readAll(NewReader("t", strings.NewReader(exact))); err != io.EOF {
			t.Errorf("Reader of a line of %d bytes + %q: %v", MaxLineLength, end, err)
		}
	}
}

// zeros is an endless stream of NUL bytes, as /dev/zero is, counting what
// was read.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	clear(p)
	z.n += int64(len(p))
	return len(p), nil
}

// TestEndlessLine: an endless line (/dev/zero) is refused after reading
// little more than MaxLineLength of it.
func TestEndlessLine(t *testing.T) {
	z := &zeros{}
	_, err := NewReader("/dev/zero", z).Next()
	if !errors.Is(err, ErrLineTooLong) || !strings.HasPrefix(err.Error(), "/dev/zero:1:") {
		t.Errorf("got %v", err)
	}
	if z.n > 2*MaxLineLength {
		t.Errorf("read %d bytes before refusing", z.n)
	}
}

type failing struct{ after int }

func (f *failing) Read(p []byte) (int, error) {
	if f.after == 0 {
		return 0, errors.New("disk on fire")
	}
	f.after = 0
	return copy(p, "close(3) = 0\nclo"), nil
}

func TestReadError(t *testing.T) {
	stmts, err := readAll(NewReader("t", &failing{after: 1}))
	if len(stmts) != 1 || err == nil || err.Error() != "t:2: disk on fire" {
		t.Errorf("got %d statements, %v", len(stmts), err)
	}
}

// BenchmarkReader measures reading a real trace statement by statement.
func BenchmarkReader(b *testing.B) {
	src, err := os.ReadFile("../../replay/testdata/traces/python3-threads.strace")
	if err != nil {
		b.Skip(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := NewReader("b", bytes.NewReader(src))
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	}
}

// TestReuse: a Reader that reuses its statements returns the same
// statements as one that does not, each valid until the next Next; a
// clone stays valid after; an unfinished half survives until its resumed
// half joins it.
func TestReuse(t *testing.T) {
	src, err := os.ReadFile("../../replay/testdata/traces/python3-threads.strace")
	if err != nil {
		t.Skip(err)
	}
	plain := NewReader("t", bytes.NewReader(src))
	reused := NewReader("t", bytes.NewReader(src))
	reused.Reuse()
	var clones []*Stmt
	var texts []string
	for {
		a, errA := plain.Next()
		b, errB := reused.Next()
		if errA != errB {
			t.Fatalf("errors %v, %v", errA, errB)
		}
		if errA != nil {
			break
		}
		fa, fb := Format(a), Format(b)
		if fa != fb || a.Line != b.Line || a.EndLine != b.EndLine || a.Kind != b.Kind {
			t.Fatalf("line %d: %q vs %q", a.Line, fa, fb)
		}
		clones = append(clones, b.Clone())
		texts = append(texts, fa)
	}
	for i, c := range clones {
		if got := Format(c); got != texts[i] {
			t.Fatalf("clone of line %d changed: %q, want %q", c.Line, got, texts[i])
		}
		checkRoundTrip(t, c)
	}
}

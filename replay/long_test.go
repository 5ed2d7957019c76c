package replay

import (
	"bufio"
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// A long trace for the speed and memory goals: a real trace repeated, its
// pids renumbered each time (the leading pid, and a clone's result), so
// that processes start, fork, exec and end again and again, as in a long
// build. Memory must stay bounded by the live processes whatever the
// length; the benchmarks below measure speed, and
//
//	go test ./replay -run TestWriteLongTrace -longtrace=/tmp/long.strace -longtrace.lines=1000000
//
// writes one for /usr/bin/time -v mmapsim replay /tmp/long.strace.
var (
	longTraceOut   = flag.String("longtrace", "", "write a long trace (testdata/traces/"+longTraceSource+" repeated) to `FILE`")
	longTraceLines = flag.Int("longtrace.lines", 1000000, "lines of the long trace")
)

// longTraceSource is the trace repeated: threads, a fork-free run of a
// real program, with a typical mix of memory and file calls.
const longTraceSource = "python3-threads.strace"

// writeLongTrace writes lines lines of src repeated, each repetition's
// pids moved up by pidStep.
func writeLongTrace(w io.Writer, src []byte, lines int) error {
	const pidStep = 100000
	srcLines := strings.SplitAfter(string(bytes.TrimRight(src, "\n")), "\n")
	pids := map[string]bool{}
	for _, l := range srcLines {
		if p, _, ok := strings.Cut(l, " "); ok {
			pids[p] = true
		}
	}
	bw := bufio.NewWriter(w)
	for rep, n := 0, 0; n < lines; rep++ {
		for _, l := range srcLines {
			if n == lines {
				break
			}
			bw.WriteString(renumber(l, pids, rep*pidStep))
			if !strings.HasSuffix(l, "\n") {
				bw.WriteByte('\n')
			}
			n++
		}
	}
	return bw.Flush()
}

// renumber moves the leading pid of line l, and a result that is one of
// the trace's pids (a clone's child), up by step.
func renumber(l string, pids map[string]bool, step int) string {
	p, rest, ok := strings.Cut(l, " ")
	if !ok || !pids[p] {
		return l
	}
	n, _ := strconv.Atoi(p)
	l = strconv.Itoa(n+step) + " " + rest
	if i := strings.LastIndex(l, "= "); i >= 0 {
		v := strings.TrimRight(l[i+2:], "\n")
		if pids[v] {
			c, _ := strconv.Atoi(v)
			l = l[:i+2] + strconv.Itoa(c+step) + l[i+2+len(v):]
		}
	}
	return l
}

func longTraceSrc(t testing.TB) []byte {
	src, err := os.ReadFile(filepath.Join("testdata/traces", longTraceSource))
	if err != nil {
		t.Skip(err)
	}
	return src
}

// TestWriteLongTrace writes the long trace when -longtrace names a file.
func TestWriteLongTrace(t *testing.T) {
	if *longTraceOut == "" {
		t.Skip("no -longtrace FILE")
	}
	f, err := os.Create(*longTraceOut)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := writeLongTrace(f, longTraceSrc(t), *longTraceLines); err != nil {
		t.Fatal(err)
	}
}

// TestLongTraceReplays: the repeated trace replays at 4K as the trace
// does, every repetition alike, and the replay's report stays small.
func TestLongTraceReplays(t *testing.T) {
	src := longTraceSrc(t)
	once, _ := syntax.Parse("once", src)
	one := replayTrace(t, once)
	var b bytes.Buffer
	reps := 5
	writeLongTrace(&b, src, reps*len(strings.Split(strings.TrimRight(string(src), "\n"), "\n")))
	rep, err := ReplayReader(syntax.NewReader("long", &b), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Calls != reps*one.Calls || rep.Matches != rep.Calls || len(rep.Images) != reps*len(one.Images) {
		t.Errorf("long: %d calls (%d match), %d images; want %d calls, %d images", rep.Calls, rep.Matches, len(rep.Images), reps*one.Calls, reps*len(one.Images))
	}
}

// benchmarkReplay replays a generated trace of lines lines under pairs,
// reporting memory calls and lines per second.
func benchmarkReplay(b *testing.B, lines int, pairs ...string) {
	var buf bytes.Buffer
	if err := writeLongTrace(&buf, longTraceSrc(b), lines); err != nil {
		b.Fatal(err)
	}
	opts := Options{Settings: settingsOf(b, pairs...)}
	b.ReportAllocs()
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	var calls int
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r := syntax.NewReader("long", bytes.NewReader(buf.Bytes()))
		r.Reuse()
		rep, err := ReplayReader(r, opts)
		if err != nil {
			b.Fatal(err)
		}
		calls += rep.Calls
	}
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(calls)/el, "calls/s")
	b.ReportMetric(float64(lines*b.N)/el, "lines/s")
}

// BenchmarkReplayNative: 100,000 lines natively at 4K (the >= 100k
// memory calls/s goal).
func BenchmarkReplayNative(b *testing.B) { benchmarkReplay(b, 100000) }

// BenchmarkReplayNative16K: the same on a 16K host, where most programs
// fail early and the rest of each is consequences.
func BenchmarkReplayNative16K(b *testing.B) { benchmarkReplay(b, 100000, "host-page=16K") }

// BenchmarkReplayQEMU: the same under the simulated QEMU 7.2 with 64K
// host pages (QEMU's -p 65536), with the verdict's protection checks.
func BenchmarkReplayQEMU(b *testing.B) {
	benchmarkReplay(b, 100000, "target=x86_64", "qemu-host-page=64K", "policy=qemu-7.2")
}

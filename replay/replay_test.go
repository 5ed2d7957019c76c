package replay

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// traceDirs hold real strace logs (see their READMEs); they never change.
// testdata/traces is the repository's own, recorded with mmapsim record;
// ../../shared/traces, beside the repository, older ones without process
// lines.
var traceDirs = []string{"testdata/traces", "../../shared/traces"}

// traceNames lists every trace file, sorted.
func traceNames(t testing.TB) []string {
	t.Helper()
	var names []string
	for _, dir := range traceDirs {
		m, _ := filepath.Glob(filepath.Join(dir, "*.strace"))
		names = append(names, m...)
	}
	if len(names) == 0 {
		t.Skipf("no traces in %v", traceDirs)
	}
	sort.Strings(names)
	return names
}

// readTraces parses every trace, by base name.
func readTraces(t testing.TB) map[string]*syntax.File {
	t.Helper()
	files := map[string]*syntax.File{}
	for _, name := range traceNames(t) {
		f, err := syntax.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(name)] = f
	}
	return files
}

// sortedKeys lists a map's keys in order, for deterministic subtests.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// settingsOf makes settings from key=value pairs.
func settingsOf(t testing.TB, pairs ...string) *scenario.Settings {
	t.Helper()
	s := scenario.NewSettings()
	for _, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		if err := s.Set(k, v, "test"); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// replayTrace replays a trace under settings given as key=value pairs,
// checking invariants after every call.
func replayTrace(t testing.TB, f *syntax.File, pairs ...string) *Report {
	t.Helper()
	rep, err := Replay(f, Options{Settings: settingsOf(t, pairs...), Check: true})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func details(rep *Report) string {
	var b bytes.Buffer
	rep.WriteVerdict(&b)
	rep.WriteSummary(&b)
	rep.WriteDetails(&b)
	return b.String()
}

// TestReplayTraces4K: at 4K a faithful simulated kernel reproduces every
// result of the real one, natively and under an emulator whose host page
// is the guest's, for threads, forks, vforks and execs alike; every program
// starts (on a 64K host under QEMU a program may be at risk). The only
// notes are the placeholders for the RELRO pages of what the kernel's ELF
// loader mapped (the program and ld.so: at most two per program image),
// strace's garbled line, and for a trace without process lines what was
// inferred.
func TestReplayTraces4K(t *testing.T) {
	files := readTraces(t)
	for _, name := range sortedKeys(files) {
		f := files[name]
		for _, cfg := range [][]string{nil, {"target=x86_64"}, {"target=x86_64", "host-page=64K"}} {
			rep := replayTrace(t, f, cfg...)
			if len(rep.Divergences) != 0 || rep.Matches != rep.Calls || rep.Calls == 0 {
				t.Errorf("%s %v: %d calls, %d match, %d divergences:\n%s", name, cfg, rep.Calls, rep.Matches, len(rep.Divergences), details(rep))
			}
			perImage := map[int]int{}
			for _, n := range rep.Notes {
				switch n.Kind {
				case NoteUnknownMapping:
					perImage[n.Pid]++
					if !strings.HasPrefix(n.Trace, "mprotect(") || !strings.Contains(n.Trace, ", PROT_READ) = 0") {
						t.Errorf("%s %v: an unknown mapping that is not a RELRO page: %s: %s", name, cfg, n.Pos, n.Trace)
					}
				case NoteUnparsed:
				case NoteFileSize:
					// A file open for writing, grown by untraced writes
					// (a semaphore, hsperfdata) before it is mapped.
					if !strings.HasPrefix(n.Trace, "mmap(") {
						t.Errorf("%s %v: a file-size note on a call that maps nothing: %s: %s", name, cfg, n.Pos, n.Trace)
					}
				case NoteInferred:
					if rep.Images[0].Start == "execve" {
						t.Errorf("%s %v: a trace with process lines inferred: %s", name, cfg, n.Msg)
					}
				default:
					t.Errorf("%s %v: unexpected note %s: %s", name, cfg, n.Kind, n.Msg)
				}
			}
			if got, max := rep.NoteCount(NoteUnknownMapping), 2*len(rep.Images); got > max {
				t.Errorf("%s %v: %d unknown-mapping notes for %d program images", name, cfg, got, len(rep.Images))
			}
			if rep.NoteCount(NoteUnparsed) > 1 {
				t.Errorf("%s %v: %d unparsed notes", name, cfg, rep.NoteCount(NoteUnparsed))
			}
			for _, img := range rep.Images {
				if v := img.Verdict(); v != "starts" && !(v == "at risk" && len(cfg) == 2) {
					t.Errorf("%s %v: %s: %s at 4K", name, cfg, img.Name(), img.Verdict())
				}
			}
		}
	}
}

// TestReplayTracesLargePages: natively at 16K and 64K the dynamic loader's
// MAP_FIXED calls at 4K-aligned offsets (and mprotect of 4K RELRO pages)
// fail; the replay reports them and goes on to the end.
func TestReplayTracesLargePages(t *testing.T) {
	files := readTraces(t)
	for _, name := range sortedKeys(files) {
		for _, page := range []string{"16K", "64K"} {
			rep := replayTrace(t, files[name], "host-page="+page)
			if rep.Count(DivSimFailed) == 0 {
				t.Errorf("%s at %s: no sim-failed divergence:\n%s", name, page, details(rep))
			}
			if rep.Matches+rep.Diverged != rep.Calls {
				t.Errorf("%s at %s: %d match + %d diverge != %d calls", name, page, rep.Matches, rep.Diverged, rep.Calls)
			}
			if rep.Count(DivInvariant) != 0 || rep.Count(DivAbort) != 0 {
				t.Errorf("%s at %s: invariants or aborts:\n%s", name, page, details(rep))
			}
		}
	}
}

// TestReplayDeterministic: the same trace gives the same report, and a
// parsed file the same as a stream.
func TestReplayDeterministic(t *testing.T) {
	for _, name := range traceNames(t) {
		f, err := syntax.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, cfg := range [][]string{{"host-page=64K"}, {"target=x86_64", "qemu-host-page=64K", "policy=qemu-7.2"}} {
			a := details(replayTrace(t, f, cfg...))
			b := details(replayTrace(t, f, cfg...))
			if a != b {
				t.Errorf("%s %v: two replays differ", name, cfg)
			}
			fh, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			r := syntax.NewReader(f.Name, fh)
			r.Reuse()
			rep, err := ReplayReader(r, Options{Settings: settingsOf(t, cfg...), Check: true})
			fh.Close()
			if err != nil {
				t.Fatal(err)
			}
			if c := details(rep); c != a {
				t.Errorf("%s %v: a stream's replay differs from the file's:\n%s\nfile's:\n%s", name, cfg, c, a)
			}
		}
	}
}

// TestReplayAddressMap checks the translation of the trace's addresses
// on a small trace whose kernel chose other addresses than the simulation.
func TestReplayAddressMap(t *testing.T) {
	src := `7 brk(NULL) = 0x1000000
7 openat(AT_FDCWD, "/lib/x.so", O_RDONLY|O_CLOEXEC) = 3
7 fstat(3, {st_mode=S_IFREG|0644, st_size=20000, ...}) = 0
7 mmap(NULL, 20000, PROT_READ, MAP_PRIVATE|MAP_DENYWRITE, 3, 0) = 0x12340000
7 mmap(0x12341000, 8192, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x1000) = 0x12341000
7 close(3) = 0
7 mprotect(0x12341000, 4096, PROT_READ) = 0
7 munmap(0x12340000, 20000) = 0
7 mprotect(0x12341000, 4096, PROT_READ) = -1 ENOMEM (Cannot allocate memory)
7 brk(0x1021000) = 0x1021000
7 mprotect(0x1000000, 4096, PROT_READ) = 0
7 mremap(0x5000000, 4096, 8192, MREMAP_MAYMOVE) = 0x6000000
7 mlock(0x1000000, 4096) = 0
7 openat(AT_FDCWD, "/gone", O_RDONLY) = -1 ENOENT (No such file or directory)
7 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 9, 0) = 0x7000000
7 exit_group(0) = ?
7 +++ exited with 0 +++
`
	f, _ := syntax.Parse("t.strace", []byte(src))
	rep := replayTrace(t, f)
	if rep.Calls != 11 || rep.Matches != 10 || rep.Count(DivNotSimulated) != 1 || rep.FileCalls != 4 {
		t.Errorf("got %d calls, %d match, %d file calls:\n%s", rep.Calls, rep.Matches, rep.FileCalls, details(rep))
	}
	if rep.NoteCount(NoteUnknownMapping) != 1 || rep.NoteCount(NoteUnknownFD) != 1 {
		t.Errorf("notes:\n%s", details(rep))
	}
}

func TestAddrMap(t *testing.T) {
	m := newAddrMap()
	m.set(0x1000, 0x5000, 0x100, memFile)
	m.set(0x2000, 0x3000, 0x200, memAnon) // replaces the middle
	for _, tt := range []struct {
		a, want uint64
		ok      bool
		kind    memKind
	}{
		{0xfff, 0, false, 0}, {0x1000, 0x1100, true, memFile}, {0x1fff, 0x20ff, true, memFile}, {0x2000, 0x2200, true, memAnon},
		{0x2fff, 0x31ff, true, memAnon}, {0x3000, 0x3100, true, memFile}, {0x4fff, 0x50ff, true, memFile}, {0x5000, 0, false, 0},
	} {
		got, ok := m.lookup(tt.a)
		if got != tt.want || ok != tt.ok {
			t.Errorf("lookup(%#x) = %#x, %v; want %#x, %v", tt.a, got, ok, tt.want, tt.ok)
		}
		if s, _ := m.find(tt.a); ok && s.kind != tt.kind {
			t.Errorf("find(%#x).kind = %d, want %d", tt.a, s.kind, tt.kind)
		}
	}
	if m.len() != 3 {
		t.Errorf("got %d segments, want 3", m.len())
	}
	c := m.clone()
	c.set(0, 0x10000, 7, memHeap) // covers all
	if c.len() != 1 || m.len() != 3 {
		t.Errorf("clone not independent: %d and %d segments", c.len(), m.len())
	}
	m.set(0x800, 0x1800, 1, memAnon) // overlaps the first's start
	if got, _ := m.lookup(0x1800); got != 0x1900 {
		t.Errorf("lookup(0x1800) = %#x after a partial overlap", got)
	}
}

// TestReportBounded: a trace with more divergences and notes than
// MaxDetails keeps the first MaxDetails of each, counts all, and says so.
func TestReportBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("1 brk(NULL) = 0x1000000\n")
	n := MaxDetails + 50
	for i := 0; i < n; i++ {
		// Each fails in the simulation (EINVAL at 16K) and needs a
		// placeholder (a note).
		b.WriteString("1 mprotect(0x7f0000001000, 4096, PROT_READ) = 0\n")
		b.WriteString("1 munmap(0x7f0000001000, 4096) = 0\n")
	}
	f, _ := syntax.Parse("t", []byte(b.String()))
	rep := replayTrace(t, f, "host-page=16K")
	if len(rep.Divergences) != MaxDetails || rep.Count(DivSimFailed) != 2*n {
		t.Errorf("%d divergences kept, %d counted; want %d and %d", len(rep.Divergences), rep.Count(DivSimFailed), MaxDetails, 2*n)
	}
	var out bytes.Buffer
	rep.WriteDetails(&out)
	if !strings.Contains(out.String(), "... 1100 more divergences not shown") {
		t.Errorf("details do not say what they leave out:\n%s", out.String()[max(0, out.Len()-300):])
	}
	img := rep.Images[0]
	if img.Fatal == nil || img.Fatal.Line != 2 || img.Consequences != 2*n-1 {
		t.Errorf("image: fatal %v, %d consequences", img.Fatal, img.Consequences)
	}
}

// FuzzReplay checks that replaying any text never panics, natively at 4K
// and 64K and under a 32-bit and a 64-bit target, and that the report adds
// up. The corpus starts with the real traces' lines.
func FuzzReplay(f *testing.F) {
	f.Add([]byte("1 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x1000\n"))
	f.Add([]byte("1 clone(child_stack=NULL, flags=CLONE_VM|SIGCHLD <unfinished ...>\n2 munmap(0x1000, 4096) = 0\n1 <... clone resumed>) = 2\n2 execve(\"/x\", [], 0) = 0\n2 brk(NULL) = 0x5000\n"))
	for _, dir := range traceDirs {
		names, _ := filepath.Glob(filepath.Join(dir, "*.strace"))
		for _, n := range names {
			src, err := os.ReadFile(n)
			if err != nil {
				f.Fatal(err)
			}
			lines := strings.SplitAfter(string(src), "\n")
			for i := 0; i < len(lines); i += 40 {
				f.Add([]byte(strings.Join(lines[i:min(i+40, len(lines))], "")))
			}
		}
	}
	configs := [][]string{nil, {"host-page=64K"}, {"target=i386", "host=arm64-64k"}, {"target=x86_64", "qemu-host-page=64K"}}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, _ := syntax.Parse("fuzz", src)
		for i, cfg := range configs {
			rep := replayTrace(t, file, cfg...)
			if i < 2 {
				// A stream reusing its statements replays as the file.
				r := syntax.NewReader("fuzz", bytes.NewReader(src))
				r.Reuse()
				srep, _ := ReplayReader(r, Options{Settings: settingsOf(t, cfg...), Check: true})
				if a, b := details(rep), details(srep); a != b && srep.Err == nil {
					t.Fatalf("%v: the stream's replay differs from the file's:\n%s\nfile's:\n%s", cfg, b, a)
				}
			}
			if rep.Matches+rep.Diverged+rep.Unchecked+afterAbort(rep) < rep.Calls {
				t.Fatalf("%v: %d match + %d diverge + %d unchecked < %d calls", cfg, rep.Matches, rep.Diverged, rep.Unchecked, rep.Calls)
			}
			var b bytes.Buffer
			rep.WriteVerdict(&b)
			rep.WriteSummary(&b)
			rep.WriteDetails(&b)
		}
	})
}

// afterAbort counts the calls not run after an emulator abort.
func afterAbort(rep *Report) int {
	n := 0
	for _, note := range rep.Notes {
		if note.Kind == NoteAfterAbort {
			var k int
			for _, c := range note.Msg {
				if c < '0' || c > '9' {
					break
				}
				k = k*10 + int(c-'0')
			}
			n += k
		}
	}
	return n
}

// TestUntracedFileGrowth: a trace shows no write() or ftruncate(), so a
// file the program created (or opened for writing) may be longer at its
// mmap than the trace last said. Under QEMU 7.2 with a 64K qemu host page,
// which truncates file mappings at end-of-file, an empty stand-in would
// fail the mapping; the replay grows a writable file to cover it, with a
// note. A read-only file keeps the size its stat showed.
func TestUntracedFileGrowth(t *testing.T) {
	const text = `1  openat(AT_FDCWD, "/f/hsperf", O_RDWR|O_CREAT|O_NOFOLLOW|O_CLOEXEC, 0600) = 6
1  newfstatat(6, "", {st_mode=S_IFREG|0600, st_size=0, ...}, AT_EMPTY_PATH) = 0
1  mmap(NULL, 32768, PROT_READ|PROT_WRITE, MAP_SHARED, 6, 0) = 0x7f4de3bfd000
1  openat(AT_FDCWD, "/f/modules", O_RDONLY) = 3
1  newfstatat(AT_FDCWD, "/f/modules", {st_mode=S_IFREG|0644, st_size=5000, ...}, 0) = 0
1  mmap(NULL, 5000, PROT_READ, MAP_SHARED, 3, 0) = 0x7f4dd4400000
`
	f, err := syntax.Parse("growth.strace", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	rep := replayTrace(t, f, "target=x86_64", "qemu-host-page=64K", "policy=qemu-7.2")
	if len(rep.Divergences) != 0 {
		t.Errorf("divergences:\n%s", details(rep))
	}
	if got := rep.NoteCount(NoteFileSize); got != 1 {
		t.Errorf("%d file-size notes, want 1 (the writable file only):\n%s", got, details(rep))
	}
	for _, n := range rep.Notes {
		if n.Kind == NoteFileSize && !strings.Contains(n.Msg, "/f/hsperf") {
			t.Errorf("file-size note on the wrong file: %s", n.Msg)
		}
	}
}

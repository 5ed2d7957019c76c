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

// traceDir holds real strace logs (see its README); they never change.
const traceDir = "../../shared/traces"

// readTraces parses every trace, skipping the test when there are none.
func readTraces(t testing.TB) map[string]*syntax.File {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(traceDir, "*.strace"))
	if len(names) == 0 {
		t.Skipf("no traces in %s", traceDir)
	}
	sort.Strings(names)
	files := map[string]*syntax.File{}
	for _, name := range names {
		f, err := syntax.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(name)] = f
	}
	return files
}

// replayTrace replays a trace under settings given as key=value pairs.
func replayTrace(t testing.TB, f *syntax.File, pairs ...string) *Report {
	t.Helper()
	s := scenario.NewSettings()
	for _, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		if err := s.Set(k, v, "test"); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := Replay(f, Options{Settings: s, Check: true})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func details(rep *Report) string {
	var b bytes.Buffer
	rep.WriteSummary(&b)
	rep.WriteDetails(&b)
	return b.String()
}

// TestReplayTraces4K: at 4K a faithful simulated kernel reproduces every
// result of the real one, natively and under an emulator whose host page
// is the guest's; the only notes are the placeholders for what the kernel's
// ELF loader mapped and strace's garbled line.
func TestReplayTraces4K(t *testing.T) {
	for name, f := range readTraces(t) {
		for _, cfg := range [][]string{nil, {"target=x86_64"}, {"target=x86_64", "qemu-host-page=64K"}, {"target=x86_64", "host-page=64K"}} {
			rep := replayTrace(t, f, cfg...)
			if len(rep.Divergences) != 0 || rep.Matches != rep.Calls || rep.Calls == 0 {
				t.Errorf("%s %v: %d calls, %d match, %d divergences:\n%s", name, cfg, rep.Calls, rep.Matches, len(rep.Divergences), details(rep))
			}
			for _, n := range rep.Notes {
				if n.Kind != NoteUnknownMapping && n.Kind != NoteUnparsed {
					t.Errorf("%s %v: unexpected note %s: %s", name, cfg, n.Kind, n.Msg)
				}
			}
		}
	}
}

// TestReplayTracesLargePages: natively at 16K and 64K the dynamic loader's
// MAP_FIXED calls at 4K-aligned offsets (and mprotect of 4K RELRO pages)
// fail; the replay reports them and goes on to the end.
func TestReplayTracesLargePages(t *testing.T) {
	for name, f := range readTraces(t) {
		for _, page := range []string{"16K", "64K"} {
			rep := replayTrace(t, f, "host-page="+page)
			if rep.Count(DivSimFailed) == 0 {
				t.Errorf("%s at %s: no sim-failed divergence:\n%s", name, page, details(rep))
			}
			if rep.Matches+rep.Diverged != rep.Calls {
				t.Errorf("%s at %s: %d match + %d diverge != %d calls", name, page, rep.Matches, rep.Diverged, rep.Calls)
			}
			for _, d := range rep.Divergences {
				if d.Kind == DivInvariant || d.Kind == DivAbort {
					t.Errorf("%s at %s: %s: %s", name, page, d.Kind, d.Sim)
				}
			}
		}
	}
}

// TestReplayDeterministic: the same trace gives the same report.
func TestReplayDeterministic(t *testing.T) {
	for name, f := range readTraces(t) {
		a := details(replayTrace(t, f, "host-page=64K"))
		b := details(replayTrace(t, f, "host-page=64K"))
		if a != b {
			t.Errorf("%s: two replays differ", name)
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
	var m addrMap
	m.set(0x1000, 0x5000, 0x100)
	m.set(0x2000, 0x3000, 0x200) // replaces the middle
	for _, tt := range []struct {
		a, want uint64
		ok      bool
	}{
		{0xfff, 0, false}, {0x1000, 0x1100, true}, {0x1fff, 0x20ff, true}, {0x2000, 0x2200, true},
		{0x2fff, 0x31ff, true}, {0x3000, 0x3100, true}, {0x4fff, 0x50ff, true}, {0x5000, 0, false},
	} {
		got, ok := m.lookup(tt.a)
		if got != tt.want || ok != tt.ok {
			t.Errorf("lookup(%#x) = %#x, %v; want %#x, %v", tt.a, got, ok, tt.want, tt.ok)
		}
	}
	if len(m.segs) != 3 {
		t.Errorf("got %d segments, want 3: %v", len(m.segs), m.segs)
	}
}

// FuzzReplay checks that replaying any text never panics, natively at 4K
// and 64K and under a 32-bit and a 64-bit target, and that the report adds
// up. The corpus starts with the real traces' lines.
func FuzzReplay(f *testing.F) {
	f.Add([]byte("1 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x1000\n"))
	if names, _ := filepath.Glob(filepath.Join(traceDir, "*.strace")); len(names) > 0 {
		for _, n := range names {
			src, err := os.ReadFile(n)
			if err != nil {
				f.Fatal(err)
			}
			lines := strings.SplitAfter(string(src), "\n")
			for i := 0; i < len(lines); i += 20 {
				f.Add([]byte(strings.Join(lines[i:min(i+20, len(lines))], "")))
			}
		}
	}
	configs := [][]string{nil, {"host-page=64K"}, {"target=i386", "host=arm64-64k"}, {"target=x86_64", "qemu-host-page=64K"}}
	f.Fuzz(func(t *testing.T, src []byte) {
		file, _ := syntax.Parse("fuzz", src)
		for _, cfg := range configs {
			rep := replayTrace(t, file, cfg...)
			if rep.Matches+rep.Diverged+rep.Unchecked+afterAbort(rep) < rep.Calls {
				t.Fatalf("%v: %d match + %d diverge + %d unchecked < %d calls", cfg, rep.Matches, rep.Diverged, rep.Unchecked, rep.Calls)
			}
			var b bytes.Buffer
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

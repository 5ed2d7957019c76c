package replay

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// replaySrc replays trace text under settings pairs.
func replaySrc(t *testing.T, src string, pairs ...string) *Report {
	t.Helper()
	f, _ := syntax.Parse("t.strace", []byte(src))
	return replayTrace(t, f, pairs...)
}

// wantClean fails unless every memory call of rep matched and no note but
// those of the kinds allowed was made.
func wantClean(t *testing.T, rep *Report, allowed ...NoteKind) {
	t.Helper()
	if len(rep.Divergences) != 0 || rep.Matches != rep.Calls || rep.Calls == 0 {
		t.Errorf("%d calls, %d match:\n%s", rep.Calls, rep.Matches, details(rep))
	}
	for _, n := range rep.Notes {
		ok := false
		for _, k := range allowed {
			ok = ok || n.Kind == k
		}
		if !ok {
			t.Errorf("unexpected note %s: %s\n%s", n.Kind, n.Msg, details(rep))
		}
	}
}

// TestThreadsShare: a thread works on memory another thread mapped (a
// stack it madvises, a mapping it unmaps), which is no unknown memory; its
// mmap moves the break of the process.
func TestThreadsShare(t *testing.T) {
	rep := replaySrc(t, `10 execve("/f/prog", ["prog"], 0x7ffd0 /* 3 vars */) = 0
10 brk(NULL) = 0x555555559000
10 mmap(NULL, 8392704, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK, -1, 0) = 0x7f0000000000
10 mprotect(0x7f0000001000, 8388608, PROT_READ|PROT_WRITE) = 0
10 clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD, stack=0x7f0000000000, stack_size=0x7fff80} => {parent_tid=[11]}, 88) = 11
11 mmap(NULL, 134217728, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0) = 0x7e0000000000
10 munmap(0x7e0000000000, 134217728) = 0
11 brk(0x55555557a000) = 0x55555557a000
10 brk(NULL) = 0x55555557a000
11 exit(0) = ?
11 +++ exited with 0 +++
10 madvise(0x7f0000000000, 8368128, MADV_DONTNEED) = 0
10 exit_group(0) = ?
10 +++ exited with 0 +++
`)
	wantClean(t, rep)
	if len(rep.Images) != 1 || rep.Images[0].Threads != 1 || rep.Images[0].Path != "/f/prog" {
		t.Errorf("images: %+v", rep.Images)
	}
}

// TestForkCopies: a fork child gets a copy of its parent's memory at the
// fork: what either unmaps afterwards stays in the other.
func TestForkCopies(t *testing.T) {
	rep := replaySrc(t, `20 execve("/f/prog", ["prog"], 0x7ffd0 /* 3 vars */) = 0
20 mmap(NULL, 16384, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000
20 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD <unfinished ...>
21 munmap(0x7f0000000000, 16384) = 0
20 <... clone resumed>, child_tidptr=0x7f12) = 21
21 mprotect(0x7f0000000000, 4096, PROT_READ) = -1 ENOMEM (Cannot allocate memory)
20 mprotect(0x7f0000000000, 4096, PROT_READ) = 0
21 +++ exited with 0 +++
20 munmap(0x7f0000000000, 16384) = 0
20 +++ exited with 0 +++
`)
	wantClean(t, rep)
	if len(rep.Images) != 1 || rep.Images[0].Processes != 2 {
		t.Errorf("images: %+v", rep.Images[0])
	}
}

// TestExecReplaces: execve starts a new address space and break; nothing
// of the old image's heap survives into the new one (the first brk of the
// new image reads a break far from the old).
func TestExecReplaces(t *testing.T) {
	rep := replaySrc(t, `30 execve("/f/sh", ["sh"], 0x7ffd0 /* 3 vars */) = 0
30 brk(NULL) = 0x55af7ca73000
30 brk(0x55af7ca94000) = 0x55af7ca94000
30 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7fe341a97000
30 execve("/f/missing", ["sh"], 0x55af7ca73a38 /* 3 vars */) = -1 ENOENT (No such file or directory)
30 execve("/f/true", ["true"], 0x55af7ca73a38 /* 3 vars */ <unfinished ...>
30 <... execve resumed>) = 0
30 brk(NULL) = 0x5582037b1000
30 mmap(0x7fe341a97000, 8192, PROT_READ, MAP_PRIVATE|MAP_FIXED_NOREPLACE|MAP_ANONYMOUS, -1, 0) = 0x7fe341a97000
30 brk(0x5582037d2000) = 0x5582037d2000
30 mprotect(0x5582037b0000, 4096, PROT_READ) = 0
30 exit_group(0) = ?
30 +++ exited with 0 +++
`)
	wantClean(t, rep, NoteUnknownMapping)
	if len(rep.Images) != 2 || rep.Images[1].Path != "/f/true" || rep.Images[1].Line != 6 {
		t.Errorf("images: %+v %+v", rep.Images[0], rep.Images[len(rep.Images)-1])
	}
}

// TestVforkShares: a vfork child shares its parent's memory until its
// execve, which gives it its own; the parent's descriptors stay open.
func TestVforkShares(t *testing.T) {
	rep := replaySrc(t, `40 execve("/f/sh", ["sh"], 0x7ffd0 /* 3 vars */) = 0
40 openat(AT_FDCWD, "/f/data", O_RDONLY) = 3
40 fstat(3, {st_mode=S_IFREG|0644, st_size=8192, ...}) = 0
40 vfork( <unfinished ...>
41 close(3) = 0
41 munmap(0x7f0000000000, 4096) = 0
41 execve("/f/true", ["true"], 0x55 /* 3 vars */) = 0
40 <... vfork resumed>) = 41
40 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, 3, 0) = 0x7f0000001000
41 brk(NULL) = 0x5582037b1000
41 +++ exited with 0 +++
40 +++ exited with 0 +++
`)
	wantClean(t, rep, NoteUnknownMapping)
	if len(rep.Images) != 2 || rep.Images[0].Threads != 1 {
		t.Errorf("images: %+v", rep.Images[0])
	}
}

// TestThreadExec: a thread's execve moves to its group leader's pid
// ("<pid changed to N ...>", "+++ superseded by execve"), where the new
// program runs.
func TestThreadExec(t *testing.T) {
	f, err := syntax.ReadFile("testdata/traces/python3-thread-exec.strace")
	if err != nil {
		t.Skip(err)
	}
	rep := replayTrace(t, f)
	wantClean(t, rep, NoteUnknownMapping)
	if len(rep.Images) != 2 || rep.Images[1].Path != "/f/true" || rep.Images[1].Start != "execve" || rep.Images[0].Threads != 1 {
		t.Errorf("images: %+v, %+v", rep.Images[0], rep.Images[len(rep.Images)-1])
	}
}

// TestJudgeFailures: a MAP_FIXED that fails with EEXIST in the trace and
// in the simulation matches; a MAP_FIXED_NOREPLACE at an address the
// trace never showed gets no placeholder and succeeds.
func TestJudgeFailures(t *testing.T) {
	rep := replaySrc(t, `50 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000
50 mmap(0x7f0000000000, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED_NOREPLACE|MAP_ANONYMOUS, -1, 0) = -1 EEXIST (File exists)
50 mmap(0x7e0000000000, 4096, PROT_READ, MAP_PRIVATE|MAP_FIXED_NOREPLACE|MAP_ANONYMOUS, -1, 0) = 0x7e0000000000
50 munmap(0x7e0000000000, 4096) = 0
`)
	wantClean(t, rep)
}

// TestDecorations: -y's decorated descriptors read as descriptors, the
// decoration naming the file.
func TestDecorations(t *testing.T) {
	rep := replaySrc(t, `60 openat(AT_FDCWD</home/u>, "/lib/libx.so", O_RDONLY|O_CLOEXEC) = 3</usr/lib/libx.so.1>
60 newfstatat(3</usr/lib/libx.so.1>, "", {st_mode=S_IFREG|0644, st_size=20000, ...}, AT_EMPTY_PATH) = 0
60 mmap(NULL, 20480, PROT_READ, MAP_PRIVATE|MAP_DENYWRITE, 3</usr/lib/libx.so.1>, 0) = 0x7f0000000000
60 mmap(0x7f0000001000, 8192, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3</usr/lib/libx.so.1>, 0x1000) = 0x7f0000001000
60 close(3</usr/lib/libx.so.1>) = 0
`)
	wantClean(t, rep)
	if rep.FileCalls != 3 {
		t.Errorf("%d file calls followed, want 3", rep.FileCalls)
	}
	rep = replaySrc(t, strings.ReplaceAll(`60 openat(AT_FDCWD</home/u>, "/lib/libx.so", O_RDONLY|O_CLOEXEC) = 3</usr/lib/libx.so.1>
60 mmap(NULL, 20480, PROT_READ, MAP_PRIVATE|MAP_DENYWRITE, 3</usr/lib/libx.so.1>, 0) = 0x7f0000000000
60 mmap(0x7f0000001000, 8192, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3</usr/lib/libx.so.1>, 0x1000) = 0x7f0000001000
`, "/lib/libx.so\"", "/lib/libx.so\""), "host-page=16K")
	if img := rep.Images[0]; !strings.Contains(img.Cause, "/usr/lib/libx.so.1 at file offset 0x1000") {
		t.Errorf("cause %q does not name the decorated file", img.Cause)
	}
}

// TestLinesThatDoNotParse: a line of a call the replay follows that does
// not parse is a note saying why; one of a call it does not follow is
// skipped and counted; neither is called garbled.
func TestLinesThatDoNotParse(t *testing.T) {
	rep := replaySrc(t, `70 wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 71
70 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x) = 0x7f0000000000
70 newfstatat(4, ""} ---
70 mmap(NULL, 4096, PROT_READ <unfinished ...>
70 +++ exited with 0 +++
`)
	if rep.Unparsed != 1 || rep.NoteCount(NoteUnparsed) != 2 || rep.NoteCount(NoteUnpaired) != 1 {
		t.Fatalf("%d unparsed skipped, notes:\n%s", rep.Unparsed, details(rep))
	}
	if n := rep.Notes[0]; !strings.HasPrefix(n.Msg, "mmap: ") || strings.Contains(n.Msg, "interleaved") {
		t.Errorf("note %q", n.Msg)
	}
}

// stripProcessLines removes what an older recording (without strace's
// %process class) would not have: the process calls, whole or in halves.
func stripProcessLines(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, syntax.MaxLineLength)
	for sc.Scan() {
		l := sc.Text()
		switch lineCallName(l) {
		case "clone", "clone3", "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid", "kill", "tgkill":
			continue
		}
		b.WriteString(l + "\n")
	}
	return b.String()
}

// TestInference: the repository's traces without their process lines, as
// an older recording has them, still replay without a divergence at 4K:
// the replay infers threads and new program images from the memory calls,
// and says so; program images are found where execve was.
func TestInference(t *testing.T) {
	names, _ := filepath.Glob("testdata/traces/*.strace")
	if len(names) == 0 {
		t.Skip("no traces")
	}
	for _, name := range names {
		full, err := syntax.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		want := replayTrace(t, full)
		f, _ := syntax.Parse(filepath.Base(name), []byte(stripProcessLines(t, name)))
		for _, cfg := range [][]string{nil, {"target=x86_64"}} {
			rep := replayTrace(t, f, cfg...)
			if len(rep.Divergences) != 0 || rep.Matches != rep.Calls {
				t.Errorf("%s %v without process lines: %d calls, %d match:\n%s", name, cfg, rep.Calls, rep.Matches, details(rep))
			}
			for _, n := range rep.Notes {
				if n.Kind != NoteUnknownMapping && n.Kind != NoteInferred && n.Kind != NoteUnparsed && n.Kind != NoteFileSize {
					t.Errorf("%s %v: note %s: %s", name, cfg, n.Kind, n.Msg)
				}
			}
			if rep.NoteCount(NoteUnknownMapping) > want.NoteCount(NoteUnknownMapping) {
				t.Errorf("%s %v: %d unknown mappings, %d with process lines:\n%s", name, cfg,
					rep.NoteCount(NoteUnknownMapping), want.NoteCount(NoteUnknownMapping), details(rep))
			}
			if len(rep.Images) != len(want.Images) {
				t.Errorf("%s %v: %d program images inferred, %d executed", name, cfg, len(rep.Images), len(want.Images))
			}
		}
	}
}

package replay

import (
	"encoding/binary"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// readTestdata parses the repository's own traces, by base name.
func readTestdata(t *testing.T) map[string]*syntax.File {
	t.Helper()
	names, _ := filepath.Glob("testdata/traces/*.strace")
	if len(names) == 0 {
		t.Skip("no traces")
	}
	files := map[string]*syntax.File{}
	for _, n := range names {
		f, err := syntax.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(n)] = f
	}
	return files
}

// unalignedCall says whether a trace line is a call a host of page bytes
// refuses outright: an mmap of a file at an offset that is not a multiple
// of page, or an mprotect at an address that is not.
func unalignedCall(text string, page uint64) bool {
	name := lineCallName(text)
	open := strings.IndexByte(text, '(')
	closing := strings.LastIndex(text, ") = ")
	if open < 0 || closing < open {
		return false
	}
	args := strings.Split(text[open+1:closing], ", ")
	num := func(s string) uint64 {
		v, _ := strconv.ParseUint(s, 0, 64)
		return v
	}
	switch {
	case name == "mmap" && len(args) == 6 && !strings.Contains(args[3], "MAP_ANONYMOUS"):
		return num(args[5])%page != 0
	case name == "mprotect" && len(args) == 3:
		return num(args[0])%page != 0
	}
	return false
}

// TestVerdictNative16K: natively on a 16K host, every program image of the
// repository's traces fails (Debian's programs and libraries are laid out
// for 4K pages), at its first mmap of a file at an offset, or mprotect at
// an address, that is not a multiple of 16K; the cause says so and the fix
// names the link option; every later divergence of the image is a
// consequence. Go's static program is only at risk.
func TestVerdictNative16K(t *testing.T) {
	const page = 0x4000
	files := readTestdata(t)
	for _, name := range sortedKeys(files) {
		f := files[name]
		rep := replayTrace(t, f, "host-page=16K")
		if len(rep.Images) == 0 {
			t.Fatalf("%s: no images", name)
		}
		lines := map[int]string{}
		for _, st := range f.Stmts {
			lines[st.Line] = st.Text
		}
		for _, img := range rep.Images {
			fatal := img.Fatal
			if name == "go-version.strace" {
				// No dynamic loader, and a runtime that asks the system
				// its page size: its calls on 4K boundaries are a risk.
				if fatal != nil || img.Risk == nil || !strings.Contains(img.Risk.Trace, "MAP_FIXED|MAP_ANONYMOUS") ||
					!strings.Contains(img.Cause, "not a multiple of the 16K host page") || !strings.Contains(img.Fix, "sysconf(_SC_PAGESIZE)") {
					t.Errorf("%s: %s: %s (risk %v): cause %q, fix %q", name, img.Name(), img.Verdict(), img.Risk, img.Cause, img.Fix)
				}
				continue
			}
			if fatal == nil {
				t.Errorf("%s: %s (line %d): %s at 16K", name, img.Name(), img.Line, img.Verdict())
				continue
			}
			if !strings.HasPrefix(img.Verdict(), fmt.Sprintf("fails at line %d: ", fatal.Line)) {
				t.Errorf("%s: %s: verdict %q", name, img.Name(), img.Verdict())
			}
			if !unalignedCall(fatal.Trace, page) {
				t.Errorf("%s: %s fails at line %d, a call a 16K host does not refuse: %s", name, img.Name(), fatal.Line, fatal.Trace)
			}
			// No earlier call of the image's pid is one a 16K host refuses.
			for l := img.Line; l < fatal.Line; l++ {
				if text, ok := lines[l]; ok && strings.HasPrefix(text, strconv.Itoa(fatal.Pid)+" ") && unalignedCall(text, page) {
					t.Errorf("%s: %s fails at line %d, but line %d is refused first: %s", name, img.Name(), fatal.Line, l, text)
					break
				}
			}
			if !strings.Contains(img.Cause, "not a multiple of the 16K host page") || !strings.Contains(img.Fix, "max-page-size=0x4000") {
				t.Errorf("%s: %s: cause %q, fix %q", name, img.Name(), img.Cause, img.Fix)
			}
		}
		for _, d := range rep.Divergences {
			if d.Kind == DivSimFailed && !d.Consequence {
				isFatal := false
				for _, img := range rep.Images {
					isFatal = isFatal || img.Fatal != nil && img.Fatal.Line == d.Line || img.Risk != nil && img.Risk.Line == d.Line
				}
				if !isFatal && !strings.HasPrefix(d.Trace, "munmap") && !strings.HasPrefix(d.Trace, "madvise") && !strings.HasPrefix(d.Trace, "brk") {
					t.Errorf("%s: %s: a failure that is neither fatal nor a consequence: %s", name, d.Pos, d.Trace)
				}
			}
		}
	}
}

// qemuGroundTruth is whether each program the repository's traces run
// starts under the real QEMU 7.2 with -p 65536 on this 4K x86-64 host, as
// testdata/traces/README.md records it (the command for each is there).
var qemuGroundTruth = map[string]bool{
	"python3": true, "bash": true, "pyenv": true, "readlink": true, "pyenv-exec": true,
	"pyenv-version-name": true, "pyenv-version-file": true, "pyenv-version-file-read": true,
	"pyenv-hooks": true, "pyenv-which": true, "pyenv-prefix": true, "pyenv-latest": true,
	"basename": true, "perl": true, "seq": true, "sort": true, "head": true, "wc": true,
	"sh": true, "true": true, "git": true, "tar": true, "gzip": true, "gcc": true, "cc1": true,
	"as": true, "node": true, "cat": true, "ls": true, "go": true,
	"java": false, // SIGSEGV, then abort (exit status 134)
}

// knownSimDefects are verdicts under the simulated QEMU 7.2 that differ
// from the real one because of a defect of the simulation (package sim),
// not of the replay, by trace and program. Each entry is checked as it is:
// when the defect is fixed the test fails, and the entry must go.
var knownSimDefects = map[string]string{}

// TestVerdictQEMU72 checks the verdict under the simulated QEMU 7.2 with
// 64K host pages on a 4K host (QEMU's -p 65536) against the real QEMU 7.2:
// no program that runs there is called failing, and every program that
// dies there is at least at risk, with the calls that explain why: a
// protection the program set that the host page cannot enforce.
func TestVerdictQEMU72(t *testing.T) {
	files := readTestdata(t)
	seen := map[string]bool{}
	for _, name := range sortedKeys(files) {
		rep := replayTrace(t, files[name], "target=x86_64", "qemu-host-page=64K", "policy=qemu-7.2")
		for _, img := range rep.Images {
			prog := path.Base(img.Path)
			runs, known := qemuGroundTruth[prog]
			if !known {
				t.Errorf("%s: no ground truth for %s", name, img.Path)
				continue
			}
			seen[prog] = true
			v := img.Verdict()
			if want, ok := knownSimDefects[name+" "+img.Path]; ok {
				if v != want {
					t.Errorf("%s: %s: %s; the known defect of sim gave %q: if it is fixed, drop it from knownSimDefects", name, img.Path, v, want)
				}
				continue
			}
			switch {
			case runs && strings.HasPrefix(v, "fails"):
				t.Errorf("%s: %s runs under QEMU 7.2 -p 65536, and the verdict is %q (%s)", name, img.Path, v, img.Cause)
			case !runs && v == "starts":
				t.Errorf("%s: %s dies under QEMU 7.2 -p 65536, and the verdict is %q", name, img.Path, v)
			case !runs && v == "at risk":
				for _, u := range img.Traps {
					if !strings.HasPrefix(u.Call, "mprotect(") || !strings.Contains(u.Kind, "guard page") || u.HostProt == "---" {
						t.Errorf("%s: %s: trap %s", name, img.Path, u)
					}
				}
				if img.TrapCount == 0 || len(img.Traps) == 0 {
					t.Errorf("%s: %s at risk without traps", name, img.Path)
				}
			}
			if runs && v == "starts" && img.Fragments == 0 {
				t.Errorf("%s: %s: QEMU absorbed nothing", name, img.Path)
			}
		}
	}
	for prog := range qemuGroundTruth {
		if !seen[prog] {
			t.Errorf("the ground truth names %s, which no trace runs", prog)
		}
	}
}

// TestVerdictJavaPollingPage: the JVM's polling pages, a PROT_NONE page
// next to a readable one in one host page, are the first trap the verdict
// names, with the page's trace address.
func TestVerdictJavaPollingPage(t *testing.T) {
	f := readTestdata(t)["java-version.strace"]
	if f == nil {
		t.Skip("no java trace")
	}
	rep := replayTrace(t, f, "target=x86_64", "qemu-host-page=64K", "policy=qemu-7.2")
	img := rep.Images[0]
	if img.Verdict() != "at risk" || len(img.Traps) == 0 {
		t.Fatalf("java: %s", img.Verdict())
	}
	u := img.Traps[0]
	// 2321 mmap(NULL, 8192, PROT_NONE, ...) = A; mmap(A, 8192, rw, MAP_FIXED); mprotect(A, 4096, PROT_NONE)
	if !strings.Contains(u.Call, ", 4096, PROT_NONE) = 0") || u.Kind != "guard page (no access) readable and writable" ||
		!strings.Contains(u.Call, fmt.Sprintf("%#x", u.Page)) || u.HostProt != "rw-" {
		t.Errorf("first trap: %s", u)
	}
}

// writeELF writes a minimal 64-bit ELF file with PT_LOAD segments at the
// given (offset, vaddr) pairs, p_align 0x1000.
func writeELF(t *testing.T, name string, segs ...[2]uint64) string {
	t.Helper()
	le := binary.LittleEndian
	b := make([]byte, 64+56*len(segs))
	copy(b, "\x7fELF\x02\x01\x01")
	le.PutUint16(b[16:], 3)  // ET_DYN
	le.PutUint16(b[18:], 62) // EM_X86_64
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[32:], 64) // e_phoff
	le.PutUint16(b[52:], 64) // e_ehsize
	le.PutUint16(b[54:], 56) // e_phentsize
	le.PutUint16(b[56:], uint16(len(segs)))
	le.PutUint16(b[58:], 64) // e_shentsize
	for i, s := range segs {
		ph := b[64+56*i:]
		le.PutUint32(ph[0:], 1) // PT_LOAD
		le.PutUint32(ph[4:], 5)
		le.PutUint64(ph[8:], s[0])
		le.PutUint64(ph[16:], s[1])
		le.PutUint64(ph[24:], s[1])
		le.PutUint64(ph[32:], 0x100)
		le.PutUint64(ph[40:], 0x100)
		le.PutUint64(ph[48:], 0x1000)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestVerdictReadsELF: with Options.ReadFiles, the verdict reads the
// program headers of the files on this machine: a program whose segment
// address and offset differ by 4K cannot be mapped by a 16K kernel (the
// execve fails), and a library's fix names its p_align.
func TestVerdictReadsELF(t *testing.T) {
	prog := writeELF(t, "prog", [2]uint64{0, 0}, [2]uint64{0x2e10, 0x3e10})
	lib := writeELF(t, "libx.so", [2]uint64{0, 0}, [2]uint64{0x1000, 0x1000})
	src := fmt.Sprintf(`1 execve(%q, ["prog"], 0x7ffd /* 1 var */) = 0
1 openat(AT_FDCWD, %q, O_RDONLY|O_CLOEXEC) = 3
1 mmap(NULL, 20480, PROT_READ, MAP_PRIVATE|MAP_DENYWRITE, 3, 0) = 0x7f0000000000
1 mmap(0x7f0000001000, 8192, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x1000) = 0x7f0000001000
`, prog, lib)
	f, _ := syntax.Parse("t", []byte(src))
	rep, err := Replay(f, Options{Settings: settingsOf(t, "host-page=16K"), ReadFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	img := rep.Images[0]
	if !strings.HasPrefix(img.Verdict(), "fails at line 1: execve(") ||
		!strings.Contains(img.Cause, "the kernel's ELF loader cannot map "+prog+": its LOAD segment at file offset 0x2e10 is at address 0x3e10, 0x1000 apart") {
		t.Errorf("verdict %q, cause %q", img.Verdict(), img.Cause)
	}
	// Without the program's problem, the library's mmap fails, and the
	// fix reads its headers.
	src = strings.Replace(src, strconv.Quote(prog), `"/nonexistent/prog"`, 1)
	f, _ = syntax.Parse("t", []byte(src))
	rep, _ = Replay(f, Options{Settings: settingsOf(t, "host-page=16K"), ReadFiles: true})
	img = rep.Images[0]
	if !strings.HasPrefix(img.Verdict(), "fails at line 4: mmap(") || !strings.Contains(img.Fix, "here its LOAD segments have p_align 0x1000, below the 16K host page") {
		t.Errorf("verdict %q, fix %q", img.Verdict(), img.Fix)
	}
	// Without ReadFiles, the fix says how to look.
	rep, _ = Replay(f, Options{Settings: settingsOf(t, "host-page=16K")})
	if fix := rep.Images[0].Fix; !strings.Contains(fix, "readelf -lW "+lib+" shows them") {
		t.Errorf("fix %q", fix)
	}
}

// TestVerdictBox64: under box64 the verdict names box64, not QEMU, and a
// library mapping box64 hands to a 16K host unchanged is explained as the
// host's refusal of a file laid out for 4K pages, with the relink fix.
func TestVerdictBox64(t *testing.T) {
	files := readTestdata(t)
	rep := replayTrace(t, files["git-log.strace"], "target=x86_64", "host-page=16K", "policy=box64")
	var b strings.Builder
	rep.WriteVerdict(&b)
	out := b.String()
	if !strings.HasPrefix(out, "verdict (under the simulated box64, each program image in a box64 of its own)") || strings.Contains(out, "QEMU") {
		t.Errorf("verdict does not name box64 alone:\n%s", out)
	}
	img := rep.Images[0]
	if !strings.HasPrefix(img.Verdict(), "fails at line ") ||
		!strings.HasPrefix(img.Cause, "box64 passes the call to the host as it is: ") ||
		!strings.Contains(img.Cause, "which is not a multiple of the 16K host page") ||
		!strings.HasPrefix(img.Fix, "relink ") {
		t.Errorf("verdict %q, cause %q, fix %q", img.Verdict(), img.Cause, img.Fix)
	}
}

//go:build linux

package hostvm

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mmapsim/mmapsim/internal/linuxsys"
)

// Flags of TestLinuxDiff and TestLinuxDiffKnown; sizes default to a few
// seconds' work.
var (
	ldSeedFlag   = flag.Int64("linuxdiff.seed", 1, "TestLinuxDiff: seed of the random calls; 0 takes one from the clock")
	ldCallsFlag  = flag.Int("linuxdiff.calls", 5000, "TestLinuxDiff: number of calls to compare")
	ldTimeFlag   = flag.Duration("linuxdiff.time", 8*time.Second, "TestLinuxDiff: stop starting sequences after this long")
	ldRecordFlag = flag.String("linuxdiff.record", "", "TestLinuxDiff: write each difference's scenario into this directory")
	ldVerbose    = flag.Bool("linuxdiff.v", false, "TestLinuxDiff, TestLinuxDiffKnown: log every call, with both sides' maps")
	ldReplayFlag = flag.String("linuxdiff.replay", "", "TestLinuxDiffKnown: replay this scenario file instead of testdata/linuxdiff")
	ldPKeysFlag  = flag.String("linuxdiff.pkeys", "auto", "TestLinuxDiff, TestLinuxDiffKnown: give hostvm protection keys (Config.PKeys) as this machine has them (auto), or force them on or off to see what they change")
	ldStrictFlag = flag.Bool("linuxdiff.strict", false, "TestLinuxDiff: fail on unexplained differences whatever the kernel (by default only on the Linux hostvm models)")
)

// The sandbox, in hostvm's addresses: fixed, so a scenario reads the same
// wherever the real reservation landed.
const (
	ldSize     = 64 << 20
	ldBase64   = 0x100000000000
	ldBase32   = 0x40000000
	ldSeqMin   = 20 // calls per sequence: ldSeqMin + up to ldSeqSpan
	ldSeqSpan  = 40
	ldMinTime  = 2 * time.Second // minimization budget per difference
	ldMinTries = 400
)

// TestLinuxDiff is a differential test against the real kernel: the same
// random call sequence runs on hostvm and, with real system calls, inside a
// sandbox of this process (see linuxdiff_real_test.go), and after every
// call the two are compared: the return value or errno, the sandbox's VMAs
// (start, end, rwxp/s, offset, file), the bytes of every page of the
// window the sequence works in (or that it faults: /proc/self/mem fails
// where nothing is mapped, beyond end-of-file and at guard pages), and the
// files. A sequence stops at its first difference, which is minimized and
// printed as a scenario whose expectations are Linux's answers.
//
// Differences the table ldKnownDiffs explains (hostvm bugs not fixed yet,
// and where Linux itself is not a function of the calls) are logged; any
// other fails the test on the Linux hostvm models (ldModelled) and is
// logged on other kernels (-linuxdiff.strict fails it there too). The
// README's "Agreement with Linux" has the figures and the known list.
func TestLinuxDiff(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	seed := *ldSeedFlag
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	run, skip := ldSetup(t)
	if skip != "" {
		t.Skip(skip)
	}
	defer run.real.close()
	t.Logf("seed %d (rerun with -linuxdiff.seed=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	start := time.Now()
	run.deadline = start.Add(*ldTimeFlag + ldMinTime)
	var diffs []*ldDiff
	seq := 0
	for run.stats.calls < *ldCallsFlag && time.Since(start) < *ldTimeFlag {
		seq++
		lo, hi := ldFocus(rng, run.real.hvBase)
		n := min(ldSeqMin+rng.Intn(ldSeqSpan), *ldCallsFlag-run.stats.calls)
		gen := &ldGen{r: rng, lo: lo, hi: hi, noExec: run.noExec}
		full := rng.Intn(2) == 0
		d, err := run.sequence(gen, n, full)
		if err != nil {
			t.Fatalf("sequence %d: %v", seq, err)
		}
		if d == nil {
			continue
		}
		d.seq, d.seed = seq, seed
		d = run.minimize(d)
		d.known = ldClassify(d)
		diffs = append(diffs, d)
		text := run.scenario(d)
		if *ldRecordFlag != "" {
			name := fmt.Sprintf("seed%d-seq%d-%s.scn", seed, seq, d.kind)
			if err := os.WriteFile(filepath.Join(*ldRecordFlag, name), []byte(text), 0o644); err != nil {
				t.Error(err)
			}
		}
		if d.known != nil {
			t.Logf("sequence %d: known difference %q (%s; evidence: %s):\n%s", seq, d.known.name, d.known.cause, d.known.evidence, text)
		} else {
			run.report(t, "sequence %d: difference in %s:\n%s", seq, d.kind, text)
		}
	}
	t.Logf("%s", run.stats.report(seq, time.Since(start), diffs))
}

// ldSetup makes the sandbox and the files and finds out what this machine
// is: the run both tests use. skip is non-empty when the comparison
// cannot run here.
func ldSetup(t *testing.T) (run *ldRun, skip string) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "386" {
		return nil, fmt.Sprintf("hostvm models x86; this is %s", runtime.GOARCH)
	}
	minAddr := uint64(65536)
	if v, err := linuxsys.VMSysctl("mmap_min_addr"); err == nil && v > 0 {
		minAddr = v
	}
	cfg := Config{PageSize: 4096, AddrBits: 47, TaskSize: 1<<47 - 4096, MmapMinAddr: Addr(minAddr)}
	hvBase := uint64(ldBase64)
	var candidates []uint64
	for i := uint64(0); i < 16; i++ {
		candidates = append(candidates, ldBase64+i<<40, 0x500000000000+i<<40)
	}
	header := fmt.Sprintf("#! host=x86_64 mmap-min-addr=%d", minAddr)
	if runtime.GOARCH == "386" {
		// A 32-bit process on this 64-bit kernel: IA32_PAGE_OFFSET
		// ends its space, arguments are 32-bit and summed in 64.
		cfg = Config{PageSize: 4096, AddrBits: 32, TaskSize: 0xFFFFE000, Compat: true, MmapMinAddr: Addr(minAddr)}
		hvBase = ldBase32
		candidates = []uint64{0x40000000, 0x50000000, 0x60000000, 0x30000000, 0x20000000, 0x70000000}
		header = fmt.Sprintf("# a 32-bit process on a 64-bit kernel (hostvm.Config.Compat; no host preset models it)\n#! host=i686 mmap-min-addr=%d", minAddr)
	}
	if err := cfg.EnsureDefaults(); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	const ext4Magic, stNoExec = 0xEF53, 8
	noExec := fs.Flags&stNoExec != 0
	if noExec {
		t.Logf("%s is mounted noexec: no PROT_EXEC", dir)
	}
	if fs.Type != ext4Magic {
		t.Logf("%s is not on ext4 (f_type %#x): hostvm models ext4 files, expect file differences", dir, fs.Type)
	}
	real, skip, err := ldOpenReal(hvBase, ldSize, candidates, dir)
	if err != nil {
		t.Fatal(err)
	}
	if skip != "" {
		return nil, skip
	}
	t.Logf("sandbox %#x-%#x (hostvm %#x-%#x), files in %s", real.base, real.base+ldSize, hvBase, hvBase+ldSize, dir)
	noZero, err := real.probeZeroPage()
	if err != nil {
		real.close()
		t.Fatal(err)
	}
	if noZero {
		t.Logf("this kernel maps no zero page: a read fault on private anonymous memory allocates a page and the VMA's anon_vma (pvm_no_zero_page=1?); hostvm's state mirrors the read faults the test causes")
	}
	// A CPU with protection keys gives PROT_EXEC-only mappings the
	// execute-only key: hostvm models it when told (Config.PKeys).
	keys, err := real.probeExecOnlyKey()
	if err != nil {
		real.close()
		t.Fatal(err)
	}
	flags := cpuFlags("pku", "ospke")
	t.Logf("protection keys: /proc/cpuinfo has pku %v, ospke %v; PROT_EXEC-only mappings take the execute-only key: %v", flags["pku"], flags["ospke"], keys)
	switch *ldPKeysFlag {
	case "on", "off":
		keys = *ldPKeysFlag == "on"
		t.Logf("-linuxdiff.pkeys=%s: hostvm's protection keys %v, whatever this machine has", *ldPKeysFlag, keys)
	case "auto":
	default:
		real.close()
		t.Fatalf("-linuxdiff.pkeys=%s: want auto, on or off", *ldPKeysFlag)
	}
	if keys {
		cfg.PKeys = true
		header = "# this CPU has protection keys: a PROT_EXEC-only mapping takes the execute-only key (hostvm.Config.PKeys; no host preset models it)\n" + header
	}
	release := linuxsys.KernelRelease()
	strict := *ldStrictFlag || strings.HasPrefix(release, ldModelled+".")
	if !strict {
		t.Logf("kernel %s: hostvm models Linux %s, so differences are logged, not failed (-linuxdiff.strict fails them)", release, ldModelled)
	}
	return &ldRun{t: t, real: real, cfg: cfg, header: header, noZeroPage: noZero, noExec: noExec,
		ext4: fs.Type == ext4Magic, strict: strict}, ""
}

// ldModelled is the kernel hostvm follows (README, "Which Linux").
const ldModelled = "6.18"

// report fails the test on a kernel hostvm models (or with
// -linuxdiff.strict), and logs otherwise.
func (r *ldRun) report(t *testing.T, format string, args ...any) {
	t.Helper()
	if r.strict {
		t.Errorf(format, args...)
	} else {
		t.Logf(format, args...)
	}
}

// ldFocus picks the window a sequence works in: 16 to 256 pages, at the
// sandbox's start, its end, or anywhere in it.
func ldFocus(r *rand.Rand, base uint64) (Addr, Addr) {
	w := uint64(16<<r.Intn(5)) * ldPage
	var lo uint64
	switch r.Intn(5) {
	case 0:
		lo = base
	case 1:
		lo = base + ldSize - w
	default:
		lo = base + uint64(r.Int63n(int64((ldSize-w)/ldPage)))*ldPage
	}
	return Addr(lo), Addr(lo + w)
}

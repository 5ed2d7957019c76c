//go:build linux

package hostvm

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// ldKnown is a difference understood and recorded: a hostvm bug (not fixed
// yet) or Linux behaviour that is not a function of the calls.
type ldKnown struct {
	name  string
	cause string // whose difference it is ("hostvm bug: ...") and what it is
	// evidence names the scenarios in testdata/linuxdiff that show it
	// (TestLinuxDiffKnown replays them), the Linux source it follows and
	// the hostvm code that differs.
	evidence string
	// match recognizes the difference from its minimized calls and
	// what each side saw.
	match func(d *ldDiff) bool
	// timing: whether Linux shows the difference depends on timing
	// (reclaim, writeback), so a scenario may not reproduce on every
	// run; TestLinuxDiffKnown replays it up to ldTimingTries times.
	timing bool
}

// ldTimingTries is how often TestLinuxDiffKnown replays a scenario of a
// timing-dependent difference before it calls the difference gone: one
// MADV_PAGEOUT in about fifty leaves a MADV_FREE'd page in place on the
// test machine.
const ldTimingTries = 5

// ldKnownByName returns the known difference called name.
func ldKnownByName(name string) *ldKnown {
	for _, k := range ldKnownDiffs {
		if k.name == name {
			return k
		}
	}
	return nil
}

// ldLast is the last call of d.
func ldLast(d *ldDiff) ldCall { return d.calls[len(d.calls)-1] }

// ldHas reports whether some call of d satisfies f.
func ldHas(d *ldDiff, f func(c ldCall) bool) bool {
	for _, c := range d.calls {
		if f(c) {
			return true
		}
	}
	return false
}

// ldSameCoverage reports whether both sides map the same pages with the
// same protection, sharing, file and offset, so that the listings differ
// only in where VMAs are split: in merging, which anon_vma identities and
// vm_pgoff decide.
func ldSameCoverage(d *ldDiff) bool {
	type pg struct {
		perms, name string
		off         uint64
	}
	pages := func(vs []ldVMA) map[Addr]pg {
		m := map[Addr]pg{}
		for _, v := range vs {
			for a := v.start; a < v.end; a += ldPage {
				off := uint64(0)
				if v.ino != 0 {
					off = v.off + uint64(a-v.start)
				}
				m[a] = pg{v.perms, v.name, off}
			}
		}
		return m
	}
	h, x := pages(d.hvMaps), pages(d.reMaps)
	if len(h) != len(x) {
		return false
	}
	for a, p := range h {
		if x[a] != p {
			return false
		}
	}
	return true
}

// ldKnownDiffs are the known differences, each with its evidence.
var ldKnownDiffs = []*ldKnown{
	{
		name:     "fs-not-ext4",
		cause:    "the temporary directory is not on ext4: hostvm models ext4 files (tmpfs, for one, keeps what a shared mapping stored beyond end-of-file when the file grows, linux-facts Q29)",
		evidence: "linux-facts Q29 (ext4 and tmpfs measured)",
		match: func(d *ldDiff) bool {
			return !d.ext4 && (d.kind == "file" || d.kind == "contents" ||
				ldHas(d, func(c ldCall) bool { return c.op == ldMmap && MapFlags(c.flags)&MapSync != 0 }))
		},
	},
	{
		name:     "dontunmap-source-merge",
		cause:    "hostvm's maximal merging (hostvm/README.md, \"Merging\"): the source VMA that MREMAP_DONTUNMAP leaves, unlocked and emptied, merges with its neighbours on hostvm; Linux does not merge it",
		evidence: "testdata/linuxdiff/dontunmap-source-merge.scn; mm/mremap.c dontunmap_complete() (vm_flags_clear(), unlink_anon_vmas(), no merge); hostvm/mremap.go dontUnmapComplete (modify merges)",
		match: func(d *ldDiff) bool {
			return d.kind == "maps" && ldSameCoverage(d) &&
				ldHas(d, func(c ldCall) bool { return c.op == ldMremap && MremapFlags(c.flags)&MremapDontUnmap != 0 })
		},
	},
	{
		name:     "stack-growth-merge",
		cause:    "hostvm keeps VMAs maximally merged (README, \"Merging\"): a MAP_GROWSDOWN VMA that grows down to the VMA below merges with it on hostvm; Linux's expand_downwards() only moves vm_start",
		evidence: "testdata/linuxdiff/stack-growth-merge.scn; mm/mmap.c expand_downwards(); hostvm/mem.go growDown (mergeRange)",
		match: func(d *ldDiff) bool {
			return d.kind == "maps" && ldSameCoverage(d) && len(d.reMaps) > len(d.hvMaps) &&
				ldHas(d, func(c ldCall) bool { return c.op == ldMmap && MapFlags(c.flags)&MapGrowsDown != 0 })
		},
	},
	{
		name:     "eof-tail-writeback",
		timing:   true,
		cause:    "Linux (ext4 writeback) zeroes what a shared mapping stored beyond end-of-file in the last page whenever the page is written back: at once with msync(MS_SYNC), else whenever the flusher runs; hostvm keeps the bytes",
		evidence: "testdata/linuxdiff/eof-tail-writeback.scn; ext4 writeback zeroes the folio beyond i_size; hostvm/msync.go Msync writes nothing back",
		match: func(d *ldDiff) bool {
			if d.kind != "contents" || d.debug == "" {
				return false
			}
			for _, m := range d.hvMaps {
				if m.start <= d.at && d.at < m.end && m.ino != 0 && m.perms[3] == 's' && m.name != "/dev/zero (deleted)" {
					off := m.off + uint64(d.at-m.start)
					return off >= d.fileSize[m.name] && off/ldPage == (d.fileSize[m.name]+ldPage-1)/ldPage-1
				}
			}
			return false
		},
	},
	{
		name:     "memlock-rlimit",
		cause:    "RLIMIT_MEMLOCK is not modelled (README, \"Memory accounting\"): without CAP_IPC_LOCK, MAP_LOCKED mappings beyond the limit fail with EAGAIN on Linux",
		evidence: "hostvm/README.md, Memory accounting",
		match: func(d *ldDiff) bool {
			return d.kind == "result" && d.re.errno == EAGAIN && d.hv.errno == 0 &&
				ldHas(d, func(c ldCall) bool { return c.op == ldMmap && MapFlags(c.flags)&MapLocked != 0 })
		},
	},
	{
		name:     "reclaim-discards",
		timing:   true,
		cause:    "hostvm never reclaims: on Linux MADV_PAGEOUT (at once) and memory pressure (at any time) discard MAP_DROPPABLE pages and MADV_FREE'd pages not written since, which then read as zero",
		evidence: "testdata/linuxdiff/reclaim-droppable.scn, reclaim-madv-free.scn; mm/vmscan.c shrink_folio_list() (lazyfree and droppable folios are discarded); hostvm/madvise.go advise keeps MADV_FREE'd pages",
		match: func(d *ldDiff) bool {
			return d.kind == "contents" && d.rePeek.errno == 0 && bytes.Count(d.rePeek.data, []byte{0}) == len(d.rePeek.data) &&
				ldHas(d, func(c ldCall) bool {
					return c.op == ldMmap && MapFlags(c.flags)&MapType == MapDroppable ||
						c.op == ldMadvise && Advice(c.flags) == MadvFree
				})
		},
	},
}

func ldClassify(d *ldDiff) *ldKnown {
	for _, k := range ldKnownDiffs {
		if k.match(d) {
			return k
		}
	}
	return nil
}

// TestLinuxDiffKnown replays the scenarios in testdata/linuxdiff, one per
// known difference (see its README), on the real kernel and on hostvm, and
// checks that each still shows its difference, classified under the name
// its "# known:" line gives. A scenario that no longer differs means
// hostvm was fixed (or the kernel changed): it is reported, so that the
// entry in ldKnownDiffs and the scenario can go. -linuxdiff.replay FILE
// replays one file instead (with -linuxdiff.v, step by step).
func TestLinuxDiffKnown(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skipf("the scenarios are recorded at 64-bit addresses; this is %s", runtime.GOARCH)
	}
	files, err := filepath.Glob("testdata/linuxdiff/*.scn")
	if *ldReplayFlag != "" {
		files = []string{*ldReplayFlag}
	}
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios in testdata/linuxdiff: %v", err)
	}
	// Every difference whose evidence names scenarios has them on disk.
	for _, k := range ldKnownDiffs {
		for _, f := range regexp.MustCompile(`[a-z0-9-]+\.scn`).FindAllString(k.evidence, -1) {
			if _, err := os.Stat(filepath.Join("testdata/linuxdiff", f)); err != nil {
				t.Errorf("known difference %q: evidence %s: %v", k.name, f, err)
			}
		}
	}
	run, skip := ldSetup(t)
	if skip != "" {
		t.Skip(skip)
	}
	defer run.real.close()
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".scn"), func(t *testing.T) {
			text, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sc, err := ldParseScenario(string(text), run.real.hvBase)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			run.t = t
			tries := 1
			if k := ldKnownByName(sc.known); k != nil && k.timing {
				tries = ldTimingTries
			}
			var d *ldDiff
			var results []ldResult
			for try := 1; try <= tries; try++ {
				d, results, err = run.replay(sc.calls, sc.lo, sc.hi, false)
				if err != nil {
					t.Fatal(err)
				}
				if d != nil {
					break
				}
				if try < tries {
					t.Logf("%s: no difference on try %d of %d (%q depends on timing)", file, try, tries, sc.known)
				}
			}
			for i, want := range sc.want {
				if i < len(results) && want != nil && !want.equal(results[i]) {
					t.Logf("%s: call %d: Linux answered %s, the scenario records %s", file, i+1,
						sc.calls[i].resultString(results[i]), sc.calls[i].resultString(*want))
				}
			}
			if d != nil {
				d.known = ldClassify(d)
			}
			switch {
			case d == nil:
				run.report(t, "%s: no difference any more: if hostvm was fixed, remove %q from ldKnownDiffs and this scenario", file, sc.known)
			case d.known == nil || d.known.name != sc.known:
				run.report(t, "%s: the difference is not %q any more:\n%s", file, sc.known, run.scenario(d))
			default:
				t.Logf("%s: %q reproduces (%s after call %d)", file, sc.known, d.kind, len(d.calls))
			}
		})
	}
}

// ldScenario is a parsed scenario: the calls after the sandbox's
// reservation, the results it records (nil where it records none), the
// window to read and the known difference it shows.
type ldScenario struct {
	calls  []ldCall
	want   []*ldResult
	lo, hi Addr
	known  string
}

// ldParseScenario reads a scenario as ldRun.scenario prints it (the
// openat lines and the reservation are the sandbox's own and skipped):
// "# window: LO-HI" and "# known: NAME" lines, and the calls mmap, munmap,
// mprotect, mremap, madvise, msync, pwrite64, ftruncate, poke and peek,
// with their results. Descriptors 3, 4 and 5 are f0, f1 and f0 read-only.
func ldParseScenario(text string, base uint64) (*ldScenario, error) {
	sc := &ldScenario{}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d: %q: %s", n+1, line, fmt.Sprintf(format, args...))
		}
		if v, ok := strings.CutPrefix(line, "# window:"); ok {
			lo, hi, ok := strings.Cut(strings.TrimSpace(v), "-")
			l, err1 := ldNum(lo, nil)
			h, err2 := ldNum(hi, nil)
			if !ok || err1 != nil || err2 != nil || l >= h || l%ldPage != 0 || h%ldPage != 0 {
				return nil, fail("want # window: 0xLO-0xHI, page aligned")
			}
			sc.lo, sc.hi = Addr(l), Addr(h)
			continue
		}
		if v, ok := strings.CutPrefix(line, "# known:"); ok {
			sc.known, _, _ = strings.Cut(strings.TrimSpace(v), " ")
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		call, result, _ := strings.Cut(line, " = ")
		open := strings.IndexByte(call, '(')
		if open < 0 || !strings.HasSuffix(call, ")") {
			return nil, fail("want name(args) = result")
		}
		name, args := call[:open], ldSplitArgs(call[open+1:len(call)-1])
		if name == "openat" {
			continue
		}
		c, err := ldParseCall(name, args)
		if err != nil {
			return nil, fail("%v", err)
		}
		if c.op == ldMmap && uint64(c.addr) == base && c.len == ldSize {
			continue // the reservation
		}
		want, err := ldParseResult(c, strings.TrimSpace(result))
		if err != nil {
			return nil, fail("%v", err)
		}
		sc.calls = append(sc.calls, c)
		sc.want = append(sc.want, want)
	}
	switch {
	case sc.hi == 0:
		return nil, fmt.Errorf("no # window: line")
	case sc.known == "":
		return nil, fmt.Errorf("no # known: line")
	case len(sc.calls) == 0:
		return nil, fmt.Errorf("no calls")
	}
	return sc, nil
}

func ldParseCall(name string, args []string) (ldCall, error) {
	want := map[string]int{"mmap": 6, "munmap": 2, "mprotect": 3, "madvise": 3, "msync": 3,
		"pwrite64": 4, "ftruncate": 2, "poke": 2, "peek": 2}
	if n, ok := want[name]; ok && len(args) != n {
		return ldCall{}, fmt.Errorf("%s takes %d arguments", name, n)
	}
	var nums []uint64
	num := func(i int, names map[string]uint64) uint64 {
		v, err := ldNum(args[i], names)
		if err != nil {
			nums = nil
		}
		nums = append(nums, v)
		return v
	}
	slot := func(i int) int {
		fd := int(int64(num(i, nil)))
		if fd >= ldFD(0) && fd < ldFD(ldSlots) {
			return fd - ldFD(0)
		}
		return -1
	}
	var c ldCall
	var err error
	switch name {
	case "mmap":
		c = ldCall{op: ldMmap, addr: Addr(num(0, nil)), len: num(1, nil), prot: Prot(num(2, ProtByName())),
			flags: num(3, MapFlagByName()), slot: slot(4), off: num(5, nil)}
	case "munmap":
		c = ldCall{op: ldMunmap, addr: Addr(num(0, nil)), len: num(1, nil)}
	case "mprotect":
		c = ldCall{op: ldMprotect, addr: Addr(num(0, nil)), len: num(1, nil), prot: Prot(num(2, ProtByName()))}
	case "mremap":
		if len(args) != 4 && len(args) != 5 {
			return c, fmt.Errorf("mremap takes 4 or 5 arguments")
		}
		c = ldCall{op: ldMremap, addr: Addr(num(0, nil)), len: num(1, nil), newLen: num(2, nil),
			flags: num(3, MremapFlagByName())}
		if len(args) == 5 {
			c.newAddr = Addr(num(4, nil))
		}
	case "madvise":
		c = ldCall{op: ldMadvise, addr: Addr(num(0, nil)), len: num(1, nil), flags: num(2, AdviceByName())}
	case "msync":
		c = ldCall{op: ldMsync, addr: Addr(num(0, nil)), len: num(1, nil), flags: num(2, MsyncFlagByName())}
	case "pwrite64":
		c = ldCall{op: ldPwrite, slot: slot(0), off: num(3, nil)}
		c.data, err = ldUnquote(args[1])
		if err == nil && uint64(len(c.data)) != num(2, nil) {
			err = fmt.Errorf("the count is not the string's length")
		}
	case "ftruncate":
		c = ldCall{op: ldFtruncate, slot: slot(0), off: num(1, nil)}
	case "poke":
		c = ldCall{op: ldPoke, addr: Addr(num(0, nil))}
		c.data, err = ldUnquote(args[1])
	case "peek":
		c = ldCall{op: ldPeek, addr: Addr(num(0, nil)), n: int(num(1, nil))}
		if c.n < 1 || c.n > ldPage {
			err = fmt.Errorf("peek of %d bytes: want 1 to a page", c.n)
		}
	default:
		return c, fmt.Errorf("unknown call %s", name)
	}
	if nums == nil {
		return c, fmt.Errorf("bad number in %v", args)
	}
	if (c.op == ldPwrite || c.op == ldFtruncate) && c.slot < 0 {
		return c, fmt.Errorf("descriptor: want 3, 4 or 5")
	}
	return c, err
}

// ldParseResult reads "0x...", "N", "-1 ENAME (...)", "?", "SIGBUS",
// "SIGSEGV" or "\"bytes\"". It returns nil for no result.
func ldParseResult(c ldCall, s string) (*ldResult, error) {
	if s, _, _ = strings.Cut(s, " /*"); s == "" {
		return nil, nil
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	switch {
	case c.op == ldPoke && s == "?":
		return &ldResult{val: uint64(len(c.data))}, nil
	case c.op == ldPoke && (s == "SIGBUS" || s == "SIGSEGV"):
		return &ldResult{}, nil
	case c.op == ldPeek && (s == "SIGBUS" || s == "SIGSEGV"):
		return &ldResult{errno: EIO}, nil
	case c.op == ldPeek:
		b, err := ldUnquote(s)
		return &ldResult{val: uint64(len(b)), data: b}, err
	case strings.HasPrefix(s, "-1 "):
		name, _, _ := strings.Cut(s[3:], " ")
		e, ok := ErrnoByName(name)
		if !ok {
			return nil, fmt.Errorf("unknown errno %s", name)
		}
		return &ldResult{errno: e}, nil
	}
	v, err := ldNum(s, nil)
	return &ldResult{val: v}, err
}

// ldSplitArgs splits an argument list at the commas outside strings.
func ldSplitArgs(s string) []string {
	var out []string
	quoted, esc, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case esc:
			esc = false
		case c == '\\' && quoted:
			esc = true
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// ldNum reads a number (decimal, 0x hex, -1) or names from names joined
// by "|", with numbers among them.
func ldNum(s string, names map[string]uint64) (uint64, error) {
	var v uint64
	for _, part := range strings.Split(s, "|") {
		if x, ok := names[part]; ok {
			v |= x
			continue
		}
		x, err := strconv.ParseInt(part, 0, 64)
		if err != nil {
			u, uerr := strconv.ParseUint(part, 0, 64)
			if uerr != nil {
				return 0, fmt.Errorf("%q: not a number or a known name", part)
			}
			x = int64(u)
		}
		v |= uint64(x)
	}
	return v, nil
}

// ldUnquote reads a C string as ldQuote writes it (and \n, \t, \0).
func ldUnquote(s string) ([]byte, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return nil, fmt.Errorf("%q: want a quoted string", s)
	}
	s = s[1 : len(s)-1]
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		if i++; i == len(s) {
			return nil, fmt.Errorf("a string ends in a backslash")
		}
		switch s[i] {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case '0':
			out = append(out, 0)
		case 'x':
			if i+3 > len(s) {
				return nil, fmt.Errorf("short \\x escape")
			}
			b, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return nil, fmt.Errorf("\\x escape: %v", err)
			}
			out = append(out, byte(b))
			i += 2
		default:
			out = append(out, s[i])
		}
	}
	return out, nil
}

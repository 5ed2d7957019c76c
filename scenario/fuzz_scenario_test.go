package scenario

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

var (
	flagFuzzPolicy = flag.String("scnfuzz.policy", "fixed",
		"FuzzScenario: the policy every scenario runs under (fixed-except=QUIRK puts a fix's defect back, to see the fuzzer find it)")
	flagFuzzClean = flag.Bool("scnfuzz.clean", false,
		"FuzzScenario: seed the corpus with the examples and bare settings only, not with the testdata that replays known defects")
)

// FuzzScenario runs whole scenarios under the fixed algorithm (or the
// policy -scnfuzz.policy names) with the invariants checked after every
// statement, as `mmapsim run --check` does, and fails when one breaks:
// the host kernel's own, the guest/host agreement, the RESERVED_VA
// reservation. A fuzz input is scenario text (its settings, files, calls
// and memory statements) and bytes that a decoder turns into more
// statements appended to it, with arguments drawn toward the boundaries of
// the argument space: page 0 and the top pages of 32-bit, 47-bit and
// 64-bit spaces, lengths near the whole space, offsets near 2^32 and 2^63,
// invalid map types, unknown flag bits, bad fds, every mremap flag
// combination, brk. Expectations in the text are not checked (mutated text
// has wrong ones); input the runner refuses is skipped.
//
// The corpus starts with the examples, the counterexamples the properties
// found (props/testdata), the quirks' scenarios and the regressions
// (-scnfuzz.clean: the examples and bare settings only). CI runs it
// briefly; a failure prints the scenario, which `mmapsim run --check`
// replays.
func FuzzScenario(f *testing.F) {
	dirs := []string{"../examples"}
	if !*flagFuzzClean {
		dirs = append(dirs, "../props/testdata", "../policy/testdata/quirks", "../sim/testdata/regressions")
	}
	n := 0
	for _, dir := range dirs {
		names, _ := filepath.Glob(filepath.Join(dir, "*.scn"))
		for _, name := range names {
			src, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src, seedOps(n))
			n++
		}
	}
	for range fuzzSettings {
		f.Add([]byte{}, seedOps(n))
		n++
	}
	f.Fuzz(func(t *testing.T, text, ops []byte) {
		src := fuzzScenarioText(text, ops)
		file, err := syntax.Parse("fuzz.scn", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		set := NewSettings()
		if err := set.Set("policy", *flagFuzzPolicy, "flag -scnfuzz.policy"); err != nil {
			t.Fatal(err)
		}
		rep, err := Run(file, RunOptions{Settings: set, Check: true, Out: io.Discard})
		if err != nil {
			if _, ok := err.(*UsageError); !ok {
				t.Fatalf("error %T: %v\n%s", err, err, src)
			}
			return
		}
		for _, fl := range rep.Failures {
			if fl.Want == "invariants to hold" {
				t.Fatalf("policy %s: %s: %s\n%s\nthe scenario (mmapsim run --check --policy %s):\n%s",
					*flagFuzzPolicy, fl.Pos, fl.Text, fl.Got, *flagFuzzPolicy, src)
			}
		}
	})
}

// seedOps are the decoder's bytes of seed i: 400 bytes of a fixed
// pseudo-random stream (xorshift64, seeded by i), some thirty statements.
func seedOps(i int) []byte {
	x := uint64(i)*0x9e3779b97f4a7c15 + 1
	out := make([]byte, 400)
	for j := range out {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		out[j] = byte(x >> 32)
	}
	return out
}

// fuzzSettings are the machines an input without a target runs on (its
// first decoder byte chooses): the hosts and guests whose geometry
// matters.
var fuzzSettings = []string{
	"target=i386 host=arm64-64k",
	"target=i386 host=arm64-16k",
	"target=i386",
	"target=i386 host=arm64-64k reserved-va=0",
	"target=x86_64",
	"target=x86_64 host=arm64-64k",
	"target=alpha",
	"target=sparc64",
	"target=arm host=arm64-64k",
	"target=i386 host=i686 host-bits=32",
	"target=x86_64 host-bits=57",
	"target=i386 stack=8M",
}

// fuzzFiles are the files the decoded statements map: one that ends
// inside a page, one larger than a 64K host page, one read-only.
var fuzzFiles = []struct{ name, directive, open string }{
	{"fz1", "#! file fz1.bin size=0x2400 fill=seq", `$fz1 = openat(AT_FDCWD, "fz1.bin", O_RDWR)`},
	{"fz2", "#! file fz2.bin size=0x14000 fill=seq", `$fz2 = openat(AT_FDCWD, "fz2.bin", O_RDWR)`},
	{"fz3", "#! file fz3.bin size=0x3000 fill=seq", `$fz3 = openat(AT_FDCWD, "fz3.bin", O_RDONLY)`},
}

// fuzzScenarioText builds the scenario a fuzz input stands for: the text's
// "#!" lines, the decoder's files, the text's statements, then the
// statements decoded from ops.
func fuzzScenarioText(text, ops []byte) string {
	var head, body []string
	for _, l := range strings.Split(string(text), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "#!") {
			head = append(head, l)
		} else {
			body = append(body, l)
		}
	}
	d := &opDecoder{rest: ops}
	var tail []string
	if !strings.Contains(strings.Join(head, "\n"), "target=") {
		head = append(head, "#! "+fuzzSettings[d.pick(len(fuzzSettings))])
	}
	if len(d.rest) > 0 {
		for _, fl := range fuzzFiles {
			head = append(head, fl.directive)
			tail = append(tail, fl.open)
		}
		for i := 0; i < 64 && len(d.rest) > 0; i++ {
			tail = append(tail, d.statement())
		}
	}
	return strings.Join(head, "\n") + "\n" + strings.Join(body, "\n") + "\n" + strings.Join(tail, "\n") + "\n"
}

// opDecoder turns bytes into scenario statements; past the end of its
// input it reads zeros.
type opDecoder struct {
	rest []byte
	vars int      // $v0..$v{vars-1} are bound by earlier statements
	lens []string // the length each $v was asked for
}

func (d *opDecoder) byte() byte {
	if len(d.rest) == 0 {
		return 0
	}
	b := d.rest[0]
	d.rest = d.rest[1:]
	return b
}

func (d *opDecoder) pick(n int) int { return int(d.byte()) % n }

func (d *opDecoder) u64() uint64 {
	var w [8]byte
	n := copy(w[:], d.rest)
	d.rest = d.rest[n:]
	return binary.LittleEndian.Uint64(w[:])
}

// addr draws an address: near a mapping made before, below mmap_min_addr
// (page 0 included), where placement starts, or at the top of a 32-bit,
// 47-bit or 64-bit space (ranges from there pass the top, or wrap).
func (d *opDecoder) addr() string {
	pages := uint64(d.pick(16))
	switch r := d.pick(10); {
	case r < 4 && d.vars > 0:
		// A mapping made before: its start half the time, else a few
		// pages around it.
		v, delta := d.pick(d.vars), int64(d.pick(40))-20
		if delta < 0 {
			delta = 0
		}
		delta -= int64(d.pick(2)) * 4
		out := fmt.Sprintf("$v%d", v)
		switch {
		case delta > 0:
			out += fmt.Sprintf("+%#x", uint64(delta)*0x1000)
		case delta < 0:
			out += fmt.Sprintf("-%#x", uint64(-delta)*0x1000)
		}
		return out
	case r < 5:
		return fmt.Sprintf("%#x", pages*0x1000)
	case r < 7:
		return fmt.Sprintf("%#x", 0x40000000+pages*0x1000)
	case r == 7:
		return fmt.Sprintf("%#x", 0x100000000-(pages+1)*0x1000)
	case r == 8:
		return fmt.Sprintf("%#x", 0x800000000000-(pages+1)*0x1000)
	default:
		if d.pick(2) == 0 {
			return fmt.Sprintf("%#x", d.u64())
		}
		return fmt.Sprintf("%#x", -(pages+1)*0x1000)
	}
}

// length draws a length: a few pages (or not a whole number of them), 0,
// or near the size of a 32-bit space, 2^63, the whole 64-bit word.
func (d *opDecoder) length() string {
	pages := uint64(d.pick(16) + 1)
	switch d.pick(12) {
	case 0, 1, 2, 3, 4:
		return fmt.Sprintf("%#x", pages*0x1000)
	case 5:
		return fmt.Sprintf("%#x", pages*0x1000+uint64(d.pick(255)+1)*16)
	case 6:
		return "0"
	case 7, 8:
		return fmt.Sprintf("%#x", 0x100000000-pages*0x1000+uint64(d.pick(3))*0x800)
	case 9:
		return fmt.Sprintf("%#x", uint64(1)<<63-pages*0x1000)
	case 10:
		return fmt.Sprintf("%#x", -pages*0x1000)
	default:
		return fmt.Sprintf("%#x", d.u64())
	}
}

// offset draws a file offset: pages (some inside a 64K host page), past a
// file's end, unaligned, near 2^32 and near 2^63 (the largest offset).
func (d *opDecoder) offset() string {
	pages := uint64(d.pick(32))
	switch d.pick(10) {
	case 0, 1, 2, 3:
		return fmt.Sprintf("%#x", pages*0x1000)
	case 4:
		return "0"
	case 5:
		return fmt.Sprintf("%#x", pages*0x1000+0x123)
	case 6:
		return fmt.Sprintf("%#x", 0x100000000-(pages+1)*0x1000)
	case 7:
		return fmt.Sprintf("%#x", uint64(1)<<63-(pages+1)*0x1000)
	case 8:
		return fmt.Sprintf("%#x", -(pages+1)*0x1000)
	default:
		return fmt.Sprintf("%#x", d.u64())
	}
}

var (
	fuzzProts = []string{"PROT_NONE", "PROT_READ", "PROT_READ|PROT_WRITE", "PROT_READ|PROT_WRITE", "PROT_READ|PROT_EXEC",
		"PROT_WRITE", "PROT_EXEC", "PROT_READ|PROT_WRITE|PROT_EXEC", "PROT_READ|0x10", "PROT_READ|PROT_SEM",
		"PROT_READ|PROT_GROWSUP", "PROT_READ|PROT_GROWSDOWN", "0x80000000"}
	fuzzMapTypes = []string{"MAP_PRIVATE", "MAP_PRIVATE", "MAP_SHARED", "MAP_SHARED", "MAP_SHARED_VALIDATE", "0", "0x4"}
	fuzzPlaces   = []string{"", "|MAP_FIXED", "|MAP_FIXED", "|MAP_FIXED_NOREPLACE"}
	fuzzExtras   = []string{"", "", "", "", "|MAP_POPULATE", "|MAP_NORESERVE", "|0x200000", "|MAP_STACK"}
	fuzzFds      = []string{"$fz1", "$fz2", "$fz3", "-1", "9"}
	fuzzRemaps   = []string{"0", "MREMAP_MAYMOVE", "MREMAP_MAYMOVE|MREMAP_FIXED", "MREMAP_MAYMOVE|MREMAP_DONTUNMAP",
		"MREMAP_FIXED", "MREMAP_DONTUNMAP", "MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP", "MREMAP_MAYMOVE|8"}
	fuzzAdvice = []string{"MADV_DONTNEED", "MADV_DONTNEED", "MADV_FREE", "MADV_WILLNEED", "MADV_NORMAL",
		"MADV_POPULATE_READ", "MADV_POPULATE_WRITE", "MADV_DONTNEED_LOCKED", "5"}
	fuzzMsync = []string{"MS_SYNC", "MS_ASYNC", "MS_INVALIDATE", "MS_ASYNC|MS_SYNC", "0", "MS_SYNC|8"}
)

// statement decodes one statement; a call that can return a mapping binds
// the next $v.
func (d *opDecoder) statement() string {
	bind := func(call, length string) string {
		out := fmt.Sprintf("$v%d = %s", d.vars, call)
		d.vars++
		d.lens = append(d.lens, length)
		return out
	}
	switch d.pick(16) {
	case 0, 1:
		// An ordinary mapping, as programs make most of theirs, so that
		// later statements have mappings to work on: a few pages, a
		// private or shared map type, anonymous or of a file, anywhere.
		length := fmt.Sprintf("%#x", uint64(d.pick(16)+1)*0x1000)
		flags, fd, off := fuzzMapTypes[d.pick(4)], fuzzFds[d.pick(3)], fmt.Sprintf("%#x", uint64(d.pick(4))*0x1000)
		if d.pick(2) == 0 {
			flags, fd, off = flags+"|MAP_ANONYMOUS", "-1", "0"
		}
		return bind(fmt.Sprintf("mmap(NULL, %s, %s, %s, %s, %s)", length, fuzzProts[d.pick(5)], flags, fd, off), length)
	case 2, 3, 4:
		flags := fuzzMapTypes[d.pick(len(fuzzMapTypes))]
		fd := fuzzFds[d.pick(len(fuzzFds))]
		if d.pick(2) == 0 {
			flags += "|MAP_ANONYMOUS"
			fd = "-1"
		}
		flags += fuzzPlaces[d.pick(len(fuzzPlaces))] + fuzzExtras[d.pick(len(fuzzExtras))]
		addr := "NULL"
		if d.pick(3) != 0 {
			addr = d.addr()
		}
		length := d.length()
		return bind(fmt.Sprintf("mmap(%s, %s, %s, %s, %s, %s)", addr, length,
			fuzzProts[d.pick(len(fuzzProts))], flags, fd, d.offset()), length)
	case 5:
		return fmt.Sprintf("munmap(%s, %s)", d.addr(), d.length())
	case 6:
		return fmt.Sprintf("mprotect(%s, %s, %s)", d.addr(), d.length(), fuzzProts[d.pick(len(fuzzProts))])
	case 7, 8:
		// Most mremaps move or resize a mapping made before, from its
		// start and often whole, as programs do (realloc); the rest start
		// anywhere.
		old, oldLen, newLen := d.addr(), d.length(), d.length()
		if d.vars > 0 && d.pick(4) != 0 {
			v := d.pick(d.vars)
			old = fmt.Sprintf("$v%d", v)
			if d.pick(2) == 0 {
				oldLen = d.lens[v]
			}
			switch d.pick(4) {
			case 0:
				newLen = oldLen // a move
			case 1:
				newLen = "0x1000" // a shrink, to one page
			}
		}
		return bind(fmt.Sprintf("mremap(%s, %s, %s, %s, %s)", old, oldLen, newLen,
			fuzzRemaps[d.pick(len(fuzzRemaps))], d.addr()), newLen)
	case 9:
		return fmt.Sprintf("madvise(%s, %s, %s)", d.addr(), d.length(), fuzzAdvice[d.pick(len(fuzzAdvice))])
	case 10:
		return fmt.Sprintf("msync(%s, %s, %s)", d.addr(), d.length(), fuzzMsync[d.pick(len(fuzzMsync))])
	case 11:
		if d.pick(2) == 0 {
			return fmt.Sprintf("brk(%s)", d.addr())
		}
		return fmt.Sprintf("brk(%#x)", 0x10000000+uint64(d.pick(64))*0x1000+uint64(d.pick(2))*0x123)
	case 12:
		return fmt.Sprintf("peek(%s, %d)", d.addr(), d.pick(64)+1)
	case 13:
		// A mapping made and at once resized or moved, whole, as realloc
		// does: ordinary, then the mremap of a mapping that exists.
		v, length := d.vars, fmt.Sprintf("%#x", uint64(d.pick(16)+2)*0x1000)
		made := bind(fmt.Sprintf("mmap(NULL, %s, %s, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)", length, fuzzProts[d.pick(5)]), length)
		newLen := d.length()
		return made + "\n" + bind(fmt.Sprintf("mremap($v%d, %s, %s, %s, %s)", v, length, newLen,
			fuzzRemaps[d.pick(len(fuzzRemaps))], d.addr()), newLen)
	default:
		return fmt.Sprintf("fill(%s, %d, %#x)", d.addr(), d.pick(200)+1, d.byte())
	}
}

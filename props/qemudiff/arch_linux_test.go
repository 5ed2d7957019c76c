//go:build linux

package qemudiff

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// arch is one guest QEMU 7.2 runs here: its emulator, how gcc builds
// testdata/guest.c for it, and how QEMU lays out its address space.
type arch struct {
	name    string   // the policy.Targets preset: "i386", "x86_64"
	qemu    string   // the emulator's command
	gccArgs []string // gcc's flags for a static guest of this architecture
	bits    int      // the guest word: 32 or 64

	// reserved is RESERVED_VA under -p h: QEMU 7.2 reserves the whole
	// 32-bit space of an i386 guest (main.c's MAX_RESERVED_VA, 0xfffff000,
	// rounded down to the host page), and nothing for an x86-64 guest.
	reserved func(h uint64) uint64
	// spaceEnd is the end of the guest space (GUEST_ADDR_MAX + 1).
	spaceEnd func(h uint64) uint64
	// idtMatters: the guest enters the kernel with int $0x80, whose DPL
	// check reads the IDT entry (see machine.checkIDT).
	idtMatters bool
}

// arches are the guests, in the order the tables show them.
var arches = []arch{
	{
		name: "i386", qemu: "qemu-i386", gccArgs: []string{"-m32"}, bits: 32,
		reserved:   func(h uint64) uint64 { return 0xfffff000 &^ (h - 1) },
		spaceEnd:   func(h uint64) uint64 { return 0xfffff000 &^ (h - 1) },
		idtMatters: true,
	},
	{
		// qemu-x86_64 7.2 cannot run with -R: any size below 1<<47 fails
		// at start-up with "Cannot allocate vsyscall page" (the vsyscall
		// page, 0xffffffffff600000, is outside every reservation), 1<<47
		// cannot be reserved next to QEMU's own memory, and more is
		// "Reserved virtual address too big". It runs without RESERVED_VA.
		name: "x86_64", qemu: "qemu-x86_64", bits: 64,
		reserved: func(uint64) uint64 { return 0 },
		spaceEnd: func(uint64) uint64 { return 1 << 47 },
	},
}

// archByName returns the guest called name.
func archByName(name string) (arch, bool) {
	for _, a := range arches {
		if a.name == name {
			return a, true
		}
	}
	return arch{}, false
}

// wordMask is the guest word's mask.
func (a arch) wordMask() uint64 {
	if a.bits == 32 {
		return 0xffffffff
	}
	return ^uint64(0)
}

// tool is an arch ready to run: its emulator's path and the guest built
// for it.
type tool struct {
	arch
	qemuPath string
	guest    string
	version  string
}

// tools finds the emulators and builds the guests, skipping (with the
// reason) the architectures that cannot run here; the test skips when none
// can.
func tools(t *testing.T, names []string) []tool {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not found (Debian: apt-get install gcc gcc-multilib); .ci/run installs it")
	}
	var out []tool
	var why []string
	for _, name := range names {
		a, ok := archByName(name)
		if !ok {
			t.Fatalf("-qemudiff.guests: unknown guest %q (want i386, x86_64)", name)
		}
		tl, err := a.prepare(gcc, t.TempDir())
		if err != nil {
			why = append(why, err.Error())
			continue
		}
		if !strings.Contains(tl.version, "version 7.2") {
			t.Logf("warning: %s is not QEMU 7.2; the qemu-7.2 policy describes 7.2", tl.version)
		}
		t.Logf("%s; guest built with gcc %s -static -O1", tl.version, strings.Join(a.gccArgs, " "))
		out = append(out, tl)
	}
	for _, w := range why {
		t.Logf("skipped: %s", w)
	}
	if len(out) == 0 {
		t.Skipf("no guest can run: %s", strings.Join(why, "; "))
	}
	return out
}

// prepare finds the emulator and builds the guest into dir.
func (a arch) prepare(gcc, dir string) (tool, error) {
	qemu, err := exec.LookPath(a.qemu)
	if err != nil {
		return tool{}, fmt.Errorf("%s not found (Debian: apt-get install qemu-user; .ci/run installs it)", a.qemu)
	}
	v, err := exec.Command(qemu, "--version").Output()
	if err != nil {
		return tool{}, fmt.Errorf("%s --version: %v", a.qemu, err)
	}
	guest := filepath.Join(dir, "guest-"+a.name)
	args := append(append([]string{}, a.gccArgs...), "-static", "-O1", "-o", guest, filepath.Join("testdata", "guest.c"))
	if out, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		return tool{}, fmt.Errorf("gcc %s cannot build the %s guest (Debian: apt-get install gcc-multilib): %v\n%s",
			strings.Join(args, " "), a.name, err, out)
	}
	return tool{arch: a, qemuPath: qemu, guest: guest, version: strings.SplitN(string(v), "\n", 2)[0]}, nil
}

// layout is what QEMU's start-up left in the guest space of one guest
// under one -p, from the page dump of its -d page log, and what follows
// from it.
type layout struct {
	Arch     arch
	H        uint64    // qemu_host_page_size
	Reserved uint64    // reserved_va (0: none)
	SpaceEnd uint64    // GUEST_ADDR_MAX + 1
	Runs     []pageRun // the guest's page flags at start-up, merged by protection, inside the space
	// Top is the lowest start-up mapping of the mmap area (above the
	// heap: the stack, the signal trampoline, the IDT and GDT), End the
	// end of its highest. NextStart is mmap_next_start after start-up:
	// the last placement start-up made (QEMU 7.2 places down from
	// TASK_UNMAPPED_BASE under RESERVED_VA, up from it without).
	Top, End, NextStart uint64
	IDT, GDT            uint64 // the descriptor tables' bases (sidt, sgdt)
	GuestBase           uint64 // guest_base, from the log ("Locating guest address space @")
	// Above is, for one sequence of an x86-64 guest, the end of what its
	// placements above the start-up mappings used while it was drawn
	// (mmap_next_start only grows there), and a MiB more; 0 otherwise.
	Above  uint64
	BrkEnd uint64 // the end of the heap start-up left, host-page aligned (sim's brk starts there)
	// StartErrno is the errno QEMU's start-up leaves in its thread (see
	// tool.startErrno).
	StartErrno hostvm.Errno
}

// window is the part of the guest space the sequences aim at: the 16 MiB
// below the start-up mappings (where an i386 guest's placements go), and,
// for x86-64, the space its placements have used above them (see gen.area).
func (l layout) window() (lo, hi uint64) { return l.Top - 16<<20, l.Top }

// pageRanges are the ranges whose pages the final check reads: the window,
// what lies above the start-up mappings up to Above (x86-64's placements),
// and the last MiB of the space.
func (l layout) pageRanges() [][2]uint64 {
	lo, hi := l.window()
	rs := [][2]uint64{{lo, hi}}
	if l.Above > l.End {
		rs = append(rs, [2]uint64{l.End, l.Above})
	}
	return append(rs, [2]uint64{l.SpaceEnd - 1<<20, l.SpaceEnd})
}

// startLayout runs the guest with no calls under -p h and reads the layout
// QEMU's start-up left.
func (tl tool) startLayout(h uint64, dir string) (layout, error) {
	logPath := filepath.Join(dir, fmt.Sprintf("start-%s-%d.log", tl.name, h))
	out, err := tl.run(h, "", logPath)
	if err != nil {
		return layout{}, err
	}
	log, err := os.ReadFile(logPath)
	if err != nil {
		return layout{}, err
	}
	base, ok := guestBase(log)
	if !ok {
		return layout{}, fmt.Errorf("no guest_base in %s", logPath)
	}
	runs, ok := lastPageDump(log)
	if !ok || len(runs) == 0 {
		return layout{}, fmt.Errorf("no page dump in %s", logPath)
	}
	lay := layout{Arch: tl.arch, H: h, Reserved: tl.reserved(h), SpaceEnd: tl.spaceEnd(h), Top: ^uint64(0), GuestBase: base}
	for _, r := range runs {
		if r.Start == probeAddr && r.End == probeAddr+pg || r.Start >= lay.SpaceEnd {
			continue // the guest's probe (guest.c), unmapped at once; the vsyscall page
		}
		lay.Runs = append(lay.Runs, r)
		if r.Start >= probeAddr {
			lay.Top = min(lay.Top, r.Start)
			lay.End = max(lay.End, r.End)
		} else {
			lay.BrkEnd = max(lay.BrkEnd, (r.End+h-1)&^(h-1))
		}
	}
	if lay.Top == ^uint64(0) {
		return layout{}, fmt.Errorf("-p %d: no start-up mapping above the program: %v", h, runs)
	}
	lay.End = (lay.End + h - 1) &^ (h - 1)
	lay.NextStart = lay.Top
	if lay.Reserved == 0 {
		lay.NextStart = lay.End
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if n, _ := fmt.Sscanf(sc.Text(), "T %x %x", &lay.IDT, &lay.GDT); n == 2 {
			break
		}
	}
	if lay.IDT == 0 {
		return layout{}, fmt.Errorf("-p %d: the guest printed no descriptor tables: %q", h, out)
	}
	return lay, nil
}

// startErrno finds the errno QEMU's start-up leaves in its thread (ENOENT
// here, from some file start-up looked for): the errno a guest sees where
// frag-shared-errno fails without setting one, before any call of the
// guest's has set another. It maps a writable shared fragment of the
// read-only file under -p 16K, which mmap_frag refuses that way.
func (tl tool) startErrno(dir string) (hostvm.Errno, error) {
	const h = 16384
	ro := files[2]
	path := filepath.Join(dir, "errno-"+ro.name)
	if err := os.WriteFile(path, fileData(ro.size), 0o644); err != nil {
		return 0, err
	}
	lay, err := tl.startLayout(h, dir)
	if err != nil {
		return 0, err
	}
	at := lay.Top - 8*h + pg // a free host page's second guest page: a fragment
	input := fmt.Sprintf("open 0 %s 0\nmmap 1 %#x %#x 3 0x11 0 %#x\n", path, at, pg, pg)
	out, err := tl.run(h, input, filepath.Join(dir, "errno.log"))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(out), "\n") {
		if rest, ok := strings.CutPrefix(line, "R 1 E "); ok {
			e, err := strconv.Atoi(rest)
			return hostvm.Errno(e), err
		}
	}
	return 0, fmt.Errorf("the errno probe did not fail as frag-shared-errno does: %q", out)
}

// guestBase reads guest_base from a -d page log: QEMU 7.2's probe_guest_base
// logs "Locating guest address space @ 0x1000" (the lowest hole above
// vm.mmap_min_addr that holds RESERVED_VA, or 0 for an x86-64 guest).
func guestBase(log []byte) (uint64, bool) {
	const key = "Locating guest address space @ "
	i := bytes.Index(log, []byte(key))
	if i < 0 {
		return 0, false
	}
	var v uint64
	n, _ := fmt.Sscanf(string(log[i+len(key):]), "%v", &v)
	return v, n == 1
}

// lastPageDump parses the last page_dump of a -d page log: QEMU's page
// flags, one line per run of equal flags ("start-end size rwx").
func lastPageDump(log []byte) ([]pageRun, bool) {
	var cur, last []pageRun
	in := false
	found := false
	sc := bufio.NewScanner(bytes.NewReader(log))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "start ") && strings.HasSuffix(line, "prot") {
			cur, in = nil, true
			continue
		}
		if !in {
			continue
		}
		var s, e, size uint64
		var prot string
		if n, _ := fmt.Sscanf(line, "%x-%x %x %s", &s, &e, &size, &prot); n != 4 || len(prot) != 3 {
			in = false
			last, found = cur, true
			continue
		}
		p := uint64(0)
		for i, c := range "rwx" {
			if prot[i] == byte(c) {
				p |= 1 << i
			}
		}
		cur = appendRun(cur, pageRun{s, e, p})
	}
	if in {
		last, found = cur, true
	}
	return last, found
}

// probeAddr is guest.c's PROBE: the page it maps and unmaps before the
// first call, so that the last page dump of a run without calls is the
// layout the calls start from.
const probeAddr = 0x20000000

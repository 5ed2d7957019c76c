//go:build linux

package qemudiff

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// call is one call of a sequence, with concrete arguments.
type call struct {
	Op      string // open, mmap, munmap, mprotect, mremap, msync, madvise, load, store, pwrite, ftruncate
	Addr    uint64
	Len     uint64
	Prot    uint64
	Flags   uint64 // mmap, mremap, msync flags; madvise advice
	File    int    // file index (open, mmap, pwrite, ftruncate); -1 anonymous
	Off     uint64 // mmap and pwrite offset, ftruncate size
	NewLen  uint64
	NewAddr uint64
	Byte    uint64
	N       uint64 // load, store, pwrite byte counts
	Path    string // open: the file's name
	RW      bool   // open: O_RDWR, else O_RDONLY
}

// line is the call as the guest reads it, numbered i.
func (c call) line(i int, dir string) string {
	switch c.Op {
	case "open":
		rw := 0
		if c.RW {
			rw = 1
		}
		return fmt.Sprintf("open %d %s/%s %d", i, dir, c.Path, rw)
	case "mmap":
		return fmt.Sprintf("mmap %d %#x %#x %#x %#x %d %#x", i, c.Addr, c.Len, c.Prot, c.Flags, c.File, c.Off)
	case "munmap":
		return fmt.Sprintf("munmap %d %#x %#x", i, c.Addr, c.Len)
	case "mprotect":
		return fmt.Sprintf("mprotect %d %#x %#x %#x", i, c.Addr, c.Len, c.Prot)
	case "mremap":
		return fmt.Sprintf("mremap %d %#x %#x %#x %#x %#x", i, c.Addr, c.Len, c.NewLen, c.Flags, c.NewAddr)
	case "msync", "madvise":
		return fmt.Sprintf("%s %d %#x %#x %#x", c.Op, i, c.Addr, c.Len, c.Flags)
	case "load":
		return fmt.Sprintf("load %d %#x %d", i, c.Addr, c.N)
	case "store":
		return fmt.Sprintf("store %d %#x %#x %d", i, c.Addr, c.Byte, c.N)
	case "pwrite":
		return fmt.Sprintf("pwrite %d %d %#x %#x %d", i, c.File, c.Off, c.Byte, c.N)
	case "ftruncate":
		return fmt.Sprintf("ftruncate %d %d %#x", i, c.File, c.Off)
	}
	panic("qemudiff: unknown call " + c.Op)
}

// String is the call in the guest's syntax, unnumbered.
func (c call) String() string {
	l := c.line(0, ".")
	op, rest, _ := strings.Cut(l, " 0 ")
	return op + " " + rest
}

// The files every sequence opens (call i opens file i), as props has them:
// end-of-file inside a page, larger than a 64K host page, read-only.
var files = []struct {
	name string
	size uint64
	rw   bool
}{
	{"a.bin", 9216, true},
	{"b.bin", 20 << 12, true},
	{"ro.bin", 3 << 12, false},
}

// fileData is a file's initial contents: consecutive 32-bit little-endian
// integers (the scenario language's fill=seq).
func fileData(size uint64) []byte {
	b := make([]byte, size)
	for j := range b {
		b[j] = byte((j / 4) >> (8 * (j % 4)))
	}
	return b
}

// layout is what QEMU's start-up left in the guest space, from the page
// dump of its -d page log, and what follows from it.
type layout struct {
	H        uint64    // qemu_host_page_size
	Reserved uint64    // reserved_va
	Runs     []pageRun // the guest's page flags, merged by protection
	Top      uint64    // L: the lowest mapping above the program's heap (the stack, sigtramp page, GDT and IDT)
}

// pageRun is a run of guest pages with the same protection.
type pageRun struct {
	Start, End uint64
	Prot       uint64
}

func (r pageRun) String() string {
	return fmt.Sprintf("%08x-%08x %v", r.Start, r.End, hostvm.Prot(r.Prot))
}

// machine is sim running one sequence: the emulated QEMU over its host
// kernel, the files, and the handles (results of mmap and mremap) the
// generator aims at.
type machine struct {
	lay     layout
	sim     sim.Guest
	k       *hostvm.Kernel
	fds     []int // sim's fd of each file index, -1 until opened
	handles []handle
	dead    bool // sim aborted
}

type handle struct{ addr, len uint64 }

// mmapMinAddr is the host's vm.mmap_min_addr, which QEMU reads at start-up.
var mmapMinAddr uint64 = 65536

// newMachine starts sim as qemu-i386 -p H starts the guest: an x86-64 host
// with 4 KiB pages, RESERVED_VA, the guest's initial pages mapped with
// MAP_FIXED as the page dump shows them, and every free guest page from the
// lowest start-up mapping (lay.Top) up to RESERVED_VA filled with a
// PROT_NONE mapping (see the known difference "qemu72-mmap-next-start").
func newMachine(lay layout, quirks sim.QuirkSet) (*machine, error) {
	pol := policy.Policy{Quirks: quirks}
	hp := policy.Hosts["x86_64"]
	tp := policy.Targets["i386"]
	hc := hp.Config
	hc.MmapMinAddr = hostvm.Addr(mmapMinAddr)
	hc.MaxMapCount = 1 << 20
	k, err := hostvm.New(hc)
	if err != nil {
		return nil, err
	}
	cfg := policy.SimConfig(hp, tp)
	cfg.HostPageSize = lay.H
	cfg.ReservedVA = lay.Reserved
	cfg.ProbeGuestBase = true
	cfg.MmapMinAddr = mmapMinAddr
	s, err := pol.New(sim.KernelHost{Kernel: k}, cfg)
	if err != nil {
		return nil, err
	}
	m := &machine{lay: lay, sim: s, k: k}
	for _, f := range files {
		fd, err := k.Open(f.name, hostvm.ORdWr|hostvm.OCreat|hostvm.OTrunc, 0o644)
		if err != nil {
			return nil, err
		}
		if _, err := k.FilePwrite(fd, fileData(f.size), 0); err != nil {
			return nil, err
		}
		k.Close(fd)
		m.fds = append(m.fds, -1)
	}
	fixed := hostvm.MapFixed | hostvm.MapPrivate | hostvm.MapAnonymous
	for _, r := range lay.Runs {
		if _, err := s.Mmap(r.Start, r.End-r.Start, int(r.Prot), fixed, -1, 0); err != nil {
			return nil, fmt.Errorf("initial layout %v: %v", r, err)
		}
	}
	at := lay.Top
	fill := func(end uint64) error {
		if at < end {
			if _, err := s.Mmap(at, end-at, 0, fixed|hostvm.MapNoReserve, -1, 0); err != nil {
				return fmt.Errorf("filler %#x-%#x: %v", at, end, err)
			}
		}
		return nil
	}
	for _, r := range lay.Runs {
		if r.End <= lay.Top {
			continue
		}
		if err := fill(r.Start); err != nil {
			return nil, err
		}
		at = max(at, r.End)
	}
	if err := fill(lay.Reserved); err != nil {
		return nil, err
	}
	return m, nil
}

// inSpace reports whether [a, a+n) lies inside the guest space (below
// RESERVED_VA).
func (m *machine) inSpace(a, n uint64) bool { return a+n >= a && a+n <= m.lay.Reserved }

// outcome strings, the same on both sides:
//
//	R <hex> | R E <errno>             a call's result
//	L <count> <hash> [F <sig> <code> <addr>]
//	S <count> [F <sig> <code> <addr>]
//	ABORT                             QEMU died (sim: *sim.Abort)
//
// A SIGBUS's address is "?": QEMU 7.2 hands the guest the host's siginfo
// of a SIGBUS other than BUS_ADRALN as if queued (QEMU_SI_RT), so si_addr
// holds the low 32 bits of the host address. Where a fault struck shows in
// the count anyway.

func resultText(v uint64, err error) string {
	switch e := err.(type) {
	case nil:
		return fmt.Sprintf("R %x", v)
	case hostvm.Errno:
		return fmt.Sprintf("R E %d", int(e))
	case *sim.Abort:
		return "ABORT"
	}
	return "R E " + err.Error()
}

func fnv(b []byte) uint64 {
	h := uint64(0xcbf29ce484222325)
	for _, c := range b {
		h = (h ^ uint64(c)) * 0x100000001b3
	}
	return h
}

// faultText renders a fault as the guest sees it under QEMU 7.2, whose
// host_signal_handler turns a host SEGV_ACCERR into SEGV_MAPERR where the
// guest page is not PAGE_VALID (under RESERVED_VA every unmapped guest page
// is a PROT_NONE placeholder on the host).
func (m *machine) faultText(f *hostvm.Fault) string {
	if f == nil {
		return ""
	}
	if f.Signal == hostvm.SIGBUS {
		return fmt.Sprintf(" F %d %d ?", f.Signal, f.Code)
	}
	code := f.Code
	if code == hostvm.SegvAccErr && m.sim.PageFlags(uint64(f.Addr))&sim.PageValid == 0 {
		code = hostvm.SegvMapErr
	}
	return fmt.Sprintf(" F %d %d %x", f.Signal, code, uint32(f.Addr))
}

// exec runs c on sim and returns its outcome.
func (m *machine) exec(c call) string {
	if m.dead {
		return "ABORT"
	}
	s := m.sim
	fd := func(i int) int {
		if i < 0 || i >= len(m.fds) {
			return -1
		}
		return m.fds[i]
	}
	var out string
	switch c.Op {
	case "open":
		fl := hostvm.ORdOnly
		if c.RW {
			fl = hostvm.ORdWr
		}
		n, err := m.k.Open(c.Path, fl, 0)
		if err == nil {
			m.fds[c.File] = n
			return "R ok"
		}
		return resultText(0, err)
	case "mmap":
		f := -1
		if c.File >= 0 {
			f = fd(c.File)
		}
		a, err := s.Mmap(c.Addr, c.Len, int(c.Prot), hostvm.MapFlags(c.Flags), f, c.Off)
		if err == nil {
			m.handles = append(m.handles, handle{a, c.Len})
		}
		out = resultText(a, err)
	case "munmap":
		out = resultText(0, s.Munmap(c.Addr, c.Len))
	case "mprotect":
		out = resultText(0, s.Mprotect(c.Addr, c.Len, int(c.Prot)))
	case "mremap":
		a, err := s.Mremap(c.Addr, c.Len, c.NewLen, hostvm.MremapFlags(c.Flags), c.NewAddr)
		if err == nil {
			m.handles = append(m.handles, handle{a, c.NewLen})
		}
		out = resultText(a, err)
	case "msync":
		out = resultText(0, s.Msync(c.Addr, c.Len, int(c.Flags)))
	case "madvise":
		out = resultText(0, s.Madvise(c.Addr, c.Len, hostvm.Advice(c.Flags)))
	case "pwrite":
		n, err := m.k.FilePwrite(fd(c.File), bytes.Repeat([]byte{byte(c.Byte)}, int(c.N)), int64(c.Off))
		out = resultText(uint64(n), err)
	case "ftruncate":
		out = resultText(0, m.k.Ftruncate(fd(c.File), int64(c.Off)))
	case "load":
		buf := make([]byte, c.N)
		n, f := s.Load(c.Addr, buf)
		out = fmt.Sprintf("L %d %x%s", n, fnv(buf[:n]), m.faultText(f))
	case "store":
		n, f := s.Store(c.Addr, bytes.Repeat([]byte{byte(c.Byte)}, int(c.N)))
		out = fmt.Sprintf("S %d%s", n, m.faultText(f))
	default:
		panic("qemudiff: unknown call " + c.Op)
	}
	if out == "ABORT" {
		m.dead = true
	}
	return out
}

// flagRuns is sim's view of the guest pages below lay.Top, merged by
// protection, as QEMU's page_dump prints them.
func (m *machine) flagRuns() []pageRun {
	var out []pageRun
	for _, r := range m.sim.FlagRuns() {
		if r.Flags&sim.PageValid == 0 || r.Start >= m.lay.Top {
			continue
		}
		pr := pageRun{r.Start, min(r.End, m.lay.Top), uint64(r.Flags & sim.PageBits)}
		out = appendRun(out, pr)
	}
	return out
}

// appendRun appends r, merging it with the last run when they touch and
// have the same protection.
func appendRun(rs []pageRun, r pageRun) []pageRun {
	if n := len(rs); n > 0 && rs[n-1].End == r.Start && rs[n-1].Prot == r.Prot {
		rs[n-1].End = r.End
		return rs
	}
	return append(rs, r)
}

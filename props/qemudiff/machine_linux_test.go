//go:build linux

package qemudiff

import (
	"bytes"
	"encoding/binary"
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
	dead    string // the outcome every call has once the process is gone
}

type handle struct{ addr, len uint64 }

// mmapMinAddr is the host's vm.mmap_min_addr, which QEMU reads at start-up.
var mmapMinAddr uint64 = 65536

// The descriptor-table entries the i386 guest's CPU reads (see checkTables):
// the IDT gate of int $0x80, and the GDT descriptor of __USER_DS (selector
// 0x2b). sim's copy of the start-up layout holds zeros; the machine writes
// these marks there, and a mark gone (unmapped, made unreadable, or mapped
// over) is a table QEMU can no longer read.
const (
	idtEntry  = 0x80 * 8
	gdtEntry  = 5 * 8
	tableMark = 0x7ab1e5ee7ab1e5ee
)

// newMachine starts sim as QEMU 7.2 starts the guest: an x86-64 host with
// 4 KiB pages, -p H, RESERVED_VA and guest_base as QEMU chose them (a
// mapping that runs past the reservation lands where QEMU's does), the
// guest's start-up
// pages mapped with MAP_FIXED as the page dump shows them, and
// mmap_next_start where start-up left it.
func newMachine(lay layout, quirks sim.QuirkSet) (*machine, error) {
	pol := policy.Policy{Quirks: quirks}
	hp := policy.Hosts["x86_64"]
	tp := policy.Targets[lay.Arch.name]
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
	cfg.GuestBase = lay.GuestBase
	cfg.BrkStart = lay.BrkEnd
	cfg.MmapMinAddr = mmapMinAddr
	g, err := pol.New(sim.KernelHost{Kernel: k}, cfg)
	if err != nil {
		return nil, err
	}
	m := &machine{lay: lay, sim: g, k: k}
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
		if _, err := g.Mmap(r.Start, r.End-r.Start, int(r.Prot), fixed, -1, 0); err != nil {
			return nil, fmt.Errorf("initial layout %v: %v", r, err)
		}
	}
	s, ok := g.(*sim.Sim)
	if !ok {
		return nil, fmt.Errorf("policy %v is not the seed family: cannot set mmap_next_start", pol)
	}
	s.SetMmapNextStart(lay.NextStart)
	s.SetErrno(lay.StartErrno)
	if lay.Arch.idtMatters {
		for _, a := range []uint64{lay.IDT + idtEntry, lay.GDT + gdtEntry} {
			if _, f := g.Store(a, binary.LittleEndian.AppendUint64(nil, tableMark)); f != nil {
				return nil, fmt.Errorf("descriptor table at %#x: %v", a, f)
			}
		}
	}
	return m, nil
}

// tableIntact reports whether the descriptor-table entry at a still reads
// as the machine wrote it.
func (m *machine) tableIntact(a uint64) bool {
	buf := make([]byte, 8)
	n, f := m.sim.Load(a, buf)
	return f == nil && n == 8 && binary.LittleEndian.Uint64(buf) == tableMark
}

// checkTables is QEMU 7.2's i386 CPU meeting its own descriptor tables in
// guest memory (target/i386/tcg/seg_helper.c): every system call is int
// $0x80, whose DPL check reads the IDT gate (do_interrupt_user), and
// delivering a signal loads segment registers from the GDT (setup_frame's
// cpu_x86_load_seg). When a call has unmapped, protected or overwritten
// the IDT, the guest cannot make the system call that prints the call's
// result: the fault, and the guest's handler's own system calls, recurse
// until QEMU kills itself with SIGSEGV. With the GDT gone, the first
// fault delivered does the same. It returns the call's outcome.
func (m *machine) checkTables(c call, out string) string {
	if !m.lay.Arch.idtMatters || strings.HasPrefix(out, "ABORT") {
		return out
	}
	fault := (c.Op == "load" || c.Op == "store") && strings.Contains(out, " F ")
	if !m.tableIntact(m.lay.IDT+idtEntry) || fault && !m.tableIntact(m.lay.GDT+gdtEntry) {
		return "ABORT SIGSEGV"
	}
	return out
}

// outcome strings, the same on both sides:
//
//	R <hex> | R E <errno>             a call's result
//	L <count> <hash> [F <sig> <code> <addr>]
//	S <count> [F <sig> <code> <addr>]
//	ABORT <what>                      QEMU died (sim: *sim.Abort); see deathOutcome
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
		return abortOutcome(e)
	}
	return "R E " + err.Error()
}

// abortOutcome is sim's abort as deathOutcome spells QEMU's: the function
// and the assertion that failed, "hung" for QEMU's endless retries, or the
// function that killed QEMU.
func abortOutcome(a *sim.Abort) string {
	if cond, ok := strings.CutPrefix(a.Reason, "assertion failed: "); ok {
		cond, _, _ = strings.Cut(cond, " (")
		return "ABORT " + a.Func + ": " + cond
	}
	if strings.HasPrefix(a.Reason, "hang: ") {
		return "ABORT hung"
	}
	return "ABORT " + a.Func
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
	return fmt.Sprintf(" F %d %d %x", f.Signal, code, uint64(f.Addr)&m.lay.Arch.wordMask())
}

// exec runs c on sim and returns its outcome.
func (m *machine) exec(c call) string {
	if m.dead != "" {
		return m.dead
	}
	out := m.checkTables(c, m.do(c))
	if strings.HasPrefix(out, "ABORT") {
		m.dead = out
	}
	return out
}

func (m *machine) do(c call) string {
	s := m.sim
	fd := func(i int) int {
		if i < 0 || i >= len(m.fds) {
			return -1
		}
		return m.fds[i]
	}
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
		return resultText(a, err)
	case "munmap":
		return resultText(0, s.Munmap(c.Addr, c.Len))
	case "mprotect":
		return resultText(0, s.Mprotect(c.Addr, c.Len, int(c.Prot)))
	case "mremap":
		a, err := s.Mremap(c.Addr, c.Len, c.NewLen, hostvm.MremapFlags(c.Flags), c.NewAddr)
		if err == nil {
			m.handles = append(m.handles, handle{a, c.NewLen})
		}
		return resultText(a, err)
	case "msync":
		return resultText(0, s.Msync(c.Addr, c.Len, int(c.Flags)))
	case "madvise":
		return resultText(0, s.Madvise(c.Addr, c.Len, hostvm.Advice(c.Flags)))
	case "pwrite":
		n, err := m.k.FilePwrite(fd(c.File), bytes.Repeat([]byte{byte(c.Byte)}, int(c.N)), int64(c.Off))
		m.setErrno(err)
		return resultText(uint64(n), err)
	case "ftruncate":
		err := m.k.Ftruncate(fd(c.File), int64(c.Off))
		m.setErrno(err)
		return resultText(0, err)
	case "load":
		buf := make([]byte, c.N)
		n, f := s.Load(c.Addr, buf)
		return m.accessDied(fmt.Sprintf("L %d %x%s", n, fnv(buf[:n]), m.faultText(f)))
	case "store":
		n, f := s.Store(c.Addr, bytes.Repeat([]byte{byte(c.Byte)}, int(c.N)))
		return m.accessDied(fmt.Sprintf("S %d%s", n, m.faultText(f)))
	}
	panic("qemudiff: unknown call " + c.Op)
}

// setErrno leaves err in sim's errno, as a failing pwrite or ftruncate
// leaves it in QEMU's thread (the harness makes those calls on the host).
func (m *machine) setErrno(err error) {
	if e, ok := err.(hostvm.Errno); ok {
		m.sim.(*sim.Sim).SetErrno(e)
	}
}

// accessDied is a load's or store's outcome, or the emulator's end where
// the access ended it (write-fault-spin).
func (m *machine) accessDied(out string) string {
	if a := m.sim.Aborted(); a != nil {
		return abortOutcome(a)
	}
	return out
}

// flagRuns is sim's view of the guest space, merged by protection, as
// QEMU's page_dump prints it.
func (m *machine) flagRuns() []pageRun {
	var out []pageRun
	for _, r := range m.sim.FlagRuns() {
		if r.Flags&sim.PageValid == 0 || r.Start >= m.lay.SpaceEnd {
			continue
		}
		out = appendRun(out, pageRun{r.Start, min(r.End, m.lay.SpaceEnd), uint64(r.Flags & sim.PageBits)})
	}
	return out
}

// pages is the final check on sim: the hash of every page of the ranges
// that reads, "B" for one that faults with SIGBUS (guest.c's pages). It
// reports whether the guest dies in the check: at its first fault, where
// the GDT is gone (checkTables).
func (m *machine) pages() (map[uint64]string, bool) {
	out := map[uint64]string{}
	buf := make([]byte, pg)
	gdtGone := m.lay.Arch.idtMatters && !m.tableIntact(m.lay.GDT+gdtEntry)
	for _, r := range m.lay.pageRanges() {
		for a := r[0]; a < r[1]; a += pg {
			n, f := m.sim.Load(a, buf)
			if f != nil && gdtGone {
				return out, true
			}
			switch {
			case f == nil:
				out[a] = fmt.Sprintf("%x", fnv(buf))
			case n == 0 && f.Signal == hostvm.SIGBUS:
				out[a] = "B"
			case n > 0:
				out[a] = fmt.Sprintf("partial %d", n)
			}
		}
	}
	return out, false
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

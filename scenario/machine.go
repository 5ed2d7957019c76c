package scenario

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/scenario/syntax"
	"github.com/mmapsim/mmapsim/sim"
)

// Machine is what a scenario runs on: a simulated host kernel and, when the
// scenario names a target, a simulated QEMU guest over it. Calls go to the
// guest when there is one (its view), else to the host.
type Machine struct {
	Kernel   *hostvm.Kernel
	Sim      sim.Guest     // nil: the host view
	Policy   policy.Policy // the algorithm Sim runs
	Settings *Settings
}

// Guest reports whether calls run under the simulated QEMU.
func (m *Machine) Guest() bool { return m.Sim != nil }

// Word truncates v to the width of the side calls run on: 32 bits for a
// 32-bit guest (or host), as the C does.
func (m *Machine) Word(v uint64) uint64 {
	if m.Sim != nil && m.Sim.Config().ABIBits == 32 {
		return v & 0xffffffff
	}
	if m.Sim == nil && m.Kernel.Config().AddrBits == 32 {
		return v & 0xffffffff
	}
	return v
}

// Outcome is what one statement did: a value or an errno, the fault of a
// memory access, bytes read, or QEMU's abort.
type Outcome struct {
	Value     uint64
	Err       hostvm.Errno
	Fault     *hostvm.Fault
	Bytes     []byte
	Abort     *sim.Abort
	Note      string         // for a skipped statement: why
	HostCalls []sim.HostCall // a MemoryCall under a target: the host calls it made (CallSpec.Run)
}

// String renders the outcome as the result part of a line: "0x7f..",
// "-1 EINVAL (Invalid argument)", "SIGSEGV", "\"bytes\"".
func (o Outcome) String() string {
	switch {
	case o.Abort != nil:
		return "QEMU ABORT: " + o.Abort.Func + ": " + o.Abort.Reason
	case o.Err != 0:
		return fmt.Sprintf("-1 %s (%s)", o.Err.Name(), o.Err.Error())
	case o.Fault != nil:
		return o.Fault.Signal.String()
	case o.Bytes != nil:
		return syntax.Quote(o.Bytes)
	case o.Note != "":
		return "? (" + o.Note + ")"
	}
	return formatValue(o.Value)
}

// Text is the outcome of statement st as the run log writes it: as String,
// except that a poke or fill that did not fault is "ok".
func (o Outcome) Text(st *syntax.Stmt) string {
	if st.Kind == syntax.KindMemory && st.Call.Name != "peek" && o.Fault == nil {
		return "ok"
	}
	return o.String()
}

// formatValue writes a call's value as strace does: an address in hex, a
// small or negative number in decimal.
func formatValue(v uint64) string {
	if v >= 0x1000 && v < 1<<63 {
		return fmt.Sprintf("%#x", v)
	}
	return fmt.Sprintf("%d", int64(v))
}

func (m *Machine) outcome(v uint64, err error) Outcome {
	switch e := err.(type) {
	case nil:
		return Outcome{Value: v}
	case hostvm.Errno:
		return Outcome{Err: e}
	case *sim.Abort:
		return Outcome{Abort: e}
	}
	return Outcome{Err: hostvm.EIO, Note: err.Error()}
}

// Mmap runs mmap on the guest (or host).
func (m *Machine) Mmap(addr, length, prot, flags, fd, off uint64) Outcome {
	if m.Sim != nil {
		return m.outcome(m.Sim.Mmap(addr, length, int(prot), hostvm.MapFlags(flags), int(int64(fd)), off))
	}
	a, err := m.Kernel.Mmap(hostvm.Addr(addr), length, hostvm.Prot(prot), hostvm.MapFlags(flags), int(int64(fd)), off)
	return m.outcome(uint64(a), err)
}

// Munmap runs munmap.
func (m *Machine) Munmap(addr, length uint64) Outcome {
	if m.Sim != nil {
		return m.outcome(0, m.Sim.Munmap(addr, length))
	}
	return m.outcome(0, m.Kernel.Munmap(hostvm.Addr(addr), length))
}

// Mprotect runs mprotect.
func (m *Machine) Mprotect(addr, length, prot uint64) Outcome {
	if m.Sim != nil {
		return m.outcome(0, m.Sim.Mprotect(addr, length, int(prot)))
	}
	return m.outcome(0, m.Kernel.Mprotect(hostvm.Addr(addr), length, hostvm.Prot(prot)))
}

// Mremap runs mremap.
func (m *Machine) Mremap(old, oldLen, newLen, flags, newAddr uint64) Outcome {
	if m.Sim != nil {
		return m.outcome(m.Sim.Mremap(old, oldLen, newLen, hostvm.MremapFlags(flags), newAddr))
	}
	a, err := m.Kernel.Mremap(hostvm.Addr(old), oldLen, newLen, hostvm.MremapFlags(flags), hostvm.Addr(newAddr))
	return m.outcome(uint64(a), err)
}

// Msync runs msync.
func (m *Machine) Msync(addr, length, flags uint64) Outcome {
	if m.Sim != nil {
		return m.outcome(0, m.Sim.Msync(addr, length, int(flags)))
	}
	return m.outcome(0, m.Kernel.Msync(hostvm.Addr(addr), length, hostvm.MsyncFlags(flags)))
}

// Madvise runs madvise.
func (m *Machine) Madvise(addr, length, advice uint64) Outcome {
	if m.Sim != nil {
		return m.outcome(0, m.Sim.Madvise(addr, length, hostvm.Advice(advice)))
	}
	return m.outcome(0, m.Kernel.Madvise(hostvm.Addr(addr), length, hostvm.Advice(advice)))
}

// Brk runs brk; its value is the new (or unchanged) break.
func (m *Machine) Brk(addr uint64) Outcome {
	if m.Sim != nil {
		return m.outcome(m.Sim.Brk(addr))
	}
	return Outcome{Value: uint64(m.Kernel.Brk(hostvm.Addr(addr)))}
}

// hostAddr is where guest (or host) address a lives on the host.
func (m *Machine) hostAddr(a uint64) hostvm.Addr {
	if m.Sim != nil {
		return m.Sim.G2H(a)
	}
	return hostvm.Addr(a)
}

// Load reads n bytes of memory at addr, as the guest's (or host's) CPU.
func (m *Machine) Load(addr uint64, n int) Outcome {
	buf := make([]byte, n)
	var got int
	var f *hostvm.Fault
	if m.Sim != nil {
		got, f = m.Sim.Load(addr, buf)
	} else {
		got, f = m.Kernel.Read(hostvm.Addr(addr), buf)
	}
	if f != nil {
		return Outcome{Fault: f, Bytes: buf[:got]}
	}
	return Outcome{Bytes: buf}
}

// Store writes data at addr, as the guest's (or host's) CPU.
func (m *Machine) Store(addr uint64, data []byte) Outcome {
	var f *hostvm.Fault
	if m.Sim != nil {
		_, f = m.Sim.Store(addr, data)
	} else {
		_, f = m.Kernel.Write(hostvm.Addr(addr), data)
	}
	return Outcome{Fault: f}
}

// HostCalls are the host calls the last guest call made (none on the host
// view). CallSpec.Run puts them in a MemoryCall's Outcome.
func (m *Machine) HostCalls() []sim.HostCall {
	if m.Sim == nil {
		return nil
	}
	return m.Sim.LastHostCalls()
}

// Check verifies the invariants: the host kernel's own, and for a guest the
// agreement of its page flags with the host's mappings and the integrity of
// the RESERVED_VA reservation.
func (m *Machine) Check() error {
	var msgs []string
	if err := m.Kernel.CheckInvariants(); err != nil {
		msgs = append(msgs, err.Error())
	}
	if m.Sim != nil && m.Sim.Aborted() == nil {
		if err := m.Sim.CheckAgreement(); err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(msgs, "\n"))
}

// Describe is a one-line description of the machine, for headers.
func (m *Machine) Describe() string {
	c := m.Kernel.Config()
	h := fmt.Sprintf("host %s-page %d-bit", sizeString(c.PageSize), c.AddrBits)
	if m.Sim == nil {
		return h
	}
	sc := m.Sim.Config()
	d := fmt.Sprintf("%s; guest %s-page %d-bit, qemu_host_page_size %s", h, sizeString(sc.TargetPageSize), sc.ABIBits, sizeString(sc.HostPageSize))
	if sc.ReservedVA != 0 {
		d += fmt.Sprintf(", reserved_va %#x, guest_base %#x", sc.ReservedVA, sc.GuestBase)
	} else {
		d += fmt.Sprintf(", guest_base %#x", sc.GuestBase)
	}
	return d + ", policy " + m.Policy.String()
}

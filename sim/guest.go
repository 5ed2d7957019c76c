package sim

import "github.com/mmapsim/mmapsim/hostvm"

// Guest is one emulated guest process as a target-mapping algorithm runs
// it: the seam between the algorithms (the seed family in this package;
// later QEMU and other emulators beside it) and everything that drives
// them (scenario, replay, props, bench). package policy chooses the
// algorithm and constructs it; callers see only this interface.
//
// Every method is safe to call after an emulator abort: system calls then
// return the same *Abort, memory accesses fault.
type Guest interface {
	// The guest's system calls, with guest-width arguments (a 32-bit guest's
	// values are truncated as its ABI truncates them). Errors are
	// hostvm.Errno values, or an *Abort when the emulator itself died.
	Mmap(addr, length uint64, prot int, flags hostvm.MapFlags, fd int, offset uint64) (uint64, error)
	Munmap(addr, length uint64) error
	Mprotect(addr, length uint64, prot int) error
	Mremap(oldAddr, oldSize, newSize uint64, flags hostvm.MremapFlags, newAddr uint64) (uint64, error)
	Msync(addr, length uint64, flags int) error
	Madvise(addr, length uint64, advice hostvm.Advice) error
	Brk(newBrk uint64) (uint64, error)

	// Guest memory, as the guest's CPU reaches it (through the host's
	// pages), and as the emulator's own access_ok() judges it.
	Load(addr uint64, buf []byte) (int, *Fault)
	Store(addr uint64, data []byte) (int, *Fault)
	AccessOK(addr, n uint64, write bool) bool

	// The emulator's view of the guest space: page flags (PageValid,
	// PageRead, ...) of each guest page, and the check that this view
	// and the host's mappings tell one story.
	PageFlags(addr uint64) uint32
	FlagRuns() []FlagRun
	FlagRunsIn(start, end uint64) []FlagRun
	CheckAgreement() error

	// The process.
	Config() Config
	Host() Host
	GuestBase() uint64
	G2H(x uint64) hostvm.Addr
	BrkStart() uint64
	Aborted() *Abort
	LastHostCalls() []HostCall
	SetRecording(on bool)
	// CloneGuest returns an independent copy of the process and its host.
	CloneGuest() Guest
}

var _ Guest = (*Sim)(nil)

// CloneGuest is Clone behind the Guest interface.
func (s *Sim) CloneGuest() Guest { return s.Clone() }

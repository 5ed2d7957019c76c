package sim

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// QEMU 7.2's own code, where it differs from the seed's and from Linux: the
// functions behind the quirks whose QuirkDesc.Release is "7.2". Line
// numbers are v7.2.0's linux-user/mmap.c ("mmap.c:NNN"), as in
// ../shared/reference/qemu-v7.2.

// guestRangeValid72 is QEMU 7.2's guest_range_valid_untagged(start, len)
// (include/exec/cpu_ldst.h) computed in abi_ulong as the C does:
// "len - 1 <= GUEST_ADDR_MAX && start <= GUEST_ADDR_MAX - len + 1". For a
// length of 0 the first test fails (len - 1 is the largest abi_ulong),
// unless the space is the whole word, where the second admits start 0.
func (s *Sim) guestRangeValid72(start, length uint64) bool {
	g := &s.geom
	last := g.GuestAddrMax()
	return g.ABIWord(length-1) <= last && start <= g.ABIWord(last-length+1)
}

// targetMadvise72 is QEMU 7.2's target_madvise() (QuirkMadvisePassthrough).
// Compare QEMU v7.2.0 linux-user/mmap.c:target_madvise() (lines 877-926)
// and can_passthrough_madv_dontneed() (lines 860-875): after checking its
// arguments it passes MADV_DONTNEED to the host where that is safe, and
// answers everything else with 0, doing nothing ("this is a hint").
//
// Preconditions: start and lenIn are abi_ulong values.
func (s *Sim) targetMadvise72(start, lenIn uint64, advice hostvm.Advice) error {
	g := &s.geom
	if start&^g.TargetPageMask() != 0 {
		return hostvm.EINVAL
	}
	length := g.TargetPageAlign(lenIn)
	if lenIn != 0 && length == 0 {
		return hostvm.EINVAL
	}
	end := g.ABIWord(start + length)
	if end < start {
		return hostvm.EINVAL
	}
	if end == start {
		return nil
	}
	if !g.GuestRangeValid(start, length) {
		return hostvm.EINVAL
	}
	s.mmapLock()
	defer s.mmapUnlock()
	if advice == hostvm.MadvDontNeed && s.canPassthroughDontNeed(start, end) {
		if !s.libc.Madvise(g.G2H(start), length, hostvm.MadvDontNeed) {
			return s.libc.Errno
		}
	}
	return nil
}

// canPassthroughDontNeed is can_passthrough_madv_dontneed(): the range is
// whole host pages, each guest page of which target_mmap mapped straight
// onto the host (PagePassthrough).
func (s *Sim) canPassthroughDontNeed(start, end uint64) bool {
	if (start|end)&^s.geom.HostPageMask() != 0 {
		return false
	}
	return s.flags.AllHave(start, end, PagePassthrough)
}

// markPassthrough gives the guest pages [lo, hi) that target_mmap mapped
// straight onto host pages the PagePassthrough flag, as QEMU 7.2's
// target_mmap does (mmap.c:642-653), for its madvise (QuirkMadvisePassthrough).
//
// Preconditions: [lo, hi) lies inside the mapping whose flags were just set.
func (s *Sim) markPassthrough(lo, hi uint64) {
	if !s.quirk(QuirkMadvisePassthrough) || lo >= hi {
		return
	}
	for _, r := range s.FlagRunsIn(lo, hi) {
		s.setFlags(max(r.Start, lo), min(r.End, hi), r.Flags|PagePassthrough)
	}
}

// fragMemset72 is QEMU 7.2's memset(g2h(start), 0, end - start) of a new
// anonymous fragment on a host page that ends up writable (QuirkFragClearWritable,
// mmap.c:244-246), made through the host page as it is. Where the host
// refuses the write (a shared mapping of a read-only file, whose mprotect
// mmap_frag ignored; a private file page past end-of-file), QEMU faults in
// its own code, and its signal handler takes the fault for the guest's:
//
//   - a SIGSEGV for a page that is mapped (SEGV_ACCERR) on a guest page
//     that was writable once (PAGE_WRITE_ORG): page_unprotect makes the
//     host page "writable" (the mprotect fails again) and returns, the
//     memset faults again: QEMU spins forever;
//   - otherwise (the host page unmapped, SIGBUS, or no PAGE_WRITE_ORG) the
//     guest gets the signal inside its system call, the mmap lock still
//     held (cpu_loop_exit_sigsegv, cpu_loop_exit_sigbus).
//
// Either way the emulated process is lost: the call aborts, saying which.
//
// Preconditions: called inside guard; [start, end) lies in one mapped
// host page.
func (s *Sim) fragMemset72(start, end uint64) {
	g := &s.geom
	n, f := s.libc.Host.Write(g.G2H(start), make([]byte, g.ABIWord(end-start)))
	if f == nil {
		return
	}
	at := g.ABIWord(start + uint64(n))
	if f.Signal == hostvm.SIGSEGV && f.Code == hostvm.SegvAccErr && s.pageGetFlags(at)&PageWriteOrg != 0 {
		base.Raise("page_unprotect", "hang: mmap_frag's memset faults at %#x, and page_unprotect has it retried forever", at)
	}
	// cpu_loop_exit_sigsegv (or _sigbus) leaves the system call by
	// siglongjmp, inside the RCU read section cpu_exec holds; the next
	// rcu_read_unlock finds the depth 0 and asserts.
	base.Raise("rcu_read_unlock", "assertion failed: p_rcu_reader->depth != 0 (mmap_frag's memset faulted at %#x with signal %d, and QEMU left the system call through cpu_loop_exit)", at, int(f.Signal))
}

// writeFaultSpin is QEMU 7.2's signal handler meeting a guest write that
// the host refused (QuirkWriteFaultSpin; accel/tcg/translate-all.c
// page_unprotect, reached from linux-user/signal.c host_signal_handler):
// when the guest page's flags say writable (PAGE_WRITE_ORG and PAGE_WRITE),
// page_unprotect takes the fault for a race it lost and has the access
// retried, which faults again, forever. The process is lost: it aborts
// (the access itself returns its fault).
//
// Preconditions: f is the fault of a guest store just made.
func (s *Sim) writeFaultSpin(f *Fault) {
	if s.abortGuard.Aborted != nil || f.Signal != hostvm.SIGSEGV || f.Code != hostvm.SegvAccErr {
		return
	}
	a := s.geom.ABIWord(uint64(f.Addr))
	if fl := s.pageGetFlags(a); fl&PageWrite != 0 && fl&PageWriteOrg != 0 {
		s.abortGuard.Aborted = &Abort{Func: "page_unprotect",
			Reason: fmt.Sprintf("hang: the guest's write at %#x faults on a host page that is not writable while its page flags say it is; page_unprotect has it retried forever", a)}
	}
}

// Package sim is QEMU linux-user's target-mapping layer, ported function by
// function from linux-user/mmap.c as of March 2015 (the seed), running over
// a Host (a hostvm kernel, or a wrapper that traces or injects faults).
//
// Each known defect of the seed is a Quirk: with it on, sim runs the seed's
// code; with it off, the fix later QEMU adopted (or, where QEMU never fixed
// it, what Linux does). package policy says which are on. See README.md for
// the theory (host and guest pages, fragments, RESERVED_VA) and the table
// from QEMU's names to Go's.
//
// # Files
//
//   - sim.go: Sim, New, guest_base and RESERVED_VA, Abort, the mmap lock
//   - config.go: Config and its defaults; geom, the page-size macros
//     (TARGET_PAGE_ALIGN, HOST_PAGE_ALIGN, g2h, h2g) at the guest's width
//   - host.go: Host, the small interface to the host kernel, and the
//     recorded host calls
//   - pageflags.go: page_get_flags / page_set_flags
//   - mmap.go: target_mprotect, mmap_frag, mmap_find_vma(_reserved),
//     target_mmap
//   - munmap.go: mmap_reserve, target_munmap, target_msync
//   - mremap.go, mremap_fixed.go: target_mremap as the seed has it, and
//     the fixed version (Linux's checks, emulation of moves the host's
//     pages cannot make)
//   - madvise.go: madvise (ignored by the seed; MADV_DONTNEED emulated in
//     the fix)
//   - brk.go: do_brk
//   - memory.go: guest loads and stores through the host (access_ok)
//   - syscall.go: the guest's system calls as do_syscall runs them
//   - check.go: CheckAgreement, the invariants between the two views
//   - quirks.go: Quirk and QuirkSet
//
// Arithmetic is done at the guest's width (abi_ulong wraps at 32 bits for
// a 32-bit guest), never at Go's int size.
package sim

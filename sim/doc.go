// Package sim is QEMU linux-user's target-mapping layer, ported function by
// function from linux-user/mmap.c as of March 2015 (the seed), running over
// a Host (a hostvm kernel, or a wrapper that traces or injects faults: every
// Host method is part of the interface, so a wrapper embedding a Host gives
// the same results as the host it wraps).
//
// Guest is the seam: the interface every target-mapping algorithm
// implements and everything else (scenario, replay, props, bench) drives.
// Sim, the seed family, is the first implementation; package policy chooses
// the algorithm and constructs it.
//
// Each known defect of the seed is a Quirk: with it on, sim runs the seed's
// code; with it off, the fix later QEMU adopted (or, where QEMU never fixed
// it, what Linux does). quirk_table.go describes each one; package policy
// says which are on. See README.md for the theory (host and guest pages,
// fragments, RESERVED_VA) and the table from QEMU's names to Go's.
//
// # Files
//
//   - guest.go: Guest, the algorithm seam
//   - sim.go: Sim, New, the mmap lock and fork, CheckAgreement
//   - config.go: Config and its defaults
//   - host.go: Host and KernelHost; HostCall, HostOp and Abort
//   - abi.go: the port's arithmetic (abi_ulong range ends, (abi_ulong)-1)
//   - pageflags.go: page_get_flags / page_set_flags and the PAGE_* bits
//   - mprotect.go: target_mprotect
//   - frag.go: mmap_frag
//   - find_vma.go: mmap_find_vma_reserved, mmap_find_vma
//   - mmap.go: target_mmap
//   - mmap_checks.go: the fix's checks of an mmap's map type, flags and
//     file, in Linux's order
//   - munmap.go: mmap_reserve, target_munmap, target_msync
//   - mremap.go, mremap_fixed.go: target_mremap as the seed has it, and
//     the fixed version (Linux's checks, emulation of moves the host's
//     pages cannot make)
//   - madvise.go: madvise (ignored by the seed; MADV_DONTNEED and
//     MADV_POPULATE_* emulated in the fix)
//   - brk.go: do_brk (the seed era's, in host pages; the fix's, Linux's
//     brk in guest pages)
//   - memory.go: guest loads and stores through the host (access_ok)
//   - syscall.go: the guest's system calls as do_syscall runs them
//   - quirks.go, quirk_table.go: Quirk, QuirkSet, and the description of
//     each quirk (name, seed lines, what the C does wrong)
//   - internal/base: the machinery every algorithm shares (recorded host
//     calls with errno, Abort, Geom, the page-flag store, guest memory
//     access, the agreement check); the types users see are re-exported
//     here with aliases
//
// Arithmetic is done at the guest's width (abi_ulong wraps at 32 bits for
// a 32-bit guest), never at Go's int size.
//
// # Concurrency
//
// A Sim is not safe for concurrent use, and Clone counts as a use: it marks
// the page flags it shares with the copy (google/btree's Clone writes its
// source), so take clones in the goroutine that owns the Sim. Each clone is
// then a process of its own over its own snapshot of the host (hostvm's
// Clone only reads the kernel it copies): clones, and Sims over different
// kernels, run in parallel (TestClonesRunInParallel). The package's values
// (SeedQuirks, AllQuirks, the quirk descriptions) are read-only.
package sim

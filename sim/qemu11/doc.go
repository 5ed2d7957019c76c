// Package qemu11 is QEMU 11.1's linux-user target-mapping layer: a port of
// v11.1.0's linux-user/mmap.c (with the page-flag functions of
// accel/tcg/user-exec.c and the parts of syscall.c that call into mmap.c),
// function by function, as a second sim.Guest beside the seed family.
// package policy runs it as policy=qemu-11.1. Comments cite "mmap.c:LINE"
// (../shared/reference/qemu-v11.1/linux-user/mmap.c), "user-exec.c:LINE"
// and the syscall.c excerpts beside each ported block.
//
// It is not fixed: where v11.1 differs from what the guest's kernel would
// do, it differs here too (package props names each difference).
//
// What differs from the seed (package sim):
//
//   - no -p: the host page is the host's real page, which may be smaller
//     than the target page (mmap_h_lt_g); New refuses another
//     qemu_host_page_size;
//   - page flags with inclusive last bytes and separate set/clear masks;
//     PAGE_ANON and PAGE_PASSTHROUGH (which madvise consults);
//   - reserved_va is the last valid byte, and a 32-bit guest on a 64-bit
//     host always has one (the whole 4 GiB by default); without it, a
//     64-bit guest's space is not limited to its address width
//     (guest_addr_max is ~0);
//   - under reserved_va, non-fixed placement searches the page flags
//     (page_find_range_empty) upwards from mmap_next_start, reserving
//     nothing and never moving mmap_next_start; without it the host kernel
//     places non-fixed mappings, the guest's hint passed on;
//   - target_mmap dispatches on the page sizes: mmap_h_eq_g, mmap_h_lt_g,
//     mmap_h_gt_g; mmap_frag zeroes or preads (zero-filled at EOF);
//   - guest PROT_EXEC is host PROT_READ (target_to_host_prot);
//   - mmap_reserve_or_unmap replaces mmap_reserve and munmap;
//   - do_mmap validates MAP_SHARED_VALIDATE; do_brk grows with
//     MAP_FIXED_NOREPLACE and shrinks with target_munmap.
//
// Not ported: target_shmat and target_shmdt (no System V shared memory in
// the host model), mmap_fork_start/end, the AArch64 BTI/MTE and HPPA
// protection bits, the alpha and parisc madvise numbers, and
// do_syscall's PROT_GROWSDOWN hack for the main stack.
//
// # Files
//
//   - guest.go: Guest, New (main.c's reserved_va, guest_addr_max and
//     task_unmapped_base), the accessors, the mmap lock, CheckAgreement
//   - abi.go: the port's arithmetic (abi_ulong, ROUND_UP, g2h/h2g,
//     guest_range_valid_untagged)
//   - pageflags.go: page_get_flags, page_set_flags, page_check_range,
//     page_check_range_empty, page_find_range_empty (user-exec.c)
//   - mprotect.go: validate_prot_to_pageflags, target_to_host_prot,
//     target_mprotect
//   - frag.go: do_munmap, mmap_pread, mmap_frag
//   - find_vma.go: mmap_find_vma_reserved, mmap_find_vma
//   - mmap.go: target_mmap, target_mmap__locked, mmap_end
//   - mmap_cases.go: mmap_h_eq_g, mmap_h_lt_g, mmap_h_gt_g
//   - munmap.go: mmap_reserve_or_unmap, target_munmap
//   - mremap.go: target_mremap
//   - madvise.go: target_madvise
//   - brk.go: do_brk
//   - memory.go: guest loads and stores through the host; access_ok
//   - syscall.go: do_mmap and the guest's system calls (msync goes to
//     the host directly)
//   - testdata/*.scn: scenarios of v11.1's own behaviour, each citing the
//     lines it follows, run by scenario_test.go
package qemu11

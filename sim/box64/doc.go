// Package box64 is box64's emulation of a 4 KiB page size on hosts with
// larger pages, ported function by function from box64 at HEAD 76fda7910e
// (2026-08-21; MIT): the guest's mmap, munmap, mprotect, mremap and madvise
// as wrappedlibc.c wraps them, box_mmap and the protection bookkeeping of
// custommem.c. It implements sim.Guest over the same sim.Host as QEMU's
// port, so the same scenarios, properties, replays and pictures run it.
// Comments cite box64's lines at HEAD ("wrappedlibc.c:3991",
// "custommem.c:2861"); lines without a file name are the file the
// function comes from.
//
// box64 solves the problem QEMU's mmap.c solves (one host page holding
// several guest pages) another way: guest addresses are host addresses
// (no guest_base, no RESERVED_VA), no fragments are read in with pread and
// no per-guest-page fault is emulated. The host protection of a partly
// covered host page is the union of its guest pages' and never shrinks on
// a partial call; part of a host page under an anonymous MAP_FIXED is
// zeroed in place; munmap leaves host pages it does not cover whole
// mapped; a file offset that is 4K- but not host-aligned goes to the host
// (which refuses it) except Wine's PE sections, copied with pread;
// MADV_DONTNEED on part of a host page is a memset; getpagesize and
// sysconf say 4096. Options.Wine is box64_wine.
//
// # What is modelled, and what is not
//
// Modelled: my_mmap64 (with the edge emulation and the PE copy), my_munmap,
// my_mprotect, my_mremap, my_madvise, box_mmap (the 47-bit and MAP_32BIT
// moves and box64's free-range search over mapallmem), mapallmem, memprot
// and memprot_guest, loadProtectionFromMap, the env record of file
// mappings my_madvise consults, last_mmap. msync and brk go to the host
// unchanged, as box64 passes them.
//
// Left out, with the reason: the dynarec (protectDB, hot pages,
// PROT_DYNAREC/PROT_NEVERCLEAN bits, memprot_guest_dyn, the block
// database): it models the JIT, not what the guest sees; box32 (32-bit
// guests); box64's own mappings (its binary, stack, allocator) and its ELF
// loader, so FindElfAddress finds nothing and catchup_brk_protection does
// not run; errno on success. Not in the excerpts and modelled from their
// use: rb_find_free_range (the loop it replaced), is_pe_file and
// is_elf_or_pe (the images' signatures), is_writable_mapping (every host
// page known and writable), RecordEnvMappings, RemoveMapping and
// IsAddrFileMapped (public box64 tools/env.c of 2025).
//
// # Files
//
//   - box64.go: Box64, Options, New, the process's accessors and Clone
//   - protection.go: custommem.c's bookkeeping (mapallmem, memprot,
//     memprot_guest)
//   - findblock.go: the free-range search, loadProtectionFromMap
//   - boxmmap.go: box_mmap, box_munmap
//   - mmap.go: my_mmap64 and the bookkeeping after it
//   - mmap_edges.go: my_mmap64's edge emulation for MAP_FIXED anonymous
//     mappings that cover host pages in part
//   - mmap_pe.go: my_mmap64's copy of Wine's PE sections
//   - munmap.go, mprotect.go, mremap.go, madvise.go: my_munmap,
//     my_mprotect, my_mremap, my_madvise
//   - envmap.go: the file-mapping record (tools/env.c)
//   - syscall.go: the guest's system calls, and the page-size answers
//   - view.go: box64's view as page flags, guest memory, HostPageRecord
//   - check.go: CheckAgreement, box64's own invariants
//
// testdata/*.scn are scenarios of box64's behaviour, written from its
// source with the lines cited; they hold under policy=box64.
package box64

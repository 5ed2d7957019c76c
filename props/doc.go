// Package props tests QEMU's target-mapping algorithms (package sim) by
// properties: random call sequences run on the emulation (sim over a hostvm
// host) and on a reference model, the guest's ideal kernel (hostvm with the
// guest's page size and address width), and every guest-visible outcome is
// compared after every step: results and errno, bytes read, faults, and the
// two views of the address space (QEMU's page flags, the guest kernel's
// VMAs), besides sim's own invariants (guest/host agreement, RESERVED_VA
// containment).
//
// # Files
//
//   - setup.go: Setups, the configurations run (H = T, H = 4T, H = 16T,
//     T > H, 32- and 64-bit guests, with and without RESERVED_VA)
//   - ops.go: Op, GenOp (one operation from a stream of random numbers,
//     shared by gopter and the fuzz target), and how an Op is resolved and
//     written as scenario text
//   - system.go: System, both systems and the comparison
//   - gen.go: the gopter state-machine description (commands package)
//
// Placement differs legitimately: where sim places a non-fixed mapping,
// the model maps it with MAP_FIXED_NOREPLACE at that address. Earlier
// mappings are named by handle (gopter's NextState cannot see results).
//
// # Named divergences
//
// Where QEMU knowingly cannot be transparent, the comparison allows a
// named divergence (see Divergences), counts it, and either marks the guest
// pages it leaves unknown or stops comparing the run. Nothing else may
// differ. TestDivergencesNamed shows each one happening.
//
// Failures print as scenario text that `mmapsim run` replays: the model's
// results are the expectations.
package props

// Divergences are the named divergences, by name: what differs, and why
// QEMU cannot do better.
var Divergences = map[string]string{
	"shared-file-fragment":    "a writable MAP_SHARED file mapping whose ends do not fill host pages (or whose offset is not congruent): QEMU refuses it with EINVAL, as it cannot keep a copy coherent with the file",
	"mremap-shared-fragment":  "mremap of shared or file memory in pieces smaller than a host page: QEMU refuses (EINVAL), since the host would move the neighbours along",
	"mixed-host-page":         "one host page holds guest pages of mappings with different backings (a shared mapping, a file past its end): what one of them needs (growth, a move, a fault) the host page cannot give",
	"eof-host-page":           "past end-of-file the guest kernel faults per target page, the host per host page: QEMU reads zeros (or faults) where the guest kernel does not",
	"protection-union":        "a host page's protection is the union of its guest pages': an access the guest page forbids goes through",
	"protection-union-shared": "as protection-union, where the store reached a shared mapping's file or memory (its effect is everywhere that file is seen)",
	"emulated-file-mode":      "QEMU emulated a file mapping with a private copy (pread) and no longer knows the file's open mode: mprotect and madvise answer for the copy",
	"file-snapshot":           "QEMU emulated a private file mapping with a copy (or the host copied a whole host page on a write): later changes to the file do not reach it",
	"vma-boundaries":          "the guest kernel has two VMAs where QEMU's page flags show one run (madvise flags, different backings): mremap across them succeeds under QEMU",
	"host-vma-split":          "QEMU backs one guest mapping with several host mappings (file data up to its end, anonymous memory after): the host refuses to move across them",
	"host-space-end":          "the guest space passes the end of the host's (x86-64 Linux ends one page short of 128 TiB)",
	"host-owned-range":        "without RESERVED_VA and with guest_base 0, QEMU's own memory (stack, heap, binary) lies in the guest space: QEMU refuses to map over it",
	"placement-room":          "the guest kernel finds no room for a non-fixed mapping, QEMU's search does, and the call then fails for a reason the guest kernel never reached",
	"placement-host-pages":    "QEMU places a non-fixed mapping on whole free host pages; when only partly used host pages have room, it finds none where the guest kernel does",
	"mmap-min-addr":           "below mmap_min_addr the answer depends on where guest_base puts the range on the host",
}

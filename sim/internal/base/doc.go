// Package base is the machinery every target-mapping algorithm of sim
// shares, whatever its logic: the seed family (package sim) today, a port
// of later QEMU (sim/qemu11) or box64's 4K emulation (sim/box64) beside it.
// Each implements sim.Guest over the same sim.Host, and takes from here
// what does not depend on how it places and splits guest mappings:
//
//   - Host, HostOp, HostCall (host.go): the host kernel's interface and the
//     record of one call. package sim re-exports them with type aliases
//     (sim.Host, sim.HostCall, ...), so a user sees one set of names.
//   - Libc (libc.go): the host calls as the emulator's C code makes them
//     (and the emulator's own stores into host memory, Memset, an event):
//     each recorded while Recording, a failure setting Errno as the C
//     library sets errno, reporting success as the C's "!= MAP_FAILED"
//     tests do. GetErrno and GetErrnoAddr are QEMU's get_errno(): the C
//     result and errno turned into what the guest sees.
//   - Abort, Raise, Guard (abort.go): the emulator's own death (abort(),
//     a failed assert). Raise unwinds to Guard.Run at the API boundary,
//     which returns the *Abort and refuses every later call, so a port's
//     control flow can stay the C's.
//   - Geom (geom.go): page sizes, word widths, guest_base and RESERVED_VA,
//     and the C macros at the guest's width (TARGET_PAGE_ALIGN,
//     HOST_PAGE_ALIGN, g2h, h2g, h2g_valid, GUEST_ADDR_MAX,
//     guest_range_valid_untagged). abi_ulong arithmetic wraps at the guest
//     width, never at Go's int size.
//   - PageFlags, FlagRun and the PAGE_* bits (pageflags.go): the emulator's
//     view of the guest space, one flags word per guest page, stored as
//     runs; page_get_flags, the raw page_set_flags after rounding, and the
//     queries the algorithms share (the union of a range's flags, the first
//     unmapped page, runs in a range).
//   - Load, Store, AccessOK (memory.go): guest memory as the guest's CPU
//     reaches it (through the host, split where the guest address wraps,
//     faults reported at guest addresses) and as access_ok() judges it.
//   - CheckAgreement (check.go): the invariants between the page flags and
//     the host's mappings, for any algorithm that keeps QEMU's layout
//     (guest a at host g2h(a), whole host pages, RESERVED_VA placeholders).
//
// What stays with each algorithm: its own page_set_flags (the seed's
// asserts and exclusive ends, or later QEMU's inclusive "last"), its
// mapping functions, its quirks, and the lock and fork bookkeeping.
//
// A new algorithm keeps one Libc, one Guard, one Geom and one PageFlags per
// process, runs each guest call inside Guard.Run after Libc.StartCall, and
// answers sim.Guest's memory and view methods with Load, Store, AccessOK,
// PageFlags.Runs and CheckAgreement.
package base

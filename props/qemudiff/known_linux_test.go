//go:build linux

package qemudiff

import (
	"strconv"
	"strings"
)

// The known differences: where QEMU 7.2 does something sim cannot model,
// each with the rule that recognises it. Every behaviour of QEMU 7.2 the
// comparison has met is modelled (policy/qemu72.go names the quirks, with
// their lines), QEMU's own deaths included: its assertions (page_set_flags,
// target_mmap's "ret == 0", rcu_read_unlock after a fault in mmap_frag's
// memset), its endless retries of a write fault (page_unprotect: a
// deterministic spin, not a random hang), and its i386 CPU meeting a
// descriptor table the guest unmapped (machine.checkTables). What remains
// cannot be modelled:
//
//	x86_64-host-placement  without RESERVED_VA, QEMU 7.2 asks the host kernel
//	                       for every placement with a hint (mmap_next_start, or
//	                       the guest's), and takes any answer. Where the hint's
//	                       range is taken, the kernel places the mapping by its
//	                       own top-down search below QEMU's shared libraries,
//	                       whose addresses change from run to run (address-space
//	                       randomisation): no model can say where. The generator
//	                       keeps the hints free (gen.area, gen.freeHint); this
//	                       names a placement that escaped it.
//
// Any other difference fails the test, with the sequence to reproduce it.
func classify(sq *sequence, cs []call, at int, want, got string) string {
	c := cs[at]
	if sq.lay.Reserved == 0 && (c.Op == "mmap" || c.Op == "mremap") && strings.HasPrefix(want, "R ") &&
		strings.HasPrefix(got, "R ") && !strings.HasPrefix(want, "R E") && !strings.HasPrefix(got, "R E") {
		if a, err := strconv.ParseUint(strings.TrimPrefix(want, "R "), 16, 64); err == nil && a >= 1<<46 {
			return "x86_64-host-placement"
		}
	}
	return ""
}

package sim_test

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
)

// A 4 KiB-page i386 guest on a host with 64 KiB pages, under the fixed
// algorithm (no quirks): the guest maps two small mappings that share one
// host page. QEMU maps the host page once, as a fragment, and gives it the
// union of the guest pages' protections; the page flags keep each guest
// page's own.
func Example() {
	k, err := hostvm.New(hostvm.Config{PageSize: 64 << 10, AddrBits: 47})
	if err != nil {
		panic(err)
	}
	// Zero fields take their defaults: 4 KiB target pages, a 32-bit ABI,
	// H = the host's page; no RESERVED_VA, so guest_base is 0.
	g, err := sim.New(sim.KernelHost{Kernel: k}, sim.Config{ProbeGuestBase: true})
	if err != nil {
		panic(err)
	}
	show := func(what string, addr uint64, err error) {
		fmt.Printf("%s = %#x, %v\n", what, addr, err)
		for _, c := range g.LastHostCalls() {
			fmt.Println("  host:", c)
		}
	}
	rw := int(hostvm.ProtRead | hostvm.ProtWrite)
	fixed := hostvm.MapPrivate | hostvm.MapAnonymous | hostvm.MapFixed
	a, err := g.Mmap(0x20001000, 0x2000, int(hostvm.ProtRead), fixed, -1, 0)
	show("mmap r--", a, err)
	b, err := g.Mmap(0x20004000, 0x1000, rw, fixed, -1, 0)
	show("mmap rw-", b, err)
	for _, r := range g.FlagRuns() {
		if r.Start >= 0x20000000 && r.End <= 0x20010000 {
			fmt.Printf("flags %#x-%#x %s\n", r.Start, r.End, hostvm.Prot(r.Flags&sim.PageBits))
		}
	}
	m, _ := k.Lookup(g.G2H(0x20000000))
	fmt.Println("host page:", m.Prot)
	fmt.Println("agreement:", g.CheckAgreement())
	// Output:
	// mmap r-- = 0x20001000, <nil>
	//   host: mmap(0x20000000, 0x10000, PROT_READ, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0x20000000
	//   host: tb_invalidate_phys_range(0x20001000, 0x20003000)
	// mmap rw- = 0x20004000, <nil>
	//   host: mprotect(0x20000000, 0x10000, PROT_READ|PROT_WRITE) = 0
	//   host: tb_invalidate_phys_range(0x20004000, 0x20005000)
	// flags 0x20001000-0x20003000 r--
	// flags 0x20004000-0x20005000 rw-
	// host page: rw-
	// agreement: <nil>
}

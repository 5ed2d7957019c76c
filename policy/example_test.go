package policy_test

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// Choosing a variant and starting a guest under it: an i386 guest on an
// arm64 host with 64 KiB pages, as QEMU runs it (RESERVED_VA), grows a
// small mapping with mremap. QEMU 7.2, like the seed, hands the guest's
// range to the host's mremap, which refuses a range that is not whole host
// pages; the fixed algorithm (the reference: what the guest's own kernel
// does) emulates the resize, here in place.
func Example() {
	host, err := policy.Host("arm64-64k")
	if err != nil {
		panic(err)
	}
	target, err := policy.Target("i386")
	if err != nil {
		panic(err)
	}
	for _, name := range []string{"seed", "qemu-7.2", "fixed", "fixed-except=mremap-host-pages"} {
		pol, err := policy.ParsePolicy(name)
		if err != nil {
			panic(err)
		}
		k, err := hostvm.New(host.Config)
		if err != nil {
			panic(err)
		}
		cfg := policy.SimConfig(host, target)
		cfg.ReservedVA = target.DefaultReservedVA
		cfg.ProbeGuestBase = true
		g, err := pol.New(sim.KernelHost{Kernel: k}, cfg)
		if err != nil {
			panic(err)
		}
		a, err := g.Mmap(0x20000000, 0x3000, int(hostvm.ProtRead|hostvm.ProtWrite),
			hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapFixed, -1, 0)
		if err != nil {
			panic(err)
		}
		g.Store(a+0x1000, []byte("data"))
		b, err := g.Mremap(a+0x1000, 0x2000, 0x4000, hostvm.MremapMayMove, 0)
		if err != nil {
			fmt.Printf("%-30s mremap: %v\n", pol, err)
			continue
		}
		buf := make([]byte, 4)
		g.Load(b, buf)
		fmt.Printf("%-30s mremap: %#x, reads %q\n", pol, b, buf)
	}
	// Output:
	// seed                           mremap: Invalid argument
	// qemu-7.2                       mremap: Invalid argument
	// fixed                          mremap: 0x20001000, reads "data"
	// fixed-except=mremap-host-pages mremap: Invalid argument
}

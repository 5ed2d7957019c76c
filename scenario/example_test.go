package scenario_test

import (
	"fmt"
	"os"

	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// A 4K guest on a 64K-page host: a MAP_FIXED mapping of one guest page
// lands in the middle of a host page, which the simulated QEMU maps whole.
// The guest page after it is not mapped for the guest, yet reads without
// a fault: QEMU linux-user's guest accesses host memory directly. Once
// unmapped, the host page is a PROT_NONE placeholder of the reservation.
func Example() {
	src := `#! host=arm64-64k target=i386
$a = mmap(0x40001000, 0x1000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x40001000
poke($a, "hi")
peek($a, 2) = "hi"
peek($a+0x1000, 1) = "\x00"
munmap($a, 4K) = 0
peek($a, 1) = SIGSEGV
`
	f, err := syntax.Parse("guest.scn", []byte(src))
	if err != nil {
		panic(err)
	}
	rep, err := scenario.Run(f, scenario.RunOptions{Out: os.Stdout, Check: true})
	if err != nil {
		panic(err)
	}
	fmt.Println(rep.Summary(f.Name))
	// Output:
	// # guest.scn: host 64K-page 48-bit; guest 4K-page 32-bit, qemu_host_page_size 64K, reserved_va 0xf7000000, guest_base 0xffff01000000, policy fixed
	// guest.scn:2    $a = mmap(0x40001000, 0x1000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x40001000
	//                  host: mmap(0xffff41000000, 0x10000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS, -1, 0x0) = 0xffff41000000
	//                  host: tb_invalidate_phys_range(0x40001000, 0x40002000)
	// guest.scn:3    poke($a, "hi") = ok
	// guest.scn:4    peek($a, 2) = "hi"
	// guest.scn:5    peek($a+0x1000, 1) = "\x00"
	// guest.scn:6    munmap($a, 4K) = 0
	//                  host: mmap(0xffff41000000, 0x10000, PROT_NONE, MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|MAP_NORESERVE, -1, 0x0) = 0xffff41000000
	//                  host: tb_invalidate_phys_range(0x40001000, 0x40002000)
	// guest.scn:7    peek($a, 1) = SIGSEGV
	// guest.scn: ok: 6 statements, 5 expectations, 0 failed, 0 skipped
}

package hostvm_test

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
)

// dump prints the maps listing with a $ at the end of each line, as cat -A
// does, to show the space Linux leaves after the inode of unnamed lines
// (an Output comment cannot hold trailing spaces).
func dump(k *hostvm.Kernel) {
	for _, line := range strings.SplitAfter(k.MapsString(), "\n") {
		if line != "" {
			fmt.Printf("%s$\n", strings.TrimSuffix(line, "\n"))
		}
	}
}

// Example maps eight pages, fragments them with mprotect, punches a hole
// with munmap, and prints the address space as /proc/self/maps would.
func Example() {
	k, err := hostvm.New(hostvm.Config{PageSize: 4096, AddrBits: 47, TaskSize: 1<<47 - 4096})
	if err != nil {
		panic(err)
	}
	const pg = 4096
	a, err := k.Mmap(0, 8*pg, hostvm.ProtRead|hostvm.ProtWrite, hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0)
	if err != nil {
		panic(err)
	}
	fmt.Printf("mapped 8 pages at %v:\n", a)
	dump(k)

	_ = k.Mprotect(a+2*pg, 2*pg, hostvm.ProtRead)
	fmt.Println("pages 2-3 read-only:")
	dump(k)

	_ = k.Munmap(a+5*pg, pg)
	fmt.Println("page 5 unmapped:")
	dump(k)

	var b [1]byte
	_, fault := k.Read(a+5*pg+7, b[:])
	fmt.Println(fault)
	_, fault = k.Write(a+2*pg, b[:])
	fmt.Println(fault)
	fmt.Println(k.Munmap(a+1, pg))

	// Output:
	// mapped 8 pages at 0x7ffff7ff7000:
	// 7ffff7ff7000-7ffff7fff000 rw-p 00000000 00:00 0 $
	// pages 2-3 read-only:
	// 7ffff7ff7000-7ffff7ff9000 rw-p 00000000 00:00 0 $
	// 7ffff7ff9000-7ffff7ffb000 r--p 00000000 00:00 0 $
	// 7ffff7ffb000-7ffff7fff000 rw-p 00000000 00:00 0 $
	// page 5 unmapped:
	// 7ffff7ff7000-7ffff7ff9000 rw-p 00000000 00:00 0 $
	// 7ffff7ff9000-7ffff7ffb000 r--p 00000000 00:00 0 $
	// 7ffff7ffb000-7ffff7ffc000 rw-p 00000000 00:00 0 $
	// 7ffff7ffd000-7ffff7fff000 rw-p 00000000 00:00 0 $
	// SIGSEGV (SEGV_MAPERR) on read at 0x7ffff7ffc007
	// SIGSEGV (SEGV_ACCERR) on write at 0x7ffff7ff9000
	// Invalid argument
}

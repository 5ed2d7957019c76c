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

// Example_fileMapping maps a file of the in-memory file system MAP_SHARED.
// The mapping and the file share one page cache, so each sees the other's
// writes at once; msync, which a program calls before it trusts the file on
// disk, has nothing to write back in hostvm (there is no disk) but checks
// its arguments as Linux does. A page wholly beyond the end of the file
// raises SIGBUS.
func Example_fileMapping() {
	k, err := hostvm.New(hostvm.Config{PageSize: 4096, AddrBits: 47, TaskSize: 1<<47 - 4096})
	if err != nil {
		panic(err)
	}
	const pg = 4096
	fd, err := k.Open("/data/notes", hostvm.ORdWr|hostvm.OCreat, 0o644)
	if err != nil {
		panic(err)
	}
	if _, err := k.FilePwrite(fd, []byte("hello, file"), 0); err != nil {
		panic(err)
	}
	if err := k.Ftruncate(fd, pg+100); err != nil { // two pages, the second partly
		panic(err)
	}

	// Three pages of the two-page file.
	a, err := k.Mmap(0, 3*pg, hostvm.ProtRead|hostvm.ProtWrite, hostvm.MapShared, fd, 0)
	if err != nil {
		panic(err)
	}
	buf := make([]byte, 11)
	if _, fault := k.Read(a, buf); fault != nil {
		panic(fault)
	}
	fmt.Printf("read through the mapping: %q\n", buf)

	if _, fault := k.Write(a, []byte("HELLO")); fault != nil {
		panic(fault)
	}
	fmt.Println("msync(MS_SYNC) of the mapping:", k.Msync(a, 3*pg, hostvm.MsSync))
	fmt.Println("msync(MS_SYNC) past its end:", k.Msync(a, 4*pg, hostvm.MsSync))
	if _, err := k.FilePread(fd, buf, 0); err != nil {
		panic(err)
	}
	fmt.Printf("read from the file: %q\n", buf)

	if _, err := k.FilePwrite(fd, []byte("world"), pg); err != nil {
		panic(err)
	}
	if _, fault := k.Read(a+pg, buf[:5]); fault != nil {
		panic(fault)
	}
	fmt.Printf("pwrite to the file's second page, read through the mapping: %q\n", buf[:5])

	_, fault := k.Read(a+2*pg, buf[:1])
	fmt.Println(fault)
	dump(k)

	// Output:
	// read through the mapping: "hello, file"
	// msync(MS_SYNC) of the mapping: <nil>
	// msync(MS_SYNC) past its end: Cannot allocate memory
	// read from the file: "HELLO, file"
	// pwrite to the file's second page, read through the mapping: "world"
	// SIGBUS (BUS_ADRERR) on read at 0x7ffff7ffe000
	// 7ffff7ffc000-7ffff7fff000 rw-s 00000000 00:01 1                          /data/notes$
}

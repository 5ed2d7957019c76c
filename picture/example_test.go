package picture_test

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/picture"
	"github.com/mmapsim/mmapsim/scenario"
)

// machine builds a machine from "key=value" settings.
func machine(pairs ...string) *scenario.Machine {
	s := scenario.NewSettings()
	for _, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		if err := s.Set(k, v, "example"); err != nil {
			panic(err)
		}
	}
	m, err := s.Build()
	if err != nil {
		panic(err)
	}
	return m
}

const (
	rw    = uint64(hostvm.ProtRead | hostvm.ProtWrite)
	fixed = uint64(hostvm.MapPrivate | hostvm.MapAnonymous | hostvm.MapFixed)
)

// An i386 guest on a 64K-page host: two fragments in one host page, r--
// and rw-, make the host page rw- (the union); a third mapping covers a
// whole host page and the head of the next. Placeholders of the RESERVED_VA
// reservation show as R.
func ExampleNew() {
	m := machine("target=i386", "host=arm64-64k")
	m.Mmap(0x40005000, 0x2000, uint64(hostvm.ProtRead), fixed, ^uint64(0), 0)
	m.Mmap(0x40009000, 0x2000, rw, fixed, ^uint64(0), 0)
	m.Mmap(0x40020000, 0x13000, uint64(hostvm.ProtRead|hostvm.ProtExec), fixed, ^uint64(0), 0)
	fmt.Print(picture.New(m))
	// Output:
	// guest         0K  4K  8K  12K 16K 20K 24K 28K 32K 36K 40K 44K 48K 52K 56K 60K  host
	//   ~~ 0x00000000-0x3fff0000 1023.9M, reservation placeholders
	//   0x3fff0000 R   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   ---
	//   0x40000000 F   .   .   .   .   .  r-- r--  .   .  rw- rw-  .   .   .   .   .   rw-
	//   0x40010000 R   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   ---
	//   0x40020000    r-x r-x r-x r-x r-x r-x r-x r-x r-x r-x r-x r-x r-x r-x r-x r-x  r-x
	//   0x40030000 F  r-x r-x r-x  .   .   .   .   .   .   .   .   .   .   .   .   .   r-x
	//   0x40040000 R   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   ---
	//   ~~ 0x40050000-0xf7000000 2.8G, reservation placeholders
}

// The host alone, with 16K pages: a file mapping of 5 pages, one of them
// made read-only, and a run of identical rows drawn once.
func ExampleNew_host() {
	m := machine("host=arm64-16k")
	k := m.Kernel
	fd, _ := k.Open("lib.so", hostvm.ORdWr|hostvm.OCreat, 0o644)
	k.Ftruncate(fd, 0x14000)
	o := m.Mmap(0, 0x14000, uint64(hostvm.ProtRead|hostvm.ProtExec), uint64(hostvm.MapPrivate), uint64(fd), 0)
	m.Mprotect(o.Value+0x10000, 0x4000, uint64(hostvm.ProtRead))
	fmt.Print(picture.New(m))
	// Output:
	// address            host
	//   ~~ 0x000000000000-0x7ffff7fe8000 127.9T, nothing mapped
	//   0x7ffff7fe8000     .
	//   0x7ffff7fec000     r-x lib.so@0  (x4)
	//   0x7ffff7ffc000     r-- lib.so@0x10000
	//   0x7ffff8000000     .
	//   ~~ 0x7ffff8004000-0x800000000000 127.9M, nothing mapped
}

// QEMU's -p 16K on a 4K host: a row is a 16K "host page" as QEMU sees it,
// and the host part lists the real 4K host pages under it where they
// differ. mmap_frag mapped all four for two guest pages. Changing one real
// host page behind QEMU's back makes the host refuse what the guest page
// allows: the row is marked "!".
func ExampleNew_qemuHostPage() {
	m := machine("target=x86_64", "qemu-host-page=16K", "brk=0x555555554000") // heap on a host page: no bss tail
	m.Mmap(0x40001000, 0x2000, rw, fixed, ^uint64(0), 0)
	m.Kernel.Mprotect(0x40002000, 0x1000, hostvm.ProtRead)
	fmt.Print(picture.New(m))
	// Output:
	// guest             0K  4K  8K  12K  host
	//   ~~ 0x000000000000-0x00003fffc000 1023.9M, nothing mapped
	//   0x00003fffc000     .   .   .   .   .
	//   0x000040000000 F!  .  rw- rw-  .   rw- *2 | r-- | rw-
	//   0x000040004000     .   .   .   .   .
	//   ~~ 0x000040008000-0x800000000000 127.9T, nothing mapped
}

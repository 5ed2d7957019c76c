package main

import (
	"fmt"
	"io"

	"github.com/mmapsim/mmapsim/hostvm"
)

// demo maps a region on a simulated host, fragments it with mprotect and
// munmap, and prints the maps listing after each step.
func demo(stdout, stderr io.Writer) int {
	k, err := hostvm.New(hostvm.Config{PageSize: 4096, AddrBits: 47})
	if err != nil {
		fmt.Fprintln(stderr, "mmapsim:", err)
		return 2
	}
	step := func(what string, err error) {
		res := "= 0"
		if err != nil {
			res = fmt.Sprintf("= -1 %s (%s)", err.(hostvm.Errno).Name(), err)
		}
		fmt.Fprintf(stdout, "%s %s\n%s\n", what, res, k.MapsString())
	}
	const rw = hostvm.ProtRead | hostvm.ProtWrite
	a, err := k.Mmap(0, 0x6000, rw, hostvm.MapPrivate|hostvm.MapAnonymous, -1, 0)
	if err != nil {
		fmt.Fprintln(stderr, "mmapsim: demo mmap:", err)
		return 1
	}
	fmt.Fprintf(stdout, "mmap(NULL, 0x6000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = %v\n%s\n", a, k.MapsString())
	k.Write(a+0x2010, []byte("hello"))
	step(fmt.Sprintf("mprotect(%v, 0x1000, PROT_READ)", a+0x2000), k.Mprotect(a+0x2000, 0x1000, hostvm.ProtRead))
	step(fmt.Sprintf("munmap(%v, 0x1000)", a+0x4000), k.Munmap(a+0x4000, 0x1000))
	step(fmt.Sprintf("mprotect(%v, 0x1000, PROT_READ|PROT_WRITE)", a+0x2000), k.Mprotect(a+0x2000, 0x1000, rw))
	buf := make([]byte, 5)
	n, f := k.Read(a+0x2010, buf)
	fmt.Fprintf(stdout, "peek(%v, 5) = %q (%d bytes)\n", a+0x2010, buf[:n], n)
	if _, f = k.Read(a+0x4000, buf[:1]); f != nil {
		fmt.Fprintf(stdout, "peek(%v, 1) = %v\n", a+0x4000, f.Signal)
	}
	return 0
}

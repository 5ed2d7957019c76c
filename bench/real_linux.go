//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/mmapsim/mmapsim/hostvm"
)

// realVM makes real system calls. The mix only ever maps MAP_FIXED inside
// its own grid (a reservation it made), so the Go runtime's memory is never
// touched.
type realVM struct{ pg uint64 }

// mapFixedNoReplace is MAP_FIXED_NOREPLACE, which package syscall lacks.
const mapFixedNoReplace = 0x100000

// realFlags translates hostvm's mmap flags (Linux's x86 numbers) to this
// architecture's.
func realFlags(f hostvm.MapFlags) uintptr {
	var out uintptr
	for _, t := range []struct {
		h hostvm.MapFlags
		r uintptr
	}{
		{hostvm.MapPrivate, syscall.MAP_PRIVATE},
		{hostvm.MapAnonymous, syscall.MAP_ANONYMOUS},
		{hostvm.MapFixed, syscall.MAP_FIXED},
		{hostvm.MapNoReserve, syscall.MAP_NORESERVE},
		{hostvm.MapFixedNoReplace, mapFixedNoReplace},
	} {
		if f&t.h != 0 {
			out |= t.r
			f &^= t.h
		}
	}
	if f != 0 {
		panic(fmt.Sprintf("bench: no real mmap flag for %v", f))
	}
	return out
}

func (v realVM) page() uint64 { return v.pg }

func (v realVM) mmap(addr, length uint64, prot hostvm.Prot, flags hostvm.MapFlags) (uint64, error) {
	// The offset is always 0, so mmap2's page offset (32-bit systems)
	// and mmap's byte offset agree.
	a, _, e := syscall.Syscall6(sysMmap, uintptr(addr), uintptr(length), uintptr(prot), realFlags(flags), ^uintptr(0), 0)
	if e != 0 {
		return 0, e
	}
	return uint64(a), nil
}

func (v realVM) munmap(addr, length uint64) error {
	if _, _, e := syscall.Syscall(syscall.SYS_MUNMAP, uintptr(addr), uintptr(length), 0); e != 0 {
		return e
	}
	return nil
}

func (v realVM) mprotect(addr, length uint64, prot hostvm.Prot) error {
	if _, _, e := syscall.Syscall(syscall.SYS_MPROTECT, uintptr(addr), uintptr(length), uintptr(prot)); e != 0 {
		return e
	}
	return nil
}

func (v realVM) mremap(old, oldLen, newLen uint64, flags hostvm.MremapFlags, newAddr uint64) (uint64, error) {
	a, _, e := syscall.Syscall6(syscall.SYS_MREMAP, uintptr(old), uintptr(oldLen), uintptr(newLen), uintptr(flags), uintptr(newAddr), 0)
	if e != 0 {
		return 0, e
	}
	return uint64(a), nil
}

// newRealVM returns the real kernel, its page size, and how many more
// VMAs the process may make (vm.max_map_count less the ones it has).
func newRealVM() (vm, int, string) {
	pg := uint64(os.Getpagesize())
	max := 65530
	if b, err := os.ReadFile("/proc/sys/vm/max_map_count"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			max = n
		}
	}
	return realVM{pg: pg}, max - realMapCount(), ""
}

// realMapCount counts the lines of /proc/self/maps.
func realMapCount() int {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return -1
	}
	return bytes.Count(b, []byte("\n"))
}

// kernelRelease is uname -r.
func kernelRelease() string {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return "?"
	}
	var b []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

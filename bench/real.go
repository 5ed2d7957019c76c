package main

import (
	"fmt"
	"os"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/internal/linuxsys"
)

// realVM makes real system calls. The mix only ever maps MAP_FIXED inside
// its own grid (a reservation it made), so the Go runtime's memory is never
// touched.
type realVM struct{ pg uint64 }

// realFlags translates hostvm's mmap flags (Linux's x86 numbers) to this
// architecture's.
func realFlags(f hostvm.MapFlags) uintptr {
	var out uintptr
	for _, t := range []struct {
		h hostvm.MapFlags
		r uintptr
	}{
		{hostvm.MapPrivate, linuxsys.MapPrivate},
		{hostvm.MapAnonymous, linuxsys.MapAnonymous},
		{hostvm.MapFixed, linuxsys.MapFixed},
		{hostvm.MapNoReserve, linuxsys.MapNoReserve},
		{hostvm.MapFixedNoReplace, linuxsys.MapFixedNoReplace},
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

// realErr is a call's errno as an error, under its Linux name.
func realErr(e linuxsys.Errno) error {
	if e == 0 {
		return nil
	}
	return hostvm.Errno(e)
}

func (v realVM) page() uint64 { return v.pg }

func (v realVM) mmap(addr, length uint64, prot hostvm.Prot, flags hostvm.MapFlags) (uint64, error) {
	// The offset is always 0, so mmap2's page offset (32-bit systems)
	// and mmap's byte offset agree.
	a, e := linuxsys.Mmap(uintptr(addr), uintptr(length), uintptr(prot), realFlags(flags), -1, 0)
	if e != 0 {
		return 0, realErr(e)
	}
	return uint64(a), nil
}

func (v realVM) munmap(addr, length uint64) error {
	return realErr(linuxsys.Munmap(uintptr(addr), uintptr(length)))
}

func (v realVM) mprotect(addr, length uint64, prot hostvm.Prot) error {
	return realErr(linuxsys.Mprotect(uintptr(addr), uintptr(length), uintptr(prot)))
}

func (v realVM) mremap(old, oldLen, newLen uint64, flags hostvm.MremapFlags, newAddr uint64) (uint64, error) {
	a, e := linuxsys.Mremap(uintptr(old), uintptr(oldLen), uintptr(newLen), uintptr(flags), uintptr(newAddr))
	if e != 0 {
		return 0, realErr(e)
	}
	return uint64(a), nil
}

// newRealVM returns the real kernel, its page size, and how many more
// VMAs the process may make (vm.max_map_count less the ones it has); off
// Linux, nil and why.
func newRealVM() (vm, int, string) {
	if !linuxsys.Supported {
		return nil, 0, "skipped: not Linux"
	}
	limit := uint64(65530)
	if n, err := linuxsys.VMSysctl("max_map_count"); err == nil {
		limit = n
	}
	return realVM{pg: uint64(os.Getpagesize())}, int(limit) - realMapCount(), ""
}

// realMapCount counts the lines of /proc/self/maps, or is -1 where there
// is none.
func realMapCount() int {
	lines, err := linuxsys.ReadMaps()
	if err != nil {
		return -1
	}
	return len(lines)
}

// kernelRelease is uname -r, or "-" off Linux.
func kernelRelease() string {
	if r := linuxsys.KernelRelease(); r != "" {
		return r
	}
	return "-"
}

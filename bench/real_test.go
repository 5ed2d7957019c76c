package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/internal/linuxsys"
)

// realMapsIn returns the lines of /proc/self/maps inside [lo, hi), as
// "start-end prot" relative to lo.
func realMapsIn(t *testing.T, lo, hi uint64) []string {
	lines, err := linuxsys.ReadMaps()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range lines {
		if m.Start >= lo && m.End <= hi {
			out = append(out, fmt.Sprintf("%x-%x %s", m.Start-lo, m.End-lo, m.Perms[:3]))
		}
	}
	return out
}

// realVMForTest returns the real kernel for a test that runs the mix on
// it, or skips the test: off Linux; on 32-bit, possibly qemu-user and not
// a real kernel (CI runs the 386 tests under qemu-i386, whose RESERVED_VA
// keeps an unmapped guest page reserved on the host, so mremap cannot grow
// into it and fails with ENOMEM, as mmapsim's seed policy models); and
// with fewer than 1000 VMAs left under vm.max_map_count.
func realVMForTest(t *testing.T) vm {
	t.Helper()
	real, room, skip := newRealVM()
	if real == nil {
		t.Skip(skip)
	}
	if strconv.IntSize == 32 {
		t.Skip("32-bit: possibly under qemu-user, not a real kernel")
	}
	if room < 1000 {
		t.Skipf("only %d VMAs left under vm.max_map_count", room)
	}
	return real
}

// hostvmMapsIn is realMapsIn for hostvm.
func hostvmMapsIn(k *hostvm.Kernel, lo, hi uint64) []string {
	var out []string
	for _, m := range k.MappingsIn(hostvm.Range{Start: hostvm.Addr(lo), End: hostvm.Addr(hi)}) {
		out = append(out, fmt.Sprintf("%x-%x %s", uint64(m.Start)-lo, uint64(m.End)-lo, m.Prot))
	}
	return out
}

// TestRealGridMatchesHostvm checks that section 1 compares like with like:
// the grid, and the mix's operations before they are undone, leave the
// same VMAs on the real kernel as on hostvm.
func TestRealGridMatchesHostvm(t *testing.T) {
	real := realVMForTest(t)
	k, err := hostvm.New(hostvm.Config{PageSize: real.page(), AddrBits: 47})
	if err != nil {
		t.Fatal(err)
	}
	kg, err := newGrid(kernelVM{k}, 20)
	if err != nil {
		t.Fatal(err)
	}
	rg, err := newGrid(real, 20)
	if err != nil {
		t.Fatal(err)
	}
	ok := true
	defer func() {
		if ok {
			real.munmap(rg.base, rg.size())
		}
	}()
	same := func(stage string) {
		h := strings.Join(hostvmMapsIn(k, kg.base, kg.base+kg.size()), "\n")
		r := strings.Join(realMapsIn(t, rg.base, rg.base+rg.size()), "\n")
		if h != r {
			t.Errorf("%s: VMAs differ\nhostvm:\n%s\nlinux:\n%s", stage, h, r)
		}
	}
	step := func(stage string, f func(g *grid) error) {
		for _, g := range []*grid{kg, rg} {
			if err := f(g); err != nil {
				ok = false
				t.Fatalf("%s: %v", stage, err)
			}
		}
		same(stage)
	}
	same("built")
	step("MAP_FIXED over 3 VMAs", func(g *grid) error {
		_, err := g.v.mmap(g.at(3, 1), 3*g.pg, protRW, anon|hostvm.MapFixed)
		return err
	})
	step("mprotect merge", func(g *grid) error { return g.v.mprotect(g.at(5, 1), g.pg, protNon) })
	step("munmap", func(g *grid) error { return g.v.munmap(g.at(7, 2), g.pg) })
	step("mremap grow", func(g *grid) error {
		_, err := g.v.mremap(g.at(7, 1), g.pg, 2*g.pg, 0, 0)
		return err
	})
	step("restored", func(g *grid) error {
		if err := g.restore(3); err != nil {
			return err
		}
		if err := g.v.mprotect(g.at(5, 1), g.pg, protR); err != nil {
			return err
		}
		if _, err := g.v.mremap(g.at(7, 1), 2*g.pg, g.pg, 0, 0); err != nil {
			return err
		}
		return g.refill(g.at(7, 2))
	})
}

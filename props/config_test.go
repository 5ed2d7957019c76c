package props

import (
	"math/rand"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
)

// TestConfigDefaults: sim.Config.EnsureDefaults, on random configurations
// drawn around every limit its fields document, accepts exactly those
// within the limits and fills every zero field with its documented
// default; sim.New refuses what it refuses, and a host without a page
// size.
func TestConfigDefaults(t *testing.T) {
	const seed, n = 3, 4000
	t.Logf("seed %d, %d configurations", seed, n)
	rng := rand.New(rand.NewSource(seed))
	pick := func(vs ...uint64) uint64 { return vs[rng.Intn(len(vs))] }
	for i := 0; i < n; i++ {
		real := pick(4096, 16384, 65536)
		c := sim.Config{
			TargetPageSize:   pick(0, 512, 1024, 4096, 8192, 3000, 1<<20, 2<<20),
			HostPageSize:     pick(0, 0, 4096, 65536, 6000, 1<<21),
			ABIBits:          int(pick(0, 32, 64, 16)),
			VirtBits:         int(pick(0, 0, 23, 24, 32, 33, 47, 63, 64)),
			HostBits:         int(pick(0, 0, 32, 64, 48)),
			ReservedVA:       pick(0, 0, 0x10000000, 0x10001000, 1<<32, 1<<32+65536, 1<<40),
			MmapMinAddr:      pick(0, 4096, 65536),
			TaskUnmappedBase: pick(0, 0x40000000),
			BrkStart:         pick(0, 0x8000000),
		}
		in := c
		err := c.EnsureDefaults(real)
		want := wantConfig(in, real)
		if (err == nil) != (want != nil) || err == nil && c != *want {
			t.Fatalf("%+v (real host page %#x): EnsureDefaults gives %+v, %v; want %+v", in, real, c, err, want)
		}
	}
	if _, err := sim.New(nil, sim.Config{}); err == nil {
		t.Errorf("sim.New(nil) succeeded")
	}
	if _, err := sim.New(sim.KernelHost{}, sim.Config{}); err == nil {
		t.Errorf("sim.New(KernelHost{}) succeeded")
	}
	k, err := hostvm.New(hostvm.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.New(sim.KernelHost{Kernel: k}, sim.Config{TargetPageSize: 3000}); err == nil {
		t.Errorf("sim.New accepted a target page of 3000 bytes")
	}
}

// wantConfig is what EnsureDefaults must make of c, as sim.Config's field
// comments document it: nil where c is out of its limits.
func wantConfig(c sim.Config, real uint64) *sim.Config {
	pow2 := func(v uint64) bool { return v != 0 && v&(v-1) == 0 }
	if c.TargetPageSize == 0 {
		c.TargetPageSize = 4096
	}
	if !pow2(c.TargetPageSize) || c.TargetPageSize < 1024 || c.TargetPageSize > 1<<20 {
		return nil
	}
	if c.HostPageSize == 0 {
		c.HostPageSize = real
	}
	if !pow2(c.HostPageSize) {
		return nil
	}
	c.HostPageSize = max(c.HostPageSize, c.TargetPageSize)
	if c.ABIBits == 0 {
		c.ABIBits = 32
	}
	if c.ABIBits != 32 && c.ABIBits != 64 {
		return nil
	}
	if c.VirtBits == 0 {
		c.VirtBits = map[int]int{32: 32, 64: 47}[c.ABIBits]
	}
	if c.VirtBits < 24 || c.VirtBits > c.ABIBits || c.VirtBits > 63 {
		return nil
	}
	if c.HostBits == 0 {
		c.HostBits = 64
	}
	if c.HostBits != 32 && c.HostBits != 64 || c.HostBits < c.ABIBits {
		return nil
	}
	if c.ReservedVA != 0 && (c.ReservedVA%c.HostPageSize != 0 || c.ABIBits == 32 && c.ReservedVA > 1<<32) {
		return nil
	}
	if c.MmapMinAddr == 0 {
		c.MmapMinAddr = 65536
	}
	if c.BrkStart == 0 {
		switch {
		case c.ABIBits == 32:
			c.BrkStart = 0x10000000
		case c.VirtBits >= 47:
			c.BrkStart = 0x555555556000
		default:
			c.BrkStart = (uint64(1) << c.VirtBits) / 3 * 2 &^ (c.TargetPageSize - 1)
		}
	}
	if c.TaskUnmappedBase == 0 {
		c.TaskUnmappedBase = 0x40000000
		if c.HostBits == 64 && c.ABIBits == 64 {
			c.TaskUnmappedBase = 1 << 38
		}
	}
	return &c
}

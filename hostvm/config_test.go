package hostvm

import (
	"strings"
	"testing"
)

// TestConfigDefaults: the zero Config is a 4 KiB-page, 47-bit host with
// Linux's default limits.
func TestConfigDefaults(t *testing.T) {
	var c Config
	if err := c.EnsureDefaults(); err != nil {
		t.Fatal(err)
	}
	want := Config{PageSize: 4096, AddrBits: 47, TaskSize: 1 << 47, MmapMinAddr: 65536, LSMMmapMinAddr: 65536,
		MaxMapCount: 65530, StackLimit: 8 << 20, BrkStart: 0x555555555000}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
	k := newKernel(t, Config{})
	if k.PageSize() != 4096 || k.TaskSize() != 1<<47 || k.MapCount() != 0 || k.BrkStart() != 0x555555555000 {
		t.Errorf("kernel %#v", k)
	}
	if k.Config() != want {
		t.Errorf("Config() = %+v", k.Config())
	}
}

// TestConfigGeometries: every page size from 4 KiB to 1 MiB and every
// address width hostvm models can map its last page and nothing beyond.
func TestConfigGeometries(t *testing.T) {
	for _, bits := range []int{32, 39, 47, 48, 52, 57} {
		for _, ps := range []uint64{4 << 10, 16 << 10, 64 << 10, 1 << 20} {
			k := newKernel(t, Config{PageSize: ps, AddrBits: bits, StackSize: 4 * ps})
			top := k.TaskSize()
			if top != Addr(1)<<bits {
				t.Errorf("%#v: task size %v", k, top)
			}
			if m, ok := k.Lookup(top - 1); !ok || m.Name != "[stack]" || m.Start != top-Addr(4*ps) {
				t.Errorf("%#v: stack %v", k, m)
			}
			if _, err := k.Mmap(top-Addr(ps), ps, rw, pa|MapFixed, -1, 0); err != nil {
				t.Errorf("%#v: mapping the last page: %v", k, err)
			}
			// On a 32-bit host the address 2^32 truncates to 0, below
			// mmap_min_addr.
			want := Errno(ENOMEM)
			if bits == 32 {
				want = EPERM
			}
			if _, err := k.Mmap(top, ps, rw, pa|MapFixed, -1, 0); errno(t, err) != want {
				t.Errorf("%#v: mapping at TASK_SIZE: %v, want %v", k, err, want)
			}
			a, err := k.Mmap(0, 3*ps, rw, pa, -1, 0)
			if err != nil || uint64(a)%ps != 0 || a+Addr(3*ps) > k.MmapBase() {
				t.Errorf("%#v: placement %v, %v", k, a, err)
			}
		}
	}
}

// TestConfigInvalid: EnsureDefaults names the bad field.
func TestConfigInvalid(t *testing.T) {
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{PageSize: 2048}, "page size"},
		{Config{PageSize: 0x3000}, "page size"},
		{Config{PageSize: 2 << 20}, "page size"},
		{Config{AddrBits: 40}, "address width"},
		{Config{AddrBits: 64}, "address width"},
		{Config{AddrBits: 32, TaskSize: 1<<32 + 4096}, "task size"},
		{Config{TaskSize: 1<<40 + 1}, "task size"},
		{Config{AddrBits: 32, MmapMinAddr: 0x80000000}, "mmap_min_addr"},
		{Config{MaxMapCount: -1}, "max_map_count"},
		{Config{Layout: 7}, "layout"},
		{Config{AddrBits: 32, StackSize: 2 << 30}, "stack size"},
		{Config{AddrBits: 32, BrkStart: 0x1000}, "brk start"},
	} {
		cfg := c.cfg
		err := cfg.EnsureDefaults()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error about %s", c.cfg, err, c.want)
		}
		if _, err := New(c.cfg); err == nil {
			t.Errorf("New(%+v) succeeded", c.cfg)
		}
	}
}

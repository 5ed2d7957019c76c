package hostvm

import (
	"encoding/binary"
	"testing"
)

// fuzzKernelConfigs are the hosts the fuzz target drives: every page size
// class and both word widths, the 32-bit one with a 4 GiB user space.
var fuzzKernelConfigs = []Config{
	{PageSize: 4096, AddrBits: 47, MaxMapCount: 64, PKeys: true},
	{PageSize: 16384, AddrBits: 48, MaxMapCount: 64, Layout: BottomUp},
	{PageSize: 65536, AddrBits: 39, MaxMapCount: 64, StackSize: 1 << 20},
	{PageSize: 4096, AddrBits: 32, MaxMapCount: 64},
	{PageSize: 4096, AddrBits: 32, TaskSize: 0xC0000000, MaxMapCount: 64, StackSize: 64 << 10},
}

// callDecoder turns fuzz bytes into system-call arguments. Addresses are
// drawn mostly near a few interesting points (the mmap base, the top of the
// space, the bottom) so calls collide with each other.
type callDecoder struct {
	data    []byte
	k       *Kernel
	orphans []*Kernel // kernels left behind by Clone steps
}

func (d *callDecoder) u64() uint64 {
	if len(d.data) < 8 {
		var b [8]byte
		copy(b[:], d.data)
		d.data = nil
		return binary.LittleEndian.Uint64(b[:])
	}
	v := binary.LittleEndian.Uint64(d.data)
	d.data = d.data[8:]
	return v
}

func (d *callDecoder) byte() byte {
	if len(d.data) == 0 {
		return 0
	}
	b := d.data[0]
	d.data = d.data[1:]
	return b
}

func (d *callDecoder) addr() Addr {
	sel, v := d.byte(), d.u64()
	ps := d.k.g.pageSize
	switch sel % 6 {
	case 0:
		return d.k.mmapBase - Addr((v%64)*ps)
	case 1:
		return d.k.g.taskSize - Addr((v%16)*ps)
	case 2:
		return Addr((v % 64) * ps)
	case 3:
		return d.k.unmappedBase + Addr((v%64)*ps)
	case 4:
		return d.k.mmapBase - Addr((v%64)*ps) + Addr(v>>60)
	}
	return Addr(v)
}

func (d *callDecoder) length() uint64 {
	sel, v := d.byte(), d.u64()
	ps := d.k.g.pageSize
	switch sel % 4 {
	case 0:
		return (v%8 + 1) * ps
	case 1:
		return v % (16 * ps)
	case 2:
		return -(v % (4 * ps))
	}
	return v
}

// step performs one decoded call. It returns false when the input is spent.
func (d *callDecoder) step() bool {
	if len(d.data) == 0 {
		return false
	}
	k := d.k
	op := d.byte()
	if op >= 0xf0 {
		d.stepMore(op - 0xf0)
		return true
	}
	switch op % 12 {
	case 0, 1:
		flags := MapFlags(d.u64()) & (MapType | MapFixed | MapAnonymous | MapGrowsDown | MapNoReserve |
			MapPopulate | MapFixedNoReplace | MapLocked | MapStack)
		k.Mmap(d.addr(), d.length(), Prot(d.byte()), flags, int(d.byte()%6), d.length()&^0xfff)
	case 2:
		k.Munmap(d.addr(), d.length())
	case 3:
		k.Mprotect(d.addr(), d.length(), Prot(d.u64()))
	case 4:
		k.Mremap(d.addr(), d.length(), d.length(), MremapFlags(d.byte()%9), d.addr())
	case 5:
		k.Msync(d.addr(), d.length(), MsyncFlags(d.byte()%9))
	case 6:
		adv := Advice(d.byte() % 32)
		if adv >= 30 {
			adv += 72 // MADV_GUARD_INSTALL, MADV_GUARD_REMOVE
		}
		k.Madvise(d.addr(), d.length(), adv)
	case 7:
		k.Brk(d.addr())
	case 8:
		buf := make([]byte, d.byte())
		k.Read(d.addr(), buf)
	case 9:
		buf := make([]byte, d.byte())
		for i := range buf {
			buf[i] = byte(i)
		}
		k.Write(d.addr(), buf)
	case 10:
		fd := int(d.byte() % 6)
		switch d.byte() % 4 {
		case 0:
			k.Open(string('a'+rune(d.byte()%3)), OpenFlags(d.byte())&(OAccMode|OCreat|OTrunc|OAppend), 0o644)
		case 1:
			k.Close(fd)
		case 2:
			k.Ftruncate(fd, int64(d.length()%(1<<20)))
		case 3:
			k.FilePwrite(fd, []byte("data"), int64(d.length()%(1<<20)))
		}
	case 11:
		k.Pread(int(d.byte()%6), d.addr(), d.length()%(1<<16), int64(d.length()%(1<<20)))
	}
	return true
}

// stepMore performs the calls added after the first corpus was recorded;
// they take opcode bytes 0xf0 and up, so older inputs keep their meaning.
func (d *callDecoder) stepMore(op byte) {
	k := d.k
	switch op % 8 {
	case 0:
		// mmap with the flags the first decoder never set.
		flags := MapFlags(d.u64()) & (MapType | MapFixed | MapAnonymous | MapGrowsDown | MapNoReserve |
			MapPopulate | MapFixedNoReplace | MapLocked | MapStack | Map32Bit | MapHugeTLB |
			MapHugeMask | MapSync | MapNonBlock | 0x400 | MapUninitialized)
		k.Mmap(d.addr(), d.length(), Prot(d.u64()), flags, int(d.byte()%6), d.length()&^0xfff)
	case 1:
		k.Madvise(d.addr(), d.length(), Advice(d.byte()))
	case 2:
		k.Fetch(d.addr(), d.length()%(1<<20))
	case 3:
		k.Pwrite(int(d.byte()%6), d.addr(), d.length()%(1<<16), int64(d.u64()))
	case 4:
		k.Unlink(string('a' + rune(d.byte()%3)))
	case 5:
		buf := make([]byte, d.byte())
		k.FilePread(int(d.byte()%6), buf, int64(d.u64()))
	case 6:
		// Continue on a clone; the original must stay consistent too.
		c := k.Clone()
		if d.byte()%2 == 0 {
			k.Munmap(d.addr(), d.length())
		}
		d.k = c
		d.orphans = append(d.orphans, k)
	case 7:
		k.Mremap(d.addr(), d.length(), d.length(), MremapFlags(d.u64()), d.addr())
	}
}

// FuzzCalls drives random system-call sequences and asserts that nothing
// panics and that the kernel's invariants hold after every call.
func FuzzCalls(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte("\x00\x00\x22\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03"))
	f.Add([]byte("\x0a\x00\x00\x00\x42\x00\x01\x07\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("\x00\xf0\x22\x40\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\xf6\x00\x00"))
	f.Add([]byte("\x01\xf0\x01\x00\x04\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		cfg := fuzzKernelConfigs[int(data[0])%len(fuzzKernelConfigs)]
		k, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		d := &callDecoder{data: data[1:], k: k}
		for i := 0; d.step(); i++ {
			if err := d.k.CheckInvariants(); err != nil {
				t.Fatalf("after call %d: %v", i, err)
			}
		}
		for i, o := range d.orphans {
			if err := o.CheckInvariants(); err != nil {
				t.Fatalf("kernel left by clone %d: %v", i, err)
			}
		}
	})
}

package hostvm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// reserveFlags are the flags MmapReserve stands for.
const reserveFlags = MapFixed | MapPrivate | MapAnonymous | MapNoReserve

// reserveWorld returns a kernel for cfg with a random layout around its
// mmap base: PROT_NONE reservations with guest-like mappings carved out of
// them, holes, a stack (MAP_GROWSDOWN), a file mapping, written pages.
func reserveWorld(t *testing.T, cfg Config, rng *rand.Rand) (*Kernel, Addr) {
	t.Helper()
	k, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ps := Addr(k.PageSize())
	base := k.MmapBase() - 64*ps
	fd := fileWith(t, k, "f", repeat('f', int(4*ps)))
	for i := 0; i < 12; i++ {
		a := base + Addr(rng.IntN(64))*ps
		n := uint64(1+rng.IntN(6)) * uint64(ps)
		var err error
		switch rng.IntN(6) {
		case 0:
			_, err = k.Mmap(a, n, ProtNone, reserveFlags, -1, 0)
		case 1:
			_, err = k.Mmap(a, n, rw, pa|MapFixed, -1, 0)
			if err == nil {
				_, _ = k.Write(a, []byte{byte(i)})
			}
		case 2:
			_, err = k.Mmap(a, n, ProtRead, MapPrivate|MapFixed, fd, 0)
		case 3:
			_, err = k.Mmap(a, n, rw, pa|MapFixed|MapGrowsDown, -1, 0)
		case 4:
			err = k.Munmap(a, n)
		default:
			err = k.Mprotect(a, n, ProtRead)
		}
		_ = err // a call may fail (max_map_count, a hole): the layout is what it is
	}
	return k, base
}

// TestMmapReserveIsMmap: MmapReserve and the Mmap it stands for agree on
// result, errno, the VMAs left (with their flags, pgoff and anon_vma),
// memory contents and invariants, from random layouts, for ranges on and
// off page boundaries, empty, wrapping, past the top and below
// mmap_min_addr.
func TestMmapReserveIsMmap(t *testing.T) {
	seed := uint64(0x72657376)
	t.Logf("seed %#x", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	for ci, cfg := range fuzzKernelConfigs {
		for round := 0; round < 60; round++ {
			k, base := reserveWorld(t, cfg, rng)
			ps := k.PageSize()
			var addr Addr
			var length uint64
			switch rng.IntN(8) {
			case 0:
				addr, length = Addr(rng.Uint64()), rng.Uint64()
			case 1:
				addr, length = k.TaskSize()-Addr(ps), uint64(rng.IntN(3))*ps
			case 2:
				addr, length = Addr(rng.IntN(4))*Addr(ps), ps
			case 3:
				addr, length = base+Addr(rng.IntN(64))*Addr(ps)+Addr(rng.IntN(2)), uint64(rng.IntN(8))*ps+uint64(rng.IntN(2))
			case 4, 5:
				// Exactly over one or more VMAs: the one-pass path.
				ms := k.Maps()
				i := rng.IntN(len(ms))
				j := min(len(ms)-1, i+rng.IntN(3))
				addr, length = ms[i].Start, uint64(ms[j].End-ms[i].Start)
			default:
				addr, length = base+Addr(rng.IntN(64))*Addr(ps), uint64(1+rng.IntN(8))*ps
			}
			viaMmap := k.Clone()
			wantA, wantErr := viaMmap.Mmap(addr, length, ProtNone, reserveFlags, -1, 0)
			gotA, gotErr := k.MmapReserve(addr, length)
			what := fmt.Sprintf("config %d round %d: reserve(%v, %#x)", ci, round, addr, length)
			if gotA != wantA || errno(t, gotErr) != errno(t, wantErr) {
				t.Fatalf("%s = %v, %v; Mmap gives %v, %v", what, gotA, gotErr, wantA, wantErr)
			}
			if got, want := k.Debug(), viaMmap.Debug(); got != want {
				t.Fatalf("%s left\n%s\nMmap leaves\n%s", what, got, want)
			}
			for p := Addr(0); p < 72; p++ {
				a := base + p*Addr(ps)
				gb, gf := peek(k, a)
				wb, wf := peek(viaMmap, a)
				if gb != wb || faultCode(gf) != faultCode(wf) {
					t.Fatalf("%s: at %v reads %d/%s, Mmap's kernel %d/%s", what, a, gb, faultCode(gf), wb, faultCode(wf))
				}
			}
			for _, x := range []*Kernel{k, viaMmap} {
				if err := x.CheckInvariants(); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
		}
	}
}

// TestReplaceTilesIsGeneral: laying a VMA exactly over VMAs (the one-pass
// path of mmapRegion) leaves the same VMAs, gaps, contents and total_vm as
// unmapping the range and inserting the VMA the general way, for random
// layouts and new VMAs of random kinds.
func TestReplaceTilesIsGeneral(t *testing.T) {
	seed := uint64(0x74696c65)
	t.Logf("seed %#x", seed)
	rng := rand.New(rand.NewPCG(seed, 4))
	ran := 0
	for ci, cfg := range fuzzKernelConfigs {
		for round := 0; round < 80; round++ {
			k, _ := reserveWorld(t, cfg, rng)
			ms := k.Maps()
			i := rng.IntN(len(ms))
			j := min(len(ms)-1, i+rng.IntN(3))
			r := Range{ms[i].Start, ms[j].End}
			v := vma{start: r.Start, end: r.End, flags: vmMayRead | vmMayWrite | vmMayExec,
				pgoff: uint64(r.Start) >> k.g.pageShift}
			switch rng.IntN(3) {
			case 0:
				v.flags |= vmNoReserve // a placeholder
			case 1:
				v.prot, v.flags = rw, v.flags|vmAccount
			default:
				v.prot = ProtRead
			}
			var c cursor[vma]
			k.seekVMA(&c, r.Start)
			if !k.tiles(&c, r) {
				continue // a hole or a stack in the range
			}
			ran++
			general := k.Clone()
			var gc cursor[vma]
			general.seekVMA(&gc, r.Start)
			if _, err := general.unmapAt(&gc, r); err != nil {
				t.Fatal(err)
			}
			general.insertAt(&gc, v, true)
			if err := k.mmapRegion(v, false); err != nil {
				t.Fatal(err)
			}
			what := fmt.Sprintf("config %d round %d: %v over %v", ci, round, v.rng(), r)
			if got, want := snapshot(k, r.Start), snapshot(general, r.Start); got != want {
				t.Fatalf("%s: one pass leaves\n%s\nthe general way\n%s", what, got, want)
			}
			for _, x := range []*Kernel{k, general} {
				if err := x.CheckInvariants(); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
		}
	}
	if ran < 100 {
		t.Errorf("only %d rounds laid a VMA over whole VMAs", ran)
	}
}

// BenchmarkReserve times giving a guest page back to a reservation, as
// sim does on a 64 KiB host: a MAP_FIXED rw page carved out of a PROT_NONE
// reservation (untimed), then the placeholder put back over it, through
// MmapReserve and through the Mmap it stands for.
func BenchmarkReserve(b *testing.B) {
	for _, via := range []string{"MmapReserve", "Mmap"} {
		b.Run("via="+via, func(b *testing.B) {
			k, err := New(Config{PageSize: 65536, AddrBits: 47})
			if err != nil {
				b.Fatal(err)
			}
			const ps = 65536
			const pages = 4096
			base := mustMmap(b, k, 0, pages*ps, ProtNone, pa|MapNoReserve, -1, 0)
			const spots = 512
			at := func(i int) Addr { return base + Addr(1+(i%spots)*(pages-2)/spots)*ps }
			carve := func(i int) { mustMmap(b, k, at(i), ps, rw, pa|MapFixed, -1, 0) }
			for i := 0; i < spots; i++ {
				carve(i)
			}
			if k.MapCount() != 2*spots+1 {
				b.Fatalf("%d VMAs, want %d", k.MapCount(), 2*spots+1)
			}
			batched(b, spots, func(i int) {
				var err error
				if via == "MmapReserve" {
					_, err = k.MmapReserve(at(i), ps)
				} else {
					_, err = k.Mmap(at(i), ps, ProtNone, reserveFlags, -1, 0)
				}
				if err != nil {
					b.Fatal(err)
				}
			}, carve)
		})
	}
}

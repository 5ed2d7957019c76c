package hostvm

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"
)

// sparseKernel maps, at freeBase, memory of every kind a read meets:
// anonymous pages written in part (a whole chunk, a few bytes), a private
// file mapping past its file's end with a page written, a shared one, a
// PROT_NONE page, a guard page, a hole, and a MAP_GROWSDOWN stack with
// room below it.
// sparseStack is where sparseKernel's stack starts.
const sparseStack = freeBase + 1000*16384

func sparseKernel(t *testing.T) *Kernel {
	k := newKernel(t, Config{PageSize: 16384, AddrBits: 47, TaskSize: 1<<47 - 16384, MmapMinAddr: 4096})
	const p = 16384
	anon := mustMmap(t, k, freeBase, 8*p, rw, pa|MapFixed, -1, 0)
	poke(t, k, anon+3, 1)
	if n, f := k.Write(anon+2*p+chunkSize, repeat(7, chunkSize)); f != nil || n != chunkSize {
		t.Fatalf("write: %d, %v", n, f)
	}
	poke(t, k, anon+5*p-1, 9)
	poke(t, k, anon+5*p, 10)
	mustOK(t, k.Madvise(anon+6*p, p, MadvGuardInstall), "guard")
	mustOK(t, k.Mprotect(anon+7*p, p, ProtNone), "mprotect")
	data := make([]byte, 3*p+100)
	for i := range data {
		data[i] = byte(i*7 + 1)
	}
	data[p+chunkSize] = 0 // a chunk of the file that starts with zeros
	fd := fileWith(t, k, "/f", data)
	priv := mustMmap(t, k, freeBase+8*p, 6*p, rw, MapPrivate|MapFixed, fd, 0)
	poke(t, k, priv+p+5, 0xee)
	mustMmap(t, k, freeBase+14*p, 2*p, rw, MapShared|MapFixed, fd, 0)
	// Far above, past a hole, a stack that reads grow down.
	mustMmap(t, k, sparseStack, 2*p, rw, pa|MapFixed|MapGrowsDown, -1, 0)
	return k
}

// TestReadSparseAgreesWithRead reads random ranges of sparseKernel with
// Read and with ReadSparse (on clones, since reads grow stacks) and checks
// that they read as many bytes, fault alike, leave the kernels alike, and
// that ReadSparse's blocks are Read's bytes where written and zeros,
// untouched, where not.
func TestReadSparseAgreesWithRead(t *testing.T) {
	const seed = 1
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	k := sparseKernel(t)
	const p = 16384
	for i := 0; i < 2000; i++ {
		addr := freeBase + Addr(rng.Intn(18*p))
		if rng.Intn(4) == 0 {
			addr = sparseStack - Addr(rng.Intn(40*p))
		}
		n := rng.Intn(6 * p)
		if rng.Intn(2) == 0 {
			addr &^= p - 1
			n = (n/p + 1) * p
		}
		block := []uint64{1, 100, chunkSize, p, 3 * p}[rng.Intn(5)]
		a, b := k.Clone(), k.Clone()
		want := make([]byte, n)
		wantN, wantF := a.Read(addr, want)
		got := bytes.Repeat([]byte{0xa5}, n)
		written := make([]bool, (uint64(n)+block-1)/block+1)
		written[len(written)-1] = true // past the blocks: left alone
		gotN, gotF := b.ReadSparse(addr, got, block, written)
		what := func() string {
			return fmt.Sprintf("ReadSparse(%v, %d, block %d)", addr, n, block)
		}
		if gotN != wantN || faultCode(gotF) != faultCode(wantF) || (gotF != nil) != (wantF != nil) || gotF != nil && *gotF != *wantF {
			t.Fatalf("%s = %d, %v; Read: %d, %v", what(), gotN, gotF, wantN, wantF)
		}
		if a.Debug() != b.Debug() {
			t.Fatalf("%s left the kernel\n%s\nRead left it\n%s", what(), b.Debug(), a.Debug())
		}
		if !written[len(written)-1] {
			t.Fatalf("%s wrote past its blocks' flags", what())
		}
		for j := 0; j < gotN; j++ {
			blk := uint64(j) / block
			switch {
			case written[blk] && got[j] != want[j]:
				t.Fatalf("%s: byte %d is %#x, Read's %#x", what(), j, got[j], want[j])
			case !written[blk] && (want[j] != 0 || got[j] != 0xa5):
				t.Fatalf("%s: byte %d of an unwritten block: %#x, Read's %#x", what(), j, got[j], want[j])
			}
		}
		for blk := (uint64(gotN) + block - 1) / block; blk < uint64(len(written)-1); blk++ {
			if written[blk] {
				t.Fatalf("%s: block %d past the bytes read is written", what(), blk)
			}
		}
	}
}

// TestSweepSparseStepsOverEOF sweeps random page-aligned ranges of
// sparseKernel with SweepSparse and checks it against Read page by page:
// a page Read faults in with SIGBUS is stepped over (pastEOF, buf left
// alone), any other fault stops the sweep where Read stops, and every
// other page reads as ReadSparse reads it.
func TestSweepSparseStepsOverEOF(t *testing.T) {
	const seed = 2
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	k := sparseKernel(t)
	const p = 16384
	for i := 0; i < 1000; i++ {
		addr := freeBase + Addr(rng.Intn(18))*p
		pages := 1 + rng.Intn(8)
		block := []uint64{chunkSize, p / 2, p}[rng.Intn(3)]
		a, b := k.Clone(), k.Clone()
		what := fmt.Sprintf("SweepSparse(%v, %d pages, block %d)", addr, pages, block)

		// What Read says, page by page.
		want := make([]byte, pages*p)
		wantEOF := make([]bool, pages)
		wantN, wantCode := 0, faultCode(nil)
		for pg := 0; pg < pages; pg++ {
			n, f := a.Read(addr+Addr(pg*p), want[pg*p:(pg+1)*p])
			if f != nil && f.Signal == SIGBUS && n == 0 {
				wantEOF[pg] = true
				wantN += p
				continue
			}
			wantN += n
			if f != nil {
				wantCode = faultCode(f)
				break
			}
		}

		got := bytes.Repeat([]byte{0xa5}, pages*p)
		nb := uint64(pages*p) / block
		written, pastEOF := make([]bool, nb), make([]bool, nb)
		gotN, gotF := b.SweepSparse(addr, got, block, written, pastEOF)
		if gotN != wantN || faultCode(gotF) != wantCode {
			t.Fatalf("%s = %d, %v; Read page by page: %d, %q", what, gotN, gotF, wantN, wantCode)
		}
		if gotF != nil && gotF.Signal == SIGBUS {
			t.Fatalf("%s stopped at SIGBUS", what)
		}
		if a.Debug() != b.Debug() {
			t.Fatalf("%s left the kernel\n%s\nRead left it\n%s", what, b.Debug(), a.Debug())
		}
		for blk := uint64(0); blk < nb; blk++ {
			pg := blk * block / p
			lo, hi := blk*block, (blk+1)*block
			inRead := hi <= uint64(gotN)
			if pastEOF[blk] != (inRead && wantEOF[pg]) {
				t.Fatalf("%s: block %d pastEOF %v, Read's page %d SIGBUS %v (read %v)", what, blk, pastEOF[blk], pg, wantEOF[pg], inRead)
			}
			for j := lo; j < hi; j++ {
				switch {
				case !inRead || pastEOF[blk]:
					if got[j] != 0xa5 || written[blk] {
						t.Fatalf("%s: block %d, not read, was written to", what, blk)
					}
				case written[blk] && got[j] != want[j]:
					t.Fatalf("%s: byte %d is %#x, Read's %#x", what, j, got[j], want[j])
				case !written[blk] && (want[j] != 0 || got[j] != 0xa5):
					t.Fatalf("%s: byte %d of an unwritten block: %#x, Read's %#x", what, j, got[j], want[j])
				}
			}
		}
	}
}

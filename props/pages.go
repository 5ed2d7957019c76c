package props

import (
	"bytes"
	"sync"

	"github.com/mmapsim/mmapsim/hostvm"
)

// Page comparisons over runs of pages. Most of what the sweeps compare was
// never written on either system (fresh anonymous memory), so they read a
// run of pages at once and learn which pages hold data (the guest
// kernel's hostvm.Kernel.ReadSparse, QEMU's sim.Sim.LoadSparse): a page
// neither system wrote is equal without a byte copied or compared; one
// that one system wrote is compared with zeros. Every page is still
// compared, in order, with the outcome comparePage would give it.

// sparseLoader is a guest whose loads can leave out memory never written
// (sim.Sim.LoadSparse); ok is false where this one cannot.
type sparseLoader interface {
	LoadSparse(addr uint64, buf []byte, block uint64, written []bool) (n int, f *hostvm.Fault, ok bool)
}

// runBytes is the most a ranged comparison reads at once on each system.
const runBytes = 64 << 10

// runBuffers are what a ranged comparison reads into: a run of pages on
// each system and which of its pages hold data.
type runBuffers struct {
	kernel, qemu               []byte
	kernelWritten, qemuWritten []bool
	kernelPastEOF              []bool // the guest kernel's pages past a file's end, stepped over
}

// runBufferPool holds runBuffers between comparisons: a run's buffers
// would cost more to allocate, and clear, than its comparisons of
// unwritten pages do. A buffer's old contents are never read: a page is
// read from a buffer only where the read just wrote it.
var runBufferPool = sync.Pool{New: func() any { return new(runBuffers) }}

// takeBuffers takes run buffers from the pool, holding at least n bytes
// and pages flags on each side; the caller gives them back
// (runBufferPool.Put) once it has done with what they hold.
func takeBuffers(n, pages int) *runBuffers {
	b := runBufferPool.Get().(*runBuffers)
	b.fit(n, pages)
	return b
}

// fit makes b hold n bytes and pages flags on each side.
func (b *runBuffers) fit(n, pages int) {
	if len(b.kernel) < n {
		b.kernel, b.qemu = make([]byte, n), make([]byte, n)
	}
	if len(b.kernelWritten) < pages {
		b.kernelWritten, b.qemuWritten = make([]bool, pages), make([]bool, pages)
		b.kernelPastEOF = make([]bool, pages)
	}
}

// comparePages compares the guest pages from lo up to hi with the outcome
// comparePage gives each, in order: runs of pages whose contents are not
// already known to differ are read at once on both systems where QEMU's
// guest can read sparsely. It returns false once the run has failed.
//
// Preconditions: lo < hi; the guest kernel maps [lo, hi) readable.
func (s *System) comparePages(lo, hi uint64) bool {
	t := s.targetPage
	loader, ok := s.sim.(sparseLoader)
	if !ok || s.catalogue != nil {
		return s.comparePagesOneByOne(lo, hi)
	}
	maxRun := max(1, runBytes/t)
	b := takeBuffers(int(maxRun*t), int(maxRun))
	defer runBufferPool.Put(b)
	for p := lo; p < hi; {
		if s.unknownPage(p) {
			p += t
			continue
		}
		// Pages a comparison finds different taint only themselves
		// (pageRules), so the run's pages are known up front: up to the
		// next unknown page, or the end.
		n := min(maxRun, s.nextUnknown(p/t, (hi+t-1)/t)-p/t)
		next, ok := s.compareRun(loader, b, p, n)
		if !ok {
			return false
		}
		p = next
	}
	return true
}

// compareRun compares the n guest pages from p as comparePage would, page
// after page: the guest kernel's sweep first, which steps over pages past
// a file's end (loads compare those, sweeps do not) and stops where any
// other fault stops it; then QEMU's loads over each stretch of pages the
// guest kernel read, a page that faults under QEMU handled by pageDiffers
// and the load resumed after it. It returns where the comparison resumes:
// past the run, or past the page the guest kernel's sweep stopped in.
//
// Preconditions: none of the n pages is an unknownPage; b fits n pages.
func (s *System) compareRun(loader sparseLoader, b *runBuffers, p, n uint64) (next uint64, ok bool) {
	t := s.targetPage
	kernelN, kernelFault := s.ref.SweepSparse(hostvm.Addr(p), b.kernel[:n*t], t, b.kernelWritten, b.kernelPastEOF)
	good := uint64(kernelN) / t
	next = p + n*t
	if kernelFault != nil {
		next = p + (good+1)*t
	}
	for lo := uint64(0); lo < good; {
		if b.kernelPastEOF[lo] {
			lo++
			continue
		}
		hi := lo + 1
		for hi < good && !b.kernelPastEOF[hi] {
			hi++
		}
		if !s.compareStretch(loader, b, p, lo, hi) {
			return next, false
		}
		lo = hi
	}
	return next, true
}

// compareStretch compares pages lo up to hi of the run at p, which the
// guest kernel's sweep read into b, with QEMU's loads of them.
//
// Preconditions: compareRun's; the sweep read pages [lo, hi) of the run.
func (s *System) compareStretch(loader sparseLoader, b *runBuffers, p, lo, hi uint64) bool {
	t := s.targetPage
	for q := lo; q < hi; {
		qemuN, qemuFault, sparse := loader.LoadSparse(p+q*t, b.qemu[:(hi-q)*t], t, b.qemuWritten)
		if !sparse {
			return s.comparePagesOneByOne(p+q*t, p+hi*t)
		}
		full := uint64(qemuN) / t
		for i := uint64(0); i < full; i++ {
			kernelPage, qemuPage := b.kernel[(q+i)*t:(q+i+1)*t], b.qemu[i*t:(i+1)*t]
			kw, qw := b.kernelWritten[q+i], b.qemuWritten[i]
			if samePage(kernelPage, kw, qemuPage, qw) {
				continue
			}
			materialize(kernelPage, kw)
			materialize(qemuPage, qw)
			if !s.pageDiffers(p+(q+i)*t, nil, qemuPage, kernelPage) {
				return false
			}
		}
		if qemuFault == nil {
			break
		}
		kernelPage := b.kernel[(q+full)*t : (q+full+1)*t]
		materialize(kernelPage, b.kernelWritten[q+full])
		qemuPage := b.qemu[full*t : (full+1)*t]
		materialize(qemuPage, false)
		if !s.pageDiffers(p+(q+full)*t, qemuFault, qemuPage, kernelPage) {
			return false
		}
		q += full + 1
	}
	return true
}

// comparePagesOneByOne is comparePage on each page from lo up to hi.
func (s *System) comparePagesOneByOne(lo, hi uint64) bool {
	t := int(s.targetPage)
	b := takeBuffers(t, 1)
	defer runBufferPool.Put(b)
	qemuBuf, kernelBuf := b.qemu[:t:t], b.kernel[:t:t]
	for p := lo; p < hi; p += s.targetPage {
		if !s.comparePage(p, qemuBuf, kernelBuf) {
			return false
		}
	}
	return true
}

// samePage reports whether two pages a sparse read gave are equal: a page
// not written (aWritten, bWritten false) reads as zeros.
func samePage(a []byte, aWritten bool, b []byte, bWritten bool) bool {
	switch {
	case aWritten && bWritten:
		return bytes.Equal(a, b)
	case aWritten:
		return allZero(a)
	case bWritten:
		return allZero(b)
	}
	return true
}

// materialize clears page, a page of a sparse read, where it was not
// written (its bytes read as zeros but were left out).
func materialize(page []byte, written bool) {
	if !written {
		clear(page)
	}
}

// zeros is a run of zeros to compare pages with.
var zeros [16 << 10]byte

// allZero reports whether b holds only zeros.
func allZero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), len(zeros))
		if !bytes.Equal(b[:n], zeros[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}

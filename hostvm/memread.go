package hostvm

// Ranged reads: a read finds the VMA once per VMA it crosses, not once per
// page (no page of a VMA can fault into another: a read changes no VMA),
// and ReadSparse, for callers that compare memory, leaves out what memory
// never written would copy (zeros).

// ReadSparse reads memory at addr into buf as Read does: the same bytes,
// the same count and fault, the same stack growth. It is for a caller that
// compares memory, most of which was never written: buf is cut into blocks
// of block bytes (the last may be shorter), and written[i] reports whether
// block i held any byte of memory that was written (a page or chunk with
// data). Where it did, the block's bytes read are in buf; where it did
// not, they read as zeros and buf's block is left as it was, not cleared.
// Blocks past the bytes read report false.
//
// Preconditions: block > 0; len(written) >= (len(buf)+block-1)/block.
func (k *Kernel) ReadSparse(addr Addr, buf []byte, block uint64, written []bool) (int, *Fault) {
	return k.readSparse(addr, &readSink{buf: buf, block: int(block), written: written})
}

// SweepSparse is ReadSparse for a caller that sweeps memory and does not
// compare the pages past a file's end: where Read would stop with SIGBUS
// (a file page past end-of-file), it steps over the page instead, reports
// its blocks in pastEOF, and reads on. It stops, as Read does, at any
// other fault. Blocks of a page stepped over report written false and
// pastEOF true, and buf's bytes there are left as they were; every other
// block reports pastEOF false. The count it returns includes the pages
// stepped over.
//
// Preconditions: as ReadSparse's; addr and block are multiples of the
// page size, or block divides it and addr is a multiple of block;
// len(pastEOF) >= len(written) needs.
func (k *Kernel) SweepSparse(addr Addr, buf []byte, block uint64, written, pastEOF []bool) (int, *Fault) {
	return k.readSparse(addr, &readSink{buf: buf, block: int(block), written: written, pastEOF: pastEOF})
}

// readSparse is ReadSparse and SweepSparse: it clears the sink's block
// flags, then reads into it.
func (k *Kernel) readSparse(addr Addr, sink *readSink) (int, *Fault) {
	nb := (uint64(len(sink.buf)) + uint64(sink.block) - 1) / uint64(sink.block)
	clear(sink.written[:nb])
	if sink.pastEOF != nil {
		clear(sink.pastEOF[:nb])
	}
	if !k.mutable() {
		return 0, &Fault{Signal: SIGSEGV, Code: SegvMapErr, Addr: addr, Access: AccessRead}
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("read")
	}
	return k.readRange(addr, sink)
}

// readRange reads memory at addr into sink.buf, as a user-mode load would:
// a fault lookup for the first page of each VMA it reaches (faultIn), then
// each page of that VMA (resolveIn). It returns how many bytes it read and,
// if it stopped early, the fault the next byte raises. Compare Linux's
// copy_from_user(), which faults page by page: every page of a VMA passes
// the lookup and the access check the first one did.
func (k *Kernel) readRange(addr Addr, sink *readSink) (int, *Fault) {
	done := 0
	for done < len(sink.buf) {
		a, ok := AddLen(addr, uint64(done))
		if !ok {
			return done, &Fault{Signal: SIGSEGV, Code: SegvMapErr, Addr: a, Access: AccessRead}
		}
		v, f := k.faultIn(a, AccessRead)
		if f != nil {
			return done, f
		}
		for done < len(sink.buf) && a < v.end {
			off := uint64(a) % k.g.pageSize
			n := int(min(uint64(len(sink.buf)-done), k.g.pageSize-off))
			p, past := k.readablePage(v, a, AccessRead)
			switch {
			case past == pastEOF && sink.pastEOF != nil:
				sink.putPastEOF(done, n)
			case past != pastNone:
				return done, past.fault(a, AccessRead)
			default:
				sink.putPage(p, off, done, n)
			}
			done += n
			a += Addr(n)
		}
	}
	return done, nil
}

// readSink is where a read puts the bytes it reads: buf, and for a sparse
// read (written not nil) which blocks of block bytes held written memory
// (ReadSparse), and for a sweep, the pages past end-of-file it stepped
// over (SweepSparse).
type readSink struct {
	buf     []byte
	block   int
	written []bool
	pastEOF []bool // SweepSparse's: the blocks of pages past end-of-file it stepped over
}

// putPastEOF records n bytes at position pos of a sweep as a page past
// end-of-file, stepped over.
func (s *readSink) putPastEOF(pos, n int) {
	for b := pos / s.block; b <= (pos+n-1)/s.block; b++ {
		s.pastEOF[b] = true
	}
}

// putPage puts the n bytes at offset off of page p (nil: never written) at
// position pos of the read.
func (s *readSink) putPage(p *page, off uint64, pos, n int) {
	if s.written == nil {
		readPage(p, off, s.buf[pos:pos+n])
		return
	}
	for n > 0 {
		ci, co := off/chunkSize, off%chunkSize
		m := int(min(uint64(n), chunkSize-co))
		if p != nil && p.chunks[ci] != nil {
			s.putData(pos, p.chunks[ci].data[co:co+uint64(m)])
		} else {
			s.putZeros(pos, m)
		}
		pos, off, n = pos+m, off+uint64(m), n-m
	}
}

// putData puts data, bytes of written memory, at position pos of a sparse
// read: each block it reaches is written from now on, and the part of the
// block before it, skipped while the block had no data, is cleared.
func (s *readSink) putData(pos int, data []byte) {
	for len(data) > 0 {
		b := pos / s.block
		m := min(len(data), (b+1)*s.block-pos)
		if !s.written[b] {
			clear(s.buf[b*s.block : pos])
			s.written[b] = true
		}
		copy(s.buf[pos:pos+m], data[:m])
		pos, data = pos+m, data[m:]
	}
}

// putZeros puts n zeros at position pos of a sparse read: cleared in the
// blocks already written, left out of the others.
func (s *readSink) putZeros(pos, n int) {
	for n > 0 {
		b := pos / s.block
		m := min(n, (b+1)*s.block-pos)
		if s.written[b] {
			clear(s.buf[pos : pos+m])
		}
		pos, n = pos+m, n-m
	}
}

package props

import (
	"bytes"
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/sim"
)

// dispatch runs op on both systems and compares the call's outcomes: the
// result, the errno, the bytes and faults of an access. What the call left
// behind (the views, the pages' contents) Exec compares afterwards.
func (s *System) dispatch(op Op) {
	switch op.Kind {
	case OpMmap:
		s.runMmap(op)
	case OpMunmap:
		s.runCall(op, "munmap", func(addr, length uint64) (error, error) {
			return s.sim.Munmap(addr, length), s.ref.Munmap(hostvm.Addr(addr), length)
		}, "")
	case OpMprotect:
		prot := opProt(op)
		s.runCall(op, "mprotect", func(addr, length uint64) (error, error) {
			return s.sim.Mprotect(addr, length, int(prot)), s.ref.Mprotect(hostvm.Addr(addr), length, prot)
		}, ", "+protText(prot))
	case OpMsync:
		flags := msyncFlags[int(op.Advice)%len(msyncFlags)]
		s.runCall(op, "msync", func(addr, length uint64) (error, error) {
			return s.sim.Msync(addr, length, int(flags)), s.ref.Msync(hostvm.Addr(addr), length, flags)
		}, ", "+flags.String())
	case OpMadvise:
		advice := advices[int(op.Advice)%len(advices)]
		s.runCall(op, "madvise", func(addr, length uint64) (error, error) {
			return s.sim.Madvise(addr, length, advice), s.ref.Madvise(hostvm.Addr(addr), length, advice)
		}, ", "+advice.String())
	case OpMremap:
		s.runMremap(op)
	case OpLoad:
		s.runLoad(op)
	case OpStore:
		s.runStore(op)
	case OpFileWrite:
		s.runFileWrite(op)
	case OpFtruncate:
		s.runFtruncate(op)
	case OpBrk:
		s.runBrk(op)
	}
}

// runCall runs a call whose result is 0 or an errno on both sides (munmap,
// mprotect, msync, madvise): do makes it on QEMU and on the guest kernel,
// rest is its arguments after the range, as scenario text.
func (s *System) runCall(op Op, name string, do func(addr, length uint64) (error, error), rest string) {
	addr, at := s.resolve(op.At)
	length := s.opLen(op)
	qemuErr, kernelErr := do(addr, length)
	s.qemuErr = qemuErr
	shownErr := kernelErr
	s.emitFunc(func() string {
		return fmt.Sprintf("%s(%v, %v%s) = %v", name, at, hexArg(length), rest, expectArg{err: shownErr})
	})
	if s.abortCheck(qemuErr) {
		return
	}
	if allow(s, callRules, &callOutcome{name: name, addr: addr, length: length, qemuErr: qemuErr, kernelErr: kernelErr}) {
		return
	}
	if qemuErr != kernelErr {
		s.fail("%s: QEMU says %s, the guest kernel %s", name, errString(qemuErr), errString(kernelErr))
		return
	}
	if name == "madvise" && (qemuErr == nil || qemuErr == hostvm.ENOMEM) {
		// DONTNEED of private file pages restores file data; QEMU keeps
		// a copy where it emulated them.
		s.taintSnapshots(addr, addr+length)
	}
}

// runMmap runs an mmap. A non-fixed mapping's placement may differ: the
// guest kernel maps it where QEMU did, with MAP_FIXED_NOREPLACE.
func (s *System) runMmap(op Op) {
	line := s.mmapArgs(op)
	addr, length, prot, flags, fd, off := line.addr, line.length, line.prot, line.flags, line.fd, line.offset
	o := &mmapOutcome{op: op, flags: flags, addr: addr, length: length, offset: off,
		nonFixed: flags&(hostvm.MapFixed|hostvm.MapFixedNoReplace) == 0, before: s.ref.Clone()}
	s.outcome = o
	got, qemuErr := s.sim.Mmap(addr, length, int(prot), flags, fd, off)
	o.qemuAddr, o.qemuErr, s.qemuErr = got, qemuErr, qemuErr
	if _, aborted := qemuErr.(*sim.Abort); aborted {
		// The guest kernel's outcome is the expectation, so the scenario
		// fails where QEMU aborted.
		want, kernelErr := s.ref.Mmap(hostvm.Addr(addr), length, prot, flags, fd, off)
		s.emitMmap(line, uint64(want), kernelErr, false)
		s.abortCheck(qemuErr)
		return
	}
	var want hostvm.Addr
	var kernelErr error
	if qemuErr == nil && o.nonFixed {
		// Placement may legitimately differ: the guest kernel maps where
		// QEMU did, which must have been free.
		want, kernelErr = s.placeAt(got, length, prot, flags, fd, off)
		placed := &placementOutcome{op: op, mmap: o, addr: got, length: length, kernelErr: kernelErr,
			belowMin: got < s.cfg.MmapMinAddr || got == 0}
		if kernelErr != nil || placed.belowMin {
			what := fmt.Sprintf("below mmap_min_addr %#x", s.cfg.MmapMinAddr)
			if kernelErr != nil {
				what = "a range that is not free"
				if kernelErr != hostvm.EEXIST {
					what = "an address the guest kernel refuses (" + errString(kernelErr) + ")"
				}
				s.emitMmap(line, 0, kernelErr, true)
			} else {
				s.emitMmap(line, uint64(want), nil, true)
				s.reexpect(anySuccess, fmt.Sprintf("? (>= %#x)", s.cfg.MmapMinAddr))
			}
			if !allow(s, []rule[*placementOutcome](nil), placed) {
				s.fail("non-fixed mmap: QEMU placed it at %#x, %s", got, what)
			}
			return
		}
	} else {
		want, kernelErr = s.ref.Mmap(hostvm.Addr(addr), length, prot, flags, fd, off)
	}
	o.qemuAddr, o.qemuErr, o.kernelAddr, o.kernelErr = got, qemuErr, uint64(want), kernelErr
	o.shown, o.written = s.emitMmap(line, uint64(want), kernelErr, qemuErr == nil), true
	if allow(s, mmapRules, o) {
		return
	}
	if qemuErr == hostvm.ENOMEM && kernelErr == nil && o.nonFixed {
		s.concrete(uint64(want), kernelErr)
		s.fail("non-fixed mmap: QEMU found no room, the guest kernel mapped it at %#x", uint64(want))
		return
	}
	if s.sameResult("mmap", o.qemuAddr, qemuErr, o.kernelAddr, kernelErr) {
		s.handles = append(s.handles, got)
		s.handleLens = append(s.handleLens, (length+s.targetPage-1)&^(s.targetPage-1))
		mappedFD := fd
		if flags&hostvm.MapAnonymous != 0 {
			mappedFD = -1
		}
		s.mapped(got, length, mappedFD, off)
	}
}

// placeAt makes a non-fixed mmap on the guest kernel at addr, where QEMU
// placed it: with MAP_FIXED_NOREPLACE, or, for MAP_SHARED_VALIDATE, which
// refuses that flag (EOPNOTSUPP), with MAP_FIXED once the range is seen
// free (EEXIST when it is not).
func (s *System) placeAt(addr, length uint64, prot hostvm.Prot, flags hostvm.MapFlags, fd int, off uint64) (hostvm.Addr, error) {
	if flags&hostvm.MapType != hostvm.MapSharedValidate {
		return s.ref.Mmap(hostvm.Addr(addr), length, prot, flags|hostvm.MapFixedNoReplace, fd, off)
	}
	if end := addr + (length+s.targetPage-1)&^(s.targetPage-1); end > addr &&
		len(s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(addr), End: hostvm.Addr(end)})) > 0 {
		return 0, hostvm.EEXIST
	}
	return s.ref.Mmap(hostvm.Addr(addr), length, prot, flags|hostvm.MapFixed, fd, off)
}

// mmapArgs derives an mmap's arguments from op, with their scenario
// spellings.
func (s *System) mmapArgs(op Op) mmapLine {
	addr, at := s.resolve(op.At)
	flags := hostvm.MapPrivate
	if op.Shared {
		flags = hostvm.MapShared
	}
	if op.MapType != 0 {
		flags = mapTypes[op.MapType]
	}
	flags |= mapExtras[op.MapExtra]
	fd := -1
	var off uint64
	if op.File < 0 {
		flags |= hostvm.MapAnonymous
	} else {
		fd = 3 + int(op.File)
		off = uint64(op.FilePage) * s.targetPage
	}
	if op.Off.From != sizeNone {
		off = s.size(op.Off, op.At, op.File)
	}
	if op.Fd != 0 {
		fd = fdChoices[op.Fd]
	}
	switch op.Place {
	case PlaceAny:
		addr, at = 0, wordText("NULL")
	case PlaceFixed:
		flags |= hostvm.MapFixed
	case PlaceNoReplace:
		flags |= hostvm.MapFixedNoReplace
	}
	return mmapLine{addr: addr, at: at, length: s.opLen(op), op: op, prot: opProt(op), flags: flags, fd: fd, offset: off}
}

// opProt is op's protection: its three bits, an unknown one, and the
// extra bits it names.
func opProt(op Op) hostvm.Prot { return hostvm.Prot(op.Prot) | hostvm.Prot(op.ProtBits) }

// remapArgs derives an mremap's arguments from op: the old range, the new
// length, the flags and the destination (0 unless MREMAP_FIXED or
// MREMAP_DONTUNMAP name one), with their spellings.
func (s *System) remapArgs(op Op) (addr uint64, at addrText, oldLen, newLen uint64, flags hostvm.MremapFlags, to uint64, toText addrText) {
	addr, at = s.resolve(op.At)
	oldLen, newLen = s.opLen(op), s.opNewLen(op)
	flags = remapFlags[int(op.Remap)%len(remapFlags)]
	toText = wordText("0")
	if flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) != 0 || op.Advice%4 == 1 {
		// Without MREMAP_FIXED (or MREMAP_DONTUNMAP) Linux ignores
		// new_address, and QEMU must too: a quarter of such calls pass
		// one anyway, chosen by a field mremap does not use, so the
		// random stream stays as it was.
		to, toText = s.resolve(op.To)
	}
	if flags&hostvm.MremapDontUnmap != 0 && op.NewLen.From == sizeNone {
		newLen = oldLen // else EINVAL
	}
	return
}

// runBrk moves the program break on both systems and compares the breaks
// they return.
func (s *System) runBrk(op Op) {
	addr, at := s.resolve(op.At)
	old := s.brk
	got, qemuErr := s.sim.Brk(addr)
	if s.abortCheck(qemuErr) {
		s.emitf("brk(%v) = ?", at)
		return
	}
	before := s.ref.Clone()
	want := uint64(s.ref.Brk(hostvm.Addr(addr)))
	s.emitf("brk(%v) = %v", at, expectArg{v: want})
	if got != want && !allow(s, brkRules, &brkOutcome{old: old, qemuBrk: got, kernelBrk: want, before: before, shown: expectText(want, nil)}) {
		s.fail("brk: QEMU says %#x, the guest kernel %#x", got, want)
		return
	}
	s.brk = got
	if lo, hi := min(old, got), max(old, got); hi > lo {
		s.mapped(lo, hi-lo, -1, 0) // fresh heap pages, or none
	}
}

// runMremap runs an mremap. A move QEMU may place (MREMAP_MAYMOVE without
// MREMAP_FIXED) the guest kernel redoes at QEMU's address.
func (s *System) runMremap(op Op) {
	addr, at, oldLen, newLen, flags, to, toText := s.remapArgs(op)
	ruleTo := to // the destination the rules know of: none without one
	if flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) == 0 {
		ruleTo = 0
	}
	o := &mremapOutcome{addr: addr, oldLen: oldLen, newLen: newLen, flags: flags, to: ruleTo, before: s.ref.Clone(),
		oldPieces: s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(addr), End: hostvm.Addr(addr + min(oldLen, newLen))}),
		sharedOld: s.sharedOrFile(addr, oldLen),
		oneRun:    s.oneRun(addr, min(oldLen, newLen)), // before the move changes the flags
	}
	s.outcome = o
	placed := flags&hostvm.MremapMayMove != 0 && flags&hostvm.MremapFixed == 0 // QEMU chooses where
	got, qemuErr := s.sim.Mremap(addr, oldLen, newLen, flags, to)
	o.qemuAddr, o.qemuErr, s.qemuErr = got, qemuErr, qemuErr
	line := func(want uint64, kernelErr error) {
		prefix := ""
		if qemuErr == nil && kernelErr == nil {
			prefix = handleName(len(s.handles)) + " = "
		}
		exp := expectText(want, kernelErr)
		if kernelErr == nil && placed {
			exp = anySuccess
		}
		o.shown = exp
		at, oldLen, newLen, flags, toText := at, oldLen, newLen, flags, toText // as they are now
		s.emitFunc(func() string {
			return fmt.Sprintf("%smremap(%v, %v, %v, %v, %v) = %s", prefix, at, hexArg(oldLen), hexArg(newLen), flags, toText, exp)
		})
	}
	if s.abortCheck(qemuErr) {
		line(0, nil)
		return
	}
	want, kernelErr := s.ref.Mremap(hostvm.Addr(addr), oldLen, newLen, flags, hostvm.Addr(to))
	if qemuErr == nil && kernelErr == nil && uint64(want) != got && placed {
		// The guest kernel moved it elsewhere (or kept it): redo it at
		// QEMU's address, which must be free.
		s.ref = o.before
		if got != addr && len(s.ref.MappingsIn(hostvm.Range{Start: hostvm.Addr(got), End: hostvm.Addr(got + newLen)})) > 0 {
			line(0, nil)
			s.fail("mremap: QEMU moved the mapping to %#x, which is in use", got)
			return
		}
		if got == addr {
			line(uint64(want), kernelErr)
			s.fail("mremap: QEMU kept the mapping at %#x, the guest kernel moved it to %#x", got, uint64(want))
			return
		}
		want, kernelErr = s.ref.Mremap(hostvm.Addr(addr), oldLen, newLen, flags|hostvm.MremapFixed, hostvm.Addr(got))
	}
	line(uint64(want), kernelErr)
	o.qemuAddr, o.qemuErr, o.kernelAddr, o.kernelErr = got, qemuErr, uint64(want), kernelErr
	if allow(s, mremapRules, o) {
		return
	}
	if s.sameResult("mremap", o.qemuAddr, qemuErr, o.kernelAddr, kernelErr) {
		s.handles = append(s.handles, got)
		s.handleLens = append(s.handleLens, newLen)
		s.moved(o.oldPieces, addr, got, min(oldLen, newLen), flags&hostvm.MremapDontUnmap != 0)
	}
}

// sameResult compares the outcomes of a call that returns an address,
// where no rule allowed a difference: it fails the run where they differ,
// and reports whether both succeeded (at the same address).
//
// Preconditions: the call's line is the last of the run's text.
func (s *System) sameResult(call string, qemuAddr uint64, qemuErr error, kernelAddr uint64, kernelErr error) bool {
	switch {
	case (qemuErr == nil) != (kernelErr == nil) || qemuErr != nil && qemuErr != kernelErr:
		s.concrete(kernelAddr, kernelErr)
		s.fail("%s: QEMU says %s, the guest kernel %s", call, errString(qemuErr), errString(kernelErr))
		return false
	case qemuErr == nil && qemuAddr != kernelAddr:
		s.fail("%s: QEMU returned %#x, the guest kernel %#x", call, qemuAddr, kernelAddr)
		return false
	}
	return qemuErr == nil
}

// runLoad reads on both systems and compares.
func (s *System) runLoad(op Op) {
	addr, at := s.resolve(op.At)
	n := int(op.N)
	s.checkAccessOK(addr, uint64(n), false)
	b := takeBuffers(n, 0)
	defer runBufferPool.Put(b)
	qemuBuf, kernelBuf := b.qemu[:n:n], b.kernel[:n:n]
	clear(qemuBuf)
	clear(kernelBuf)
	qemuN, qemuFault := s.sim.Load(addr, qemuBuf)
	kernelN, kernelFault := s.refAccess(addr, kernelBuf, s.ref.Read)
	if kernelFault != nil {
		s.emitf("peek(%v, %d) = %s", at, n, faultText(kernelFault))
	} else {
		s.emitQuoted(kernelBuf, "peek(%v, %d) = ", at, n)
	}
	s.compareAccess(&accessOutcome{kind: "load", addr: addr,
		qemuN: qemuN, qemuFault: qemuFault, kernelN: kernelN, kernelFault: kernelFault}, qemuBuf, kernelBuf)
}

// runStore writes on both systems and compares.
func (s *System) runStore(op Op) {
	addr, at := s.resolve(op.At)
	n := int(op.N)
	s.checkAccessOK(addr, uint64(n), true)
	b := takeBuffers(n, 0)
	defer runBufferPool.Put(b)
	data := b.qemu[:n:n]
	for i := range data {
		data[i] = op.Byte
	}
	qemuN, qemuFault := s.sim.Store(addr, data)
	kernelN, kernelFault := s.refAccess(addr, data, s.ref.Write)
	fill, fault := op.Byte, kernelFault
	s.emitFunc(func() string {
		exp := ""
		if fault != nil {
			exp = " = " + faultText(fault)
		}
		return fmt.Sprintf("fill(%v, %d, %#x)%s", at, n, fill, exp)
	})
	s.compareAccess(&accessOutcome{kind: "store", addr: addr,
		qemuN: qemuN, qemuFault: qemuFault, kernelN: kernelN, kernelFault: kernelFault}, nil, nil)
	// This runs even when the comparison above failed or stopped: a
	// failing scenario may then end with a stop line.
	if written := max(qemuN, kernelN); written > 0 {
		s.privatizeHostPages(addr, uint64(written))
		allow(s, storeRules, &storeOutcome{addr: addr, n: uint64(written)})
	}
}

// refAccess runs a load or store of len(buf) bytes at addr on the guest
// kernel as the guest's own address arithmetic does: a 32-bit guest's
// access that passes the top of its word goes on at 0 (a 32-bit program's
// pointer wraps; so does QEMU's g2h of an abi_ulong).
func (s *System) refAccess(addr uint64, buf []byte, access func(hostvm.Addr, []byte) (int, *hostvm.Fault)) (int, *hostvm.Fault) {
	if top := s.wordMask + 1; top != 0 && addr < top && uint64(len(buf)) > top-addr {
		n, f := access(hostvm.Addr(addr), buf[:top-addr])
		if f != nil {
			return n, f
		}
		m, f := access(0, buf[top-addr:])
		return n + m, f
	}
	return access(hostvm.Addr(addr), buf)
}

// runFileWrite writes a file through its descriptor on both systems. The
// read-only file is never written: the first file is, instead.
func (s *System) runFileWrite(op Op) {
	fd, data, off := s.fileWriteArgs(op)
	n := len(data)
	qemuN, qemuErr := s.host.FilePwrite(fd, data, int64(off))
	kernelN, kernelErr := s.ref.FilePwrite(fd, data, int64(off))
	s.emitf("pwrite64(%d, %v, %d, %v) = %v", fd, quoteArg(data), n, hexArg(off), expectArg{v: uint64(kernelN), err: kernelErr})
	if qemuN != kernelN || qemuErr != kernelErr {
		s.fail("pwrite: %d/%v under QEMU, %d/%v on the guest kernel", qemuN, qemuErr, kernelN, kernelErr)
	}
	s.fileChanged = true
}

// fileWriteArgs derives a file write's fd, bytes and offset from op. The
// read-only file is never written: the first file is, instead.
func (s *System) fileWriteArgs(op Op) (fd int, data []byte, off uint64) {
	fi := int(op.At.Base) % len(files)
	if files[fi].flags == hostvm.ORdOnly {
		fi = 0
	}
	off = uint64(op.At.Page&0x3f)*s.targetPage + uint64(op.At.Byte)
	return 3 + fi, bytes.Repeat([]byte{op.Byte}, int(op.N%256)+1), off
}

// ftruncateArgs derives a truncation's fd and size from op. The read-only
// file is never truncated: the second file is, instead.
func (s *System) ftruncateArgs(op Op) (fd int, size uint64) {
	fi := int(op.At.Base) % len(files)
	if files[fi].flags == hostvm.ORdOnly {
		fi = 1
	}
	return 3 + fi, uint64(op.At.Page&0x1f)*s.targetPage + uint64(op.At.Byte)
}

// runFtruncate truncates a file on both systems.
func (s *System) runFtruncate(op Op) {
	fd, size := s.ftruncateArgs(op)
	qemuErr := s.host.Ftruncate(fd, int64(size))
	kernelErr := s.ref.Ftruncate(fd, int64(size))
	s.emitf("ftruncate(%d, %v) = %v", fd, hexArg(size), expectArg{err: kernelErr})
	if qemuErr != kernelErr {
		s.fail("ftruncate: %v under QEMU, %v on the guest kernel", qemuErr, kernelErr)
	}
	s.fileChanged = true
}

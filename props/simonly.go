package props

import (
	"bytes"
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
)

// simOnly runs op on QEMU alone, once the comparison has stopped at a named
// divergence: the guest kernel's state no longer says what QEMU's should
// be, but QEMU's own invariants (checked after it) must still hold. Its
// line in the run's text has no expectation, so the counterexample
// replays up to the invariant that broke.
func (s *System) simOnly(op Op) {
	var err error
	var got uint64
	res := simAnswer{kind: op.Kind} // what else QEMU answered: bytes, a fault
	switch op.Kind {
	case OpMmap:
		a := s.mmapArgs(op)
		got, err = s.sim.Mmap(a.addr, a.length, int(a.prot), a.flags, a.fd, a.offset)
		prefix := ""
		if err == nil {
			prefix = handleName(len(s.handles)) + " = "
			s.handles = append(s.handles, got)
			s.handleLens = append(s.handleLens, (a.length+s.targetPage-1)&^(s.targetPage-1))
		}
		s.emitf("%smmap(%v, %v, %v, %v, %d, %v)", prefix, a.at, hexArg(a.length), protArg(a.prot), mapFlagsArg(a.flags), a.fd, hexArg(a.offset))
	case OpMremap:
		addr, at, oldLen, newLen, flags, to, toText := s.remapArgs(op)
		got, err = s.sim.Mremap(addr, oldLen, newLen, flags, to)
		prefix := ""
		if err == nil {
			prefix = handleName(len(s.handles)) + " = "
			s.handles = append(s.handles, got)
			s.handleLens = append(s.handleLens, newLen)
		}
		s.emitf("%smremap(%v, %v, %v, %v, %v)", prefix, at, hexArg(oldLen), hexArg(newLen), flags, toText)
	case OpMunmap, OpMprotect, OpMsync, OpMadvise:
		addr, at := s.resolve(op.At)
		length := s.opLen(op)
		switch op.Kind {
		case OpMunmap:
			err = s.sim.Munmap(addr, length)
			s.emitf("munmap(%v, %v)", at, hexArg(length))
		case OpMprotect:
			err = s.sim.Mprotect(addr, length, int(opProt(op)))
			s.emitf("mprotect(%v, %v, %v)", at, hexArg(length), protArg(opProt(op)))
		case OpMsync:
			flags := msyncFlags[int(op.Advice)%len(msyncFlags)]
			err = s.sim.Msync(addr, length, int(flags))
			s.emitf("msync(%v, %v, %v)", at, hexArg(length), flags)
		default:
			advice := advices[int(op.Advice)%len(advices)]
			err = s.sim.Madvise(addr, length, advice)
			s.emitf("madvise(%v, %v, %v)", at, hexArg(length), advice)
		}
	case OpLoad:
		addr, at := s.resolve(op.At)
		buf := make([]byte, op.N)
		n, f := s.sim.Load(addr, buf)
		res.data, res.fault = buf[:n], copyFault(f)
		s.emitf("peek(%v, %d)", at, op.N)
	case OpStore:
		addr, at := s.resolve(op.At)
		n, f := s.sim.Store(addr, bytes.Repeat([]byte{op.Byte}, int(op.N)))
		res.n, res.fault = n, copyFault(f)
		s.emitf("fill(%v, %d, %#x)", at, op.N, op.Byte)
	case OpBrk:
		addr, at := s.resolve(op.At)
		got, err = s.sim.Brk(addr)
		if err == nil {
			s.brk = got
		}
		s.emitf("brk(%v)", at)
	case OpFileWrite:
		fd, data, off := s.fileWriteArgs(op)
		var n int
		n, err = s.host.FilePwrite(fd, data, int64(off))
		got = uint64(n)
		s.emitf("pwrite64(%d, %v, %d, %v)", fd, quoteArg(data), len(data), hexArg(off))
	case OpFtruncate:
		fd, size := s.ftruncateArgs(op)
		err = s.host.Ftruncate(fd, int64(size))
		s.emitf("ftruncate(%d, %v)", fd, hexArg(size))
	}
	res.got, res.err = got, err
	s.simResult = res
	s.abortCheck(err)
}

// simAnswer is what QEMU answered to an operation run on it alone, kept
// as it came (rendering it costs more than the operation) for the tests
// that look at it.
type simAnswer struct {
	kind  Kind
	got   uint64
	err   error
	data  []byte        // the bytes a load read
	n     int           // the count a store wrote
	fault *hostvm.Fault // the fault that stopped a load or store
}

// simResultText renders the last answer QEMU gave alone (simOnly): the
// value, the error, the bytes or the fault.
func (s *System) simResultText() string {
	r := s.simResult
	var res string
	switch r.kind {
	case OpLoad:
		res = fmt.Sprintf("%s %v", quote(r.data), r.fault)
	case OpStore:
		res = fmt.Sprintf("%d %v", r.n, r.fault)
	}
	return fmt.Sprintf("%#x %v %s", r.got, r.err, res)
}

// copyFault returns a copy of f (nil for nil), which the answer keeps.
func copyFault(f *hostvm.Fault) *hostvm.Fault {
	if f == nil {
		return nil
	}
	c := *f
	return &c
}

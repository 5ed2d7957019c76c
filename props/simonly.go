package props

import (
	"bytes"
	"fmt"
)

// simOnly runs op on QEMU alone, once the comparison has stopped at a named
// divergence: the guest kernel's state no longer says what QEMU's should
// be, but QEMU's own invariants (checked after it) must still hold. Its
// line in the run's text has no expectation, so the counterexample
// replays up to the invariant that broke.
func (s *System) simOnly(op Op) {
	var line string
	var err error
	switch op.Kind {
	case OpMmap:
		a := s.mmapArgs(op)
		var got uint64
		got, err = s.sim.Mmap(a.addr, a.length, int(a.prot), a.flags, a.fd, a.offset)
		prefix := ""
		if err == nil {
			prefix = fmt.Sprintf("$m%d = ", len(s.handles))
			s.handles = append(s.handles, got)
			s.handleLens = append(s.handleLens, (a.length+s.targetPage-1)&^(s.targetPage-1))
		}
		line = fmt.Sprintf("%smmap(%s, %s, %s, %s, %d, %s)", prefix, a.at, hexText(a.length), protText(a.prot), mapFlagsText(a.flags), a.fd, hexText(a.offset))
	case OpMremap:
		addr, at, oldLen, newLen, flags, to, toText := s.remapArgs(op)
		var got uint64
		got, err = s.sim.Mremap(addr, oldLen, newLen, flags, to)
		prefix := ""
		if err == nil {
			prefix = fmt.Sprintf("$m%d = ", len(s.handles))
			s.handles = append(s.handles, got)
			s.handleLens = append(s.handleLens, newLen)
		}
		line = fmt.Sprintf("%smremap(%s, %s, %s, %v, %s)", prefix, at, hexText(oldLen), hexText(newLen), flags, toText)
	case OpMunmap, OpMprotect, OpMsync, OpMadvise:
		addr, at := s.resolve(op.At)
		length := s.opLen(op)
		switch op.Kind {
		case OpMunmap:
			err = s.sim.Munmap(addr, length)
			line = fmt.Sprintf("munmap(%s, %s)", at, hexText(length))
		case OpMprotect:
			err = s.sim.Mprotect(addr, length, int(opProt(op)))
			line = fmt.Sprintf("mprotect(%s, %s, %s)", at, hexText(length), protText(opProt(op)))
		case OpMsync:
			flags := msyncFlags[int(op.Advice)%len(msyncFlags)]
			err = s.sim.Msync(addr, length, int(flags))
			line = fmt.Sprintf("msync(%s, %s, %v)", at, hexText(length), flags)
		default:
			advice := advices[int(op.Advice)%len(advices)]
			err = s.sim.Madvise(addr, length, advice)
			line = fmt.Sprintf("madvise(%s, %s, %v)", at, hexText(length), advice)
		}
	case OpLoad:
		addr, at := s.resolve(op.At)
		s.sim.Load(addr, make([]byte, op.N))
		line = fmt.Sprintf("peek(%s, %d)", at, op.N)
	case OpStore:
		addr, at := s.resolve(op.At)
		s.sim.Store(addr, bytes.Repeat([]byte{op.Byte}, int(op.N)))
		line = fmt.Sprintf("fill(%s, %d, %#x)", at, op.N, op.Byte)
	case OpBrk:
		addr, at := s.resolve(op.At)
		var got uint64
		got, err = s.sim.Brk(addr)
		if err == nil {
			s.brk = got
		}
		line = fmt.Sprintf("brk(%s)", at)
	default:
		// File writes and truncation change the files QEMU shares with
		// the guest kernel: the states are apart for good anyway.
		return
	}
	s.emit(line)
	s.abortCheck(err)
}

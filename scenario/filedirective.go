package scenario

import (
	"encoding/binary"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// makeFile carries out "#! file NAME size=N fill=BYTE|seq mode=M": fill=seq
// writes consecutive 32-bit little-endian integers, as QEMU's own mmap test
// does.
func (r *runner) makeFile(st *syntax.Stmt) error {
	fs := st.FileSpec
	k := r.machine.Kernel
	mode := uint64(0o644)
	if fs.Mode != nil {
		mode = fs.Mode.Value
		if mode > 0o7777 {
			return r.usage(st, "file %s: mode %#x: want at most 07777", fs.Name, mode)
		}
	}
	if fs.Size.Value > 1<<30 {
		return r.usage(st, "file %s: size %#x: at most 1G", fs.Name, fs.Size.Value)
	}
	fd, err := k.Open(fs.Name, hostvm.ORdWr|hostvm.OCreat|hostvm.OTrunc, uint32(mode))
	if err != nil {
		return r.usage(st, "file %s: %v", fs.Name, err)
	}
	defer k.Close(fd)
	size := fs.Size.Value
	if err := k.Ftruncate(fd, int64(size)); err != nil {
		return r.usage(st, "file %s: %v", fs.Name, err)
	}
	if !fs.Seq && (fs.Fill == nil || fs.Fill.Value == 0) {
		return nil
	}
	const chunk = 1 << 16
	buf := make([]byte, chunk)
	for off := uint64(0); off < size; off += chunk {
		n := min(chunk, size-off)
		for i := uint64(0); i < n; i++ {
			if fs.Seq {
				var w [4]byte
				binary.LittleEndian.PutUint32(w[:], uint32((off+i)/4))
				buf[i] = w[(off+i)%4]
			} else {
				buf[i] = byte(fs.Fill.Value)
			}
		}
		if _, err := k.FilePwrite(fd, buf[:n], int64(off)); err != nil {
			return r.usage(st, "file %s: %v", fs.Name, err)
		}
	}
	return nil
}

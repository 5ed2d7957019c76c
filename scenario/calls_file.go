package scenario

import "github.com/mmapsim/mmapsim/hostvm"

// The file calls: they run on the host kernel, guest or not (QEMU passes
// them through). A scenario uses them to make the files it maps; a replay
// follows the ones that open, close and size descriptors.
var fileCalls = []*CallSpec{
	{
		Name:  "open",
		Class: FileCall, Result: ResultFD, FD: FDOpen,
		Params: []Param{{Name: "pathname", Kind: ParamPath}, {Name: "flags", Kind: ParamOpenFlags},
			{Name: "mode", Kind: ParamMode, Default: 0o644}},
		Min: 2,
		run: func(m *Machine, a CallArgs) (Outcome, error) { return runOpen(m, a[0], a[1], a[2]), nil },
	},
	{
		// The directory descriptor is read and ignored: the simulated
		// file system has no directories.
		Name:  "openat",
		Class: FileCall, Result: ResultFD, FD: FDOpen,
		Params: []Param{{Name: "dirfd", Kind: ParamDirFD}, {Name: "pathname", Kind: ParamPath},
			{Name: "flags", Kind: ParamOpenFlags}, {Name: "mode", Kind: ParamMode, Default: 0o644}},
		Min: 3,
		run: func(m *Machine, a CallArgs) (Outcome, error) { return runOpen(m, a[1], a[2], a[3]), nil },
	},
	{
		Name:  "close",
		Class: FileCall, Result: ResultStatus, FD: FDClose,
		Params: []Param{{Name: "fd", Kind: ParamFD}},
		Min:    1,
		run: func(m *Machine, a CallArgs) (Outcome, error) {
			return m.outcome(0, m.Kernel.Close(fdArg(a[0]))), nil
		},
	},
	{
		Name:  "ftruncate",
		Class: FileCall, Result: ResultStatus,
		Params: []Param{{Name: "fd", Kind: ParamFD}, {Name: "length", Kind: ParamLen}},
		Min:    2,
		run: func(m *Machine, a CallArgs) (Outcome, error) {
			return m.outcome(0, m.Kernel.Ftruncate(fdArg(a[0]), int64(a[1].Num))), nil
		},
	},
	{
		// A scenario may leave out the buffer strace prints filled.
		Name:  "fstat",
		Class: FileCall, Result: ResultStatus, FD: FDStat,
		Params: []Param{{Name: "fd", Kind: ParamFD}, {Name: "statbuf", Kind: ParamStat}},
		Min:    1,
		run: func(m *Machine, a CallArgs) (Outcome, error) {
			_, err := m.Kernel.Fstat(fdArg(a[0]))
			return m.outcome(0, err), nil
		},
	},
	{
		// An empty pathname (with AT_EMPTY_PATH) stats dirfd; another
		// stats the file by name, which must exist.
		Name:  "newfstatat",
		Class: FileCall, Result: ResultStatus, FD: FDStat,
		Params: []Param{{Name: "dirfd", Kind: ParamDirFD}, {Name: "pathname", Kind: ParamPath},
			{Name: "statbuf", Kind: ParamStat}, {Name: "flags", Kind: ParamAtFlags}},
		Min: 2,
		run: func(m *Machine, a CallArgs) (Outcome, error) {
			k := m.Kernel
			if len(a[1].Bytes) == 0 {
				_, err := k.Fstat(fdArg(a[0]))
				return m.outcome(0, err), nil
			}
			fd, err := k.Open(string(a[1].Bytes), hostvm.ORdOnly, 0)
			if err != nil {
				return m.outcome(0, err), nil
			}
			k.Close(fd)
			return Outcome{}, nil
		},
	},
	{
		Name:  "pread64",
		Class: FileCall, Result: ResultCount,
		Params: preadWriteParams,
		Min:    4,
		run:    func(m *Machine, a CallArgs) (Outcome, error) { return runPreadWrite(m, false, a), nil },
	},
	{
		Name:  "pwrite64",
		Class: FileCall, Result: ResultCount,
		Params: preadWriteParams,
		Min:    4,
		run:    func(m *Machine, a CallArgs) (Outcome, error) { return runPreadWrite(m, true, a), nil },
	},
}

// preadWriteParams are pread64's and pwrite64's parameters.
var preadWriteParams = []Param{{Name: "fd", Kind: ParamFD}, {Name: "buf", Kind: ParamBuf},
	{Name: "count", Kind: ParamCount}, {Name: "offset", Kind: ParamOffset}}

// fdArg is a descriptor argument as the kernel takes it: a C int.
func fdArg(a CallArg) int { return int(int64(a.Num)) }

// runOpen opens path with flags and mode; the value is the descriptor.
func runOpen(m *Machine, path, flags, mode CallArg) Outcome {
	fd, err := m.Kernel.Open(string(path.Bytes), hostvm.OpenFlags(flags.Num), uint32(mode.Num))
	return m.outcome(uint64(int64(fd)), err)
}

// runPreadWrite runs pread64 (write false) or pwrite64. The buffer is an
// address in the machine's memory, or, as strace prints it, a string:
// pwrite64 writes its bytes (at most count of them); pread64 reads into a
// buffer outside the simulated memory. Under QEMU a buffer address is
// first checked as do_syscall's lock_user checks it (access_ok: pread64's
// buffer is written, pwrite64's read): EFAULT for the whole call where a
// page of it is not allowed, before the host sees the call. Linux would
// copy up to the first page it cannot use.
//
// Preconditions: a holds pread64's parameters (fd, buf, count, offset).
func runPreadWrite(m *Machine, write bool, a CallArgs) Outcome {
	k := m.Kernel
	fd, buf, count, off := fdArg(a[0]), a[1], a[2].Num, int64(a[3].Num)
	if !buf.IsString && m.Sim != nil && m.Policy.LocksUser() && !m.Sim.AccessOK(buf.Num, count, !write) {
		return m.outcome(0, hostvm.EFAULT)
	}
	switch {
	case buf.IsString && write:
		data := buf.Bytes
		if uint64(len(data)) > count {
			data = data[:count]
		}
		n, err := k.FilePwrite(fd, data, off)
		return m.outcome(uint64(n), err)
	case buf.IsString:
		scratch := make([]byte, min(count, 1<<24))
		n, err := k.FilePread(fd, scratch, off)
		return m.outcome(uint64(n), err)
	case write:
		return m.outcome(k.Pwrite(fd, m.hostAddr(buf.Num), count, off))
	}
	return m.outcome(k.Pread(fd, m.hostAddr(buf.Num), count, off))
}

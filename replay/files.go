package replay

import (
	"fmt"
	"sort"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// traceFile is a descriptor the trace opened, as the simulation holds it.
type traceFile struct {
	simFD   int
	path    string
	flags   hostvm.OpenFlags // the access mode
	cloexec bool             // O_CLOEXEC: execve closes it
	// sized: the trace showed the file's size (a stat of it, by descriptor
	// or path). Until then its simulated size is a guess: the trace shows
	// no write(), so a file the program created and wrote reads as empty.
	sized bool
}

// fdTable is a process's descriptor table, by the trace's descriptor
// numbers: threads share one (CLONE_FILES), fork copies it, execve keeps
// the descriptors without close-on-exec.
type fdTable struct {
	fds   map[uint64]traceFile
	users int
}

func newFDTable() *fdTable { return &fdTable{fds: map[uint64]traceFile{}, users: 1} }

// copy returns a copy of the table for a child that does not share it.
func (ft *fdTable) copy() *fdTable {
	c := &fdTable{fds: make(map[uint64]traceFile, len(ft.fds)), users: 1}
	for fd, f := range ft.fds {
		c.fds[fd] = f
	}
	return c
}

// sortedFDs lists the table's trace descriptors in order.
func (ft *fdTable) sortedFDs() []uint64 {
	out := make([]uint64, 0, len(ft.fds))
	for fd := range ft.fds {
		out = append(out, fd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// release drops a user of the table, whose descriptors are on sp's
// machine; the last user closes them.
func (ft *fdTable) release(sp *space) {
	ft.users--
	if ft.users > 0 || sp == nil {
		return
	}
	for _, fd := range ft.sortedFDs() {
		ft.close(sp, fd)
	}
}

// close closes the simulation's file for the trace's descriptor fd.
func (ft *fdTable) close(sp *space, fd uint64) {
	f, ok := ft.fds[fd]
	if !ok {
		return
	}
	if !sp.noClose {
		sp.machine.Kernel.Close(f.simFD)
	}
	delete(ft.fds, fd)
}

// carryOver opens in to, on new's machine, the descriptors of ft (on old's)
// that survive an execve: those without close-on-exec, with their files'
// sizes.
func (ft *fdTable) carryOver(to *fdTable, old, new *space) {
	for _, fd := range ft.sortedFDs() {
		f := ft.fds[fd]
		if f.cloexec {
			continue
		}
		var size uint64
		if st, err := old.machine.Kernel.Fstat(f.simFD); err == nil {
			size = uint64(st.Size)
		}
		if simFD, err := openFile(new.machine.Kernel, f.path, f.flags, size, true); err == nil {
			f.simFD, f.sized = simFD, true
			to.fds[fd] = f
		}
	}
}

// follow follows a call on descriptors (spec.FD), to keep the simulated
// descriptors and file sizes what the trace says. The trace is the truth
// here: nothing is compared. A successful open opens (creating if need be)
// the file in the simulated file system, with the trace's access mode; a
// stat's st_size sets its size (a different size gives the path a new
// file, so mappings of the old one keep theirs); close closes it. Failed
// calls change nothing, and so does an argument that does not read.
//
// Preconditions: spec.FD != scenario.FDNone; t.space != nil.
func (t *task) follow(st *syntax.Stmt, spec *scenario.CallSpec) {
	res := traceResult(st)
	if !res.ok() {
		return
	}
	call := st.Call
	switch spec.FD {
	case scenario.FDOpen:
		path := ""
		if i := spec.Index(scenario.ParamPath); i >= 0 && i < len(call.Args) && call.Args[i].Kind == syntax.ArgString {
			path = string(call.Args[i].Bytes)
		}
		if st.Want.Decor != "" {
			path = st.Want.Decor // -y: the file the kernel opened
		}
		if path == "" {
			path = fmt.Sprintf("(fd %d)", int64(res.value))
		}
		var flags hostvm.OpenFlags
		if v, ok := argNum(spec, call, scenario.ParamOpenFlags); ok {
			flags = hostvm.OpenFlags(v)
		}
		t.fds.close(t.space, res.value)
		acc := flags & hostvm.OAccMode
		if acc == hostvm.OAccMode {
			acc = hostvm.ORdOnly
		}
		if simFD, err := openFile(t.space.machine.Kernel, path, acc, 0, false); err == nil {
			t.fds.fds[res.value] = traceFile{simFD: simFD, path: path, flags: acc, cloexec: flags&hostvm.OCloExec != 0}
		}
	case scenario.FDClose:
		if fd, ok := argNum(spec, call, scenario.ParamFD); ok {
			t.fds.close(t.space, fd)
		}
	case scenario.FDStat:
		t.followStat(spec, call)
	}
}

// followStat gives the file the trace stat'ed the size its st_size says:
// the file of a descriptor (fstat, or newfstatat with AT_EMPTY_PATH's empty
// path), or, for a stat by path, every descriptor open on that path (a
// program often opens a file and then stats it by name).
//
// Preconditions: spec.FD == scenario.FDStat; t.space != nil.
func (t *task) followStat(spec *scenario.CallSpec, call *syntax.Call) {
	si := spec.Index(scenario.ParamStat)
	if si < 0 || si >= len(call.Args) {
		return
	}
	sz, ok := call.Args[si].Field("st_size")
	if !ok {
		return
	}
	size, err := sz.Uint(syntax.Env{})
	if err != nil || size > 1<<40 {
		return
	}
	if pi := spec.Index(scenario.ParamPath); pi >= 0 {
		if pi >= len(call.Args) || call.Args[pi].Kind != syntax.ArgString {
			return
		}
		if path := string(call.Args[pi].Bytes); path != "" {
			for _, fd := range t.fds.sortedFDs() {
				if t.fds.fds[fd].path == path {
					t.resize(fd, size)
				}
			}
			return
		}
	}
	fdKind := scenario.ParamFD
	if spec.Index(fdKind) < 0 {
		fdKind = scenario.ParamDirFD
	}
	if fd, ok := argNum(spec, call, fdKind); ok {
		t.resize(fd, size)
	}
}

// resize gives the file of the trace's descriptor fd size bytes, now known.
// A different size gives the path a new file, so that mappings of the old
// one keep theirs.
//
// Preconditions: t.space != nil.
func (t *task) resize(fd, size uint64) {
	f, ok := t.fds.fds[fd]
	if !ok {
		return
	}
	f.sized = true
	k := t.space.machine.Kernel
	if st, err := k.Fstat(f.simFD); err == nil && uint64(st.Size) == size {
		t.fds.fds[fd] = f
		return
	}
	// Close first, so the new file gets the same descriptor.
	t.fds.close(t.space, fd)
	if simFD, err := openFile(k, f.path, f.flags, size, true); err == nil {
		f.simFD = simFD
		t.fds.fds[fd] = f
	}
}

// argNum evaluates the argument of call at spec's first parameter of kind
// k; ok is false when the call lacks it or it does not evaluate.
func argNum(spec *scenario.CallSpec, call *syntax.Call, k scenario.ParamKind) (uint64, bool) {
	i := spec.Index(k)
	if i < 0 || i >= len(call.Args) {
		return 0, false
	}
	arg, err := spec.EvalArg(call, i, nil)
	return arg.Num, err == nil
}

// openFile opens path in kernel k's file system with access mode acc.
// With sized, the file must have size bytes: an existing file of another
// size is replaced by a new one (mappings of the old one keep it). Without,
// an existing file is opened as it is and a missing one is created empty.
// Contents are zeros: a trace has none.
func openFile(k *hostvm.Kernel, path string, acc hostvm.OpenFlags, size uint64, sized bool) (int, error) {
	fd, err := k.Open(path, acc, 0)
	if err == nil {
		if !sized {
			return fd, nil
		}
		if st, serr := k.Fstat(fd); serr == nil && uint64(st.Size) == size {
			return fd, nil
		}
		k.Close(fd)
		k.Unlink(path)
	}
	w, err := k.Open(path, hostvm.ORdWr|hostvm.OCreat|hostvm.OExcl, 0o644)
	if err != nil {
		return -1, err
	}
	if err := k.Ftruncate(w, int64(size)); err != nil {
		k.Close(w)
		return -1, err
	}
	if acc == hostvm.ORdWr {
		return w, nil
	}
	k.Close(w)
	return k.Open(path, acc, 0)
}

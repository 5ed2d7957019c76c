//go:build linux

package hostvm

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/mmapsim/mmapsim/internal/linuxsys"
)

// The real kernel's side of TestLinuxDiff: a sandbox in this process (one
// PROT_NONE reservation that every call stays inside), files in a
// temporary directory, /proc/self/maps for the VMAs and /proc/self/mem for
// the contents. The sandbox lies far below everything the Go runtime maps
// (its top-down mmaps land near the top of the address space, its heap at
// fixed hints below 0x100000000000 on amd64, above the executable on 386),
// so the holes the calls punch in it are never the highest free gap and
// nothing else is placed there.

// ldSlots are the file descriptors the calls use: f0 and f1 read-write,
// and f0 again read-only (for EACCES).
const ldSlots = 3

var ldSlotNames = [ldSlots]string{"f0", "f1", "f0"}

// ldReal is the real side.
type ldReal struct {
	hvBase, size uint64 // the sandbox, in hostvm's addresses
	base         uint64 // the sandbox's real address; 0 until it is mapped
	delta        uint64 // real address = hostvm address + delta (mod 2^64)
	mem          int    // /proc/self/mem, read-write
	dir          string
	fds          [ldSlots]int
	inos         [2]uint64 // inode numbers of f0 and f1
}

// ldReservation is the sandbox's reservation: what reset maps over it.
const ldReservationFlags = MapPrivate | MapAnonymous | MapNoReserve

// ldOpenReal makes the sandbox at the first free candidate address and
// opens the files. skip is non-empty when this process cannot run the
// comparison at all (a reason for t.Skip).
func ldOpenReal(hvBase, size uint64, candidates []uint64, dir string) (r *ldReal, skip string, err error) {
	mem, err := syscall.Open("/proc/self/mem", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Sprintf("cannot open /proc/self/mem read-write: %v", err), nil
	}
	r = &ldReal{hvBase: hvBase, size: size, mem: mem, dir: dir}
	for i := range r.fds {
		r.fds[i] = -1
	}
	base := uint64(0)
	for _, c := range candidates {
		got, e := linuxsys.Mmap(uintptr(c), uintptr(size), 0, uintptr(ldReservationFlags|MapFixedNoReplace), -1, 0)
		if e != 0 {
			continue // EEXIST: something is there
		}
		if uint64(got) != c {
			// A kernel older than 4.17 takes MAP_FIXED_NOREPLACE
			// for a hint: give the range back.
			linuxsys.Munmap(got, uintptr(size))
			continue
		}
		base = c
		break
	}
	if base == 0 {
		r.close()
		return nil, fmt.Sprintf("no free %#x-byte range at any of %#x for the sandbox", size, candidates), nil
	}
	r.base, r.delta = base, base-hvBase
	for i := range r.fds {
		flags := syscall.O_RDWR | syscall.O_CREAT | syscall.O_TRUNC
		if i == 2 {
			flags = syscall.O_RDONLY
		}
		fd, err := syscall.Open(filepath.Join(dir, ldSlotNames[i]), flags|syscall.O_CLOEXEC, 0o644)
		if err != nil {
			r.close()
			return nil, "", fmt.Errorf("open %s: %v", ldSlotNames[i], err)
		}
		r.fds[i] = fd
	}
	for i := range r.inos {
		var st syscall.Stat_t
		if err := syscall.Fstat(r.fds[i], &st); err != nil {
			r.close()
			return nil, "", err
		}
		r.inos[i] = uint64(st.Ino)
	}
	if skip, err := r.selfCheck(); skip != "" || err != nil {
		r.close()
		return nil, skip, err
	}
	return r, "", nil
}

// selfCheck makes sure /proc/self/mem and /proc/self/maps describe this
// process at its own addresses: under an emulator (qemu-user runs the 386
// tests on kernels without IA-32 emulation) they describe the emulator.
func (r *ldReal) selfCheck() (skip string, err error) {
	marker := []byte("mmapsim linuxdiff marker\x00")
	if _, err := syscall.Pwrite(r.fds[0], marker, 0); err != nil {
		return "", err
	}
	a := r.hvBase + r.size/2
	got, e := linuxsys.Mmap(uintptr(a+r.delta), 4096, uintptr(ProtRead), uintptr(MapShared|MapFixed), r.fds[0], 0)
	if e != 0 || uint64(got) != a+r.delta {
		return "", fmt.Errorf("self-check mmap: %#x %v", got, e)
	}
	buf := make([]byte, len(marker))
	n, err := syscall.Pread(r.mem, buf, int64(a+r.delta))
	vmas, merr := r.maps()
	if rerr := r.reset(); rerr != nil {
		return "", rerr
	}
	if err != nil || n != len(buf) || !bytes.Equal(buf, marker) {
		return fmt.Sprintf("/proc/self/mem does not show this process's memory at its own addresses (read %q, %v): an emulator such as qemu-user?", buf[:max(n, 0)], err), nil
	}
	if merr != nil {
		return fmt.Sprintf("cannot read /proc/self/maps: %v", merr), nil
	}
	found := false
	for _, v := range vmas {
		if uint64(v.start) == a && uint64(v.end) == a+4096 && v.perms == "r--s" && v.ino == r.inos[0] {
			found = true
		}
	}
	if !found {
		return fmt.Sprintf("/proc/self/maps does not show the self-check mapping at %#x: an emulator such as qemu-user?", a+r.delta), nil
	}
	return "", nil
}

// probeZeroPage finds out whether a read fault on private anonymous
// memory maps the shared zero page (stock Linux: the VMA gets no anon_vma)
// or allocates a page, and with it the VMA's anon_vma (kernels booted with
// pvm_no_zero_page=1, as some VM hosts are). The test: read one page of a
// fresh mapping, move two pages of it with mremap, and see whether they
// merge at the destination, which they do only when mremap could give
// them the pgoff of their new address (no anon_vma: copy_vma()).
func (r *ldReal) probeZeroPage() (allocates bool, err error) {
	defer func() {
		if rerr := r.reset(); err == nil {
			err = rerr
		}
	}()
	const p = 4096
	a := r.base + r.size/2
	if got, e := linuxsys.Mmap(uintptr(a), 16*p, uintptr(ProtRead|ProtWrite), uintptr(MapPrivate|MapAnonymous|MapFixed), -1, 0); e != 0 || uint64(got) != a {
		return false, fmt.Errorf("zero-page probe: mmap: %v", e)
	}
	if _, err := syscall.Pread(r.mem, make([]byte, p), int64(a+2*p)); err != nil {
		return false, fmt.Errorf("zero-page probe: read: %v", err)
	}
	if _, e := linuxsys.Mremap(uintptr(a+2*p), 2*p, 2*p, uintptr(MremapMayMove|MremapFixed), uintptr(a+8*p)); e != 0 {
		return false, fmt.Errorf("zero-page probe: mremap: %v", e)
	}
	n, err := r.vmasAt(a, 16*p)
	if err != nil {
		return false, err
	}
	switch n {
	case 2: // [a, a+2p) and [a+4p, a+16p): the moved pages merged
		return false, nil
	case 4:
		return true, nil
	}
	return false, fmt.Errorf("zero-page probe: %d VMAs, want 2 or 4", n)
}

// vmasAt counts the VMAs a probe left in the real range [a, a+size).
func (r *ldReal) vmasAt(a, size uint64) (int, error) {
	vmas, err := r.maps()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range vmas {
		if uint64(v.end)+r.delta > a && uint64(v.start)+r.delta < a+size {
			n++
		}
	}
	return n, nil
}

// probeExecOnlyKey finds out whether this kernel gives a mapping whose
// protection is exactly PROT_EXEC the execute-only protection key (an x86
// CPU with protection keys, "pku" and "ospke" in /proc/cpuinfo; see
// Config.PKeys). The test: two pages mapped PROT_EXEC|PROT_SEM (key 0),
// the second mprotected to PROT_EXEC alone. Without keys nothing changes
// and they stay one VMA; with them the second takes the key and the two
// no longer merge.
func (r *ldReal) probeExecOnlyKey() (keys bool, err error) {
	defer func() {
		if rerr := r.reset(); err == nil {
			err = rerr
		}
	}()
	const p = 4096
	a := r.base + r.size/2
	if got, e := linuxsys.Mmap(uintptr(a), 2*p, uintptr(ProtExec|ProtSem), uintptr(MapPrivate|MapAnonymous|MapFixed), -1, 0); e != 0 || uint64(got) != a {
		return false, fmt.Errorf("protection key probe: mmap: %v", e)
	}
	if e := linuxsys.Mprotect(uintptr(a+p), p, uintptr(ProtExec)); e != 0 {
		return false, fmt.Errorf("protection key probe: mprotect: %v", e)
	}
	n, err := r.vmasAt(a, 2*p)
	if err != nil {
		return false, err
	}
	switch n {
	case 1:
		return false, nil
	case 2:
		return true, nil
	}
	return false, fmt.Errorf("protection key probe: %d VMAs, want 1 or 2", n)
}

// cpuFlags reports which of names /proc/cpuinfo's flags line lists.
func cpuFlags(names ...string) map[string]bool {
	out := map[string]bool{}
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(b), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(key) != "flags" {
			continue
		}
		for _, f := range strings.Fields(val) {
			for _, n := range names {
				if f == n {
					out[n] = true
				}
			}
		}
		break
	}
	return out
}

func (r *ldReal) close() {
	if r.mem >= 0 {
		syscall.Close(r.mem)
		r.mem = -1
	}
	for i, fd := range r.fds {
		if fd >= 0 {
			syscall.Close(fd)
			r.fds[i] = -1
		}
	}
	if r.base != 0 {
		linuxsys.Munmap(uintptr(r.base), uintptr(r.size))
		r.base = 0
	}
}

// reset maps a fresh reservation over the whole sandbox (MAP_FIXED replaces
// whatever the calls left there, in one step, so no hole ever opens) and
// empties the files.
func (r *ldReal) reset() error {
	got, e := linuxsys.Mmap(uintptr(r.hvBase+r.delta), uintptr(r.size), 0, uintptr(ldReservationFlags|MapFixed), -1, 0)
	if e != 0 || uint64(got) != r.hvBase+r.delta {
		return fmt.Errorf("reset: mmap = %#x, %v", got, e)
	}
	for _, fd := range r.fds[:2] {
		if err := syscall.Ftruncate(fd, 0); err != nil {
			return fmt.Errorf("reset: ftruncate: %v", err)
		}
	}
	return nil
}

// inside reports whether the hostvm range [a, a+n) lies in the sandbox.
func (r *ldReal) inside(a Addr, n uint64) bool {
	s := uint64(a) &^ 4095
	e := (uint64(a) + n + 4095) &^ 4095
	return s >= r.hvBase && e >= s && e <= r.hvBase+r.size
}

// ldUnsafeCall is a call the harness refused to make: its range leaves the
// sandbox. It is a bug in the generator, never a kernel's answer.
type ldUnsafeCall struct{ c ldCall }

func (u ldUnsafeCall) Error() string { return "refused to run, it leaves the sandbox: " + u.c.String() }

// check refuses any call whose ranges leave the sandbox, before it runs.
func (r *ldReal) check(c ldCall) error {
	ok := true
	switch c.op {
	case ldMmap, ldMunmap, ldMprotect, ldMadvise, ldMsync:
		ok = r.inside(c.addr, c.len)
	case ldMremap:
		f := MremapFlags(c.flags)
		switch {
		case f&^(MremapFixed|MremapMayMove|MremapDontUnmap) != 0,
			f&MremapMayMove == 0 && f&(MremapFixed|MremapDontUnmap) != 0:
			// check_mremap_params() refuses these first, with EINVAL.
			ok = r.inside(c.addr, c.len)
		case f&MremapFixed != 0:
			ok = r.inside(c.addr, c.len) && r.inside(c.newAddr, c.newLen)
		case f&MremapDontUnmap != 0:
			ok = false // without FIXED, new_addr is only a hint
		case f&MremapMayMove != 0 && c.newLen > c.len:
			ok = false // may move anywhere
		default: // in place
			ok = r.inside(c.addr, max(c.len, c.newLen))
		}
	case ldPoke:
		ok = r.inside(c.addr, uint64(len(c.data)))
	}
	if !ok {
		return ldUnsafeCall{c}
	}
	return nil
}

// call runs c on the real kernel. A poke writes only its first pokeLen
// bytes, those hostvm maps writable: /proc/self/mem would write through
// any protection, so it cannot find a protection fault itself.
func (r *ldReal) call(c ldCall, pokeLen int) (ldResult, error) {
	if err := r.check(c); err != nil {
		return ldResult{}, err
	}
	d := uintptr(r.delta)
	res := func(e linuxsys.Errno) ldResult { return ldResult{errno: Errno(e)} }
	// addrRes turns a returned address into hostvm's terms.
	addrRes := func(v uintptr, e linuxsys.Errno) ldResult {
		if e != 0 {
			return ldResult{errno: Errno(e)}
		}
		return ldResult{val: uint64(v - d)}
	}
	switch c.op {
	case ldMmap:
		fd := -1
		if c.slot >= 0 {
			fd = r.fds[c.slot]
		}
		return addrRes(linuxsys.Mmap(uintptr(c.addr)+d, uintptr(c.len), uintptr(c.prot), uintptr(c.flags), fd, c.off)), nil
	case ldMunmap:
		return res(linuxsys.Munmap(uintptr(c.addr)+d, uintptr(c.len))), nil
	case ldMprotect:
		return res(linuxsys.Mprotect(uintptr(c.addr)+d, uintptr(c.len), uintptr(c.prot))), nil
	case ldMadvise:
		return res(linuxsys.Madvise(uintptr(c.addr)+d, uintptr(c.len), uintptr(c.flags))), nil
	case ldMsync:
		return res(linuxsys.Msync(uintptr(c.addr)+d, uintptr(c.len), uintptr(c.flags))), nil
	case ldMremap:
		return addrRes(linuxsys.Mremap(uintptr(c.addr)+d, uintptr(c.len), uintptr(c.newLen),
			uintptr(c.flags), uintptr(c.newAddr)+d)), nil
	case ldPwrite:
		n, err := syscall.Pwrite(r.fds[c.slot], c.data, int64(c.off))
		if err != nil {
			return ldResult{errno: Errno(err.(syscall.Errno))}, nil
		}
		return ldResult{val: uint64(n)}, nil
	case ldFtruncate:
		if err := syscall.Ftruncate(r.fds[c.slot], int64(c.off)); err != nil {
			return ldResult{errno: Errno(err.(syscall.Errno))}, nil
		}
		return ldResult{}, nil
	case ldPeek:
		return ldResult{}, fmt.Errorf("peek is not a call")
	case ldPoke:
		if pokeLen == 0 {
			return ldResult{skipped: true}, nil
		}
		n, err := syscall.Pwrite(r.mem, c.data[:pokeLen], int64(uint64(c.addr)+r.delta))
		if err != nil {
			n = 0 // EIO: the first page faulted
		}
		return ldResult{val: uint64(n)}, nil
	}
	return ldResult{}, fmt.Errorf("unknown op %d", c.op)
}

// readPage reads the page at hostvm address a through /proc/self/mem,
// which reads through any protection (FOLL_FORCE) but fails with EIO where
// nothing is mapped, beyond end-of-file and at guard pages.
func (r *ldReal) readPage(a Addr, buf []byte) bool {
	n, err := syscall.Pread(r.mem, buf, int64(uint64(a)+r.delta))
	return err == nil && n == len(buf)
}

// fileData returns the contents of file slot i.
func (r *ldReal) fileData(i int) ([]byte, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(r.fds[i], &st); err != nil {
		return nil, err
	}
	buf := make([]byte, st.Size)
	n, err := syscall.Pread(r.fds[i], buf, 0)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// ldVMA is one line of a maps listing, in hostvm's addresses, clipped to
// the sandbox.
type ldVMA struct {
	start, end Addr
	perms      string // "rw-p"
	off        uint64
	ino        uint64 // the side's own inode number; 0 anonymous
	name       string // file names relative to the temporary directory
}

// maps reads /proc/self/maps and returns the VMAs overlapping the sandbox.
func (r *ldReal) maps() ([]ldVMA, error) {
	lines, err := linuxsys.ReadMaps()
	if err != nil {
		return nil, err
	}
	lo, hi := r.hvBase+r.delta, r.hvBase+r.delta+r.size
	var out []ldVMA
	for _, m := range lines {
		if m.End <= lo || m.Start >= hi {
			continue
		}
		s, e := max(m.Start, lo), min(m.End, hi)
		out = append(out, ldVMA{start: Addr(s - r.delta), end: Addr(e - r.delta), perms: m.Perms,
			off: m.Offset, ino: m.Inode, name: strings.TrimPrefix(m.Name, r.dir+"/")})
	}
	return out, nil
}

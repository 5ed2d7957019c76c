package hostvm

import "sync"

// pread and pwrite: copies between the simulated memory and files, through
// the faults a user-mode access would take (the kernel's copy_to_user and
// copy_from_user).

// Pread is the system call: it reads up to count bytes at file offset off
// into simulated memory at buf. A fault in buf ends the read early: the
// bytes copied so far are returned, or EFAULT if there are none. Compare
// Linux's ksys_pread64().
func (k *Kernel) Pread(fd int, buf Addr, count uint64, off int64) (uint64, error) {
	if !k.mutable() {
		return 0, EINVAL
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("pread")
	}
	f, count, err := k.rwUser(fd, buf, count, off, false)
	if err != nil {
		return 0, err
	}
	ind := k.fs.inodes[f.ino]
	pos := uint64(off)
	if pos >= ind.size || count == 0 {
		return 0, nil
	}
	count = min(count, ind.size-pos)
	done := uint64(0)
	scratch := k.takeScratch()
	defer scratchPages.Put(scratch)
	for done < count {
		a := buf + Addr(done)
		n := min(count-done, k.g.pageSize-uint64(a)%k.g.pageSize)
		b := (*scratch)[:n]
		k.readFile(ind, b, pos+done)
		if k.accessPage(a, b, AccessWrite) != nil {
			break
		}
		done += n
	}
	if done == 0 {
		return 0, EFAULT
	}
	return done, nil
}

// Pwrite is the system call: it writes count bytes from simulated memory at
// buf to the file at offset off. Compare Linux's ksys_pwrite64().
func (k *Kernel) Pwrite(fd int, buf Addr, count uint64, off int64) (uint64, error) {
	if !k.mutable() {
		return 0, EINVAL
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("pwrite")
	}
	f, count, err := k.rwUser(fd, buf, count, off, true)
	if err != nil {
		return 0, err
	}
	if count == 0 {
		return 0, nil
	}
	ind := k.ownInode(f.ino)
	pos := uint64(off)
	if f.flags&OAppend != 0 {
		pos = ind.size
	}
	if pos >= maxFileSize {
		return 0, EFBIG
	}
	count = min(count, maxFileSize-pos)
	done := uint64(0)
	scratch := k.takeScratch()
	defer scratchPages.Put(scratch)
	for done < count {
		a := buf + Addr(done)
		n := min(count-done, k.g.pageSize-uint64(a)%k.g.pageSize)
		b := (*scratch)[:n]
		if k.accessPage(a, b, AccessRead) != nil {
			break
		}
		k.writeFile(ind, b, pos+done)
		done += n
	}
	if done == 0 {
		return 0, EFAULT
	}
	return done, nil
}

// rwUser is pread's and pwrite's checks of their arguments, in Linux's
// order (rwFile, then the user buffer [buf, buf+count) inside the task
// (EFAULT), then the file range (EINVAL)), and the count Linux clamps to
// MAX_RW_COUNT.
func (k *Kernel) rwUser(fd int, buf Addr, count uint64, off int64, write bool) (openFile, uint64, error) {
	f, err := k.rwFile(fd, off, write)
	if err != nil {
		return openFile{}, 0, err
	}
	if end, ok := AddLen(buf, count); !ok || end > k.g.taskSize {
		return openFile{}, 0, EFAULT
	}
	if !rwRangeOK(off, count) {
		return openFile{}, 0, EINVAL
	}
	return f, min(count, maxRWCount(k.g.pageSize)), nil
}

// rwFile is the first checks of pread and pwrite, in Linux's order: a
// negative offset (EINVAL), then a descriptor that is not open for reading
// (for writing, with write) (EBADF).
func (k *Kernel) rwFile(fd int, off int64, write bool) (openFile, error) {
	if off < 0 {
		return openFile{}, EINVAL
	}
	f, ok := k.fs.file(fd)
	if !ok || write && !f.writable() || !write && !f.readable() {
		return openFile{}, EBADF
	}
	return f, nil
}

// rwRangeOK is rw_verify_area()'s test: the byte range [off, off+count)
// must stay below 2^63 (loff_t), or the call fails with EINVAL.
// Preconditions: off >= 0.
func rwRangeOK(off int64, count uint64) bool {
	return count <= maxFileSize-uint64(off)
}

// maxRWCount is Linux's MAX_RW_COUNT: INT_MAX rounded down to a page.
func maxRWCount(pageSize uint64) uint64 { return AlignDown(1<<31-1, pageSize) }

// scratchPages are the page-sized buffers pread and pwrite copy through a
// page at a time, shared by every kernel (a clone would otherwise make
// its own on its first copy); what one holds is overwritten before it is
// read.
var scratchPages = sync.Pool{New: func() any { return new([]byte) }}

// takeScratch takes a buffer of at least a page from scratchPages; the
// caller puts it back when done.
func (k *Kernel) takeScratch() *[]byte {
	b := scratchPages.Get().(*[]byte)
	if uint64(len(*b)) < k.g.pageSize {
		*b = make([]byte, k.g.pageSize)
	}
	return b
}

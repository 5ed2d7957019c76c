package hostvm

import (
	"maps"
	"sort"

	"github.com/google/btree"
)

// The in-memory file system: a flat namespace of regular files, each with a
// size and a page cache, and a descriptor table. MAP_SHARED mappings of a
// file all use its page cache (there is one copy of each file page), so a
// store through one mapping is seen by every other mapping and by pread.
// Shared anonymous memory is an unnamed file of the mapping's size, as
// Linux's shmem_zero_setup() makes it.

// maxFileSize is Linux's MAX_LFS_FILESIZE on 64-bit hosts.
const maxFileSize = 1<<63 - 1

// maxFDs is RLIMIT_NOFILE's usual soft limit.
const maxFDs = 1024

type inode struct {
	// gen is the generation of the kernel that may write the inode; a
	// kernel of another generation shares it with a clone and copies it
	// first (Kernel.ownInode).
	gen   *generation
	ino   uint32
	path  string // "" for shared anonymous memory
	size  uint64
	mode  uint32             // permission bits, for fstat
	pages *btree.BTreeG[pte] // the page cache, by file page index
}

// openFile is an open file description (Linux's struct file). A mapping
// holds the one it was made through: VMAs merge only if they map the same
// one, not merely the same inode (is_mergeable_vma() compares vm_file).
type openFile struct {
	ino   uint32
	id    uint32 // identity of the open file description, for merging
	flags OpenFlags
}

func (f openFile) readable() bool { return f.flags&OAccMode == ORdOnly || f.flags&OAccMode == ORdWr }
func (f openFile) writable() bool { return f.flags&OAccMode == OWrOnly || f.flags&OAccMode == ORdWr }

// fileSystem is a kernel's files. Clones share it copy-on-write: a table
// (inodes, paths, fds) is copied by the first change a kernel makes to it
// after a Clone (own), and an inode by the first change to its size or
// page cache (Kernel.ownInode).
type fileSystem struct {
	inodes map[uint32]*inode
	paths  map[string]uint32
	fds    map[int]openFile
	// gen is the generation of the kernel that may write the tables.
	gen     *generation
	nextIno uint32
	// nextFile numbers open file descriptions, including those
	// shared anonymous mappings make.
	nextFile uint32
}

func newFileSystem(gen *generation) fileSystem {
	return fileSystem{inodes: map[uint32]*inode{}, paths: map[string]uint32{}, fds: map[int]openFile{}, gen: gen}
}

// own makes fs's tables writable by a kernel of generation gen: copies of
// them where they are shared with a clone. The inodes in them stay
// shared until written (Kernel.ownInode).
func (fs *fileSystem) own(gen *generation) {
	if fs.gen == gen {
		return
	}
	fs.inodes = maps.Clone(fs.inodes)
	fs.paths = maps.Clone(fs.paths)
	fs.fds = maps.Clone(fs.fds)
	fs.gen = gen
}

// newInode adds an empty file, written by a kernel of generation gen.
func (fs *fileSystem) newInode(gen *generation, path string, mode uint32) *inode {
	fs.own(gen)
	fs.nextIno++
	ind := &inode{gen: gen, ino: fs.nextIno, path: path, mode: mode, pages: newPageTree()}
	fs.inodes[ind.ino] = ind
	return ind
}

// ownInode returns inode ino (which exists) ready for k to change: a copy,
// over a copy-on-write snapshot of its page cache, where k shares it with
// a clone. The copy replaces the shared inode in k's table; callers that
// change an inode get it here, never from the table directly.
func (k *Kernel) ownInode(ino uint32) *inode {
	ind := k.fs.inodes[ino]
	if ind.gen == k.gen {
		return ind
	}
	k.fs.own(k.gen)
	c := *ind
	c.gen = k.gen
	c.pages = snapshotPages(ind.pages)
	k.fs.inodes[ino] = &c
	return &c
}

func (fs *fileSystem) file(fd int) (openFile, bool) {
	f, ok := fs.fds[fd]
	return f, ok
}

// Stat is what fstat reports.
type Stat struct {
	Ino     uint64
	Mode    uint32 // S_IFREG | permission bits
	Size    int64
	Blksize int64
	Blocks  int64 // 512-byte blocks holding data
}

// sIFREG is S_IFREG.
const sIFREG = 0o100000

// Open opens (or with O_CREAT creates) the file at path and returns the
// lowest free descriptor from 3 up. Compare Linux's do_sys_openat2(); there
// are no directories, owners or permission checks.
func (k *Kernel) Open(path string, flags OpenFlags, mode uint32) (int, error) {
	if !k.mutable() {
		return -1, EINVAL
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("open")
	}
	if path == "" {
		return -1, ENOENT
	}
	if len(path) >= 4096 {
		return -1, ENAMETOOLONG
	}
	if flags&(OCreat|ODirectory) == OCreat|ODirectory {
		return -1, EINVAL // build_open_flags(), Linux 6.4+
	}
	// An access mode of 3 (O_ACCMODE) is valid: Linux opens the file
	// for neither reading nor writing (an ioctl-only descriptor).
	fd := 3
	for ; fd < maxFDs; fd++ {
		if _, used := k.fs.fds[fd]; !used {
			break
		}
	}
	if fd == maxFDs {
		return -1, EMFILE
	}
	k.fs.own(k.gen)
	ino, exists := k.fs.paths[path]
	switch {
	case exists && flags&(OCreat|OExcl) == OCreat|OExcl:
		return -1, EEXIST
	case !exists && flags&OCreat == 0:
		return -1, ENOENT
	case !exists:
		ind := k.fs.newInode(k.gen, path, mode&0o7777)
		k.fs.paths[path] = ind.ino
		ino = ind.ino
	}
	if flags&ODirectory != 0 {
		return -1, ENOTDIR
	}
	k.fs.nextFile++
	k.fs.fds[fd] = openFile{ino: ino, id: k.fs.nextFile, flags: flags}
	if flags&OTrunc != 0 && exists {
		// do_open() truncates an existing regular file whatever the
		// access mode, O_RDONLY included.
		k.setSize(k.fs.inodes[ino], 0)
	}
	return fd, nil
}

// FcntlGetFl is fcntl(fd, F_GETFL): the flags fd was opened with (its
// access mode in OAccMode).
func (k *Kernel) FcntlGetFl(fd int) (OpenFlags, error) {
	if !k.live() {
		return 0, EINVAL
	}
	f, ok := k.fs.file(fd)
	if !ok {
		return 0, EBADF
	}
	return f.flags, nil
}

// Close releases fd. Mappings of the file stay.
func (k *Kernel) Close(fd int) error {
	if !k.mutable() {
		return EINVAL
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("close")
	}
	if _, ok := k.fs.fds[fd]; !ok {
		return EBADF
	}
	k.fs.own(k.gen)
	delete(k.fs.fds, fd)
	return nil
}

// Unlink removes path from the namespace; open descriptors and mappings
// keep the file.
func (k *Kernel) Unlink(path string) error {
	if !k.mutable() {
		return EINVAL
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("unlink")
	}
	if _, ok := k.fs.paths[path]; !ok {
		return ENOENT
	}
	k.fs.own(k.gen)
	delete(k.fs.paths, path)
	return nil
}

// Fstat describes the file open at fd.
func (k *Kernel) Fstat(fd int) (Stat, error) {
	if !k.live() {
		return Stat{}, EINVAL
	}
	f, ok := k.fs.file(fd)
	if !ok {
		return Stat{}, EBADF
	}
	ind := k.fs.inodes[f.ino]
	blocks := int64(0)
	ind.pages.Ascend(func(e pte) bool {
		for _, c := range e.p.chunks {
			if c != nil {
				blocks += chunkSize / 512
			}
		}
		return true
	})
	return Stat{Ino: uint64(ind.ino), Mode: sIFREG | ind.mode, Size: int64(ind.size),
		Blksize: int64(k.g.pageSize), Blocks: blocks}, nil
}

// Files lists the paths in the namespace, sorted.
func (k *Kernel) Files() []string {
	if !k.live() {
		return nil
	}
	out := make([]string, 0, len(k.fs.paths))
	for p := range k.fs.paths {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// FilePread reads from the file open at fd into p, as pread(2) into a
// buffer outside the simulated address space.
func (k *Kernel) FilePread(fd int, p []byte, off int64) (int, error) {
	if !k.live() {
		return 0, EINVAL
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("pread")
	}
	f, err := k.rwFile(fd, off, false)
	if err != nil {
		return 0, err
	}
	if !rwRangeOK(off, uint64(len(p))) {
		return 0, EINVAL
	}
	return k.readFile(k.fs.inodes[f.ino], p, uint64(off)), nil
}

// FilePwrite writes p to the file open at fd, as pwrite(2) from a buffer
// outside the simulated address space. With O_APPEND it appends, as Linux's
// pwrite does.
func (k *Kernel) FilePwrite(fd int, p []byte, off int64) (int, error) {
	if !k.mutable() {
		return 0, EINVAL
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("pwrite")
	}
	f, err := k.rwFile(fd, off, true)
	if err != nil {
		return 0, err
	}
	if !rwRangeOK(off, uint64(len(p))) {
		return 0, EINVAL
	}
	ind := k.fs.inodes[f.ino]
	pos := uint64(off)
	if f.flags&OAppend != 0 {
		pos = ind.size
	}
	if len(p) == 0 {
		return 0, nil
	}
	if pos >= maxFileSize {
		return 0, EFBIG
	}
	n := min(uint64(len(p)), maxFileSize-pos)
	k.writeFile(ind, p[:n], pos)
	return int(n), nil
}

// Ftruncate sets the size of the file open at fd. Compare Linux's
// do_sys_ftruncate() and truncate_pagecache().
func (k *Kernel) Ftruncate(fd int, length int64) error {
	if !k.mutable() {
		return EINVAL
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("ftruncate")
	}
	if length < 0 {
		return EINVAL
	}
	f, ok := k.fs.file(fd)
	if !ok {
		return EBADF
	}
	if !f.writable() {
		return EINVAL
	}
	k.setSize(k.fs.inodes[f.ino], uint64(length))
	return nil
}

// inFile reports whether file page idx lies (at least partly) below EOF:
// a mapping's access to a page wholly beyond it raises SIGBUS.
func (k *Kernel) inFile(ind *inode, idx uint64) bool {
	return idx < (ind.size+k.g.pageSize-1)>>k.g.pageShift
}

// cachePage returns the page-cache page idx of ind, owned by k, creating it.
func (k *Kernel) cachePage(ind *inode, idx uint64) *page {
	ind = k.ownInode(ind.ino)
	if p := k.ownPage(ind.pages, idx); p != nil {
		return p
	}
	p := k.newPage()
	ind.pages.ReplaceOrInsert(pte{idx, p})
	return p
}

// readFile copies file bytes at pos into p, stopping at EOF; it returns
// the count.
func (k *Kernel) readFile(ind *inode, p []byte, pos uint64) int {
	if pos >= ind.size {
		return 0
	}
	p = p[:min(uint64(len(p)), ind.size-pos)]
	for done := 0; done < len(p); {
		at := pos + uint64(done)
		off := at % k.g.pageSize
		n := int(min(uint64(len(p)-done), k.g.pageSize-off))
		readPage(getPage(ind.pages, at>>k.g.pageShift), off, p[done:done+n])
		done += n
	}
	return len(p)
}

// writeFile stores p at pos, growing the file if needed.
// Preconditions: pos+len(p) <= maxFileSize.
func (k *Kernel) writeFile(ind *inode, p []byte, pos uint64) {
	ind = k.ownInode(ind.ino)
	if end := pos + uint64(len(p)); end > ind.size {
		k.setSize(ind, end)
	}
	for done := 0; done < len(p); {
		at := pos + uint64(done)
		off := at % k.g.pageSize
		n := int(min(uint64(len(p)-done), k.g.pageSize-off))
		k.writePage(k.cachePage(ind, at>>k.g.pageShift), off, p[done:done+n])
		done += n
	}
}

// setSize changes ind's size. Growing clears what a shared mapping may have
// stored beyond the old EOF in its last page, so such stores never reach
// the file. Shrinking drops the page cache beyond the new EOF, zeroes the
// rest of its last page, and discards private copies of the dropped pages
// in every mapping of the file, as truncate_pagecache() does.
func (k *Kernel) setSize(ind *inode, size uint64) {
	ind = k.ownInode(ind.ino)
	old := ind.size
	ps := k.g.pageSize
	if size > old {
		if off := old % ps; off != 0 {
			if p := k.ownPage(ind.pages, old>>k.g.pageShift); p != nil {
				k.zeroPage(p, off, ps-off)
			}
		}
		ind.size = size
		return
	}
	ind.size = size
	keep := (size + ps - 1) >> k.g.pageShift
	deleteKeys(ind.pages, keep, ^uint64(0))
	if off := size % ps; off != 0 {
		if p := k.ownPage(ind.pages, size>>k.g.pageShift); p != nil {
			k.zeroPage(p, off, ps-off)
		}
	}
	var drop []Range
	k.vmas.Ascend(func(v vma) bool {
		if v.ino != ind.ino || v.shared() {
			return true
		}
		last := v.pgoff + uint64(v.end-v.start)>>k.g.pageShift
		if last > keep {
			from := v.start
			if keep > v.pgoff {
				from += Addr((keep - v.pgoff) << k.g.pageShift)
			}
			drop = append(drop, Range{from, v.end})
		}
		return true
	})
	for _, r := range drop {
		k.dropPrivate(r)
	}
}

package box64

import (
	"bytes"
	"encoding/binary"

	"github.com/mmapsim/mmapsim/hostvm"
)

// The Wine PE-section copy of my_mmap64 (wrappedlibc.c:3805-3822): Wine
// maps a PE image's sections into memory it has reserved, at 4K-aligned
// addresses and sector-aligned file offsets the host may refuse; box64
// zeroes the guest pages and reads the file bytes in with pread, as Wine's
// own fallback for such sections does. The copy is private: later writes to
// the file do not reach it.

// peSectionCopied is the condition of 3810-3816.
func (b *Box64) peSectionCopied(r mmapRange, length uint64, prot int, flags hostvm.MapFlags, fd int, offset int64) bool {
	p := b.pageSize()
	return b.opts.Wine && p > x86PageSize && r.start != 0 && length != 0 && r.end > r.start &&
		r.mappedEnd >= r.end && r.hostEnd != 0 && r.start&(x86PageSize-1) == 0 &&
		flags&hostvm.MapFixed != 0 && flags&hostvm.MapPrivate != 0 && flags&(hostvm.MapShared|hostvm.MapAnonymous) == 0 &&
		fd >= 0 && offset >= 0 && prot&protWrite != 0 &&
		(r.start|r.mappedEnd|uint64(offset))&(p-1) != 0 &&
		b.isWritableMapping(r.hostStart, r.hostEnd) &&
		b.canCopyPEMmap(fd, length, offset)
}

// copyPESection is 3817-3822: zero the guest pages, read the file in.
//
// Preconditions: peSectionCopied holds; called inside run.
func (b *Box64) copyPESection(r mmapRange, length uint64, fd int, offset int64) (uint64, hostvm.Errno) {
	b.memset("my_mmap64", r.start, r.mappedEnd-r.start)
	if b.preadMmap(fd, r.start, length, offset) != 0 {
		return mapFailed, b.libc.Errno
	}
	return r.start, b.libc.Errno
}

// preadMmap is 3686-3700 pread_mmap(): read size bytes of the file at
// offset into addr, retrying short reads; end-of-file is EIO.
func (b *Box64) preadMmap(fd int, addr, size uint64, offset int64) int {
	done := uint64(0)
	for done < size {
		n, ok := b.libc.PreadCount(fd, hostvm.Addr(addr+done), size-done, uint64(offset)+done)
		if ok && n > 0 {
			done += n
			continue
		}
		// 3695: EINTR never comes from the simulated host.
		if ok {
			b.libc.Errno = hostvm.EIO // 3696
		}
		return -1
	}
	return 0
}

// canCopyPEMmap is can_copy_pe_mmap() (its tail is 3680-3684): a regular
// file holding all size bytes from offset, and a PE image.
func (b *Box64) canCopyPEMmap(fd int, size uint64, offset int64) bool {
	if offset < 0 {
		return false
	}
	st, ok := b.libc.Fstat(fd)
	if !ok || st.Mode&0o170000 != 0o100000 || st.Size < offset { // 3682
		return false
	}
	return size <= uint64(st.Size-offset) && b.isPEFile(fd) // 3683
}

// isPEFile is is_pe_file() (not in the excerpts): modelled as the PE
// signature check, "MZ" at 0 and "PE\0\0" at the offset the DOS header
// gives (e_lfanew, at 0x3c).
func (b *Box64) isPEFile(fd int) bool {
	var dos [0x40]byte
	if n, err := b.libc.Host.FilePread(fd, dos[:], 0); err != nil || n < len(dos) || dos[0] != 'M' || dos[1] != 'Z' {
		return false
	}
	var sig [4]byte
	off := int64(binary.LittleEndian.Uint32(dos[0x3c:]))
	n, err := b.libc.Host.FilePread(fd, sig[:], off)
	return err == nil && n == len(sig) && sig == [4]byte{'P', 'E', 0, 0}
}

// isElfOrPE is is_elf_or_pe() (not in the excerpts): an ELF image
// ("\x7fELF") or a PE one.
func (b *Box64) isElfOrPE(fd int) bool {
	var magic [4]byte
	if n, err := b.libc.Host.FilePread(fd, magic[:], 0); err == nil && n == len(magic) && bytes.Equal(magic[:], []byte("\x7fELF")) {
		return true
	}
	return b.isPEFile(fd)
}

// isWritableMapping is is_writable_mapping(host_start, host_end) (not in
// the excerpts): modelled as every host page of the range known to box64
// (memExist) with PROT_WRITE in memprot.
func (b *Box64) isWritableMapping(start, end uint64) bool {
	return b.prot.allHave(b.prot.mapallmem, start, end, 0) && b.prot.allHave(b.prot.memprot, start, end, uint32(protWrite))
}

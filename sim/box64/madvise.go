package box64

import "github.com/mmapsim/mmapsim/hostvm"

// my_madvise (box64 wrappedlibc.c:4099-4132): the guest's madvise. Every
// advice but MADV_DONTNEED goes to the host on the whole host pages of the
// range. MADV_DONTNEED of whole host pages goes to the host; of part of a
// host page it is emulated: box64 zeroes the range with memset, unless the
// range's first or last byte is file memory or a page box64 recorded as
// not writable, where it does nothing and says 0.
//
// The raw madvise system call (x64syscall.c's table) reaches the host
// unchanged; the guest's libc calls my_madvise, which is what mmapsim
// models.

// myMadvise is my_madvise(): 0, or -1 with errno in libc.Errno.
func (b *Box64) myMadvise(addr, length uint64, advice hostvm.Advice) int64 {
	p := b.pageSize()
	start := addr
	if start&(x86PageSize-1) != 0 { // 4103-4106
		b.libc.Errno = hostvm.EINVAL
		return -1
	}
	if length == 0 { // 4107
		return 0
	}
	end := (start + length + x86PageSize - 1) &^ (x86PageSize - 1) // 4108
	if advice != hostvm.MadvDontNeed {                             // 4110-4114
		hostStart := start &^ (p - 1)
		hostEnd := (end + p - 1) &^ (p - 1)
		return b.hostMadvise(hostStart, hostEnd-hostStart, advice)
	}
	if p == x86PageSize { // 4116
		return b.hostMadvise(addr, end-start, advice)
	}
	if start&(p-1) == 0 && end&(p-1) == 0 { // 4118-4119
		return b.hostMadvise(addr, end-start, advice)
	}
	if !b.prot.memExist(start) || !b.prot.memExist(end-1) { // 4121-4124
		b.libc.Errno = hostvm.ENOMEM
		return -1
	}
	if b.isAddrElfOrFileMapped(start) || b.isAddrElfOrFileMapped(end-1) { // 4126
		return 0
	}
	if b.prot.getProtection(start)&protWrite == 0 || b.prot.getProtection(end-1)&protWrite == 0 { // 4128
		return 0
	}
	b.memset("my_madvise", start, end-start) // 4130
	return 0
}

// hostMadvise is the host's madvise: 0, or -1 with errno.
func (b *Box64) hostMadvise(addr, length uint64, advice hostvm.Advice) int64 {
	if !b.libc.Madvise(hostvm.Addr(addr), length, advice) {
		return -1
	}
	return 0
}

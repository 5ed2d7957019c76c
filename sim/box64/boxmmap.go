package box64

import "github.com/mmapsim/mmapsim/hostvm"

// box_mmap and box_munmap (custommem.c:3370-3465): the host's mmap as box64
// makes it for the guest. The host places a non-fixed mapping; box64 moves
// it when it lands above 47 bits (x86_64 programs may keep tags in the top
// bits of pointers), or, for MAP_32BIT, below 4 GiB.

// mapFailed is MAP_FAILED, (void*)-1.
const mapFailed = ^uint64(0)

// mmap47Limit is BOX64_MMAP47_LIMIT (custommem.c:3375).
const mmap47Limit = 1 << 47

// fits47Bits is custommem.c:3377.
func fits47Bits(addr, length uint64) bool {
	return addr < mmap47Limit && length <= mmap47Limit-addr
}

// needsWine64KBAlignment is custommem.c:3382: Wine wants its mappings on
// 64K boundaries (Windows' allocation granularity); on a 4K host box64
// moves them there.
func (b *Box64) needsWine64KBAlignment(addr uint64) bool {
	return b.opts.Wine && b.pageSize() == x86PageSize && addr&0xffff != 0
}

// internalMmap is InternalMmap (os_linux.c): the raw mmap system call.
// It returns the address or mapFailed, with errno in libc.Errno.
func (b *Box64) internalMmap(addr, length uint64, prot int, flags hostvm.MapFlags, fd int, offset int64) uint64 {
	p, ok := b.libc.Mmap(hostvm.Addr(addr), length, prot, flags, fd, uint64(offset))
	if !ok {
		return mapFailed
	}
	return uint64(p)
}

// internalMunmap is InternalMunmap (os_linux.c): the raw munmap system
// call; 0 or -1 with errno.
func (b *Box64) internalMunmap(addr, length uint64) int64 {
	if !b.libc.Munmap(hostvm.Addr(addr), length) {
		return -1
	}
	return 0
}

// boxMmap is custommem.c:3387 box_mmap(). It returns the address or
// mapFailed, with errno in libc.Errno.
func (b *Box64) boxMmap(addr, length uint64, prot int, flags hostvm.MapFlags, fd int, offset int64) uint64 {
	if prot&protWrite != 0 { // 3389: PROT_READ is implicit with PROT_WRITE on i386
		prot |= protRead
	}
	newFlags := flags
	oldAddr := addr
	check47bit := false
	newFlags &^= hostvm.Map32Bit // 3395
	if flags&hostvm.Map32Bit != 0 && flags&hostvm.MapFixed == 0 {
		addr = b.prot.find31bitBlockNearHint(oldAddr, length, 0) // 3398
	} else if flags&hostvm.MapFixed == 0 && addr == 0 {
		check47bit = true // 3400
	}
	ret := b.internalMmap(addr, length, prot, newFlags, fd, offset) // 3402
	// 3403-3408: io_uring refuses a hint; retry with the caller's NULL.
	if ret == mapFailed && oldAddr == 0 && fd >= 0 && addr != oldAddr {
		ret = b.internalMmap(oldAddr, length, prot, newFlags, fd, offset)
	}
	switch {
	case ret != mapFailed && flags&hostvm.Map32Bit != 0 &&
		(ret > 0xffffffff || b.opts.Wine && ret&0xffff != 0 && ret != addr): // 3410-3420
		var olderr hostvm.Errno
		ret, olderr = b.mapAgainAt(ret, length, func() uint64 { return b.prot.find31bitBlockNearHint(oldAddr, length, 0) },
			prot, newFlags, fd, offset)
		if oldAddr != 0 && ret != oldAddr && ret != mapFailed {
			b.libc.Errno = olderr
		}
	case ret != mapFailed && check47bit && (!fits47Bits(ret, length) || b.needsWine64KBAlignment(ret)): // 3421-3441
		olderr := b.forgetHostPlacement(ret, length)
		addr = b.prot.find47bitBlock(length)
		if addr != 0 && b.prot.isBlockFree(addr, length) {
			newFlags = dropNoReplace(newFlags | hostvm.MapFixed)
			ret = b.internalMmap(addr, length, prot, newFlags, fd, offset)
			if ret != mapFailed && (!fits47Bits(ret, length) || b.needsWine64KBAlignment(ret)) {
				b.internalMunmap(ret, length)
				ret = mapFailed
				b.libc.Errno = hostvm.ENOMEM
			}
		} else {
			ret = mapFailed
			b.libc.Errno = hostvm.ENOMEM
		}
		if oldAddr != 0 && ret != oldAddr && ret != mapFailed {
			b.libc.Errno = olderr
		}
	case ret != mapFailed && flags&hostvm.MapFixed == 0 && b.opts.Wine && addr != 0 && addr != ret &&
		(ret > 0x7fffffffffff || b.pageSize() == x86PageSize && ret&0xffff != 0): // 3442-3456
		var olderr hostvm.Errno
		ret, olderr = b.mapAgainAt(ret, length, func() uint64 { return b.prot.find47bitBlockNearHint(oldAddr, length, 0) },
			prot, newFlags, fd, offset)
		if oldAddr != 0 && ret != oldAddr && ret != mapFailed {
			b.libc.Errno = olderr
			if oldAddr > 0x7fffffffff && !b.have48bits {
				b.libc.Errno = hostvm.EEXIST
			}
		}
	}
	return ret
}

// forgetHostPlacement undoes the host's placement of a mapping box_mmap
// will move: it unmaps it and reloads box64's map ("because something went
// wrong previously"). It returns errno as it was before.
func (b *Box64) forgetHostPlacement(ret, length uint64) hostvm.Errno {
	olderr := b.libc.Errno
	b.internalMunmap(ret, length)
	b.loadProtectionFromMap()
	return olderr
}

// mapAgainAt is box_mmap's second try for MAP_32BIT (3411-3418) and for
// Wine's hints (3444-3450): the host's placement undone, the mapping is
// made again at the address block finds, with MAP_FIXED where box64
// believes that range free (a hint otherwise). It returns the new result
// and errno as it was before the first try.
func (b *Box64) mapAgainAt(ret, length uint64, block func() uint64, prot int, flags hostvm.MapFlags, fd int, offset int64) (uint64, hostvm.Errno) {
	olderr := b.forgetHostPlacement(ret, length)
	addr := block()
	if addr != 0 && b.prot.isBlockFree(addr, length) {
		flags |= hostvm.MapFixed
	}
	return b.internalMmap(addr, length, prot, dropNoReplace(flags), fd, offset), olderr
}

// dropNoReplace clears MAP_FIXED_NOREPLACE when MAP_FIXED is set too
// (custommem.c:3417, 3428-3429, 3449).
func dropNoReplace(f hostvm.MapFlags) hostvm.MapFlags {
	if f&(hostvm.MapFixed|hostvm.MapFixedNoReplace) == hostvm.MapFixed|hostvm.MapFixedNoReplace {
		f &^= hostvm.MapFixedNoReplace
	}
	return f
}

// boxMunmap is custommem.c:3461 box_munmap().
func (b *Box64) boxMunmap(addr, length uint64) int64 { return b.internalMunmap(addr, length) }

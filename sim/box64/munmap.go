package box64

import "github.com/mmapsim/mmapsim/hostvm"

// my_munmap (box64 wrappedlibc.c:3976-4033): the guest's munmap. On a host
// with larger pages only the host pages the range covers whole go back to
// the host; the partly covered edge host pages stay mapped ("HACK: we have
// to leave partial edge pages mapped", 3991), with their contents and their
// union protection, and box64 records their guest pages with protection 0.

// myMunmap is my_munmap(): 0, or -1 with errno in libc.Errno.
func (b *Box64) myMunmap(addr, length uint64) int64 {
	p := b.pageSize()
	start := addr                            // 3980
	unmapStart, unmapLength := start, length // 3981-3982
	partial := false                         // 3983
	if p > x86PageSize {                     // 3985
		if start&(x86PageSize-1) != 0 || length == 0 { // 3986-3989
			b.libc.Errno = hostvm.EINVAL
			return -1
		}
		guestEnd := (start + length + x86PageSize - 1) &^ (x86PageSize - 1) // 3992
		if start&(p-1) != 0 || guestEnd&(p-1) != 0 {                        // 3993-3999
			hostStart := (start + p - 1) &^ (p - 1)
			hostEnd := guestEnd &^ (p - 1)
			unmapStart = hostStart
			unmapLength = 0
			if hostStart < hostEnd {
				unmapLength = hostEnd - hostStart
			}
			partial = true
		}
	}
	var ret int64
	if unmapLength != 0 { // 4002
		ret = b.boxMunmap(unmapStart, unmapLength)
	}
	// 4004-4015 (the dynarec's) left out.
	if ret != 0 {
		return ret
	}
	b.last.addr[1-b.last.idx], b.last.length[1-b.last.idx] = 0, 0 // 4017-4018
	switch {                                                      // 4019-4022
	case !partial:
		b.prot.freeProtection(start, length)
	case unmapLength != 0:
		b.prot.freeProtection(unmapStart, unmapLength)
	}
	if partial { // 4023-4028
		b.prot.setGuestProtection(start, length, 0)
		if unmapLength != 0 {
			b.prot.freeGuestProtection(unmapStart, unmapLength)
		}
	} else {
		b.prot.freeGuestProtection(start, length)
	}
	b.env.remove(addr, length) // 4029 RemoveMapping
	return 0
}

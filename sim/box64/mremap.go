package box64

import "github.com/mmapsim/mmapsim/hostvm"

// my_mremap (box64 wrappedlibc.c:3917-3974): the guest's mremap goes to the
// host unchanged (which rounds the sizes up to its own pages and refuses an
// address that is not on one); box64 then updates its records: the part
// that grew gets the protection box64 recorded for the old address's host
// page, the part that shrank or moved away is forgotten.

// myMremap is my_mremap(): the new address, or mapFailed with errno in
// libc.Errno.
func (b *Box64) myMremap(oldAddr, oldSize, newSize uint64, flags hostvm.MremapFlags, newAddr uint64) uint64 {
	// 3919-3922 (the dynarec's) left out.
	r, ok := b.libc.Mremap(hostvm.Addr(oldAddr), oldSize, newSize, flags, hostvm.Addr(newAddr)) // 3925
	if !ok {
		return mapFailed
	}
	ret := uint64(r)
	prot := b.prot.getProtection(oldAddr) &^ protCustom // 3928
	if ret == oldAddr {                                 // 3929-3951
		switch {
		case oldSize != 0 && oldSize < newSize:
			b.prot.setProtectionMmap(ret+oldSize, newSize-oldSize, prot)
			b.prot.setGuestProtection(ret+oldSize, newSize-oldSize, prot)
		case oldSize != 0 && newSize < oldSize:
			b.prot.freeProtection(ret+newSize, oldSize-newSize)
			b.prot.freeGuestProtection(ret+newSize, oldSize-newSize)
		case oldSize == 0:
			b.prot.setProtectionMmap(ret, newSize, prot)
			b.prot.setGuestProtection(ret, newSize, prot)
		}
		return ret
	}
	if oldSize != 0 && flags&hostvm.MremapDontUnmap == 0 { // 3953-3964
		b.prot.freeProtection(oldAddr, oldSize)
		b.prot.freeGuestProtection(oldAddr, oldSize)
	}
	b.prot.setProtectionMmap(ret, newSize, prot)  // 3965 "should copy the protection from old block"
	b.prot.setGuestProtection(ret, newSize, prot) // 3966
	return ret
}

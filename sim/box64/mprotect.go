package box64

import "github.com/mmapsim/mmapsim/hostvm"

// my_mprotect (box64 wrappedlibc.c:4035-4097): the guest's mprotect. A host
// page the range covers in part gets the union of the new protection and
// the one box64 recorded for it: its protection never shrinks on a partial
// call. The guest pages' own protection is recorded in memprot_guest.
//
//	range                                   host calls
//	inside one host page, not all of it     mprotect(host page, prot | recorded)        (4063-4071)
//	starts inside a host page               mprotect(first host page, prot | recorded)  (4073-4079)
//	ends inside a host page                 mprotect(last host page, prot | recorded)   (4080-4086)
//	the host pages it covers whole          mprotect(them, prot)                        (4091)

// myMprotect is my_mprotect(): 0, or -1 with errno in libc.Errno.
func (b *Box64) myMprotect(addr, length uint64, prot int) int64 {
	// 4037-4040 (the dynarec's) left out.
	if prot&protWrite != 0 { // 4043-4044: PROT_READ is implicit with PROT_WRITE on x86_64
		prot |= protRead
	}
	start := addr
	p := b.pageSize()
	if p == x86PageSize { // 4046-4053
		if !b.libc.Mprotect(hostvm.Addr(addr), length, prot) {
			return -1
		}
		if length != 0 {
			b.prot.updateProtection(start, length, prot)
			b.prot.setGuestProtection(start, length, prot)
		}
		return 0
	}
	if start&(x86PageSize-1) != 0 { // 4054-4057
		b.libc.Errno = hostvm.EINVAL
		return -1
	}
	if length == 0 { // 4058
		return 0
	}
	end := (start + length + x86PageSize - 1) &^ (x86PageSize - 1) // 4059
	hostStart := start &^ (p - 1)                                  // 4060
	hostEnd := (end + p - 1) &^ (p - 1)                            // 4061

	if hostEnd-hostStart == p && (start != hostStart || end != hostEnd) { // 4063-4071
		hostProt := prot | b.prot.getProtection(hostStart)&^protCustom
		if !b.libc.Mprotect(hostvm.Addr(hostStart), p, hostProt) {
			return -1
		}
		b.prot.updateProtection(hostStart, p, hostProt)
		b.prot.setGuestProtection(start, end-start, prot)
		return 0
	}
	if start != hostStart { // 4073-4079
		hostProt := prot | b.prot.getProtection(hostStart)&^protCustom
		if !b.libc.Mprotect(hostvm.Addr(hostStart), p, hostProt) {
			return -1
		}
		b.prot.updateProtection(hostStart, p, hostProt)
		hostStart += p
	}
	if end != hostEnd { // 4080-4086
		hostEnd -= p
		hostProt := prot | b.prot.getProtection(hostEnd)&^protCustom
		if !b.libc.Mprotect(hostvm.Addr(hostEnd), p, hostProt) {
			return -1
		}
		b.prot.updateProtection(hostEnd, p, hostProt)
	}
	if hostStart == hostEnd { // 4087-4090
		b.prot.setGuestProtection(start, end-start, prot)
		return 0
	}
	if !b.libc.Mprotect(hostvm.Addr(hostStart), hostEnd-hostStart, prot) { // 4091
		return -1
	}
	b.prot.updateProtection(hostStart, hostEnd-hostStart, prot) // 4093
	b.prot.setGuestProtection(start, end-start, prot)           // 4094
	return 0
}

package box64

import "github.com/mmapsim/mmapsim/hostvm"

// my_mmap64 (box64 wrappedlibc.c:3702-3914): the guest's mmap.
//
// What it does with a mapping, by case (P the host page, larger than 4K):
//
//	case                                             box64
//	MAP_FIXED|MAP_ANONYMOUS|MAP_PRIVATE, offset 0,   whole host pages mapped by the host; the partly
//	  4K-aligned, not host-aligned, the partly       covered edge host pages kept, their protection
//	  covered edge host pages known to box64         the union of old and new, the new guest pages
//	                                                 zeroed in place (mmap_edges.go)
//	Wine only: MAP_FIXED|MAP_PRIVATE file mapping,   the guest pages zeroed and the file read in with
//	  writable, address, end or offset not host-     pread (Wine's PE sections; mmap_pe.go)
//	  aligned, inside writable memory, a PE file
//	anything else                                    to the host unchanged (box_mmap): a 4K-aligned
//	                                                 address or offset the host refuses (EINVAL)
//
// Afterwards box64 records the mapping: its host pages in mapallmem and
// memprot (the edge pages with their union), its 4K pages in memprot_guest,
// a file mapping in the env record.

// myMmap64 is my_mmap64() for a guest call (emu is set; box32 is not
// modelled, so the 32-bit check of 3827-3832 never applies). It returns the
// address or mapFailed, and errno.
func (b *Box64) myMmap64(addr, length uint64, prot int, flags hostvm.MapFlags, fd int, offset int64) (uint64, hostvm.Errno) {
	start := addr                                                   // 3707
	end := start + length                                           // 3708
	mappedEnd := (end + x86PageSize - 1) &^ (x86PageSize - 1)       // 3709
	hostStart := start &^ (b.pageSize() - 1)                        // 3713
	hostEnd := (mappedEnd + b.pageSize() - 1) &^ (b.pageSize() - 1) // 3714
	r := mmapRange{start: start, end: end, mappedEnd: mappedEnd, hostStart: hostStart, hostEnd: hostEnd}

	var ret uint64
	var e hostvm.Errno
	var edges edgePages
	switch {
	case b.edgesEmulated(r, length, flags, offset): // 3722-3731
		ret, e, edges = b.mmapWithEdges(r, prot, flags, fd, offset)
	case b.peSectionCopied(r, length, prot, flags, fd, offset): // 3805-3816
		ret, e = b.copyPESection(r, length, fd, offset)
	default:
		ret = b.boxMmap(addr, length, prot, flags, fd, offset) // 3824
		e = b.libc.Errno
	}
	// 3835-3848 (the dynarec's block database) left out.
	if ret == mapFailed {
		return ret, e
	}
	if flags&hostvm.MapAnonymous == 0 && fd > 0 { // 3850-3862
		b.recordFileMapping(ret, length, fd)
	}
	// 3863-3869: PROT_NEVERCLEAN for shared mappings of O_RDWR files, the
	// dynarec's, left out.
	if fd == -1 && flags&(hostvm.MapPrivate|hostvm.MapAnonymous) == hostvm.MapPrivate|hostvm.MapAnonymous { // 3874-3881
		b.last.addr[b.last.idx], b.last.length[b.last.idx] = ret, length
	} else {
		b.last.addr[b.last.idx], b.last.length[b.last.idx] = 0, 0
	}
	b.last.idx = 1 - b.last.idx                  // 3882
	b.prot.setProtectionMmap(ret, length, prot)  // 3893
	b.prot.setGuestProtection(ret, length, prot) // 3894
	if edges.first {                             // 3897-3902
		b.prot.setProtectionMmap(edges.firstPage, b.pageSize(), edges.firstProt)
	}
	if edges.last { // 3903-3908
		b.prot.setProtectionMmap(edges.lastPage, b.pageSize(), edges.lastProt)
	}
	// 3909-3910 set errno to EEXIST when a hint was not honoured: the
	// call succeeded, so the guest does not see it.
	return ret, e
}

// mmapRange is my_mmap64's arithmetic on the guest's range (3707-3714),
// at uintptr_t width: end and mappedEnd may wrap.
type mmapRange struct {
	start, end, mappedEnd uint64
	hostStart, hostEnd    uint64 // the host pages that hold [start, mappedEnd)
}

// recordFileMapping is 3850-3861: a file mapping goes into the env record,
// as the whole of the last anonymous mapping when it lies inside one and
// the file is an ELF or PE image (Wine maps images into a reservation, with
// holes, and wants them tracked as one).
func (b *Box64) recordFileMapping(ret, length uint64, fd int) {
	in0 := ret >= b.last.addr[0] && ret+length < b.last.addr[0]+b.last.length[0] // 3853
	in1 := ret >= b.last.addr[1] && ret+length < b.last.addr[1]+b.last.length[1] // 3854
	isExecutable := (in0 || in1) && b.isElfOrPE(fd)                              // 3855
	switch {
	case isExecutable && in0:
		b.recordEnvMappings(b.last.addr[0], b.last.length[0], fd)
	case isExecutable && in1:
		b.recordEnvMappings(b.last.addr[1], b.last.length[1], fd)
	default:
		b.recordEnvMappings(ret, length, fd)
	}
}

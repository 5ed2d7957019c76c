package box64

import (
	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/internal/runs"
	"github.com/mmapsim/mmapsim/sim"
	"github.com/mmapsim/mmapsim/sim/internal/base"
)

// custommem.c's protection bookkeeping (box64 custommem.c:2651-2950), the
// state box64 keeps of the address space, in three trees:
//
//   - mapallmem: host page -> what owns it (MEM_MMAP for the guest's
//     mappings, MEM_EXTERNAL for what loadProtectionFromMap found, ...);
//     memExist() asks it;
//   - memprot: host page -> the protection box64 believes the host page
//     has (getProtection());
//   - memprot_guest: 4K guest page -> the guest's own protection, kept
//     only when the host page is larger than 4K (setGuestProtection()).
//
// box64 keeps them in red-black trees of ranges (tools/rbtree.c); here they
// are runs.Map of page numbers, which answer every query the port makes
// (rb_get, rb_get_end, rb_set, rb_unset) the same way: rb_set keeps a node
// of value 0 apart from "no node", which only memprot_guest tells apart,
// and it stores PageValid with every value.
//
// Left out (the JIT's, not what the guest sees): the PROT_DYNAREC,
// PROT_DYNAREC_R, PROT_NOPROT, PROT_NEVERCLEAN(_MIXED) bits that
// updateProtection() and my_mmap64 (wrappedlibc.c:3863-3869) add,
// memprot_guest_dyn, the hot pages and protectDB. With the dynarec off
// none of them changes a host call or a guest-visible result.

// protCustom is PROT_CUSTOM (custommem.h): box64's own bits in memprot.
// Nothing here sets them; the port masks them where the C does.
const protCustom = 0x20 | 0x40 | 0x80 | 0x100 | 0x200

// The C's PROT_* values (Linux's).
const (
	protRead  = int(hostvm.ProtRead)
	protWrite = int(hostvm.ProtWrite)
	protExec  = int(hostvm.ProtExec)
)

// memKind is a mapallmem value: who owns a host page. box64's enum is not
// in the excerpts; only "non-zero" (memExist) matters to the ported code,
// and the kinds say where an entry came from.
type memKind uint32

const (
	memMmap     memKind = 1 + iota // MEM_MMAP: a guest mmap (setProtection_mmap)
	memBox                         // MEM_BOX: box64's own, through box_mmap with no emu (setProtection_box)
	memExternal                    // MEM_EXTERNAL: found in /proc/self/maps (allocProtection)
)

// protection is custommem.c's three trees. Invariants: mapallmem and
// memprot are keyed by host page number (their ranges are host-page
// aligned, as every C caller aligns them); guest is keyed by 4K page and
// its values are PageValid|RWX.
type protection struct {
	page      uint64   // box64_pagesize
	mapallmem runs.Map // host page number -> memKind
	memprot   runs.Map // host page number -> protection (0: none recorded)
	// guest is memprot_guest; tracked says it exists (box64 allocates it
	// only when box64_pagesize > X86_PAGE_SIZE).
	guest   base.PageFlags
	tracked bool
}

func newProtection(page uint64) protection {
	return protection{page: page, mapallmem: runs.New(), memprot: runs.New(),
		guest: base.NewPageFlags(x86PageSize), tracked: page > x86PageSize}
}

func (p *protection) clone() protection {
	c := *p
	c.mapallmem, c.memprot = p.mapallmem.Clone(), p.memprot.Clone()
	c.guest = p.guest.Clone()
	return c
}

// align is custommem.h's ALIGN(p): up to a host page, wrapping at 64 bits
// as uintptr_t does.
func (p *protection) align(x uint64) uint64 { return (x + p.page - 1) &^ (p.page - 1) }

// set gives host pages [start, end) of tree t the value v (0: removes
// them): rb_set / rb_unset.
//
// Preconditions: start and end are host-page aligned.
func (p *protection) set(t runs.Map, start, end uint64, v uint32) {
	if end > start {
		t.Set(start/p.page, end/p.page, v)
	} else if end == 0 && start != 0 {
		t.Set(start/p.page, ^uint64(0)/p.page+1, v) // the range reached the top of the space
	}
}

// getEnd is rb_get_end(t, addr, &val, &end): whether addr is in a range of
// t, its value, and the end of that range (or, when it is in none, the
// start of the next one, or the top of the space).
func (p *protection) getEnd(t runs.Map, addr uint64) (present bool, val uint32, end uint64) {
	n := addr / p.page
	if r, ok := t.At(n); ok {
		return true, r.Val, r.End * p.page
	}
	end = ^uint64(0)
	t.EachIn(n, ^uint64(0)/p.page+1, func(r runs.Run) bool {
		end = r.First * p.page
		return false
	})
	return false, 0, end
}

// updateProtection is custommem.c:2651 updateProtection(): memprot of the
// host pages holding [addr, addr+size) becomes prot. It leaves mapallmem
// alone (its rb_set there is commented out, 2660).
func (p *protection) updateProtection(addr, size uint64, prot int) {
	cur := addr &^ (p.page - 1)              // 2655
	end := p.align(cur + size)               // 2656
	p.set(p.memprot, cur, end, uint32(prot)) // 2661-2694, without the dynarec bits
}

// setProtectionGeneric is custommem.c:2699 setProtection_generic(). Note
// that the range is [addr rounded down, that + ALIGN(size)): a range that
// starts inside a host page loses its last host page when its end does
// not round up past it (2703-2704).
func (p *protection) setProtectionGeneric(addr, size uint64, prot int, kind memKind) {
	if size == 0 { // 2701
		return
	}
	addr &^= p.page - 1 // 2703
	size = p.align(size)
	if prot == 0 { // 2705-2710
		p.set(p.mapallmem, addr, addr+size, uint32(kind))
		p.set(p.memprot, addr, addr+size, 0)
		return
	}
	cur := addr &^ (p.page - 1) // 2714-2717
	end := p.align(cur + size)
	p.set(p.mapallmem, cur, end, uint32(kind))
	p.set(p.memprot, cur, end, uint32(prot))
}

// setProtectionMmap is custommem.c:2737 setProtection_mmap().
func (p *protection) setProtectionMmap(addr, size uint64, prot int) {
	p.setProtectionGeneric(addr, size, prot, memMmap)
}

// allocProtection is custommem.c:2778 allocProtection(): a host range
// found in /proc/self/maps is recorded as MEM_EXTERNAL unless its first
// host page is already known ("no half-block handled", 2787).
func (p *protection) allocProtection(addr, size uint64) {
	size = p.align(size) // 2781
	addr &^= p.page - 1
	if there, _, _ := p.getEnd(p.mapallmem, addr); !there {
		p.set(p.mapallmem, addr, addr+size, uint32(memExternal))
	}
}

// freeProtection is custommem.c:2861 freeProtection(): the host pages of
// [addr rounded down, that + ALIGN(size)) are forgotten. A range that
// starts inside a host page takes the whole host page with it.
func (p *protection) freeProtection(addr, size uint64) {
	size = p.align(size) // 2863
	addr &^= p.page - 1  // 2864
	p.set(p.mapallmem, addr, addr+size, 0)
	p.set(p.memprot, addr, addr+size, 0)
}

// alignGuestPageRange is custommem.c:1410: [addr, addr+size) widened to
// 4K pages; false when empty (or when the end wrapped).
func alignGuestPageRange(addr, size uint64) (start, end uint64, ok bool) {
	if size == 0 { // 1412
		return 0, 0, false
	}
	end = addr + size
	start = addr &^ (x86PageSize - 1)
	end = (end + x86PageSize - 1) &^ (x86PageSize - 1)
	return start, end, end > start
}

// setGuestProtection is custommem.c:2874 setGuestProtection(): the 4K
// guest pages of [addr, addr+size) get prot (a node even when prot is 0).
// Only on hosts with pages larger than 4K.
func (p *protection) setGuestProtection(addr, size uint64, prot int) {
	start, end, ok := alignGuestPageRange(addr, size)
	if !p.tracked || !ok { // 2877
		return
	}
	p.guest.SetPages(start/x86PageSize, end/x86PageSize, sim.PageValid|uint32(prot&^protCustom)&sim.PageBits) // 2879
}

// freeGuestProtection is custommem.c:2888 freeGuestProtection().
func (p *protection) freeGuestProtection(addr, size uint64) {
	start, end, ok := alignGuestPageRange(addr, size)
	if !p.tracked || !ok { // 2891
		return
	}
	p.guest.SetPages(start/x86PageSize, end/x86PageSize, 0) // 2893
}

// isGuestRangeFakelyProtected is custommem.c:2899: whether every guest
// page box64 tracks in [addr, addr+size) allows prot. Pages it does not
// track pass (the host decides for them).
func (p *protection) isGuestRangeFakelyProtected(addr, size uint64, prot int) bool {
	if !p.tracked || size == 0 { // 2901
		return true
	}
	end := addr + size
	if end < addr { // 2903
		return false
	}
	for _, r := range p.guest.RunsIn(addr, end) { // 2906-2916
		if int(r.Flags)&prot != prot {
			return false
		}
	}
	return true
}

// getProtection is custommem.c:2921 getProtection(): memprot of the host
// page holding addr.
func (p *protection) getProtection(addr uint64) int { return int(p.memprot.Get(addr / p.page)) }

// memExist is custommem.c:2947 memExist(): whether box64 knows the host
// page holding addr.
func (p *protection) memExist(addr uint64) bool { return p.mapallmem.Get(addr/p.page) != 0 }

// allHave reports whether every host page of [start, end) is in tree t
// with all the bits need.
//
// Preconditions: start and end are host-page aligned.
func (p *protection) allHave(t runs.Map, start, end uint64, need uint32) bool {
	first, last := start/p.page, end/p.page
	at := first
	t.EachIn(first, last, func(r runs.Run) bool {
		if r.First > at || r.Val&need != need {
			return false
		}
		at = r.End
		return true
	})
	return at >= last
}

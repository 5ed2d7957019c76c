package replay

import (
	"debug/elf"
	"fmt"
	"strings"
)

// The verdict's fix names a library's segment alignment when the file is
// on this machine (Options.ReadFiles): its ELF program headers say how it
// was linked. Compare Linux fs/binfmt_elf.c:elf_map() and glibc
// elf/dl-map-segments.h, which map each PT_LOAD segment from its file
// offset rounded down to the page, and refuse one whose address and offset
// differ by other than a multiple of the page.

// loadSegment is one PT_LOAD program header.
type loadSegment struct {
	off, vaddr, align uint64
}

// elfLoads is what the verdict reads of an ELF file.
type elfLoads struct {
	loads  []loadSegment
	interp string // PT_INTERP: the program's dynamic loader; "" for a library or a static program
}

// readELF reads the program headers of the ELF file at path. Nothing in
// the file can make it panic: a malformed one is an error.
func readELF(path string) (info *elfLoads, err error) {
	defer func() {
		if r := recover(); r != nil {
			info, err = nil, fmt.Errorf("%s: malformed ELF file", path)
		}
	}()
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info = &elfLoads{}
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_LOAD:
			info.loads = append(info.loads, loadSegment{off: p.Off, vaddr: p.Vaddr, align: p.Align})
		case elf.PT_INTERP:
			if b := make([]byte, min(p.Filesz, 4096)); len(b) > 0 {
				if n, _ := p.ReadAt(b, 0); n > 0 {
					info.interp = strings.TrimRight(string(b[:n]), "\x00")
				}
			}
		}
	}
	return info, nil
}

// misplaced returns the first PT_LOAD segment whose address and file
// offset are not congruent modulo page: no loader can map it on a host of
// that page size.
func (e *elfLoads) misplaced(page uint64) (loadSegment, bool) {
	for _, l := range e.loads {
		if (l.vaddr-l.off)%page != 0 {
			return l, true
		}
	}
	return loadSegment{}, false
}

// describe says how the file's LOAD segments are aligned, for a host of
// page bytes: "its 4 LOAD segments have p_align 0x1000; the one at file
// offset 0x295b8 (vaddr 0x2a5b8) is 0x1000 away from a 16K boundary
// congruence, which the loader refuses".
func (e *elfLoads) describe(page uint64) string {
	if len(e.loads) == 0 {
		return "it has no LOAD segments"
	}
	small := uint64(0)
	for _, l := range e.loads {
		if l.align < page && (small == 0 || l.align < small) {
			small = l.align
		}
	}
	var b strings.Builder
	if small == 0 {
		fmt.Fprintf(&b, "its %d LOAD %s have p_align %#x or more", len(e.loads), plural(len(e.loads), "segment", "segments"), page)
	} else {
		fmt.Fprintf(&b, "its LOAD segments have p_align %#x, below the %s host page", small, sizeText(page))
	}
	if l, ok := e.misplaced(page); ok {
		fmt.Fprintf(&b, "; the one at file offset %#x is at address %#x, %#x apart, not a multiple of %s: no loader can map it on this host",
			l.off, l.vaddr, l.vaddr-l.off, sizeText(page))
	}
	return b.String()
}

// sizeText writes a page size as settings do: "16K", "64K", "0x1800".
func sizeText(v uint64) string {
	switch {
	case v != 0 && v%(1<<20) == 0:
		return fmt.Sprintf("%dM", v>>20)
	case v != 0 && v%(1<<10) == 0:
		return fmt.Sprintf("%dK", v>>10)
	}
	return fmt.Sprintf("%#x", v)
}

package box64

import (
	"maps"

	"github.com/mmapsim/mmapsim/internal/runs"
)

// The file-mapping record of box64's tools/env.c (RecordEnvMappings,
// RemoveMapping, IsAddrFileMapped; not in the excerpts: ported from public
// box64 source of 2025, whose logic the HEAD calls in my_mmap64 and
// my_munmap rely on). box64 keeps it to apply per-program settings and the
// dynarec cache by address; my_madvise (wrappedlibc.c:4126) asks it
// whether an address is file memory. Ranges are the exact bytes given
// (addr, addr+length), not rounded to pages.

// envMappings is envmap and mapping_entries. Invariant: every id in ranges
// is the id of an entry of files.
type envMappings struct {
	ranges runs.Map            // byte address -> mapping id (envmap)
	files  map[uint64]envEntry // by the file's identity (box64: its full name; here its inode)
	nextID uint32
}

// envEntry is a mapping_t: one file, and the lowest address it was first
// recorded at.
type envEntry struct {
	id    uint32
	start uint64 // mapping->start
}

func newEnvMappings() envMappings {
	return envMappings{ranges: runs.New(), files: map[uint64]envEntry{}, nextID: 1}
}

func (m *envMappings) clone() envMappings {
	c := *m
	c.ranges = m.ranges.Clone()
	c.files = maps.Clone(m.files)
	return c
}

// record is RecordEnvMappings(addr, length, fd) for the file with inode
// ino: the first mapping of a file sets its start; a later one below that
// start is ignored ("Ignoring Mapping ... adjusted start").
func (m *envMappings) record(addr, length, ino uint64) {
	e, ok := m.files[ino]
	if !ok {
		e = envEntry{id: m.nextID, start: addr}
		m.nextID++
		m.files[ino] = e
	}
	if e.start > addr {
		return
	}
	if end := addr + length; end > addr {
		m.ranges.Set(addr, end, e.id)
	}
}

// remove is RemoveMapping(addr, length): the range is forgotten, and the
// file's entry too once no range of it is left.
func (m *envMappings) remove(addr, length uint64) {
	id := m.ranges.Get(addr)
	end := addr + length
	if end < addr {
		end = ^uint64(0)
	}
	m.ranges.Set(addr, end, 0)
	if id == 0 || m.ranges.Get(end) == id {
		return
	}
	left := false
	m.ranges.Each(func(r runs.Run) bool {
		left = r.Val == id
		return !left
	})
	if left {
		return
	}
	for ino, e := range m.files {
		if e.id == id {
			delete(m.files, ino)
		}
	}
}

// fileMapped is IsAddrFileMapped(addr, NULL, NULL).
func (m *envMappings) fileMapped(addr uint64) bool { return m.ranges.Get(addr) != 0 }

// isAddrElfOrFileMapped is os_linux.c's IsAddrElfOrFileMapped():
// FindElfAddress (an ELF box64's own loader loaded: none here, mmapsim
// loads no program) or a recorded file mapping.
func (b *Box64) isAddrElfOrFileMapped(addr uint64) bool { return b.env.fileMapped(addr) }

// recordEnvMappings is RecordEnvMappings(addr, length, fd): it records
// nothing for a descriptor it cannot name (readlink of /proc/self/fd
// failing: here, fstat failing).
func (b *Box64) recordEnvMappings(addr, length uint64, fd int) {
	if fd <= 0 {
		return
	}
	st, err := b.libc.Host.Fstat(fd)
	if err != nil {
		return
	}
	b.env.record(addr, length, st.Ino)
}

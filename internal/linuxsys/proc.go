package linuxsys

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// MapsLine is one line of /proc/self/maps:
// "start-end perms offset dev inode   name".
type MapsLine struct {
	Start, End uint64 // [Start, End)
	Perms      string // "rw-p"
	Offset     uint64
	Dev        string // "fd:01"
	Inode      uint64 // 0 for anonymous memory
	Name       string // a path, "[heap]", "[stack]", ... or ""
}

// ParseMapsLine parses one line of a maps listing (without its newline).
func ParseMapsLine(line string) (MapsLine, error) {
	rest := line
	field := func() string {
		rest = strings.TrimLeft(rest, " ")
		i := strings.IndexByte(rest, ' ')
		if i < 0 {
			f := rest
			rest = ""
			return f
		}
		f := rest[:i]
		rest = rest[i+1:]
		return f
	}
	rng, perms, off, dev, ino := field(), field(), field(), field(), field()
	start, end, ok := strings.Cut(rng, "-")
	if !ok {
		return MapsLine{}, fmt.Errorf("maps line %q: no range", line)
	}
	if len(perms) != 4 {
		return MapsLine{}, fmt.Errorf("maps line %q: permissions %q are not 4 letters", line, perms)
	}
	s, err1 := strconv.ParseUint(start, 16, 64)
	e, err2 := strconv.ParseUint(end, 16, 64)
	o, err3 := strconv.ParseUint(off, 16, 64)
	n, err4 := strconv.ParseUint(ino, 10, 64)
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil {
			return MapsLine{}, fmt.Errorf("maps line %q: %v", line, err)
		}
	}
	return MapsLine{Start: s, End: e, Perms: perms, Offset: o, Dev: dev, Inode: n, Name: strings.TrimLeft(rest, " ")}, nil
}

// ParseMaps parses a whole maps listing.
func ParseMaps(text string) ([]MapsLine, error) {
	var out []MapsLine
	for _, line := range strings.Split(text, "\n") {
		if line == "" {
			continue
		}
		m, err := ParseMapsLine(line)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// ReadMaps reads and parses /proc/self/maps: this process's VMAs, in
// address order.
func ReadMaps() ([]MapsLine, error) {
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return nil, err
	}
	return ParseMaps(string(b))
}

// VMSysctl reads the number in /proc/sys/vm/name ("max_map_count",
// "mmap_min_addr", ...).
func VMSysctl(name string) (uint64, error) {
	b, err := os.ReadFile("/proc/sys/vm/" + name)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("/proc/sys/vm/%s: %v", name, err)
	}
	return v, nil
}

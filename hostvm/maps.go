package hostvm

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/internal/cowtree"
)

// Mapping is one line of /proc/self/maps.
type Mapping struct {
	Start, End Addr
	Prot       Prot
	Shared     bool   // 's' (MAP_SHARED) rather than 'p'
	Offset     uint64 // file offset of Start; 0 for anonymous memory
	Inode      uint64 // 0 for anonymous memory
	Name       string // file path, "[heap]", "[stack]", "/dev/zero (deleted)", or ""
	GrowsDown  bool   // MAP_GROWSDOWN (not printed by Linux; shown by Debug)
	Anonymous  bool   // no file behind it (private anonymous memory)
	// PKey is the protection key (smaps' ProtectionKey, not printed in
	// maps): ExecOnlyPKey on a VMA that has the execute-only key
	// (Config.PKeys), else 0.
	PKey int
}

// ExecOnlyPKey is the key Linux allocates for a process's execute-only
// mappings: the first free one, key 0 being everyone's default.
const ExecOnlyPKey = 1

// String renders m exactly as Linux's show_map_vma() does.
func (m Mapping) String() string {
	s := 'p'
	if m.Shared {
		s = 's'
	}
	dev := "00:00"
	if m.Inode != 0 {
		dev = "00:01"
	}
	line := fmt.Sprintf("%08x-%08x %v%c %08x %s %d ", uint64(m.Start), uint64(m.End), m.Prot, s, m.Offset, dev, m.Inode)
	if m.Name == "" {
		return line // Linux leaves the trailing space
	}
	// show_vma_header_prefix() sets a width of 72 columns and seq_pad()
	// fills up to it, then always adds one more space: names start at
	// column 73, or one space after a longer header.
	if pad := 72 - len(line); pad > 0 {
		line += strings.Repeat(" ", pad)
	}
	return line + " " + m.Name
}

func (k *Kernel) mapping(v vma) Mapping {
	m := Mapping{Start: v.start, End: v.end, Prot: v.prot, Shared: v.shared(),
		GrowsDown: v.flags&vmGrowsDown != 0, Anonymous: v.ino == 0}
	if v.flags&vmExecOnlyKey != 0 {
		m.PKey = ExecOnlyPKey
	}
	if v.ino != 0 {
		m.Inode = uint64(v.ino)
		m.Offset = v.pgoff << k.g.pageShift
		ind, ok := k.fs.inodes[v.ino]
		switch {
		case !ok:
			// Only a corrupt kernel gets here; CheckInvariants
			// reports it and dumps the maps with this line.
			m.Name = "(missing inode)"
		case ind.path == "":
			m.Name = "/dev/zero (deleted)"
		case k.fs.paths[ind.path] != ind.ino:
			m.Name = ind.path + " (deleted)" // unlinked, as d_path() shows it
		default:
			m.Name = ind.path
		}
	} else if v.start < k.brk && v.end > k.startBrk {
		// vma_is_initial_heap(), with Linux 6.18's strict bounds: the
		// VMA ending exactly at start_brk is not the heap
		// (probes/out_q27.txt).
		m.Name = "[heap]"
	} else if k.cfg.StackSize != 0 && v.start <= k.g.taskSize-1 && v.end >= k.g.taskSize {
		m.Name = "[stack]"
	}
	return m
}

// Maps lists the address space in address order, one Mapping per VMA.
func (k *Kernel) Maps() []Mapping {
	if !k.live() {
		return nil
	}
	out := make([]Mapping, 0, k.vmas.Len())
	k.vmas.Ascend(func(v vma) bool {
		out = append(out, k.mapping(v))
		return true
	})
	return out
}

// Lookup returns the mapping containing a.
func (k *Kernel) Lookup(a Addr) (Mapping, bool) {
	if !k.live() {
		return Mapping{}, false
	}
	v, ok := k.findVMA(a)
	if !ok {
		return Mapping{}, false
	}
	return k.mapping(v), true
}

// MappingsIn lists the mappings overlapping r, in address order.
func (k *Kernel) MappingsIn(r Range) []Mapping { return k.AppendMappingsIn(nil, r) }

// AppendMappingsIn appends the mappings overlapping r, in address order,
// to dst and returns the result: MappingsIn into a caller's buffer, for
// checks that list mappings after every call.
func (k *Kernel) AppendMappingsIn(dst []Mapping, r Range) []Mapping {
	if !k.live() {
		return dst
	}
	var c cowtree.Cursor[vma]
	for k.seekVMA(&c, r.Start); c.Valid() && c.Item().start < r.End; c.Next() {
		dst = append(dst, k.mapping(c.Item()))
	}
	return dst
}

// MapsString renders the address space as /proc/self/maps does, one line
// per VMA, each ending in a newline.
func (k *Kernel) MapsString() string {
	if !k.live() {
		return ""
	}
	var b strings.Builder
	k.vmas.Ascend(func(v vma) bool {
		b.WriteString(k.mapping(v).String())
		b.WriteByte('\n')
		return true
	})
	return b.String()
}

// Debug renders the address space with what /proc/self/maps hides: the
// vm_flags that keep look-alike neighbours apart, and anon_vma identities.
func (k *Kernel) Debug() string {
	if !k.live() {
		return ""
	}
	var b strings.Builder
	k.vmas.Ascend(func(v vma) bool {
		fmt.Fprintf(&b, "%s flags=%s anon=%d pgoff=%#x", k.mapping(v), v.flags, v.anon, v.pgoff)
		if v.file != 0 {
			fmt.Fprintf(&b, " file=%d", v.file)
		}
		b.WriteByte('\n')
		return true
	})
	return b.String()
}

var vmFlagNames = []string{"shared", "mayread", "maywrite", "mayexec", "mayshare", "growsdown",
	"locked", "noreserve", "account", "dontcopy", "dontdump", "wipeonfork", "hugepage",
	"nohugepage", "randread", "seqread", "mergeable", "droppable", "execonly-pkey"}

func (f vmFlags) String() string {
	var parts []string
	for i, n := range vmFlagNames {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	return strings.Join(parts, ",")
}

//go:build linux

package hostvm

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// scenario prints d as a scenario: the calls with Linux's results, then
// hostvm's answer where it differs, the maps of the sandbox on both sides
// and hostvm's VMA flags.
func (r *ldRun) scenario(d *ldDiff) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# TestLinuxDiff -linuxdiff.seed=%d, sequence %d: a difference in %s after the last call\n",
		d.seed, d.seq, d.kind)
	fmt.Fprintf(&b, "# (%d calls, minimized from %d). Expectations are Linux's; \"hostvm:\" comments give hostvm's answers.\n",
		len(d.calls), d.from)
	if d.full {
		b.WriteString("# The test read every page of the window (through /proc/self/mem) after every call.\n")
	} else {
		b.WriteString("# The test read the window's file pages and written pages after every call, every page after the last.\n")
	}
	fmt.Fprintf(&b, "# window: %v-%v\n", d.lo, d.hi)
	if d.known != nil {
		fmt.Fprintf(&b, "# known: %s (%s)\n", d.known.name, d.known.cause)
	}
	b.WriteString(r.header + "\n")
	for i, name := range ldSlotNames {
		if i == 2 {
			fmt.Fprintf(&b, "openat(AT_FDCWD, %q, O_RDONLY) = %d\n", name, ldFD(i))
		} else {
			fmt.Fprintf(&b, "openat(AT_FDCWD, %q, O_RDWR|O_CREAT|O_TRUNC, 0644) = %d\n", name, ldFD(i))
		}
	}
	fmt.Fprintf(&b, "# the sandbox: one PROT_NONE reservation\nmmap(%#x, %#x, PROT_NONE, %v, -1, 0x0) = %#x\n",
		r.real.hvBase, r.real.size, ldReservationFlags|MapFixed, r.real.hvBase)
	for i, c := range d.calls {
		fmt.Fprintf(&b, "%v %s\n", c, c.resultString(d.results[i]))
	}
	last := d.calls[len(d.calls)-1]
	switch d.kind {
	case "result":
		fmt.Fprintf(&b, "# hostvm: %s\n", last.resultString(d.hv))
	case "contents":
		fmt.Fprintf(&b, "# %s (a read through /proc/self/mem, which ignores the protection)\n", d.detail)
		fmt.Fprintf(&b, "%v %s\n# hostvm: %s\n", d.peek, d.peek.resultString(d.rePeek), d.peek.resultString(d.hvPeek))
	case "file":
		fmt.Fprintf(&b, "# %s\n", d.detail)
	}
	b.WriteString("# maps of the sandbox after the last call (L: Linux only, H: hostvm only):\n")
	b.WriteString(ldMapsDiff(d.reMaps, d.hvMaps))
	b.WriteString("# hostvm's VMAs (Kernel.Debug):\n")
	for _, line := range strings.Split(strings.TrimRight(d.debug, "\n"), "\n") {
		b.WriteString("#   " + line + "\n")
	}
	return b.String()
}

// ldMapsDiff lists both listings merged by address, marking the lines
// only one side has.
func ldMapsDiff(re, hv []ldVMA) string {
	key := func(v ldVMA) string {
		return fmt.Sprintf("%x-%x %s %08x %s", uint64(v.start), uint64(v.end), v.perms, v.off, v.name)
	}
	type line struct {
		start Addr
		text  string
		mark  string
	}
	var lines []line
	inHV := map[string]bool{}
	for _, v := range hv {
		inHV[key(v)] = true
	}
	inRe := map[string]bool{}
	for _, v := range re {
		inRe[key(v)] = true
		m := "L"
		if inHV[key(v)] {
			m = " "
		}
		lines = append(lines, line{v.start, key(v), m})
	}
	for _, v := range hv {
		if !inRe[key(v)] {
			lines = append(lines, line{v.start, key(v), "H"})
		}
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].start < lines[j].start })
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "#  %s %s\n", l.mark, l.text)
	}
	return b.String()
}

// ldStats counts what was compared.
type ldStats struct {
	calls int
	byOp  map[ldOp]int
}

var ldOpNames = []string{"mmap", "munmap", "mprotect", "mremap", "madvise", "msync", "pwrite", "ftruncate", "poke", "peek"}

func (s *ldStats) count(c ldCall) {
	if s.byOp == nil {
		s.byOp = map[ldOp]int{}
	}
	s.calls++
	s.byOp[c.op]++
}

func (s *ldStats) report(seqs int, took time.Duration, diffs []*ldDiff) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d calls compared in %d sequences (%v):", s.calls, seqs, took.Round(time.Millisecond))
	for op, name := range ldOpNames {
		if n := s.byOp[ldOp(op)]; n > 0 {
			fmt.Fprintf(&b, " %s %d", name, n)
		}
	}
	kinds := map[string]int{}
	known := map[string]int{}
	unknown := 0
	for _, d := range diffs {
		kinds[d.kind]++
		if d.known != nil {
			known[d.known.name]++
		} else {
			unknown++
		}
	}
	fmt.Fprintf(&b, "\n%d differences: result %d, maps %d, contents %d, file %d; %d unexplained",
		len(diffs), kinds["result"], kinds["maps"], kinds["contents"], kinds["file"], unknown)
	var names []string
	for n := range known {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "; %s %d", n, known[n])
	}
	return b.String()
}

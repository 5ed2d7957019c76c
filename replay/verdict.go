package replay

import (
	"fmt"
	"io"
	"strings"
)

// Image is one program image a trace ran: what execve started (or the
// trace's first process), with the processes that forked from it and its
// threads. Its verdict answers the replay's question for that program:
// does it start on this machine, and if not, where and why.
type Image struct {
	Path      string // the program, as execve named it; "" when the trace does not say
	Pid, Line int    // the pid that started it, and the line where it started
	// Start says how the image began: "execve" (the trace shows it),
	// "first" (the first line of a pid whose execve the trace does not
	// show) or "inferred" (see the package doc's inference rules).
	Start     string
	Processes int // processes that ran it: 1, and each fork that did not exec
	Threads   int // threads (and vfork children) that shared a process's memory

	Calls, Matches, Diverged int // its memory calls

	// Fatal is the first divergence the program would not survive (a
	// failing mmap, mprotect or mremap, an emulator abort); nil when none.
	// Risk is, natively, the first such failure on anonymous memory for
	// its alignment only, which a program that asks the system its page
	// size does not meet (it asks for other memory); nil when none. Cause
	// says why Fatal (else Risk) fails, in words, and Fix what would make
	// it work, when known.
	Fatal, Risk *Divergence
	Cause, Fix  string
	// Consequences counts the divergences after Fatal (or Risk), which
	// the real program would not have reached (or not made); Nonfatal
	// those that it survives (a failing munmap or brk, say).
	Consequences, Nonfatal int

	// Under a target: Fragments counts the calls on ranges that end
	// inside a host page, which QEMU absorbed (mmap_frag, protection
	// unions, partial unmaps), and Preads the file mappings QEMU read with
	// pread because the host cannot map the file at that offset.
	Fragments, Preads int
	// Traps are the protections the program took away from its
	// anonymous memory that the host cannot enforce (the first maxTraps;
	// TrapCount counts them all): a fault the program relies on that will
	// not come.
	Traps     []Unenforced
	TrapCount int
	// Relro counts read-only pages of files (RELRO) the host leaves
	// writable. LooseGuards counts the inaccessible pages whose host page
	// became accessible through a neighbour (a thread stack's guard page:
	// only an overflow reaches it), LooseReadOnly the read-only pages
	// whose host page became writable so (a library's text next to its
	// data): neither was made narrower by the program after it used it.
	Relro, LooseGuards, LooseReadOnly int
}

// Name is the image's program, or "pid N's program" when the trace does
// not name it.
func (img *Image) Name() string {
	if img.Path != "" {
		return img.Path
	}
	return fmt.Sprintf("pid %d's program", img.Pid)
}

// Verdict is the image's verdict in a few words: "fails at line N: CALL",
// "at risk" (it starts, but relies on protections the host cannot
// enforce, or on 4K pages where it may ask the system) or "starts".
func (img *Image) Verdict() string {
	switch {
	case img.Fatal != nil:
		return fmt.Sprintf("fails at line %d: %s", img.Fatal.Line, img.Fatal.Trace)
	case img.TrapCount > 0 || img.Risk != nil:
		return "at risk"
	}
	return "starts"
}

// newImage starts the record of a program image run by t.
func (s *session) newImage(path string, t *task) *Image {
	img := &Image{Path: path, Pid: t.pid, Processes: 1}
	s.report.Images = append(s.report.Images, img)
	return img
}

// WriteVerdict writes the verdict of each program image the trace ran,
// images of one program with one verdict together: does it start on the
// replay's machine, or where does it fail, why, and what would fix it;
// under a target, what QEMU absorbed and what the host cannot enforce.
func (r *Report) WriteVerdict(w io.Writer) {
	groups := groupImages(r.Images)
	how := "natively"
	if r.target {
		how = fmt.Sprintf("under the simulated %s, each program image in a %s of its own", r.emulator, r.emulator)
	}
	fmt.Fprintf(w, "verdict (%s), %d program %s:\n", how, len(r.Images), plural(len(r.Images), "image", "images"))
	for _, g := range groups {
		img := g[0]
		fmt.Fprintf(w, "  %s%s: %s\n", img.Name(), groupNote(g), img.Verdict())
		switch {
		case img.Fatal != nil:
			if img.Cause != "" {
				fmt.Fprintf(w, "    cause: %s\n", img.Cause)
			}
			if img.Fix != "" {
				fmt.Fprintf(w, "    fix: %s\n", img.Fix)
			}
			if img.Consequences > 0 {
				fmt.Fprintf(w, "    %d later %s of this program %s consequences, not failures of their own\n",
					img.Consequences, plural(img.Consequences, "divergence", "divergences"), plural(img.Consequences, "is a", "are"))
			}
		case img.Risk != nil:
			fmt.Fprintf(w, "    it may fail at line %d: %s\n", img.Risk.Line, img.Risk.Trace)
			fmt.Fprintf(w, "    cause: %s\n    fix: %s\n", img.Cause, img.Fix)
			if img.Consequences > 0 {
				fmt.Fprintf(w, "    %d later %s of this program follow from it\n",
					img.Consequences, plural(img.Consequences, "divergence", "divergences"))
			}
		}
		if img.Fatal == nil && img.TrapCount > 0 {
			fmt.Fprintf(w, "    it starts, but the host cannot enforce %d %s the program set, faults it may rely on:\n",
				img.TrapCount, plural(img.TrapCount, "protection", "protections"))
			for _, u := range img.Traps {
				fmt.Fprintf(w, "      %s\n", u)
			}
			if more := img.TrapCount - len(img.Traps); more > 0 {
				fmt.Fprintf(w, "      ... %d more\n", more)
			}
		}
		if img.Fatal == nil && img.Nonfatal > 0 {
			fmt.Fprintf(w, "    %d %s that a program survives (see the divergences)\n",
				img.Nonfatal, plural(img.Nonfatal, "call differs in a way", "calls differ in ways"))
		}
		if r.target {
			writeAbsorbed(w, img, r.emulator)
		}
	}
}

// writeAbsorbed writes what the emulator absorbed for an image, and what the host
// leaves unenforced besides its traps.
func writeAbsorbed(w io.Writer, img *Image, emulator string) {
	var parts []string
	if img.Fragments > 0 {
		parts = append(parts, fmt.Sprintf("%d %s on ranges ending inside a host page (mmap_frag, protection unions)",
			img.Fragments, plural(img.Fragments, "call", "calls")))
	}
	if img.Preads > 0 {
		parts = append(parts, fmt.Sprintf("%d file %s at offsets the host cannot map (read with pread)",
			img.Preads, plural(img.Preads, "mapping", "mappings")))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "    %s absorbed: %s\n", emulator, strings.Join(parts, "; "))
	}
	parts = parts[:0]
	if img.Relro > 0 {
		parts = append(parts, fmt.Sprintf("%d read-only file %s (RELRO) writable", img.Relro, plural(img.Relro, "page", "pages")))
	}
	if img.LooseReadOnly > 0 {
		parts = append(parts, fmt.Sprintf("%d read-only %s writable through a writable neighbour in %s host page",
			img.LooseReadOnly, plural(img.LooseReadOnly, "page", "pages"), plural(img.LooseReadOnly, "its", "their")))
	}
	if img.LooseGuards > 0 {
		parts = append(parts, fmt.Sprintf("%d PROT_NONE %s accessible through a neighbour in %s host page (only a stray access or an overflow reaches %s)",
			img.LooseGuards, plural(img.LooseGuards, "page", "pages"), plural(img.LooseGuards, "its", "their"), plural(img.LooseGuards, "it", "them")))
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, "    the host does not enforce either: %s\n", strings.Join(parts, "; "))
	}
}

// groupImages puts together the images of one program with one verdict,
// in order of their first start.
func groupImages(images []*Image) [][]*Image {
	var groups [][]*Image
	index := map[string]int{}
	for _, img := range images {
		key := img.Name() + "\x00" + img.Verdict() + "\x00" + img.Cause
		if img.Path == "" {
			key = fmt.Sprintf("%p", img) // unnamed images stay apart
		}
		if i, ok := index[key]; ok {
			groups[i] = append(groups[i], img)
			continue
		}
		index[key] = len(groups)
		groups = append(groups, []*Image{img})
	}
	return groups
}

// groupNote says where a group of images ran: "(pid 7, line 1)", "(3
// times: pids 7, 9, 12)".
func groupNote(g []*Image) string {
	img := g[0]
	procs := ""
	if n := img.Processes - 1; n > 0 {
		procs = fmt.Sprintf(", %d %s", n, plural(n, "fork", "forks"))
	}
	if n := img.Threads; n > 0 {
		procs += fmt.Sprintf(", %d %s", n, plural(n, "thread", "threads"))
	}
	if len(g) == 1 {
		return fmt.Sprintf(" (pid %d, line %d%s)", img.Pid, img.Line, procs)
	}
	var pids []string
	seen := map[int]bool{}
	for _, x := range g {
		if seen[x.Pid] {
			continue
		}
		if len(pids) == 5 {
			pids = append(pids, "...")
			break
		}
		seen[x.Pid] = true
		pids = append(pids, fmt.Sprint(x.Pid))
	}
	return fmt.Sprintf(" (%d times: %s %s)", len(g), plural(len(seen), "pid", "pids"), strings.Join(pids, ", "))
}

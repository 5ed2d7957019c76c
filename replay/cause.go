package replay

import (
	"fmt"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// explain says in words why a fatal divergence fails, and what would make
// the program work: for a native host of larger pages, which alignment the
// call lacks and which file was laid out for smaller pages; under an
// emulator, its own failure, except that what box64 hands to the host
// unchanged is explained as the host's refusal.
//
// Preconditions: traceArgs and args (translated, as run) hold spec's
// parameters; o failed.
func (t *task) explain(st *syntax.Stmt, spec *scenario.CallSpec, traceArgs, args scenario.CallArgs, o scenario.Outcome) (cause, fix string) {
	m := t.space.machine
	if o.Abort != nil {
		return fmt.Sprintf("the simulated %s itself aborts in %s: %s", m.Policy.Emulator(), o.Abort.Func, o.Abort.Reason),
			"none in the program: this is the emulator's defect (mmapsim presets lists the policy's quirks)"
	}
	if m.Sim != nil {
		// box64 hands what it does not emulate to the host as it is: a
		// failure a host of this page size gives natively is explained
		// as one.
		if m.Policy.Algorithm == policy.AlgoBox64 && o.Err == hostvm.EINVAL {
			if cause, fix, ok := t.hostPageCause(st, spec, traceArgs, args); ok {
				return "box64 passes the call to the host as it is: " + cause, fix
			}
		}
		return fmt.Sprintf("under the simulated %s (policy %s), %s fails with %s where the trace's kernel succeeded", m.Policy.Emulator(), m.Policy, spec.Name, o.Err.Name()),
			"none in the program: the emulator refuses what the guest's kernel allows (mmapsim presets lists the policy's quirks)"
	}
	if cause, fix, ok := t.hostPageCause(st, spec, traceArgs, args); ok {
		return cause, fix
	}
	return fmt.Sprintf("%s fails with %s on a host of %s pages where the trace's kernel succeeded", spec.Name, o.Err.Name(), sizeText(m.Kernel.PageSize())), ""
}

// hostPageCause explains a call the host refuses because an offset or
// address the trace's smaller pages allowed is not a multiple of the
// host's page: which file was laid out for smaller pages, or which
// program works in them, and the fix; ok is false for any other call.
//
// Preconditions: as for explain.
func (t *task) hostPageCause(st *syntax.Stmt, spec *scenario.CallSpec, traceArgs, args scenario.CallArgs) (cause, fix string, ok bool) {
	m := t.space.machine
	page, tp := m.Kernel.PageSize(), t.sess.opts.TracePage
	host := sizeText(page) + " host page"
	laidOut := fmt.Sprintf("laid out for %s pages", sizeText(tp))
	switch spec.Name {
	case "mmap", "mmap2":
		addr, off := args[0].Num, args[5].Num
		if spec.Name == "mmap2" {
			off *= 4096
		}
		file := t.mappedFile(st, spec, traceArgs)
		fixed := spec.Fixed(args)
		switch {
		case file != "" && off%page != 0:
			who := file + " is mapped"
			if fixed {
				who = "the dynamic loader maps a segment of " + file
			}
			return fmt.Sprintf("%s at file offset %#x, which is not a multiple of the %s: the file's segments are %s", who, off, host, laidOut),
				t.relinkFix(file, page), true
		case fixed && addr%page != 0:
			cause = fmt.Sprintf("the MAP_FIXED address %s is not a multiple of the %s", bothAddrs(addr, traceArgs[0].Num), host)
			if file != "" {
				return cause + fmt.Sprintf(": the dynamic loader places %s's segments at addresses %s", file, laidOut), t.relinkFix(file, page), true
			}
			return cause + ": the program placed anonymous memory on a " + sizeText(tp) + " boundary", pageSizeFix, true
		}
	case "mprotect", "mremap":
		addr := args[0].Num
		if addr%page != 0 {
			cause = fmt.Sprintf("%s at %s, which is not a multiple of the %s", spec.Name, bothAddrs(addr, traceArgs[0].Num), host)
			seg, _ := t.space.addrs.find(traceArgs[0].Num)
			switch seg.kind {
			case memImage:
				return cause + ": the dynamic loader's RELRO protection of a file the kernel mapped (the program or the loader itself), " + laidOut,
					fmt.Sprintf("relink the program with -Wl,-z,max-page-size=%#x (0x10000 suits 16K and 64K hosts)", page), true
			case memFile:
				return cause + ": the dynamic loader's RELRO protection of a library " + laidOut,
					fmt.Sprintf("relink the library with -Wl,-z,max-page-size=%#x (0x10000 suits 16K and 64K hosts)", page), true
			}
			return cause + ": the program works on its anonymous memory in " + sizeText(tp) + " pages", pageSizeFix, true
		}
	}
	return "", "", false
}

// bothAddrs writes an address as the simulation ran it and, when
// different, as the trace has it.
func bothAddrs(sim, trace uint64) string {
	if sim == trace {
		return fmt.Sprintf("%#x", sim)
	}
	return fmt.Sprintf("%#x (%#x in the trace)", sim, trace)
}

// pageSizeFix is the fix of a page-size risk: none for a program that
// asks the system its page size, sysconf for one that assumes it.
const pageSizeFix = "none if the program computes its addresses from the page size the system reports " +
	"(Go's runtime, glibc's malloc and the JVM do: on this host it asks for other memory than the trace shows); " +
	"a program that assumes 4096 must use sysconf(_SC_PAGESIZE)"

// mappedFile is the path of the file an mmap maps, by the trace's
// descriptor: strace's -y decoration when it has one, else the path the
// trace opened it with; "" for anonymous memory or an unknown descriptor.
func (t *task) mappedFile(st *syntax.Stmt, spec *scenario.CallSpec, traceArgs scenario.CallArgs) string {
	i := spec.Index(scenario.ParamFD)
	if i < 0 || int64(traceArgs[i].Num) < 0 {
		return ""
	}
	if i < len(st.Call.Args) && st.Call.Args[i].Decor != "" {
		return st.Call.Args[i].Decor
	}
	if f, ok := t.fds.fds[traceArgs[i].Num]; ok && f.path != "" && f.path[0] != '(' {
		return f.path
	}
	return ""
}

// relinkFix says how to relink a file laid out for smaller pages than
// page, naming its segments' alignment when the file is on this machine.
func (t *task) relinkFix(path string, page uint64) string {
	fix := fmt.Sprintf("relink %s with -Wl,-z,max-page-size=%#x (0x10000 suits 16K and 64K hosts), which raises its LOAD segments' p_align", path, page)
	if !t.sess.opts.ReadFiles {
		return fix + fmt.Sprintf("; readelf -lW %s shows them", path)
	}
	info, err := readELF(path)
	if err != nil {
		return fix + fmt.Sprintf(" (%s is not readable here: readelf -lW on the recording machine shows its p_align)", path)
	}
	return fix + "; here " + info.describe(page)
}

// checkExecutable judges, natively on a host of larger pages than the
// trace's, whether the kernel's ELF loader can map the program an execve
// at st starts, and its dynamic loader: a PT_LOAD segment whose address
// and file offset differ by other than a multiple of the host page cannot
// be mapped, and the execve fails. It reads the files only with
// Options.ReadFiles, when they are on this machine.
func (s *session) checkExecutable(t *task, st *syntax.Stmt, path string) {
	m := t.space.machine
	page := m.Kernel.PageSize()
	if !s.opts.ReadFiles || m.Sim != nil || page <= s.opts.TracePage || path == "" {
		return
	}
	info, err := readELF(path)
	if err != nil {
		return
	}
	what := path
	l, bad := info.misplaced(page)
	if !bad && info.interp != "" {
		if li, err := readELF(info.interp); err == nil {
			what = path + "'s dynamic loader " + info.interp
			l, bad = li.misplaced(page)
		}
	}
	if !bad {
		return
	}
	if s.diverge(t, st, DivSimFailed, fmt.Sprintf("execve: the kernel's ELF loader cannot map %s", what), fatal) {
		img := t.space.image
		img.Cause = fmt.Sprintf("the kernel's ELF loader cannot map %s: its LOAD segment at file offset %#x is at address %#x, %#x apart, not a multiple of the %s host page",
			what, l.off, l.vaddr, l.vaddr-l.off, sizeText(page))
		img.Fix = fmt.Sprintf("relink it with -Wl,-z,max-page-size=%#x (0x10000 suits 16K and 64K hosts)", page)
	}
}

// Package replay replays real strace logs on a simulated machine of
// another kind, to ask "will this program survive a 16K/64K-page host,
// natively or under QEMU?", and answers it per program image: a verdict.
//
// A log recorded with mmapsim record, which runs
//
//	strace -f -s 4096 -e trace=%memory,%process,open,openat,close,fstat,newfstatat -o NAME.strace COMMAND
//
// is read (package scenario/syntax reads strace's output, a statement at
// a time: ReplayReader streams, in memory bounded by the simulated
// processes) and replayed call by call on the machine scenario.Settings
// describe: natively on a host of another page size, or under the
// simulated QEMU.
//
// # Processes
//
// As Linux has it: a pid is a task, and a task runs in an address space
// (a scenario.Machine with its own address map and break) which threads
// share (clone with CLONE_VM, clone3, vfork until the child's execve),
// fork copies at the moment of the fork (hostvm's copy-on-write Clone),
// and execve replaces (a new image, a new break; the descriptors without
// close-on-exec stay open, the other threads of the group end). strace
// prints the process calls with named arguments ("clone(child_stack=NULL,
// flags=...)"), clone3's value on exit ("=> {parent_tid=[42]}") and, when
// another pid speaks in the middle, in halves: the child of a clone may
// speak before the clone's "<... clone resumed> = 42", so a new pid that
// speaks while a clone is entered is that clone's child. "+++ exited" and
// "+++ killed by" end a task; a later line of its pid starts a new one.
//
// A log recorded without the process calls (older recordings) has the
// threads and the new images inferred from the memory calls, with a note
// for each: see infer.go.
//
// # Addresses
//
// The trace's addresses are the real kernel's choices; the simulation makes
// its own. Each address space's map ties them: every successful mmap,
// mremap and brk records where the trace's new range lies in the
// simulation, and what it is (anonymous memory, a file, the heap), and
// later addresses (MAP_FIXED, mprotect, munmap, ...) are translated through
// it, so the dynamic loader's MAP_FIXED inside its own reservation lands
// inside the simulation's. Memory the trace never shows being mapped (what
// the kernel's ELF loader mapped before the first traced call: in practice
// the RELRO pages of the program and of ld.so) gets an anonymous
// placeholder on first use, which is reported as a note. A
// MAP_FIXED_NOREPLACE at an address the trace never showed gets a free
// place instead. Which argument of a call is a range, a hint, a descriptor
// or a break is the call table's knowledge (scenario.CallSpec.Translate);
// a task implements the scenario.Translator it calls.
//
// # Files followed
//
// File calls are followed, not judged: a successful open opens (or
// creates) the file in the simulated file system, fstat's st_size gives
// it its size, close closes it; a failed open creates nothing. File
// contents are zeros. The call table says which calls open, close or stat
// a descriptor (scenario.CallSpec.FD). strace's -y decorations ("3</path>")
// read as descriptors and name their files.
//
// # Judging
//
// Each memory call's outcome is compared with the trace's result: success
// against failure, the errno, and for brk the new break and for MAP_FIXED
// (and MREMAP_FIXED) the address; two failures with one errno match. A
// non-fixed mapping may land anywhere: it matches whenever both succeed. A
// call whose trace result is "?" is run but not judged. A call strace
// traces that mmapsim has no model of (mlock, ...) is a divergence of kind
// not-simulated.
//
// Lines of other calls, signals and exits are skipped and counted; a line
// of a call the replay follows that does not parse is a note saying why,
// one of another call (wait4's status) is counted among the skipped. The
// reading is lenient: arguments beyond what mmapsim reads are ignored.
// Nothing in a trace can make a replay panic.
//
// # The verdict
//
// Report.WriteVerdict answers the question per program image: "starts",
// "at risk" or "fails at line N: CALL" (Image.Verdict). The first
// divergence a program would not survive (a failing mmap, mprotect or
// mremap, QEMU's own abort) is fatal, with its cause in words and the fix
// (cause.go): natively, the alignment the call lacks and the file laid out
// for smaller pages, and when the file is on this machine
// (Options.ReadFiles) its program headers' p_align, or that the kernel's
// ELF loader cannot map the program at all. Later divergences of the image
// are consequences. Natively, a call on anonymous memory refused only for
// its alignment makes the program at risk, not failing: a program that
// asks the system its page size (Go's runtime, glibc's malloc, the JVM)
// asked for 4K-aligned memory on the trace's machine and asks for other
// memory on a larger-page host; the file layout ld.so maps does not adapt. Under a target the verdict counts what QEMU absorbed
// (calls on partial host pages, file mappings read with pread) and what
// the host cannot enforce (protect.go): a protection the program took
// from its anonymous memory that the host page still grants is a trap
// that will not spring, and the program is at risk.
//
// # Files
//
//   - replay.go: Options, Replay and ReplayReader, and the session that
//     steps through a trace's statements
//   - tasks.go: the process model: tasks, address spaces, clone, execve,
//     exit
//   - infer.go: what a trace without process lines leaves to inference
//   - call.go: a task's calls, and the judging of a memory call
//   - translate.go: the task as scenario.Translator: placeholders for
//     unknown memory, hints, descriptors, the break; recording new ranges
//   - addrmap.go: the map from trace address ranges to simulated ones
//   - files.go: descriptor tables, following the calls that open, close
//     and stat descriptors
//   - trace.go: reading a line's result, call name and strings
//   - verdict.go: Image, the verdict per program image
//   - cause.go: why a fatal call fails, and the fix
//   - elfinfo.go: the ELF program headers the fix reads
//   - protect.go: the protections the host cannot enforce under a target
//   - report.go: Report, divergence and note kinds, the summary and details
//     (bounded: the first MaxDetails of each, and counts of all)
//
// # Concurrency
//
// Replay and ReplayReader may run in many goroutines at once, even over one
// parsed trace and one Options, which they only read; each Report is its
// own (TestReplaysInParallel). A Log writer two replays share must do its
// own locking.
package replay

// Package replay replays real strace logs on a simulated machine of
// another kind, to ask "will this program survive a 16K/64K-page host,
// natively or under QEMU?".
//
// A log recorded with
//
//	strace -f -e trace=%memory,openat,close,newfstatat,fstat -o NAME.strace COMMAND
//
// is parsed (package scenario/syntax reads strace's output) and replayed
// call by call on the machine scenario.Settings describe: natively on a
// host of another page size, or under the simulated QEMU. Each pid is its
// own process (its own scenario.Machine), started fresh at its first line
// and dropped at its exit line, in file order.
//
// # Addresses
//
// The trace's addresses are the real kernel's choices; the simulation makes
// its own. An address map ties them: every successful mmap, mremap and brk
// records where the trace's new range lies in the simulation, and later
// addresses (MAP_FIXED, mprotect, munmap, ...) are translated through it, so
// the dynamic loader's MAP_FIXED inside its own reservation lands inside the
// simulation's. Memory the trace never shows being mapped (the executable,
// the dynamic loader and the initial heap, mapped by the kernel before the
// first traced call) gets an anonymous placeholder on first use, which is
// reported as a note. Which argument of a call is a range, a hint, a
// descriptor or a break is the call table's knowledge
// (scenario.CallSpec.Translate); a process implements the
// scenario.Translator it calls.
//
// # Files followed
//
// File calls are followed, not judged: a successful open opens (or
// creates) the file in the simulated file system, fstat's st_size gives
// it its size, close closes it; a failed open creates nothing. File
// contents are zeros. The call table says which calls open, close or stat
// a descriptor (scenario.CallSpec.FD).
//
// # Judging
//
// Each memory call's outcome is compared with the trace's result: success
// against failure, the errno, and for brk the new break and for MAP_FIXED
// (and MREMAP_FIXED) the address. A non-fixed mapping may land anywhere:
// it matches whenever both succeed. A call whose trace result is "?" is
// run but not judged. A call strace traces that mmapsim has no model of
// (mlock, ...) is a divergence of kind not-simulated.
//
// Lines of other calls, signals, exits, and the halves of an
// unfinished/resumed pair that strace never joined are skipped; a line
// strace garbled (two processes' output interleaved) is a note. The reading
// is lenient: arguments beyond what mmapsim reads are ignored. Nothing in
// a trace can make Replay panic.
//
// # Files
//
//   - replay.go: Options, Replay, and the session that steps through a
//     trace's statements and starts and ends its processes
//   - process.go: one traced process: each call by its class in the call
//     table, and the judging of a memory call
//   - translate.go: the process as scenario.Translator: placeholders for
//     unknown memory, hints, descriptors, the break; recording new ranges
//   - addrmap.go: the map from trace address ranges to simulated ones
//   - files.go: following the calls that open, close and stat descriptors
//   - trace.go: reading the trace's result and text of a call
//   - report.go: Report, divergence and note kinds, the summary and details
//
// A session takes the statements one at a time (step) and gives the report
// at the end (finish), so a replay can be fed as strace writes, and
// another judgement of a process (a verdict, a process model that follows
// fork and exec) hooks in at process.call and session.finish.
package replay

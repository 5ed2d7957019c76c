// Command mmapsim runs, replays and draws mmap scenarios on a simulated host
// kernel and a simulated QEMU linux-user guest.
//
// Usage:
//
//	mmapsim run [flags] FILE...     run scenarios, checking their expectations
//	mmapsim show [flags] FILE...    run scenarios, drawing the address space after each step
//	mmapsim replay [flags] TRACE... replay real strace logs on a simulated machine
//	mmapsim record -- COMMAND       record a strace log of COMMAND for replay
//	mmapsim presets                 list host and target presets, policies and quirks
//	mmapsim demo                    run the built-in example
//	mmapsim playground DIR          write the playground page to DIR/index.html
//
// Exit status: 0 when every expectation holds, 1 when one fails, 2 on a
// usage or input error. replay exits 0 when every trace ran to the end,
// whatever the divergences (1 with --strict and a divergence).
package main

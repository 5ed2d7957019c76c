// Command bench measures mmapsim: hostvm against the real Linux kernel, the
// cost of an operation as the number of VMAs grows, the overhead of the
// simulated QEMU over hostvm for each host/target page ratio, the speed of
// trace replay and of the property suite, and the memory a VMA and a guest
// cost. It prints one table per section and writes a plot of the VMA
// scaling (vmas.svg) and the tables (results.txt) into --out.
//
//	go run ./bench                 # everything (a few minutes)
//	go run ./bench --quick         # small sizes, under 30 seconds
//	go run ./bench --out DIR --sections 2,6
//
// The operations are deterministic (fixed layouts, a printed seed for the
// property suite); the timings are not. Section 1 makes real system calls
// on Linux, only inside a PROT_NONE reservation of its own (and non-fixed
// mappings it unmaps at once), so the Go runtime's memory is never touched.
package main

//go:build linux && (386 || arm || mips || mipsle)

package main

import "syscall"

// sysMmap is mmap2: 32-bit Linux's SYS_MMAP takes a pointer to its
// arguments; mmap2 takes them in registers (the offset in pages).
const sysMmap = syscall.SYS_MMAP2

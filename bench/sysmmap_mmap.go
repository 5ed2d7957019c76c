//go:build linux && !(386 || arm || mips || mipsle)

package main

import "syscall"

// sysMmap is the mmap system call taking a byte offset.
const sysMmap = syscall.SYS_MMAP

//go:build !linux

package main

// newRealVM has no real Linux kernel to offer off Linux.
func newRealVM() (vm, int, string) { return nil, 0, "skipped: not Linux" }

// realMapCount is unknown off Linux.
func realMapCount() int { return -1 }

// kernelRelease is unknown off Linux.
func kernelRelease() string { return "-" }

//go:build linux

package qemudiff

import "strings"

// classify names a difference between QEMU's outcome want and sim's got of
// call cs[at] (a run of sequence sq): the differences that remain, each for
// a reason the comparison states. It returns "" for any other, which fails
// the test.
func classify(sq *sequence, cs []call, at int, want, got string) string {
	switch {
	case want == "ABORT hung":
		return "qemu72-hung"
	case strings.HasPrefix(want, "ABORT") && !strings.HasPrefix(got, "ABORT"):
		return ""
	}
	return ""
}

//go:build !linux

package hostvm

import "testing"

// benchRealMmapMunmap has no real kernel to measure off Linux.
func benchRealMmapMunmap(b *testing.B, vmas int) {}

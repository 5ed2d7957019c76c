//go:build !unix

package main

import "time"

// cpuTime is unknown here: section 5 falls back to elapsed time.
func cpuTime() (time.Duration, bool) { return 0, false }

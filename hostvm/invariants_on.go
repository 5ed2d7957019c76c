//go:build invariants

package hostvm

// invariantsEnabled turns on CheckInvariants after every system call.
const invariantsEnabled = true

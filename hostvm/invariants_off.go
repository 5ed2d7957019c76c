//go:build !invariants

package hostvm

// invariantsEnabled turns on CheckInvariants after every system call; build
// with -tags invariants to set it.
const invariantsEnabled = false

package policy

// Emulator names the emulator an algorithm models, as a sentence about a
// run under it says it: "box64" for box64's algorithms, "QEMU" for the
// rest (the seed family and the other QEMU releases).
func (p Policy) Emulator() string {
	if p.Algorithm == AlgoBox64 {
		return "box64"
	}
	return "QEMU"
}

// LocksUser says whether the emulator checks a system call's buffer
// against the guest's page flags before the host call, as QEMU's
// lock_user does with access_ok (EFAULT for the whole call where a page of
// the buffer is not allowed); box64 passes buffers to the host's system
// call as they are, and the host's pages decide.
func (p Policy) LocksUser() bool { return p.Algorithm != AlgoBox64 }

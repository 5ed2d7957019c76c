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

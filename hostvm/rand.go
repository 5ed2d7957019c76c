package hostvm

// splitmix64 is a tiny deterministic generator: the same seed gives the same
// sequence on every OS and GOARCH. hostvm uses it for ASLR only, so the
// global math/rand is never involved.
type splitmix64 struct{ s uint64 }

func (r *splitmix64) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

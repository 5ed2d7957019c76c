//go:build invariants

package props

// wholeAlways: built with -tags invariants, every operation is followed
// by a whole comparison (touched.go), as every call of the kernels by
// their invariants.
const wholeAlways = true

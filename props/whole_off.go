//go:build !invariants

package props

// wholeAlways: without -tags invariants, a reference run compares the
// whole space every wholeEvery operations (touched.go).
const wholeAlways = false

// Package examples holds mmapsim's lessons: commented scenarios, each with
// its expectations (README.md has the table; examples/testdata the
// pictures "mmapsim show" draws of them, which cmd/mmapsim's tests compare).
// FS embeds them, so that the playground, a WebAssembly program with no
// file system, carries them.
package examples

import "embed"

// FS holds the lessons, NAME.scn at its root.
//
//go:embed *.scn
var FS embed.FS

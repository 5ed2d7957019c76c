//go:build !(js && wasm)

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, `mmapplay is the playground's WebAssembly program; build the page with
  go run ./cmd/mmapsim playground DIR`)
	os.Exit(2)
}

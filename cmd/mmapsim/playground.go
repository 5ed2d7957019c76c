package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/mmapsim/mmapsim/playground"
)

const playgroundUsage = `usage: mmapsim playground DIR

Writes DIR/index.html: the playground, one self-contained page (mmapsim
compiled to WebAssembly, the examples, an editor and the pictures) that
works from the file system or any web server; nothing is fetched.

It builds the WebAssembly program (cmd/mmapplay) with the go command, so it
runs inside the mmapsim source tree: go run ./cmd/mmapsim playground DIR.
`

// mmapplayPkg is the playground's WebAssembly program.
const mmapplayPkg = "github.com/mmapsim/mmapsim/cmd/mmapplay"

func playgroundCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mmapsim playground", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, playgroundUsage) }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	dir := fs.Arg(0)
	page, err := buildPlayground()
	if err != nil {
		fmt.Fprintln(stderr, "mmapsim playground:", err)
		return 2
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(stderr, "mmapsim playground:", err)
		return 2
	}
	out := filepath.Join(dir, "index.html")
	if err := os.WriteFile(out, page, 0o644); err != nil {
		fmt.Fprintln(stderr, "mmapsim playground:", err)
		return 2
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		abs = out
	}
	fmt.Fprintf(stdout, "wrote %s (%.1f MB); open it in a browser:\n  file://%s\n", out, float64(len(page))/(1<<20), filepath.ToSlash(abs))
	return 0
}

// buildPlayground builds cmd/mmapplay for GOOS=js GOARCH=wasm with the go
// command, and returns the page with it and the same Go release's
// wasm_exec.js inside.
func buildPlayground() ([]byte, error) {
	gocmd, err := goCommand()
	if err != nil {
		return nil, err
	}
	if _, err := goOutput(gocmd, "list", mmapplayPkg); err != nil {
		return nil, fmt.Errorf("cannot find %s: run this inside the mmapsim source tree (%v)", mmapplayPkg, err)
	}
	goroot, err := goOutput(gocmd, "env", "GOROOT")
	if err != nil {
		return nil, err
	}
	var wasmExec []byte
	for _, rel := range []string{"lib/wasm/wasm_exec.js", "misc/wasm/wasm_exec.js"} { // Go 1.24 moved it to lib
		if wasmExec, err = os.ReadFile(filepath.Join(goroot, filepath.FromSlash(rel))); err == nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("no wasm_exec.js in %s: %v", goroot, err)
	}
	tmp, err := os.MkdirTemp("", "mmapplay")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	wasmFile := filepath.Join(tmp, "mmapplay.wasm")
	build := exec.Command(gocmd, "build", "-trimpath", "-ldflags=-s -w", "-o", wasmFile, mmapplayPkg)
	build.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm", "CGO_ENABLED=0")
	if msg, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("GOOS=js GOARCH=wasm go build %s: %v\n%s", mmapplayPkg, err, msg)
	}
	wasm, err := os.ReadFile(wasmFile)
	if err != nil {
		return nil, err
	}
	var page bytes.Buffer
	if err := playground.WritePage(&page, wasm, wasmExec); err != nil {
		return nil, err
	}
	return page.Bytes(), nil
}

// goCommand finds the go command: on PATH, else in $GOROOT/bin.
func goCommand() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	if root := os.Getenv("GOROOT"); root != "" {
		p := filepath.Join(root, "bin", "go")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("the go command is not on PATH: the playground is built with it")
}

// goOutput runs the go command and returns its output, trimmed.
func goOutput(gocmd string, args ...string) (string, error) {
	cmd := exec.Command(gocmd, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

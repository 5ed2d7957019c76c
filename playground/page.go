package playground

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/base64"
	"fmt"
	"io"
	"strings"

	"github.com/mmapsim/mmapsim/picture"
)

// The page is one HTML file with everything inline: the style, the
// script, Go's wasm_exec.js and the WebAssembly program itself (gzipped,
// in base64, unpacked by the browser's DecompressionStream). Nothing is
// fetched, so the page works from a web server and from the file system
// (file://, where browsers refuse fetch()).

//go:embed page/index.html page/play.css page/play.js
var pageFS embed.FS

// WritePage writes the playground page: wasm is the program cmd/mmapplay
// built with GOOS=js GOARCH=wasm, wasmExec the wasm_exec.js of the same Go
// release (in $(go env GOROOT)/lib/wasm, or misc/wasm before Go 1.24).
func WritePage(w io.Writer, wasm, wasmExec []byte) error {
	if !bytes.HasPrefix(wasm, []byte("\x00asm")) {
		return fmt.Errorf("playground: the program is not WebAssembly (no \\0asm header)")
	}
	var packed bytes.Buffer
	zw, err := gzip.NewWriterLevel(&packed, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(wasm); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	read := func(name string) string {
		b, err := pageFS.ReadFile("page/" + name)
		if err != nil {
			panic(err) // embedded: cannot fail
		}
		return string(b)
	}
	inline := []struct{ marker, text string }{
		{"{{STYLE}}", read("play.css")},
		{"{{LEGEND}}", picture.LegendHTML()},
		{"{{WASM_EXEC}}", string(wasmExec)},
		{"{{WASM}}", wrap76(base64.StdEncoding.EncodeToString(packed.Bytes()))},
		{"{{SCRIPT}}", read("play.js")},
	}
	page := read("index.html")
	for _, in := range inline {
		marker, text := in.marker, in.text
		if strings.Contains(strings.ToLower(text), "</script") || strings.Contains(strings.ToLower(text), "</style") {
			return fmt.Errorf("playground: %s would end its element early", marker)
		}
		if strings.Count(page, marker) != 1 {
			return fmt.Errorf("playground: page/index.html has %d %s markers, want 1", strings.Count(page, marker), marker)
		}
		page = strings.Replace(page, marker, text, 1)
	}
	_, err = io.WriteString(w, page)
	return err
}

// wrap76 breaks base64 text into lines of 76 characters, as MIME does.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76])
		b.WriteByte('\n')
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

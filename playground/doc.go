// Package playground is the logic of mmapsim's playground, a web page
// where a scenario is edited, run and drawn step by step, all in the
// browser: cmd/mmapplay compiles this package to WebAssembly, and the
// page's script calls it.
//
// Run runs a Request (the editor's text, and the host, target and policy
// selectors, which win over the file's "#!" settings) and returns a
// Response: the initial state and a Step per statement run, each with its
// result, the host calls QEMU made, the lesson comments written above it
// and the picture after it (picture.Picture.SVG, as mmapsim show --html
// draws it); and every Problem at its line: each line that does not
// parse, the error that stopped the run, each failed expectation. Run
// never fails and keeps what ran before an error.
//
// Examples are the lessons of examples/ (embedded there), SelectorChoices
// the selectors' options. WritePage writes the page: one HTML file with
// its style, script, Go's wasm_exec.js and the WebAssembly program inline,
// so that it works from the file system as from a server. "mmapsim
// playground DIR" builds the program and writes the page.
//
// # Files
//
//   - run.go: Request, Response, Run; problems placed at their lines
//   - lesson.go: the lesson comments of each step
//   - examples.go: Examples, SelectorChoices
//   - page.go: WritePage, and page/ (index.html, play.css, play.js)
package playground

// Command mmapplay is the playground's simulator: mmapsim compiled to
// WebAssembly (GOOS=js GOARCH=wasm) for the playground page, which
// "mmapsim playground DIR" builds and writes. It sets window.mmapsim to an
// object of three functions, each returning JSON text:
//
//	run(request)  a playground.Request as JSON: runs it, returns the playground.Response
//	examples()    the lessons of examples/ (playground.Examples)
//	choices()     the selectors' options (playground.SelectorChoices)
//
// then calls window.mmapsimReady() and waits for calls. A panic in a call
// (a bug: no input may cause one) returns {"internalError": "..."}
// instead of stopping the program. Built for another platform, it only
// says how to build the page.
package main

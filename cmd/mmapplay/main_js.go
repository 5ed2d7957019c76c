//go:build js && wasm

package main

import (
	"encoding/json"
	"fmt"
	"syscall/js"

	"github.com/mmapsim/mmapsim/playground"
)

func main() {
	api := js.Global().Get("Object").New()
	api.Set("run", export(func(arg string) (any, error) {
		var req playground.Request
		if err := json.Unmarshal([]byte(arg), &req); err != nil {
			return nil, fmt.Errorf("bad request: %v", err)
		}
		return playground.Run(req), nil
	}))
	api.Set("examples", export(func(string) (any, error) { return playground.Examples(), nil }))
	api.Set("choices", export(func(string) (any, error) { return playground.SelectorChoices(), nil }))
	js.Global().Set("mmapsim", api)
	if ready := js.Global().Get("mmapsimReady"); ready.Type() == js.TypeFunction {
		ready.Invoke()
	}
	select {} // serve calls until the page goes away
}

// export wraps fn as a JavaScript function of one string argument that
// returns fn's value as JSON text, or {"internalError": ...}.
func export(fn func(arg string) (any, error)) js.Func {
	return js.FuncOf(func(this js.Value, args []js.Value) (result any) {
		fail := func(msg string) any {
			b, _ := json.Marshal(map[string]string{"internalError": msg})
			return string(b)
		}
		defer func() {
			if r := recover(); r != nil {
				result = fail(fmt.Sprint("panic: ", r))
			}
		}()
		arg := ""
		if len(args) > 0 && args[0].Type() == js.TypeString {
			arg = args[0].String()
		}
		v, err := fn(arg)
		if err != nil {
			return fail(err.Error())
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fail(err.Error())
		}
		return string(b)
	})
}

package browser

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Page is a browser tab.
type Page struct {
	b       *Browser
	session string
	loaded  chan struct{} // Page.loadEventFired

	// errors, under b.mu: every script error seen (uncaught exceptions,
	// console.error, the browser's error log entries).
	errors []string
}

// Timeout bounds each command's wait for an answer.
var Timeout = 30 * time.Second

func (p *Page) call(method string, params, result any) error {
	return p.b.call(p.session, method, params, result, Timeout)
}

// event records what a page event says. Called with b.mu held.
func (p *Page) event(m message) {
	switch m.Method {
	case "Page.loadEventFired":
		select {
		case p.loaded <- struct{}{}:
		default:
		}
	case "Runtime.exceptionThrown":
		var ev struct {
			Details struct {
				Text      string `json:"text"`
				URL       string `json:"url"`
				Line      int    `json:"lineNumber"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		json.Unmarshal(m.Params, &ev)
		d := ev.Details
		p.errors = append(p.errors, fmt.Sprintf("uncaught: %s %s (line %d)", d.Text, d.Exception.Description, d.Line+1))
	case "Runtime.consoleAPICalled":
		var ev struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		json.Unmarshal(m.Params, &ev)
		if ev.Type == "error" || ev.Type == "assert" {
			var parts []string
			for _, a := range ev.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, fmt.Sprint(a.Value))
				}
			}
			p.errors = append(p.errors, "console."+ev.Type+": "+strings.Join(parts, " "))
		}
	case "Log.entryAdded":
		var ev struct {
			Entry struct {
				Level  string `json:"level"`
				Text   string `json:"text"`
				Source string `json:"source"`
				URL    string `json:"url"`
			} `json:"entry"`
		}
		json.Unmarshal(m.Params, &ev)
		if ev.Entry.Level == "error" {
			p.errors = append(p.errors, fmt.Sprintf("log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	}
}

// Errors returns the script errors seen so far.
func (p *Page) Errors() []string {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	return append([]string(nil), p.errors...)
}

// Navigate loads url and waits for its load event.
func (p *Page) Navigate(url string) error {
	for len(p.loaded) > 0 {
		<-p.loaded
	}
	var res struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.call("Page.navigate", map[string]any{"url": url}, &res); err != nil {
		return err
	}
	if res.ErrorText != "" {
		return fmt.Errorf("navigate %s: %s", url, res.ErrorText)
	}
	select {
	case <-p.loaded:
	case <-time.After(Timeout):
		return fmt.Errorf("navigate %s: no load event in %v", url, Timeout)
	}
	// A late load event of the page before must not count.
	return p.WaitFor(`document.readyState === "complete" && location.href !== "about:blank"`, Timeout)
}

// Eval evaluates a JavaScript expression in the page (awaiting it when it
// is a promise) and decodes its value, as JSON, into result (when not nil).
func (p *Page) Eval(expr string, result any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	err := p.call("Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res)
	if err != nil {
		return err
	}
	if res.Exception != nil {
		return fmt.Errorf("evaluating %q: %s %s", expr, res.Exception.Text, res.Exception.Exception.Description)
	}
	if result == nil {
		return nil
	}
	if len(res.Result.Value) == 0 {
		return fmt.Errorf("evaluating %q: no value", expr)
	}
	return json.Unmarshal(res.Result.Value, result)
}

// WaitFor evaluates a boolean expression until it is true, for up to
// timeout. It gives up early when a script error occurs.
func (p *Page) WaitFor(expr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if errs := p.Errors(); len(errs) > 0 {
			return fmt.Errorf("waiting for %s: script error: %s", expr, errs[0])
		}
		var ok bool
		err := p.Eval("!!("+expr+")", &ok)
		if err == nil && ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("waiting for %s: %v", expr, err)
			}
			return fmt.Errorf("waiting for %s: still false after %v", expr, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// keyCodes are the Windows virtual key codes of the keys Press knows.
var keyCodes = map[string]int{
	"ArrowLeft": 37, "ArrowUp": 38, "ArrowRight": 39, "ArrowDown": 40,
	"Home": 36, "End": 35, "Enter": 13, "Escape": 27, "Tab": 9,
}

// Press presses and releases a key, as a person would on the keyboard:
// the focused element gets keydown and keyup (trusted events).
func (p *Page) Press(key string) error {
	code, ok := keyCodes[key]
	if !ok {
		return fmt.Errorf("Press: unknown key %q", key)
	}
	for _, typ := range []string{"rawKeyDown", "keyUp"} {
		ev := map[string]any{"type": typ, "key": key, "code": key, "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}
		if err := p.call("Input.dispatchKeyEvent", ev, nil); err != nil {
			return err
		}
	}
	return nil
}

// Click clicks the middle of the element the CSS selector finds.
func (p *Page) Click(selector string) error {
	var box *struct{ X, Y float64 }
	js := fmt.Sprintf(`(function(){var e=document.querySelector(%q);if(!e)return null;e.scrollIntoView({block:"center"});var r=e.getBoundingClientRect();return {X:r.left+r.width/2,Y:r.top+r.height/2};})()`, selector)
	if err := p.Eval(js, &box); err != nil {
		return fmt.Errorf("Click %s: %v", selector, err)
	}
	if box == nil {
		return fmt.Errorf("Click %s: no such element", selector)
	}
	for _, typ := range []string{"mousePressed", "mouseReleased"} {
		ev := map[string]any{"type": typ, "x": box.X, "y": box.Y, "button": "left", "clickCount": 1}
		if err := p.call("Input.dispatchMouseEvent", ev, nil); err != nil {
			return err
		}
	}
	return nil
}

// Screenshot returns a PNG of the page's viewport.
func (p *Page) Screenshot() ([]byte, error) {
	var res struct {
		Data string `json:"data"`
	}
	if err := p.call("Page.captureScreenshot", map[string]any{"format": "png"}, &res); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(res.Data)
}

// SetViewport makes the page's viewport width x height CSS pixels, one
// device pixel each, whatever the window around it.
func (p *Page) SetViewport(width, height int) error {
	return p.call("Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil)
}

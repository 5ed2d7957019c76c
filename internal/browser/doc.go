// Package browser drives a headless Chromium for tests: it starts the
// browser with --remote-debugging-pipe and speaks the Chrome DevTools
// Protocol (CDP) to it over that pipe, with nothing but the standard
// library. CDP messages are JSON objects, each ended by a NUL byte; the
// browser reads commands on its file descriptor 3 and writes responses and
// events on 4. A command {"id", "method", "params", "sessionId"} gets a
// response with the same id; events have a method and no id. Pages are
// attached in flat mode (Target.attachToTarget with flatten), so a page's
// commands carry its sessionId.
//
// Only what the tests need is here: open a page, navigate, evaluate
// JavaScript, press keys, take a screenshot, and collect every script error
// (uncaught exceptions, console.error, and the browser's error log).
//
// # Files
//
//   - browser.go: Find, Launch, the pipe and its messages, NewPage
//   - page.go: Page: Navigate, Eval, WaitFor, Press, Click, SetViewport,
//     Screenshot, Errors
package browser

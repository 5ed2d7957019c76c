package browser

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// Find returns the Chromium executable: $MMAPSIM_CHROMIUM when set, else
// the first of chromium, chromium-browser, google-chrome on PATH.
func Find() (string, error) {
	if p := os.Getenv("MMAPSIM_CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium, chromium-browser or google-chrome on PATH (set MMAPSIM_CHROMIUM)")
}

// Browser is a running headless Chromium.
type Browser struct {
	cmd     *exec.Cmd
	toB     io.WriteCloser // the browser's fd 3
	profile string
	log     lockedBuffer // the browser's own output, for failures

	mu      sync.Mutex
	nextID  int
	pending map[int]chan message
	pages   map[string]*Page // by session
	dead    error            // set when the pipe closed
}

// message is a CDP message: a response (ID set) or an event (Method set).
type message struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *cdpError       `json:"error,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
}

type cdpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    string `json:"data,omitempty"`
}

func (e *cdpError) Error() string {
	return fmt.Sprintf("CDP error %d: %s %s", e.Code, e.Message, e.Data)
}

// Launch starts chromium headless, with a fresh profile in a new temporary
// directory, a width x height window, and the flags that keep it from
// reaching the network on its own.
func Launch(chromium string, width, height int) (*Browser, error) {
	profile, err := os.MkdirTemp("", "mmapsim-chromium")
	if err != nil {
		return nil, err
	}
	b := &Browser{profile: profile, pending: map[int]chan message{}, pages: map[string]*Page{}}
	cmdR, cmdW, err := os.Pipe() // commands: us -> fd 3
	if err != nil {
		return nil, err
	}
	evR, evW, err := os.Pipe() // responses and events: fd 4 -> us
	if err != nil {
		return nil, err
	}
	b.cmd = exec.Command(chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-default-apps", "--disable-extensions", "--disable-dev-shm-usage",
		"--hide-scrollbars", "--mute-audio", "--force-device-scale-factor=1",
		fmt.Sprintf("--window-size=%d,%d", width, height),
		"--user-data-dir="+profile, "--remote-debugging-pipe", "about:blank")
	b.cmd.ExtraFiles = []*os.File{cmdR, evW} // fd 3, fd 4
	b.cmd.Stdout = &b.log
	b.cmd.Stderr = &b.log
	if err := b.cmd.Start(); err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	cmdR.Close()
	evW.Close()
	b.toB = cmdW
	go b.readLoop(evR)
	return b, nil
}

// Log is what the browser wrote on its stdout and stderr so far.
func (b *Browser) Log() string { return b.log.String() }

// lockedBuffer is a bytes.Buffer that the process's output copier writes
// while a test may read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (b *Browser) readLoop(r io.ReadCloser) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		raw, err := br.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			b.dead = fmt.Errorf("the browser closed the DevTools pipe: %v", err)
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m message
		if err := json.Unmarshal(raw[:len(raw)-1], &m); err != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch, ok := b.pending[m.ID]; ok {
				ch <- m
				delete(b.pending, m.ID)
			}
		} else if p, ok := b.pages[m.SessionID]; ok {
			p.event(m)
		}
		b.mu.Unlock()
	}
}

// call sends a command (to a page's session, or to the browser when
// session is "") and waits up to timeout for its response, which it
// decodes into result (when not nil).
func (b *Browser) call(session, method string, params any, result any, timeout time.Duration) error {
	if params == nil {
		params = struct{}{}
	}
	p, err := json.Marshal(params)
	if err != nil {
		return err
	}
	ch := make(chan message, 1)
	b.mu.Lock()
	if b.dead != nil {
		b.mu.Unlock()
		return b.dead
	}
	b.nextID++
	id := b.nextID
	b.pending[id] = ch
	b.mu.Unlock()
	msg, err := json.Marshal(message{ID: id, Method: method, Params: p, SessionID: session})
	if err != nil {
		return err
	}
	if _, err := b.toB.Write(append(msg, 0)); err != nil {
		return fmt.Errorf("%s: %v", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: %v", method, b.dead)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %w", method, m.Error)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-time.After(timeout):
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
		return fmt.Errorf("%s: no answer in %v", method, timeout)
	}
}

// Close ends the browser and removes its profile.
func (b *Browser) Close() error {
	b.call("", "Browser.close", nil, nil, 5*time.Second)
	b.toB.Close()
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
	return os.RemoveAll(b.profile)
}

// tabTimeout bounds the wait for a new tab: the first one, just after the
// browser started, can take many seconds on a loaded machine (a CI job
// beside others), and waiting longer costs nothing when it is quick.
const tabTimeout = 60 * time.Second

// NewPage opens a tab on about:blank and attaches to it, with the runtime,
// page and log domains on, so script errors are collected from the start.
func (b *Browser) NewPage() (*Page, error) {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target, tabTimeout); err != nil {
		return nil, err
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att, tabTimeout); err != nil {
		return nil, err
	}
	p := &Page{b: b, session: att.SessionID, loaded: make(chan struct{}, 16)}
	b.mu.Lock()
	b.pages[p.session] = p
	b.mu.Unlock()
	for _, domain := range []string{"Runtime.enable", "Page.enable", "Log.enable"} {
		if err := p.call(domain, nil, nil); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// Profile is the browser's profile directory (its --user-data-dir).
func (b *Browser) Profile() string { return filepath.Clean(b.profile) }

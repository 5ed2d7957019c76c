package replay

import (
	"os"
	"sync"
	"testing"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// TestReplaysInParallel checks the package doc's claim: replays may run in
// many goroutines at once, over one parsed trace and one Options (whose
// Settings they only read), and each gives the report a replay alone
// gives. Run with -race. sh-exec forks and execs (hostvm's Clone),
// sort-large is read as a stream by each goroutine.
func TestReplaysInParallel(t *testing.T) {
	f, err := syntax.ReadFile("testdata/traces/sh-exec.strace")
	if err != nil {
		t.Skip(err)
	}
	const stream = "testdata/traces/sort-large.strace"
	opts := Options{Settings: settingsOf(t, "target=x86_64", "qemu-host-page=64K", "policy=qemu-7.2"), Check: true}
	replayFile := func() string {
		rep, err := Replay(f, opts)
		if err != nil {
			return err.Error()
		}
		return details(rep)
	}
	replayStream := func() string {
		fh, err := os.Open(stream)
		if err != nil {
			return err.Error()
		}
		defer fh.Close()
		rep, err := ReplayReader(syntax.NewReader(stream, fh), opts)
		if err != nil {
			return err.Error()
		}
		return details(rep)
	}
	wantFile, wantStream := replayFile(), replayStream()
	const n = 3
	gotFile, gotStream := make([]string, n), make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func(i int) { defer wg.Done(); gotFile[i] = replayFile() }(i)
		go func(i int) { defer wg.Done(); gotStream[i] = replayStream() }(i)
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		if gotFile[i] != wantFile {
			t.Errorf("replay %d of the parsed trace in parallel:\n%s\nalone:\n%s", i, gotFile[i], wantFile)
		}
		if gotStream[i] != wantStream {
			t.Errorf("replay %d of the stream in parallel:\n%s\nalone:\n%s", i, gotStream[i], wantStream)
		}
	}
}

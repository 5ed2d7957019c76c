package scenario

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// TestRunsInParallel checks the package doc's claim: Run and RunReader may
// run in many goroutines at once, over one parsed File and one Settings
// (which they only read), each with its own Out, and each gives the log a
// run alone gives. Run with -race.
func TestRunsInParallel(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.scn")
	if len(files) < 2 {
		t.Skip("no examples")
	}
	files = files[:min(len(files), 4)]
	set := NewSettings()
	if err := set.Set("policy", "qemu-7.2", "test"); err != nil {
		t.Fatal(err)
	}
	parsed := make([]*syntax.File, len(files))
	for i, name := range files {
		f, err := syntax.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		parsed[i] = f
	}
	runParsed := func(i int) string {
		var out bytes.Buffer
		rep, err := Run(parsed[i], RunOptions{Settings: set, Check: true, Out: &out})
		if err != nil {
			return err.Error()
		}
		return out.String() + rep.Summary(files[i])
	}
	runStream := func(i int) string {
		fh, err := os.Open(files[i])
		if err != nil {
			return err.Error()
		}
		defer fh.Close()
		var out bytes.Buffer
		rep, err := RunReader(syntax.NewReader(files[i], fh), RunOptions{Settings: set, Check: true, Out: &out})
		if err != nil {
			return err.Error()
		}
		return out.String() + rep.Summary(files[i])
	}
	want := make([]string, len(files))
	for i := range files {
		want[i] = runParsed(i)
	}
	const copies = 2
	got := make([][2 * copies]string, len(files))
	var wg sync.WaitGroup
	for i := range files {
		for c := 0; c < copies; c++ {
			wg.Add(2)
			go func(i, c int) { defer wg.Done(); got[i][2*c] = runParsed(i) }(i, c)
			go func(i, c int) { defer wg.Done(); got[i][2*c+1] = runStream(i) }(i, c)
		}
	}
	wg.Wait()
	for i := range files {
		for c, g := range got[i] {
			if g != want[i] {
				t.Errorf("%s, run %d in parallel:\n%s\nalone:\n%s", files[i], c, g, want[i])
			}
		}
	}
}

package picture_test

import (
	"bytes"
	"sync"
	"testing"

	"github.com/mmapsim/mmapsim/picture"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// TestPicturesInParallel checks the package doc's claim: runs drawn by
// recorders and hooks of their own may go on in parallel, and one Picture
// may be rendered from many goroutines at once. Run with -race.
func TestPicturesInParallel(t *testing.T) {
	f, err := syntax.ReadFile("../examples/01-frag-head.scn")
	if err != nil {
		t.Skip(err)
	}
	draw := func() string {
		var text, page bytes.Buffer
		rec := &picture.HTMLRecorder{Title: "t"}
		start, after := picture.TextHooks(&text)
		hstart, hafter := rec.Hooks("t.scn")
		opts := scenario.RunOptions{
			Start: func(m *scenario.Machine) { start(m); hstart(m) },
			After: func(m *scenario.Machine, st *syntax.Stmt, o scenario.Outcome) { after(m, st, o); hafter(m, st, o) },
		}
		if _, err := scenario.Run(f, opts); err != nil {
			return err.Error()
		}
		if err := rec.WriteHTML(&page); err != nil {
			return err.Error()
		}
		return text.String() + page.String()
	}
	want := draw()
	m := machine("target=i386", "host=arm64-64k")
	m.Mmap(0x40005000, 0x1000, rw, fixed, ^uint64(0), 0)
	pic := picture.New(m)
	wantText, wantSVG := pic.String(), pic.SVG()
	const n = 4
	got := make([]string, n)
	texts, svgs := make([]string, n), make([]string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(2)
		go func(i int) { defer wg.Done(); got[i] = draw() }(i)
		go func(i int) { defer wg.Done(); texts[i], svgs[i] = pic.String(), pic.SVG() }(i)
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		if got[i] != want {
			t.Errorf("run %d drawn in parallel differs from a run alone", i)
		}
		if texts[i] != wantText || svgs[i] != wantSVG {
			t.Errorf("picture %d rendered in parallel differs", i)
		}
	}
	if len(want) < 1000 {
		t.Errorf("the drawing is too short:\n%s", want)
	}
}

package box64_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// citation is how a scenario names the box64 source it comes from.
var citation = regexp.MustCompile(`(wrappedlibc\.c|custommem\.c|x64syscall\.c|wrappedlibc_private\.h)[: ]`)

// TestBehaviourScenarios runs every scenario of testdata: each was written
// from box64's source, cites the lines it shows, and holds under the box64
// policy its settings name (its expectations are box64's results).
func TestBehaviourScenarios(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.scn")
	if len(files) == 0 {
		t.Fatal("no scenarios in testdata")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !citation.Match(b) {
				t.Errorf("%s cites no box64 source line", path)
			}
			f, err := syntax.Parse(path, b)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := scenario.Run(f, scenario.RunOptions{Settings: scenario.NewSettings()})
			if err != nil {
				t.Fatal(err)
			}
			if p := rep.Machine.Policy.String(); p != "box64" && p != "box64-wine" {
				t.Errorf("%s runs under policy %s, not box64's", path, p)
			}
			for _, fl := range rep.Failures {
				t.Errorf("%v", fl)
			}
		})
	}
}

package sim_test

import (
	"path/filepath"
	"testing"

	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// TestRegressionScenarios runs every scenario in testdata/regressions, as
// `mmapsim run --check` does: each replays a defect found in the fixed
// algorithm, or in what it runs on (issue12-*: the reproducers
// that are not the seed's; props-*: what the widened property generators
// found), and must pass, its expectations and the invariants after every
// statement. The seed's own defects have one scenario each with their
// quirk, in policy/testdata/quirks.
func TestRegressionScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/regressions/*.scn")
	if err != nil || len(files) == 0 {
		t.Fatalf("no regression scenarios (%v)", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			f, err := syntax.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := scenario.Run(f, scenario.RunOptions{Check: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, fl := range rep.Failures {
				t.Errorf("%v", fl)
			}
			if rep.Statements == 0 {
				t.Errorf("%s runs no statement", path)
			}
		})
	}
}

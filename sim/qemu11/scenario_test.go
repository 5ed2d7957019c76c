package qemu11_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// brokenInvariants marks a scenario whose point is a state where QEMU's
// page flags and the host disagree: its invariant failures are expected.
const brokenInvariants = "# It breaks the guest/host invariants, which is its point."

// TestScenarios runs the scenarios of QEMU 11.1's own behaviour
// (testdata/*.scn, each written from v11.1's source and citing it): every
// expectation holds under policy=qemu-11.1, and so do the invariants
// after every statement, but in a scenario that says it breaks them.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.scn")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios in testdata (%v)", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := syntax.Parse(path, src)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(src), "policy=qemu-11.1") {
				t.Fatalf("%s does not run under policy=qemu-11.1", path)
			}
			rep, err := scenario.Run(f, scenario.RunOptions{Settings: scenario.NewSettings(), Check: true})
			if err != nil {
				t.Fatal(err)
			}
			broken := strings.Contains(string(src), brokenInvariants)
			sawBroken := false
			for _, fl := range rep.Failures {
				if fl.Want == "invariants to hold" && broken {
					sawBroken = true
					continue
				}
				t.Errorf("%v", fl)
			}
			if broken && !sawBroken {
				t.Errorf("%s says it breaks the invariants, but they hold", path)
			}
		})
	}
}

package box64_test

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/replay"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// traceDir holds real strace logs (see its README); they never change.
const traceDir = "../../../shared/traces"

// TestReplayTracesUnderBox64: the repository's traces replayed as calls an
// x86_64 program makes under box64, on 16K and 64K hosts. None runs: in
// every process the loader's file mappings at 4K offsets are EINVAL
// (wrappedlibc.c:3824), and the anonymous MAP_FIXED of the last segment's
// bss kills box64 in the edge zeroing past the library's end
// (3769-3780). Nothing else differs.
func TestReplayTracesUnderBox64(t *testing.T) {
	names, _ := filepath.Glob(filepath.Join(traceDir, "*.strace"))
	if len(names) == 0 {
		t.Skipf("no traces in %s", traceDir)
	}
	sort.Strings(names)
	for _, name := range names {
		f, err := syntax.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, page := range []string{"16K", "64K"} {
			s := scenario.NewSettings()
			for k, v := range map[string]string{"target": "x86_64", "policy": "box64", "host-page": page} {
				if err := s.Set(k, v, "test"); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := replay.Replay(f, replay.Options{Settings: s})
			if err != nil {
				t.Fatalf("%s on %s: %v", name, page, err)
			}
			aborts := 0
			for _, d := range rep.Divergences {
				switch {
				case d.Kind == replay.DivAbort && strings.Contains(d.Sim, "my_mmap64") && strings.Contains(d.Sim, "MAP_ANONYMOUS"):
					aborts++
				case d.Kind == replay.DivSimFailed && strings.Contains(d.Sim, "EINVAL") && !strings.Contains(d.Sim, "MAP_ANONYMOUS"):
				default:
					t.Errorf("%s on %s: unexpected divergence %v at %s:\n  trace: %s\n  sim:   %s", name, page, d.Kind, d.Pos, d.Trace, d.Sim)
				}
			}
			if aborts != len(rep.Processes) || rep.Matches == 0 {
				t.Errorf("%s on %s: %d processes, %d aborts, %d matches; want box64 to die once in each", name, page, len(rep.Processes), aborts, rep.Matches)
			}
		}
	}
}

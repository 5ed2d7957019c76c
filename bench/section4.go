package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/mmapsim/mmapsim/replay"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// replayMachines are the machines traces are replayed on: natively, and
// under the simulated QEMU on a 64K host (as the README shows).
var replayMachines = []struct {
	name     string
	settings [][2]string
}{
	{"host 4K (native)", nil},
	{"x86_64 guest, host 64K", [][2]string{{"target", "x86_64"}, {"host-page", "64K"}}},
}

// sectionReplay replays each trace in o.traces repeatedly and reports
// memory calls per second.
func sectionReplay(o *options) (*table, error) {
	t := &table{
		title:  "4. strace replay speed (replay.Replay)",
		header: []string{"trace", "machine", "lines", "memory calls", "match", "replays", "ms/replay", "calls/s", "lines/s"},
	}
	names, _ := filepath.Glob(filepath.Join(o.traces, "*.strace"))
	sort.Strings(names)
	if len(names) == 0 {
		t.note("skipped: no *.strace in %s", o.traces)
		return t, nil
	}
	for _, name := range names {
		parseStart := time.Now()
		f, err := syntax.ReadFile(name)
		if err != nil {
			return nil, err
		}
		parse := time.Since(parseStart)
		for _, m := range replayMachines {
			set := scenario.NewSettings()
			for _, kv := range m.settings {
				if err := set.Set(kv[0], kv[1], "bench"); err != nil {
					return nil, err
				}
			}
			o.progress("4: %s on %s", filepath.Base(name), m.name)
			var rep *replay.Report
			runs := 0
			start := time.Now()
			for runs < 3 || time.Since(start) < o.budget {
				rep, err = replay.Replay(f, replay.Options{Settings: set})
				if err != nil {
					return nil, fmt.Errorf("%s: %v", name, err)
				}
				runs++
			}
			el := time.Since(start).Seconds()
			if filepath.Base(name) == "gcc.strace" && m.settings == nil {
				o.set(goalReplay, "", float64(rep.Calls*runs)/el)
			}
			t.add(filepath.Base(name), m.name, count(int64(rep.Lines)), count(int64(rep.Calls)), count(int64(rep.Matches)),
				count(int64(runs)), fmt.Sprintf("%.3f", el*1000/float64(runs)),
				rate(float64(rep.Calls*runs)/el), rate(float64(rep.Lines*runs)/el))
		}
		t.note("%s: parsed in %v (not included)", filepath.Base(name), parse.Round(time.Microsecond))
	}
	if _, err := os.Stat(o.traces); err == nil {
		t.note("traces: %s; each replay builds its machines afresh, as mmapsim replay does", o.traces)
	}
	return t, nil
}

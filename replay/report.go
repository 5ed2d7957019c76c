package replay

import (
	"fmt"
	"io"
	"strings"
)

// DivergenceKind classifies a call whose simulated outcome differs from the
// trace's.
type DivergenceKind uint8

// Divergence kinds.
const (
	DivSimFailed    DivergenceKind = iota // the trace's call succeeded, the simulation's failed
	DivSimSucceeded                       // the trace's call failed, the simulation's succeeded
	DivErrno                              // both failed, with different errnos
	DivValue                              // both succeeded with different values: a break, a fixed address
	DivNotSimulated                       // a memory call mmapsim has no model of, or cannot read
	DivAbort                              // the simulated QEMU aborted; the process's later calls are not run
	DivInvariant                          // with Check: an invariant broke after the call
	numDivKinds
)

var divNames = [...]string{"sim-failed", "sim-succeeded", "errno-mismatch", "value-mismatch", "not-simulated", "emulator-abort", "invariant"}

func (k DivergenceKind) String() string {
	if int(k) < len(divNames) {
		return divNames[k]
	}
	return fmt.Sprintf("divergence(%d)", uint8(k))
}

// NoteKind classifies what the replay had to assume.
type NoteKind uint8

// Note kinds.
const (
	NoteUnknownMapping NoteKind = iota // a placeholder for memory the trace never showed being mapped
	NoteUnknownFD                      // a file for a descriptor the trace never showed being opened
	NoteBrkGuess                       // the trace's initial break was not read by brk(NULL)
	NoteUnparsed                       // a line that does not parse (strace interleaved two lines)
	NoteUnpaired                       // half of an unfinished/resumed pair whose other half is missing
	NoteAfterAbort                     // calls not run because the emulator had aborted
	numNoteKinds
)

var noteNames = [...]string{"unknown-mapping", "unknown-fd", "brk-guess", "unparsed", "unpaired", "after-abort"}

func (k NoteKind) String() string {
	if int(k) < len(noteNames) {
		return noteNames[k]
	}
	return fmt.Sprintf("note(%d)", uint8(k))
}

// Divergence is one call whose outcome differs from the trace's.
type Divergence struct {
	Kind  DivergenceKind
	Pos   string // "file:line"
	Pid   int
	Trace string // the trace's line, without pid and timestamp
	Sim   string // the call as the simulation ran it, with its outcome; or why it did not
}

// Note is one thing the replay had to assume or skip.
type Note struct {
	Kind  NoteKind
	Pos   string
	Pid   int
	Trace string
	Msg   string
}

// ProcessSummary counts one process's memory calls.
type ProcessSummary struct {
	Pid         int
	Calls       int // memory calls (replayed, or not simulated)
	Matches     int
	Divergences int
}

// Report is what a replay found.
type Report struct {
	Name        string
	Machine     string // the machine every process ran on (scenario.Machine.Describe)
	Lines       int
	Processes   []*ProcessSummary // in order of first appearance; a reused pid appears again
	Calls       int               // memory calls
	Matches     int
	Diverged    int // memory calls with at least one divergence
	Unchecked   int // memory calls whose trace result is unknown ("= ?")
	FileCalls   int // calls that open, close or stat a descriptor: followed
	Skipped     int // other lines: other calls, signals, exits, blank lines
	Divergences []Divergence
	Notes       []Note
}

// Count returns the number of divergences of kind k.
func (r *Report) Count(k DivergenceKind) int {
	n := 0
	for _, d := range r.Divergences {
		if d.Kind == k {
			n++
		}
	}
	return n
}

// NoteCount returns the number of notes of kind k.
func (r *Report) NoteCount(k NoteKind) int {
	n := 0
	for _, d := range r.Notes {
		if d.Kind == k {
			n++
		}
	}
	return n
}

// WriteSummary writes the replay's summary: counts of calls, matches,
// divergences by kind, and notes by kind.
func (r *Report) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "%s: replayed on %s\n", r.Name, r.Machine)
	fmt.Fprintf(w, "  %d lines: %d memory calls (%d match, %d diverge", r.Lines, r.Calls, r.Matches, r.Diverged)
	if r.Unchecked > 0 {
		fmt.Fprintf(w, ", %d unchecked", r.Unchecked)
	}
	fmt.Fprintf(w, "), %d file calls followed, %d other %s skipped\n", r.FileCalls, r.Skipped, plural(r.Skipped, "line", "lines"))
	if len(r.Processes) > 1 {
		fmt.Fprintf(w, "  %d processes:\n", len(r.Processes))
		for _, p := range r.Processes {
			fmt.Fprintf(w, "    pid %d: %d memory calls, %d match, %d diverge\n", p.Pid, p.Calls, p.Matches, p.Divergences)
		}
	}
	fmt.Fprintf(w, "  divergences: %s\n", kindCounts(int(numDivKinds), func(i int) (string, int) {
		return DivergenceKind(i).String(), r.Count(DivergenceKind(i))
	}))
	fmt.Fprintf(w, "  notes: %s\n", kindCounts(int(numNoteKinds), func(i int) (string, int) {
		return NoteKind(i).String(), r.NoteCount(NoteKind(i))
	}))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// kindCounts writes "2 sim-failed, 1 errno-mismatch" for the n kinds that
// get names and counts, leaving out those counted 0; "none" when all are.
func kindCounts(n int, get func(int) (string, int)) string {
	var parts []string
	for i := 0; i < n; i++ {
		if name, c := get(i); c > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c, name))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// WriteDetails writes each divergence with its trace line and the
// simulation's call, then each note.
func (r *Report) WriteDetails(w io.Writer) {
	if len(r.Divergences) > 0 {
		fmt.Fprintln(w, "divergences:")
	}
	for _, d := range r.Divergences {
		fmt.Fprintf(w, "%s: pid %d: %s\n    trace: %s\n    sim:   %s\n", d.Pos, d.Pid, d.Kind, d.Trace, d.Sim)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "notes:")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "%s: pid %d: %s: %s\n", n.Pos, n.Pid, n.Kind, n.Msg)
		if n.Trace != "" {
			fmt.Fprintf(w, "    trace: %s\n", n.Trace)
		}
	}
}

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
	NoteUnparsed                       // a line of a call the replay follows that does not parse
	NoteUnpaired                       // half of an unfinished/resumed pair whose other half is missing
	NoteAfterAbort                     // calls not run because the emulator had aborted
	NoteInferred                       // what a pid is (a thread, a new program image), inferred without process lines
	NoteFileSize                       // a file's size the trace never showed, taken to cover a mapping of it
	numNoteKinds
)

var noteNames = [...]string{"unknown-mapping", "unknown-fd", "brk-guess", "unparsed", "unpaired", "after-abort", "inferred", "file-size"}

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
	Line  int
	Pid   int
	Trace string // the trace's line, without pid and timestamp
	Sim   string // the call as the simulation ran it, with its outcome; or why it did not
	// Consequence: an earlier call of the same program image was fatal
	// (Image.Fatal), so the real program would not have got here.
	Consequence bool
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

// MaxDetails bounds how many divergences and how many notes a Report
// keeps with their text: the first MaxDetails of each. Beyond them only
// counts grow (Count, NoteCount), so a replay's memory does not grow with
// the length of its trace.
const MaxDetails = 1000

// Report is what a replay found.
type Report struct {
	Name        string
	Machine     string // the machine every process ran on (scenario.Machine.Describe)
	Lines       int
	Processes   []*ProcessSummary // in order of first appearance; a reused pid appears again
	Images      []*Image          // program images, in order of start: the verdict
	Calls       int               // memory calls
	Matches     int
	Diverged    int          // memory calls with at least one divergence
	Unchecked   int          // memory calls whose trace result is unknown ("= ?")
	FileCalls   int          // calls that open, close or stat a descriptor: followed
	Skipped     int          // other lines: other calls, signals, exits, blank lines
	Unparsed    int          // of Skipped: lines of calls the replay does not follow that did not parse either
	Divergences []Divergence // the first MaxDetails
	Notes       []Note       // the first MaxDetails
	// Err is the error that ended the reading of the trace early (a line
	// longer than syntax.MaxLineLength, a read error), or nil: the report
	// then covers the lines before it.
	Err error

	divCounts  [numDivKinds]int
	noteCounts [numNoteKinds]int
	target     bool   // processes ran under a simulated emulator (QEMU, box64)
	emulator   string // which one, as the verdict names it (policy.Policy.Emulator)
}

// Count returns the number of divergences of kind k.
func (r *Report) Count(k DivergenceKind) int {
	if int(k) >= len(r.divCounts) {
		return 0
	}
	return r.divCounts[k]
}

// NoteCount returns the number of notes of kind k.
func (r *Report) NoteCount(k NoteKind) int {
	if int(k) >= len(r.noteCounts) {
		return 0
	}
	return r.noteCounts[k]
}

func (r *Report) addDivergence(d Divergence) {
	r.divCounts[d.Kind]++
	if len(r.Divergences) < MaxDetails {
		r.Divergences = append(r.Divergences, d)
	}
}

func (r *Report) addNote(n Note) {
	r.noteCounts[n.Kind]++
	if len(r.Notes) < MaxDetails {
		r.Notes = append(r.Notes, n)
	}
}

func (r *Report) totalDivergences() int {
	n := 0
	for _, c := range r.divCounts {
		n += c
	}
	return n
}

func (r *Report) totalNotes() int {
	n := 0
	for _, c := range r.noteCounts {
		n += c
	}
	return n
}

// maxProcessLines bounds the per-process lines of the summary.
const maxProcessLines = 20

// WriteSummary writes the replay's summary: counts of calls, matches,
// divergences by kind, and notes by kind.
func (r *Report) WriteSummary(w io.Writer) {
	fmt.Fprintf(w, "%s: replayed on %s\n", r.Name, r.Machine)
	if r.Err != nil {
		fmt.Fprintf(w, "  stopped early: %v\n", r.Err)
	}
	fmt.Fprintf(w, "  %d lines: %d memory calls (%d match, %d diverge", r.Lines, r.Calls, r.Matches, r.Diverged)
	if r.Unchecked > 0 {
		fmt.Fprintf(w, ", %d unchecked", r.Unchecked)
	}
	fmt.Fprintf(w, "), %d file calls followed, %d other %s skipped", r.FileCalls, r.Skipped, plural(r.Skipped, "line", "lines"))
	if r.Unparsed > 0 {
		fmt.Fprintf(w, " (%d of them did not parse)", r.Unparsed)
	}
	fmt.Fprintln(w)
	if len(r.Processes) > 1 {
		fmt.Fprintf(w, "  %d processes:\n", len(r.Processes))
		for i, p := range r.Processes {
			if i == maxProcessLines {
				fmt.Fprintf(w, "    ... %d more\n", len(r.Processes)-maxProcessLines)
				break
			}
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
// simulation's call, then each note (the first MaxDetails of each).
func (r *Report) WriteDetails(w io.Writer) {
	if len(r.Divergences) > 0 {
		fmt.Fprintln(w, "divergences:")
	}
	for _, d := range r.Divergences {
		cons := ""
		if d.Consequence {
			cons = " (a consequence: the program had already failed)"
		}
		fmt.Fprintf(w, "%s: pid %d: %s%s\n    trace: %s\n    sim:   %s\n", d.Pos, d.Pid, d.Kind, cons, d.Trace, d.Sim)
	}
	if more := r.totalDivergences() - len(r.Divergences); more > 0 {
		fmt.Fprintf(w, "... %d more divergences not shown\n", more)
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
	if more := r.totalNotes() - len(r.Notes); more > 0 {
		fmt.Fprintf(w, "... %d more notes not shown\n", more)
	}
}

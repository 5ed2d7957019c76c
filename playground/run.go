package playground

import (
	"errors"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/mmapsim/mmapsim/picture"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// Request is one run the page asks for: the editor's text and the
// selectors. The selectors win over the file's "#!" settings, as
// mmapsim's flags do.
type Request struct {
	Name   string `json:"name"`   // the scenario's name in messages; DefaultName when empty
	Source string `json:"source"` // the scenario
	Host   string `json:"host"`   // a host preset; "" as the file says
	Target string `json:"target"` // a target preset; "" as the file says; NoTarget: the host alone
	Policy string `json:"policy"` // a policy; "" as the file says
}

// DefaultName names a scenario whose Request has no name.
const DefaultName = "scenario.scn"

// NoTarget as Request.Target runs the scenario on the host alone, dropping
// the file's target settings (scenario.TargetKeys).
const NoTarget = "none"

// Response is what a run did: a step per statement run, each with its
// picture, and the problems, each at its line.
type Response struct {
	Machine  string    `json:"machine"`  // the machine, as mmapsim run's header says
	Steps    []Step    `json:"steps"`    // the initial state, then each statement run
	Problems []Problem `json:"problems"` // in line order; errors before failures at one line
	Summary  string    `json:"summary"`  // as mmapsim run's last line; "" when the run did not start
}

// Step is the initial state (Line 0) or one statement run.
type Step struct {
	Line   int      `json:"line"`             // 1-based; 0 for the initial state
	Stmt   string   `json:"stmt"`             // the statement, canonical, without expectation or comment
	Result string   `json:"result,omitempty"` // what it did, as the run log writes it
	Failed string   `json:"failed,omitempty"` // a failed expectation: "want X, got Y"
	Host   []string `json:"host,omitempty"`   // the host calls a guest call made
	Lesson []string `json:"lesson,omitempty"` // the comments before it, a paragraph each
	SVG    string   `json:"svg"`              // the picture after it
}

// Problem is an error (the run stops, or never starts) or a failed
// expectation, at a line of the scenario (0: not at a line, as a selector).
type Problem struct {
	Line int    `json:"line"`
	Kind string `json:"kind"` // "error" or "failure"
	Msg  string `json:"msg"`
}

// Run runs a request. It never fails: whatever is wrong is a Problem, and
// what ran before an error stays in Steps.
func Run(req Request) Response {
	name := req.Name
	if name == "" {
		name = DefaultName
	}
	resp := Response{Steps: []Step{}, Problems: []Problem{}}
	f, err := syntax.Parse(name, []byte(req.Source))
	if err != nil {
		resp.Problems = append(resp.Problems, problemOf(name, "error", err))
		return resp
	}
	for _, st := range f.Stmts {
		if st.Kind == syntax.KindBad {
			resp.Problems = append(resp.Problems, Problem{Line: st.Err.Pos.Line, Kind: "error", Msg: st.Err.Msg})
		}
	}
	if len(resp.Problems) > 0 {
		return resp
	}
	settings, prob, ok := selectorSettings(req)
	if !ok {
		resp.Problems = append(resp.Problems, prob)
		return resp
	}
	if req.Target == NoTarget {
		dropTarget(f)
	}
	lessons := lessonsOf(f)
	opts := scenario.RunOptions{
		Settings: settings,
		Start: func(m *scenario.Machine) {
			resp.Machine = m.Describe()
			resp.Steps = append(resp.Steps, Step{Stmt: "start", Lesson: lessons[0], SVG: picture.New(m).SVG()})
		},
		After: func(m *scenario.Machine, st *syntax.Stmt, o scenario.Outcome) {
			s := Step{Line: st.Line, Stmt: withoutWant(st), Result: o.Text(st), Lesson: lessons[st.Line], SVG: picture.New(m).SVG()}
			for _, c := range o.HostCalls {
				s.Host = append(s.Host, c.String())
			}
			resp.Steps = append(resp.Steps, s)
		},
	}
	rep, err := scenario.Run(f, opts)
	if rep != nil {
		for _, fl := range rep.Failures {
			line := lineOf(name, fl.Pos)
			resp.Problems = append(resp.Problems, Problem{Line: line, Kind: "failure", Msg: "want " + fl.Want + ", got " + fl.Got})
			for i := range resp.Steps {
				if resp.Steps[i].Line == line && line > 0 {
					resp.Steps[i].Failed = "want " + fl.Want + ", got " + fl.Got
				}
			}
		}
	}
	if err != nil {
		resp.Problems = append(resp.Problems, problemOf(name, "error", err))
	} else {
		resp.Summary = rep.Summary(name)
	}
	sortProblems(resp.Problems)
	return resp
}

// withoutWant is st in canonical form without its "= RESULT" part, and
// without its trailing comment (a lesson paragraph of the step).
func withoutWant(st *syntax.Stmt) string {
	c := *st
	c.Want, c.Comment = nil, ""
	return syntax.Format(&c)
}

// selectorSettings turns the selectors into settings. A false ok comes
// with the problem.
func selectorSettings(req Request) (*scenario.Settings, Problem, bool) {
	s := scenario.NewSettings()
	for _, sel := range []struct{ key, value string }{
		{"host", req.Host}, {"target", req.Target}, {"policy", req.Policy},
	} {
		if sel.value == "" || (sel.key == "target" && sel.value == NoTarget) {
			continue
		}
		if err := s.Set(sel.key, sel.value, "the "+sel.key+" selector"); err != nil {
			return nil, Problem{Kind: "error", Msg: err.Error()}, false
		}
	}
	return s, Problem{}, true
}

// dropTarget removes the target settings from f's "#!" lines, so it runs
// on the host alone.
func dropTarget(f *syntax.File) {
	for _, st := range f.Stmts {
		if st.Kind != syntax.KindDirective {
			continue
		}
		kept := st.Pairs[:0]
		for _, p := range st.Pairs {
			if !isTargetKey(p.Key) {
				kept = append(kept, p)
			}
		}
		st.Pairs = kept
	}
}

func isTargetKey(key string) bool {
	for _, k := range scenario.TargetKeys {
		if k == key {
			return true
		}
	}
	return false
}

// problemOf places an error at the line its message names: messages about
// the scenario start "NAME:LINE:" or "NAME:LINE:COL:".
func problemOf(name, kind string, err error) Problem {
	msg := err.Error()
	var se *syntax.Error
	if errors.As(err, &se) && se.Pos.Name == name {
		return Problem{Line: se.Pos.Line, Kind: kind, Msg: se.Msg}
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + `:(\d+)(?::\d+)?: `)
	if m := re.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{Line: line, Kind: kind, Msg: msg[len(m[0]):]}
	}
	return Problem{Kind: kind, Msg: msg}
}

// lineOf is the line of a "NAME:LINE" position, or 0.
func lineOf(name, pos string) int {
	rest, ok := strings.CutPrefix(pos, name+":")
	if !ok {
		return 0
	}
	line, err := strconv.Atoi(rest)
	if err != nil {
		return 0
	}
	return line
}

// sortProblems orders problems by line, errors first at a line, keeping
// the order of equal ones.
func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Line != ps[j].Line {
			return ps[i].Line < ps[j].Line
		}
		return ps[i].Kind == "error" && ps[j].Kind != "error"
	})
}

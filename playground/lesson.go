package playground

import (
	"strings"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// A lesson (examples/*.scn) teaches in its comments: a block at the top
// says what the lesson is about, and the comments just above a statement
// say what it shows. The playground shows each with its step.

// lessonsOf returns the lesson text of each step, by the statement's line:
// 0 for the comments that open the file (before its first setting or
// statement), which belong to the initial state. Each is a list of
// paragraphs; an empty comment line ("#") separates paragraphs, and a
// statement's trailing comment is a paragraph of its own.
func lessonsOf(f *syntax.File) map[int][]string {
	lessons := map[int][]string{}
	var paras []string
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			paras = append(paras, strings.Join(cur, " "))
			cur = nil
		}
	}
	take := func() []string {
		flush()
		p := paras
		paras = nil
		return p
	}
	opening := true
	for _, st := range f.Stmts {
		switch st.Kind {
		case syntax.KindComment:
			if st.Comment == "" {
				flush()
			} else {
				cur = append(cur, st.Comment)
			}
			continue
		case syntax.KindBlank:
			flush()
			continue
		}
		if opening {
			lessons[0] = take()
			opening = false
		}
		if st.Kind != syntax.KindCall && st.Kind != syntax.KindMemory {
			continue // settings and files: their comments go to the next statement
		}
		p := take()
		if st.Comment != "" {
			p = append(p, st.Comment)
		}
		if len(p) > 0 {
			lessons[st.Line] = p
		}
	}
	if opening {
		lessons[0] = take()
	}
	return lessons
}

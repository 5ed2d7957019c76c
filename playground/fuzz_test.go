package playground

import (
	"testing"
)

// FuzzRun: no text and no selector makes Run panic, and every problem is
// at a line of the text (or at none).
func FuzzRun(f *testing.F) {
	for _, ex := range Examples() {
		f.Add(ex.Source, "", "", "")
	}
	f.Add("#! target=i386\nmunmap(0, 1) = 0\n", "arm64-64k", NoTarget, "")
	f.Add("peek(1, 2, 3)\n$a = mmap(\n", "x86_64", "sparc64", "seed")
	f.Fuzz(func(t *testing.T, src, host, target, policy string) {
		resp := Run(Request{Source: src, Host: host, Target: target, Policy: policy})
		lines := 1
		for _, c := range src {
			if c == '\n' {
				lines++
			}
		}
		for _, p := range resp.Problems {
			if p.Line < 0 || p.Line > lines {
				t.Errorf("problem at line %d of %d: %+v", p.Line, lines, p)
			}
		}
	})
}

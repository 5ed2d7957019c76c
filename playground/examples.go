package playground

import (
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/mmapsim/mmapsim/examples"
	"github.com/mmapsim/mmapsim/policy"
)

// Example is one lesson of examples/, for the page's picker.
type Example struct {
	Name   string `json:"name"`   // "04-prot-union.scn"
	Title  string `json:"title"`  // its first comment line: "Lesson 4: one host page, ..."
	Source string `json:"source"` // the scenario
}

// Examples returns the lessons embedded from examples/, in name order.
func Examples() []Example {
	names, err := fs.Glob(examples.FS, "*.scn")
	if err != nil {
		panic(err) // the pattern is constant: a programmer error
	}
	sort.Strings(names)
	out := make([]Example, 0, len(names))
	for _, n := range names {
		src, err := fs.ReadFile(examples.FS, n)
		if err != nil {
			panic(err) // embedded: cannot fail
		}
		out = append(out, Example{Name: path.Base(n), Title: titleOf(string(src)), Source: string(src)})
	}
	return out
}

// titleOf is a lesson's first comment line, without "# ".
func titleOf(src string) string {
	first, _, _ := strings.Cut(src, "\n")
	if t, ok := strings.CutPrefix(first, "#"); ok && !strings.HasPrefix(t, "!") {
		return strings.TrimSpace(t)
	}
	return ""
}

// Choice is one option of a selector.
type Choice struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Choices are the options of the page's selectors.
type Choices struct {
	Hosts    []Choice `json:"hosts"`
	Targets  []Choice `json:"targets"`
	Policies []Choice `json:"policies"`
}

// SelectorChoices lists the host and target presets and the policies (as
// mmapsim presets does).
func SelectorChoices() Choices {
	var c Choices
	for _, n := range policy.HostNames() {
		c.Hosts = append(c.Hosts, Choice{n, policy.Hosts[n].Description})
	}
	for _, n := range policy.TargetNames() {
		c.Targets = append(c.Targets, Choice{n, policy.Targets[n].Description})
	}
	for _, v := range policy.Variants {
		c.Policies = append(c.Policies, Choice{v.Name, v.Description})
	}
	return c
}

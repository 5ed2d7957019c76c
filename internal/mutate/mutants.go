package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// A mutant is one single-point change to one source file: the bytes
// [Start, End) of File replaced by New.
type mutant struct {
	File       string // path relative to the module root
	Line, Col  int
	Start, End int    // byte offsets in the file
	Old, New   string // the text replaced, and its replacement
	Op         string // the operator's name
}

// Key names the mutant stably: file, line, column, operator and the
// replacement (an equivalent.txt line, and -only, use it).
func (m mutant) Key() string {
	return fmt.Sprintf("%s:%d:%d:%s:%s", m.File, m.Line, m.Col, m.Op, m.New)
}

func (m mutant) String() string {
	return fmt.Sprintf("%s:%d:%d %s: %q -> %q", m.File, m.Line, m.Col, m.Op, shorten(m.Old), shorten(m.New))
}

func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// swaps are the binary operator mutations: each operator to its neighbour.
var swaps = map[token.Token]token.Token{
	token.ADD: token.SUB, token.SUB: token.ADD,
	token.MUL: token.QUO, token.QUO: token.MUL,
	token.LSS: token.LEQ, token.LEQ: token.LSS,
	token.GTR: token.GEQ, token.GEQ: token.GTR,
	token.EQL: token.NEQ, token.NEQ: token.EQL,
	token.LAND: token.LOR, token.LOR: token.LAND,
	token.AND: token.OR, token.OR: token.AND,
	token.SHL: token.SHR, token.SHR: token.SHL,
	token.AND_NOT: token.AND,
}

// mutantsOf lists the mutation points of the non-test Go files in dirs
// (relative to root), in file order and then source order.
func mutantsOf(root string, dirs []string) ([]mutant, error) {
	var out []mutant
	for _, dir := range dirs {
		names, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
		if err != nil {
			return nil, err
		}
		sort.Strings(names)
		for _, name := range names {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			src, err := os.ReadFile(name)
			if err != nil {
				return nil, err
			}
			rel, _ := filepath.Rel(root, name)
			ms, err := fileMutants(filepath.ToSlash(rel), src)
			if err != nil {
				return nil, err
			}
			out = append(out, ms...)
		}
	}
	return out, nil
}

// fileMutants lists the mutation points of one file's function bodies.
func fileMutants(rel string, src []byte) ([]mutant, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, rel, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []mutant
	add := func(start, end token.Pos, op, repl string) {
		s, e := fset.Position(start), fset.Position(end)
		out = append(out, mutant{File: rel, Line: s.Line, Col: s.Column, Start: s.Offset, End: e.Offset,
			Old: string(src[s.Offset:e.Offset]), New: repl, Op: op})
	}
	for _, decl := range f.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BinaryExpr:
				if to, ok := swaps[n.Op]; ok {
					add(n.OpPos, n.OpPos+token.Pos(len(n.Op.String())), "swap", to.String())
				}
			case *ast.BasicLit:
				if n.Kind == token.INT {
					if v, err := strconv.ParseUint(n.Value, 0, 64); err == nil {
						add(n.Pos(), n.End(), "plus-one", strconv.FormatUint(v+1, 10))
						if v > 0 {
							add(n.Pos(), n.End(), "minus-one", strconv.FormatUint(v-1, 10))
						}
					}
				}
			case *ast.Ident:
				switch n.Name {
				case "true":
					add(n.Pos(), n.End(), "flip", "false")
				case "false":
					add(n.Pos(), n.End(), "flip", "true")
				}
			case *ast.IfStmt:
				cond := string(src[fset.Position(n.Cond.Pos()).Offset:fset.Position(n.Cond.End()).Offset])
				add(n.Cond.Pos(), n.Cond.End(), "negate", "!("+cond+")")
			case *ast.BlockStmt:
				for _, st := range n.List {
					if deletable(st) {
						add(st.Pos(), st.End(), "delete", "")
					}
				}
			case *ast.CaseClause:
				for _, st := range n.Body {
					if deletable(st) {
						add(st.Pos(), st.End(), "delete", "")
					}
				}
			}
			return true
		})
	}
	return out, nil
}

// deletable reports whether removing st leaves a program that may still
// compile: a call, an assignment that declares nothing, an increment.
func deletable(st ast.Stmt) bool {
	switch st := st.(type) {
	case *ast.ExprStmt:
		_, call := st.X.(*ast.CallExpr)
		return call
	case *ast.AssignStmt:
		return st.Tok != token.DEFINE
	case *ast.IncDecStmt:
		return true
	}
	return false
}

// apply returns src with m made.
func (m mutant) apply(src []byte) []byte {
	out := make([]byte, 0, len(src)+len(m.New))
	out = append(out, src[:m.Start]...)
	out = append(out, m.New...)
	return append(out, src[m.End:]...)
}

package syntax

import "fmt"

// Env resolves the names an Expr mentions. The runner builds one per
// argument, so it decides which flag table applies where: the language
// knows no flag names and no variables of its own.
type Env struct {
	Vars  func(name string) (uint64, bool) // $name, without the '$'; nil: none defined
	Flags func(name string) (uint64, bool) // flag names; nil: none known
}

// Table makes a lookup function of a name table, for Env.
func Table(m map[string]uint64) func(string) (uint64, bool) {
	return func(name string) (uint64, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// Eval computes e in env. Arithmetic wraps at 64 bits ("-1" is
// 0xffffffffffffffff); the runner truncates to the width it models. An
// undefined variable or unknown flag name is an error naming it and its
// term's position. The name NULL is 0 unless env.Flags knows it.
func (e Expr) Eval(env Env) (uint64, error) {
	if len(e.Terms) == 0 {
		return 0, fmt.Errorf("empty expression")
	}
	var sum uint64
	for i := range e.Terms {
		t := &e.Terms[i]
		v, err := t.eval(env)
		if err != nil {
			return 0, err
		}
		if t.Neg {
			sum -= v
		} else {
			sum += v
		}
	}
	return sum, nil
}

// eval computes t's magnitude (ignoring Neg).
func (t *Term) eval(env Env) (uint64, error) {
	switch t.Kind {
	case TermNum:
		return t.Num.Value, nil
	case TermVar:
		if env.Vars != nil {
			if v, ok := env.Vars(t.Var); ok {
				return v, nil
			}
		}
		return 0, &Error{Pos: t.Pos, Msg: "undefined variable $" + t.Var}
	case TermFlags:
		var v uint64
		for _, n := range t.Names {
			f, ok := uint64(0), false
			if env.Flags != nil {
				f, ok = env.Flags(n)
			}
			if !ok && n != "NULL" {
				msg := "unknown flag name " + n
				if len(t.Names) > 1 || t.Rest != nil {
					msg += " in " + Expr{Terms: []Term{{Kind: TermFlags, Names: t.Names, Rest: t.Rest}}}.String()
				}
				return 0, &Error{Pos: t.Pos, Msg: msg}
			}
			v |= f
		}
		if t.Rest != nil {
			v |= t.Rest.Value
		}
		return v, nil
	}
	return 0, &Error{Pos: t.Pos, Msg: fmt.Sprintf("invalid term kind %d", t.Kind)}
}

// Uint evaluates a number argument: an Expr, or NULL as 0.
func (a *Arg) Uint(env Env) (uint64, error) {
	switch a.Kind {
	case ArgExpr:
		return a.Expr.Eval(env)
	case ArgNull:
		return 0, nil
	}
	return 0, &Error{Pos: a.Pos, Msg: fmt.Sprintf("expected number, found %s %s", a.Kind, shorten(a.Src))}
}

package scenario

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// CallArg is one evaluated argument.
type CallArg struct {
	Num      uint64 // a number's value (64-bit; the machine truncates); an absent optional argument's Default
	Bytes    []byte // a string's bytes
	IsString bool   // the argument is a string (ParamPath, ParamBytes; ParamBuf may be)
	Given    bool   // the statement gave it (false: an optional argument it omitted)
}

// CallArgs are a call's evaluated arguments, one per parameter of its
// CallSpec.
type CallArgs []CallArg

// Eval evaluates the arguments call gives, as c's parameters, with the
// variables vars (nil: none); a parameter call omits gets its Default and
// arguments beyond c's parameters are ignored (check them with
// CheckArity). A number argument is evaluated with the flag names of its
// parameter's kind; a ParamStat argument is taken as it is. An argument of
// the wrong type, or a name that does not resolve, is an error at its
// position.
func (c *CallSpec) Eval(call *syntax.Call, vars func(string) (uint64, bool)) (CallArgs, error) {
	return c.EvalInto(nil, call, vars)
}

// EvalInto is Eval into dst's storage when it has room (a replay reuses
// one buffer for every call): the result may alias dst.
func (c *CallSpec) EvalInto(dst CallArgs, call *syntax.Call, vars func(string) (uint64, bool)) (CallArgs, error) {
	args := dst[:0]
	if cap(args) < len(c.Params) {
		args = make(CallArgs, len(c.Params))
	}
	args = args[:len(c.Params)]
	for i, p := range c.Params {
		if i >= len(call.Args) {
			args[i] = CallArg{Num: p.Default}
			continue
		}
		arg, err := c.EvalArg(call, i, vars)
		if err != nil {
			return nil, err
		}
		args[i] = arg
	}
	return args, nil
}

// EvalArg evaluates argument i of call as c's parameter i.
//
// Preconditions: 0 <= i < len(c.Params) and i < len(call.Args).
func (c *CallSpec) EvalArg(call *syntax.Call, i int, vars func(string) (uint64, bool)) (CallArg, error) {
	kind := c.Params[i].Kind
	arg := &call.Args[i]
	switch {
	case kind == ParamStat:
		return CallArg{Given: true}, nil
	case kind.info().text && arg.Kind == syntax.ArgString:
		return CallArg{Bytes: arg.Bytes, IsString: true, Given: true}, nil
	case kind.info().text && kind != ParamBuf:
		return CallArg{}, &syntax.Error{Pos: arg.Pos, Msg: fmt.Sprintf("%s: argument %d (%s): expected a string, found %s",
			c.Name, i+1, c.Params[i].Name, arg.Kind)}
	}
	v, err := arg.Uint(kind.Env(vars))
	if err != nil {
		return CallArg{}, err
	}
	return CallArg{Num: v, Given: true}, nil
}

// Format writes the call with args as strace would: "munmap(0x7f0000000000,
// 0x2000)", every parameter written as its kind writes it (an omitted
// optional one with the value the call runs with).
func (c *CallSpec) Format(args CallArgs) string {
	var b strings.Builder
	b.WriteString(c.Name + "(")
	for i, p := range c.Params {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(formatArg(p.Kind, args[i]))
	}
	b.WriteByte(')')
	return b.String()
}

func formatArg(kind ParamKind, arg CallArg) string {
	switch {
	case arg.IsString:
		return syntax.Quote(arg.Bytes)
	case kind == ParamStat && arg.Given:
		return "{...}"
	case kind == ParamStat:
		return "NULL"
	}
	if format := kind.info().format; format != nil {
		return format(arg.Num)
	}
	return hexText(arg.Num)
}

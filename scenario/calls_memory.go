package scenario

import (
	"bytes"
	"fmt"
)

// The memory statements: a scenario's own accesses to memory, as the
// guest's CPU (under a target) or the host's makes them. The parser
// (package syntax) already checked their shape: poke's bytes are a
// complete string, and they are never bound.
var memoryStatements = []*CallSpec{
	{
		Name:  "poke",
		Class: MemoryStatement, Result: ResultNone,
		Params: []Param{{Name: "addr", Kind: ParamAddr}, {Name: "bytes", Kind: ParamBytes}},
		Min:    2,
		run: func(m *Machine, a CallArgs) (Outcome, error) {
			return m.Store(a[0].Num, a[1].Bytes), nil
		},
	},
	{
		Name:  "peek",
		Class: MemoryStatement, Result: ResultNone,
		Params: []Param{{Name: "addr", Kind: ParamAddr}, {Name: "len", Kind: ParamCount}},
		Min:    2,
		run: func(m *Machine, a CallArgs) (Outcome, error) {
			n := a[1].Num
			if n > maxAccess {
				return Outcome{}, fmt.Errorf("peek of %#x bytes: at most 64M at a time", n)
			}
			return m.Load(a[0].Num, int(n)), nil
		},
	},
	{
		Name:  "fill",
		Class: MemoryStatement, Result: ResultNone,
		Params: []Param{{Name: "addr", Kind: ParamAddr}, {Name: "len", Kind: ParamCount}, {Name: "byte", Kind: ParamByte}},
		Min:    3,
		run: func(m *Machine, a CallArgs) (Outcome, error) {
			n := a[1].Num
			if n > maxAccess {
				return Outcome{}, fmt.Errorf("fill of %#x bytes: at most 64M at a time", n)
			}
			if b := a[2].Num; b > 0xff {
				return Outcome{}, fmt.Errorf("fill: byte %#x: want 0 to 0xff", b)
			}
			return m.Store(a[0].Num, bytes.Repeat([]byte{byte(a[2].Num)}, int(n))), nil
		},
	},
}

// maxAccess bounds one peek or fill, so that no scenario exhausts memory.
const maxAccess = 1 << 26

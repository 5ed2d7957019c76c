package scenario

// brk moves the program break. Under a target it goes to the simulated
// QEMU (compare QEMU linux-user/syscall.c:do_brk()); its value is the new
// break, or the unchanged one when the move fails.
var brkCalls = []*CallSpec{
	{
		Name:  "brk",
		Class: MemoryCall, Result: ResultBreak,
		Params: []Param{{Name: "addr", Kind: ParamBreak}},
		Min:    1,
		Translate: func(t Translator, a CallArgs) {
			a[0].Num = t.Break(a[0].Num)
		},
		run: func(m *Machine, a CallArgs) (Outcome, error) { return m.Brk(a[0].Num), nil },
	},
}

package scenario

// The calls that change an existing range of mappings. Under a target they
// go to the simulated QEMU (compare QEMU linux-user/syscall.c's
// TARGET_NR_mprotect, TARGET_NR_madvise and TARGET_NR_msync cases).
var rangeCalls = []*CallSpec{
	{
		Name:  "mprotect",
		Class: MemoryCall, Result: ResultStatus,
		Params: []Param{{Name: "addr", Kind: ParamAddr}, {Name: "length", Kind: ParamLen}, {Name: "prot", Kind: ParamProt}},
		Min:    3, Translate: translateRange,
		run: func(m *Machine, a CallArgs) (Outcome, error) { return m.Mprotect(a[0].Num, a[1].Num, a[2].Num), nil },
	},
	{
		Name:  "madvise",
		Class: MemoryCall, Result: ResultStatus,
		Params: []Param{{Name: "addr", Kind: ParamAddr}, {Name: "length", Kind: ParamLen}, {Name: "advice", Kind: ParamAdvice}},
		Min:    3, Translate: translateRange,
		run: func(m *Machine, a CallArgs) (Outcome, error) { return m.Madvise(a[0].Num, a[1].Num, a[2].Num), nil },
	},
	{
		Name:  "msync",
		Class: MemoryCall, Result: ResultStatus,
		Params: []Param{{Name: "addr", Kind: ParamAddr}, {Name: "length", Kind: ParamLen}, {Name: "flags", Kind: ParamMsyncFlags}},
		Min:    3, Translate: translateRange,
		run: func(m *Machine, a CallArgs) (Outcome, error) { return m.Msync(a[0].Num, a[1].Num, a[2].Num), nil },
	},
}

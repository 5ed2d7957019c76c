package scenario

import "github.com/mmapsim/mmapsim/hostvm"

// The calls that make, move and remove mappings. Under a target they go to
// the simulated QEMU (compare QEMU linux-user/syscall.c's TARGET_NR_mmap,
// TARGET_NR_mmap2, TARGET_NR_munmap and TARGET_NR_mremap cases).
var mappingCalls = []*CallSpec{
	{
		Name:  "mmap",
		Class: MemoryCall, Result: ResultRange,
		Params: mmapParams(Param{Name: "offset", Kind: ParamOffset}),
		Min:    6, Fixed: mmapFixed, Translate: translateMmap,
		run: func(m *Machine, a CallArgs) (Outcome, error) {
			return m.Mmap(a[0].Num, a[1].Num, a[2].Num, a[3].Num, a[4].Num, a[5].Num), nil
		},
	},
	{
		// mmap2 is mmap with the offset in 4096-byte units, whatever the
		// page size (the i386 and arm ABIs).
		Name:  "mmap2",
		Class: MemoryCall, Result: ResultRange,
		Params: mmapParams(Param{Name: "pgoffset", Kind: ParamPgOffset}),
		Min:    6, Fixed: mmapFixed, Translate: translateMmap,
		run: func(m *Machine, a CallArgs) (Outcome, error) {
			return m.Mmap(a[0].Num, a[1].Num, a[2].Num, a[3].Num, a[4].Num, a[5].Num*4096), nil
		},
	},
	{
		Name:  "munmap",
		Class: MemoryCall, Result: ResultStatus,
		Params: []Param{{Name: "addr", Kind: ParamAddr}, {Name: "length", Kind: ParamLen}},
		Min:    2, Translate: translateRange,
		run: func(m *Machine, a CallArgs) (Outcome, error) { return m.Munmap(a[0].Num, a[1].Num), nil },
	},
	{
		// strace prints new_address only with MREMAP_FIXED.
		Name:  "mremap",
		Class: MemoryCall, Result: ResultRange,
		Params: []Param{{Name: "old_address", Kind: ParamAddr}, {Name: "old_size", Kind: ParamLen},
			{Name: "new_size", Kind: ParamNewLen}, {Name: "flags", Kind: ParamMremapFlags},
			{Name: "new_address", Kind: ParamHint}},
		Min: 4, Fixed: mremapFixed, Translate: translateMremap,
		run: func(m *Machine, a CallArgs) (Outcome, error) {
			return m.Mremap(a[0].Num, a[1].Num, a[2].Num, a[3].Num, a[4].Num), nil
		},
	},
}

// mmapParams are mmap's and mmap2's parameters, which differ in the unit
// of the offset.
func mmapParams(offset Param) []Param {
	return []Param{{Name: "addr", Kind: ParamHint}, {Name: "length", Kind: ParamNewLen},
		{Name: "prot", Kind: ParamProt}, {Name: "flags", Kind: ParamMapFlags},
		{Name: "fd", Kind: ParamFD}, offset}
}

// mmapFixed: MAP_FIXED and MAP_FIXED_NOREPLACE place the mapping at addr.
func mmapFixed(a CallArgs) bool {
	return hostvm.MapFlags(a[3].Num)&(hostvm.MapFixed|hostvm.MapFixedNoReplace) != 0
}

// translateMmap translates a MAP_FIXED address as a range the process
// must have (a hint need not be mapped), and the descriptor of a file
// mapping.
func translateMmap(t Translator, a CallArgs) {
	if mmapFixed(a) {
		a[0].Num = t.Range(a[0].Num, a[1].Num)
	} else {
		a[0].Num = t.Hint(a[0].Num)
	}
	if hostvm.MapFlags(a[3].Num)&hostvm.MapAnonymous == 0 {
		a[4].Num = t.MapFD(a[4].Num, a[5].Num, a[1].Num)
	}
}

// mremapFixed: MREMAP_FIXED moves the mapping to new_address.
func mremapFixed(a CallArgs) bool {
	return hostvm.MremapFlags(a[3].Num)&hostvm.MremapFixed != 0
}

// translateMremap translates the old range, and a new_address the trace
// gives: with MREMAP_FIXED as a range of new_size, else as a hint.
func translateMremap(t Translator, a CallArgs) {
	a[0].Num = t.Range(a[0].Num, a[1].Num)
	switch {
	case !a[4].Given:
	case mremapFixed(a):
		a[4].Num = t.Range(a[4].Num, a[2].Num)
	default:
		a[4].Num = t.Hint(a[4].Num)
	}
}

// translateRange translates the range a call of (addr, length, ...) works on.
func translateRange(t Translator, a CallArgs) {
	a[0].Num = t.Range(a[0].Num, a[1].Num)
}

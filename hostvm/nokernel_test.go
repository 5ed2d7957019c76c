package hostvm

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
)

// TestNoKernel: every exported method of a nil *Kernel, of &Kernel{} and of
// a declared `var k Kernel` answers without panicking: system calls fail
// with EINVAL, memory accesses fault with SEGV_MAPERR, accessors return
// zero values. The table must name every exported method.
func TestNoKernel(t *testing.T) {
	segv := func(a Addr, acc Access) string {
		return fmt.Sprint(&Fault{Signal: SIGSEGV, Code: SegvMapErr, Addr: a, Access: acc})
	}
	calls := map[string]struct {
		call func(k *Kernel) string
		want string
	}{
		"Brk":             {func(k *Kernel) string { return fmt.Sprint(k.Brk(0x1000)) }, "0x0"},
		"BrkStart":        {func(k *Kernel) string { return fmt.Sprint(k.BrkStart()) }, "0x0"},
		"CheckInvariants": {func(k *Kernel) string { return fmt.Sprint(k.CheckInvariants()) }, errNoKernel.Error()},
		"Clone":           {func(k *Kernel) string { return fmt.Sprint(k.Clone() == nil) }, "true"},
		"Close":           {func(k *Kernel) string { return fmt.Sprint(k.Close(3)) }, "Invalid argument"},
		"Config":          {func(k *Kernel) string { return fmt.Sprint(k.Config() == Config{}) }, "true"},
		"Debug":           {func(k *Kernel) string { return k.Debug() }, ""},
		"FcntlGetFl": {func(k *Kernel) string {
			f, err := k.FcntlGetFl(3)
			return fmt.Sprint(uint32(f), err)
		}, "0 Invalid argument"},
		"Fetch": {func(k *Kernel) string { return fmt.Sprint(k.Fetch(0x5000, 1)) }, segv(0x5000, AccessExec)},
		"FilePread": {func(k *Kernel) string {
			n, err := k.FilePread(3, make([]byte, 4), 0)
			return fmt.Sprint(n, err)
		}, "0 Invalid argument"},
		"FilePwrite": {func(k *Kernel) string {
			n, err := k.FilePwrite(3, []byte("x"), 0)
			return fmt.Sprint(n, err)
		}, "0 Invalid argument"},
		"Files": {func(k *Kernel) string { return fmt.Sprint(k.Files() == nil) }, "true"},
		"Fstat": {func(k *Kernel) string {
			st, err := k.Fstat(3)
			return fmt.Sprint(st == Stat{}, err)
		}, "true Invalid argument"},
		"Ftruncate": {func(k *Kernel) string { return fmt.Sprint(k.Ftruncate(3, 0)) }, "Invalid argument"},
		"GoString":  {func(k *Kernel) string { return k.GoString() }, "hostvm.Kernel{} (no kernel: not made by New)"},
		"Lookup": {func(k *Kernel) string {
			m, ok := k.Lookup(0x5000)
			return fmt.Sprint(m == Mapping{}, ok)
		}, "true false"},
		"Madvise":    {func(k *Kernel) string { return fmt.Sprint(k.Madvise(0x5000, pg, MadvDontNeed)) }, "Invalid argument"},
		"MapCount":   {func(k *Kernel) string { return fmt.Sprint(k.MapCount()) }, "0"},
		"Maps":       {func(k *Kernel) string { return fmt.Sprint(k.Maps() == nil) }, "true"},
		"MappingsIn": {func(k *Kernel) string { return fmt.Sprint(k.MappingsIn(Range{0, 1 << 40}) == nil) }, "true"},
		"AppendMappingsIn": {func(k *Kernel) string {
			return fmt.Sprint(len(k.AppendMappingsIn(make([]Mapping, 1), Range{0, 1 << 40})))
		}, "1"},
		"MapsString":  {func(k *Kernel) string { return k.MapsString() }, ""},
		"MmapBase":    {func(k *Kernel) string { return fmt.Sprint(k.MmapBase()) }, "0x0"},
		"Mmap":        {func(k *Kernel) string { return fmt.Sprint(k.Mmap(0, pg, rw, pa, -1, 0)) }, "0x0 Invalid argument"},
		"MmapReserve": {func(k *Kernel) string { return fmt.Sprint(k.MmapReserve(0x10000, pg)) }, "0x0 Invalid argument"},
		"Mprotect":    {func(k *Kernel) string { return fmt.Sprint(k.Mprotect(0x10000, pg, rw)) }, "Invalid argument"},
		"Mremap":      {func(k *Kernel) string { return fmt.Sprint(k.Mremap(0x10000, pg, 2*pg, MremapMayMove, 0)) }, "0x0 Invalid argument"},
		"Msync":       {func(k *Kernel) string { return fmt.Sprint(k.Msync(0x10000, pg, MsSync)) }, "Invalid argument"},
		"Munmap":      {func(k *Kernel) string { return fmt.Sprint(k.Munmap(0x10000, pg)) }, "Invalid argument"},
		"Open": {func(k *Kernel) string {
			fd, err := k.Open("f", ORdWr|OCreat, 0o644)
			return fmt.Sprint(fd, err)
		}, "-1 Invalid argument"},
		"PrivatePagesIn": {func(k *Kernel) string {
			return fmt.Sprint(k.PrivatePagesIn(Range{0, 1 << 40}) == nil)
		}, "true"},
		"PageSize": {func(k *Kernel) string { return fmt.Sprint(k.PageSize()) }, "0"},
		"Pread": {func(k *Kernel) string {
			n, err := k.Pread(3, 0x10000, 4, 0)
			return fmt.Sprint(n, err)
		}, "0 Invalid argument"},
		"Pwrite": {func(k *Kernel) string {
			n, err := k.Pwrite(3, 0x10000, 4, 0)
			return fmt.Sprint(n, err)
		}, "0 Invalid argument"},
		"Read": {func(k *Kernel) string {
			n, f := k.Read(0x5000, make([]byte, 4))
			return fmt.Sprint(n, f)
		}, "0 " + segv(0x5000, AccessRead)},
		"ReadSparse": {func(k *Kernel) string {
			written := []bool{true}
			n, f := k.ReadSparse(0x5000, make([]byte, 4), 4, written)
			return fmt.Sprint(n, f, written[0])
		}, "0 " + segv(0x5000, AccessRead) + " false"},
		"SweepSparse": {func(k *Kernel) string {
			written, pastEOF := []bool{true}, []bool{true}
			n, f := k.SweepSparse(0x5000, make([]byte, 4), 4, written, pastEOF)
			return fmt.Sprint(n, f, written[0], pastEOF[0])
		}, "0 " + segv(0x5000, AccessRead) + " false false"},
		"String":   {func(k *Kernel) string { return k.String() }, ""},
		"TaskSize": {func(k *Kernel) string { return fmt.Sprint(k.TaskSize()) }, "0x0"},
		"Unlink":   {func(k *Kernel) string { return fmt.Sprint(k.Unlink("f")) }, "Invalid argument"},
		"Write": {func(k *Kernel) string {
			n, f := k.Write(0x5000, []byte("x"))
			return fmt.Sprint(n, f)
		}, "0 " + segv(0x5000, AccessWrite)},
	}
	// Every exported method is in the table.
	var missing []string
	typ := reflect.TypeOf((*Kernel)(nil))
	for i := 0; i < typ.NumMethod(); i++ {
		if _, ok := calls[typ.Method(i).Name]; !ok {
			missing = append(missing, typ.Method(i).Name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("methods of *Kernel the table does not call: %v", missing)
	}
	if len(calls) != typ.NumMethod() {
		t.Errorf("the table has %d calls, *Kernel %d methods", len(calls), typ.NumMethod())
	}
	var declared Kernel
	for _, c := range []struct {
		name string
		k    *Kernel
	}{{"nil", nil}, {"zero", &Kernel{}}, {"declared", &declared}} {
		names := make([]string, 0, len(calls))
		for n := range calls {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			call := calls[name]
			t.Run(c.name+"/"+name, func(t *testing.T) {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("panic: %v", p)
					}
				}()
				if got := call.call(c.k); got != call.want {
					t.Errorf("got %q, want %q", got, call.want)
				}
			})
		}
	}
}

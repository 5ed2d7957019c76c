package syntax_test

import (
	"fmt"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

func Example() {
	src := `#! host-page=64K target-page=4K
3458  12:00:01.000001 mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f84ffec0000 <0.000010>
$a = mmap(NULL, 64K, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
peek($a+0x10000, 1) = SIGSEGV  # one past the end
munmap($a, 0xZZ) = 0
`
	f, _ := syntax.Parse("demo.scn", []byte(src))
	vars := map[string]uint64{"a": 0x40000000}
	for _, s := range f.Stmts {
		fmt.Printf("%d %-9s %s\n", s.Line, s.Kind, syntax.Format(s))
		if s.Kind == syntax.KindMemory {
			addr, _ := s.Call.Args[0].Uint(syntax.Env{Vars: syntax.Table(vars)})
			fmt.Printf("  address %#x, expecting %v\n", addr, s.Want.Name)
		}
	}
	fmt.Println("strict:", f.Err())
	// Output:
	// 1 directive #! host-page=64K target-page=4K
	// 2 call      mmap(NULL, 0x2000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f84ffec0000
	// 3 call      $a = mmap(NULL, 64K, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
	// 4 memory    peek($a+0x10000, 1) = SIGSEGV  # one past the end
	//   address 0x40010000, expecting SIGSEGV
	// 5 bad       munmap($a, 0xZZ) = 0
	// strict: demo.scn:5:12: malformed number 0xZZ
}

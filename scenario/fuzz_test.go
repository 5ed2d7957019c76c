package scenario

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// FuzzRun checks that running any text never panics: whatever parses is
// run through the call table, and an input error is a UsageError. The
// corpus starts with the examples.
func FuzzRun(f *testing.F) {
	names, _ := filepath.Glob("../examples/*.scn")
	for _, n := range names {
		src, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte("#! target=i386 host=arm64-64k\n$a = mmap(0, 4K, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)\nmremap($a, 4K, 8K, MREMAP_MAYMOVE|MREMAP_FIXED, 0x10000)\npread64(3, $a, 4, 0)\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := syntax.Parse("fuzz.scn", src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Run(file, RunOptions{Out: io.Discard, Check: true}); err != nil {
			if _, ok := err.(*UsageError); !ok {
				t.Fatalf("error %T: %v", err, err)
			}
		}
	})
}

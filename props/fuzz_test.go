package props

import (
	"encoding/binary"
	"testing"

	"github.com/mmapsim/mmapsim/policy"
)

// byteSource reads random numbers from fuzz input, then zeros.
type byteSource struct{ rest []byte }

func (s *byteSource) Uint64() uint64 {
	var w [8]byte
	n := copy(w[:], s.rest)
	s.rest = s.rest[n:]
	return binary.LittleEndian.Uint64(w[:])
}

// FuzzOps decodes fuzz input into operations with the same decoder as the
// property tests (GenOp) and checks the fixed algorithm's transparency on
// the setup the first byte picks.
func FuzzOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	f.Add([]byte("\x03mmap-then-munmap-in-a-64k-host-page........................"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		setup := Setups[int(data[0])%len(Setups)]
		sys, err := NewSystem(setup, policy.Fixed)
		if err != nil {
			t.Fatal(err)
		}
		src := &byteSource{data[1:]}
		handles := 0
		for i := 0; i < 64 && len(src.rest) > 0; i++ {
			op := GenOp(src, handles)
			if op.Kind == OpMmap || op.Kind == OpMremap {
				handles++
			}
			if !sys.Exec(op) {
				msg, line := sys.Failed()
				t.Fatalf("%s: %s\nat line %d of:\n%s", setup.Name, msg, line, sys.Scenario())
			}
		}
	})
}

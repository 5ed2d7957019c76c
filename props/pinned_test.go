package props

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/policy"
)

const pinnedFile = "testdata/pinned.txt"

// pinnedPolicies are the algorithms whose outcomes TestPinnedOutcomes
// pins: the fixed one, the seed with every quirk, and QEMU 7.2's set.
var pinnedPolicies = []string{"fixed", "seed", "qemu-7.2"}

// TestPinnedOutcomes runs seeded call sequences on QEMU alone, under the
// fixed algorithm, the seed and QEMU 7.2's quirks, with the invariants
// checked after every call, and compares a digest of everything each
// sequence shows (every call's result, errno, bytes and fault, QEMU's
// aborts, the host calls each system call made, the page flags and the
// host's mappings after each call, every invariant that broke) with
// testdata/pinned.txt. A broken invariant does not end the sequence
// (System.keepGoing): the seed breaks them within a few calls. The seed is
// a port of fixed C code and each quirk a documented defect of it: what
// they do may not drift, even where no guest kernel says what is right
// (the seed's paths, the fixed algorithm's named divergences). A change
// meant to change them rewrites the file with -props.update, and the diff
// shows which sequences changed.
func TestPinnedOutcomes(t *testing.T) {
	const seqs, steps = 6, 80
	t.Logf("props.seed=%d, %d sequences of %d calls per setup and policy", *flagSeed, seqs, steps)
	var got []string
	for _, setup := range Setups {
		for _, name := range pinnedPolicies {
			pol, err := policy.ParsePolicy(name)
			if err != nil {
				t.Fatal(err)
			}
			for i := int64(0); i < seqs; i++ {
				got = append(got, fmt.Sprintf("%s %s seed %d: %016x", setup.Name, name, *flagSeed+i,
					pinnedDigest(t, setup, pol, *flagSeed+i, steps)))
			}
		}
	}
	if *flagUpdate {
		if err := os.WriteFile(pinnedFile, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := readLines(pinnedFile)
	if err != nil {
		t.Fatalf("%v (write it with -props.update)", err)
	}
	if *flagSeed != 1 {
		t.Skip("testdata/pinned.txt pins props.seed=1")
	}
	wantSet := map[string]bool{}
	for _, l := range want {
		wantSet[l] = true
	}
	var changed []string
	for _, l := range got {
		if !wantSet[l] {
			changed = append(changed, l)
		}
	}
	if len(changed) > 0 || len(got) != len(want) {
		t.Errorf("%d of %d sequences show other outcomes than %s pins (rerun with -props.update if the change is meant):\n  %s",
			len(changed), len(got), pinnedFile, strings.Join(changed, "\n  "))
	}
}

// pinnedDigest runs steps generated operations from seed on QEMU alone
// under pol and digests what each shows.
func pinnedDigest(t *testing.T, setup Setup, pol policy.Policy, seed int64, steps int) uint64 {
	s, err := NewSystem(setup, pol)
	if err != nil {
		t.Fatal(err)
	}
	s.stopped = "pinned" // QEMU alone: no guest kernel to compare with
	// An invariant that breaks (the seed's defects break them within a
	// few calls) is digested, and the sequence goes on: the seed's and
	// QEMU 7.2's later paths are pinned too.
	s.keepGoing = true
	// The host calls each system call made are QEMU's too (what strace
	// shows of it): they are digested, rendered as strace would.
	s.sim.SetRecording(true)
	h := fnv.New64a()
	src := rngSource{rand.New(rand.NewSource(seed))}
	handles := 0
	for n := 0; n < steps; n++ {
		op := GenOp(src, handles)
		ok := s.Exec(op)
		fmt.Fprintf(h, "%s -> %s\n%v\n%v\n", op, s.simResultText(), s.sim.FlagRuns(), s.host.Maps())
		if op.Kind != OpLoad && op.Kind != OpStore && op.Kind != OpFileWrite && op.Kind != OpFtruncate {
			for _, c := range s.sim.LastHostCalls() {
				fmt.Fprintf(h, "host: %s\n", c)
			}
		}
		for _, v := range s.violations {
			fmt.Fprintf(h, "invariant: %s\n", v)
		}
		s.violations = s.violations[:0]
		if !ok {
			msg, _ := s.Failed()
			fmt.Fprintf(h, "failed: %s\n", msg)
			break
		}
		if op.Kind == OpMmap || op.Kind == OpMremap {
			handles++
		}
	}
	return h.Sum64()
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			out = append(out, l)
		}
	}
	return out, sc.Err()
}

package replay_test

import (
	"os"

	"github.com/mmapsim/mmapsim/replay"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// A dynamic loader's steps, as strace shows them, replayed on a 16K host:
// the reservation maps anywhere (the simulation's address differs from the
// trace's; later addresses are translated), the segment at a 4K-aligned
// file offset does not.
func ExampleReplay() {
	trace := `3458  brk(NULL)                         = 0x5593a335b000
3458  openat(AT_FDCWD, "/f/libselinux.so.1", O_RDONLY|O_CLOEXEC) = 3
3458  newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=174312, ...}, AT_EMPTY_PATH) = 0
3458  mmap(NULL, 186064, PROT_READ, MAP_PRIVATE|MAP_DENYWRITE, 3, 0) = 0x7fbe84ee2000
3458  mmap(0x7fbe84ee9000, 110592, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x7000) = 0x7fbe84ee9000
3458  close(3)                          = 0
3458  brk(0x5593a337c000)               = 0x5593a337c000
3458  +++ exited with 0 +++
`
	f, _ := syntax.Parse("ld.strace", []byte(trace))
	s := scenario.NewSettings()
	s.Set("host-page", "16K", "example")
	rep, _ := replay.Replay(f, replay.Options{Settings: s})
	rep.WriteSummary(os.Stdout)
	rep.WriteDetails(os.Stdout)
	// Output:
	// ld.strace: replayed on host 16K-page 47-bit
	//   8 lines: 4 memory calls (3 match, 1 diverge), 3 file calls followed, 1 other line skipped
	//   divergences: 1 sim-failed
	//   notes: none
	// divergences:
	// ld.strace:5: pid 3458: sim-failed
	//     trace: mmap(0x7fbe84ee9000, 110592, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x7000) = 0x7fbe84ee9000
	//     sim:   mmap(0x7ffff7fd3000, 0x1b000, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x7000) = -1 EINVAL (Invalid argument)
}

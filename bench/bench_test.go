package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/props"
	"github.com/mmapsim/mmapsim/replay"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// benchSizes are the VMA counts of the sub-benchmarks. BENCH_VMAS (a
// comma-free single number) adds one more, for profiling a large space.
func benchSizes() []int {
	sizes := []int{100, 10000, 100000}
	if v, err := strconv.Atoi(os.Getenv("BENCH_VMAS")); err == nil && v > 0 {
		sizes = append(sizes, v)
	}
	return sizes
}

// BenchmarkHostvm times hostvm's calls in a ladder of n VMAs (section 2's
// layout), as pairs that leave the ladder as they found it:
//
//   - mmap+munmap: a non-fixed two-page mapping, which no hole fits;
//   - munmap+mmap: one r-- page unmapped, then mapped again MAP_FIXED;
//   - mprotect: one r-- page made --- (a merge), then r-- (a split).
//
// The groups the pairs touch cycle through 512 spread over the ladder.
func BenchmarkHostvm(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("vmas=%d", n), func(b *testing.B) {
			l, err := newLadder(n)
			if err != nil {
				b.Fatal(err)
			}
			kv := kernelVM{l.k}
			pg := l.pg
			js := l.spread(512)
			b.Run("op=mmap+munmap", func(b *testing.B) {
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					a, err := kv.mmap(0, 2*pg, protRW, anon)
					if err != nil {
						b.Fatal(err)
					}
					if err := kv.munmap(a, 2*pg); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("op=munmap+mmap", func(b *testing.B) {
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					a := l.at(js[i%len(js)], 0)
					if err := kv.munmap(a, pg); err != nil {
						b.Fatal(err)
					}
					if _, err := kv.mmap(a, pg, protR, anon|hostvm.MapFixed); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("op=mprotect", func(b *testing.B) {
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					a := l.at(js[i%len(js)], 0)
					if err := kv.mprotect(a, pg, protNon); err != nil {
						b.Fatal(err)
					}
					if err := kv.mprotect(a, pg, protR); err != nil {
						b.Fatal(err)
					}
				}
			})
			if got := l.k.MapCount(); got != n {
				b.Fatalf("%d VMAs after the runs, want %d", got, n)
			}
		})
	}
}

// BenchmarkSim times guest calls through the simulated QEMU (x86_64 guest,
// policy fixed) in a grid of n guest VMAs (section 1's layout) on a 4K and
// a 64K host, as pairs that restore the grid:
//
//   - mmap+munmap: a non-fixed one-page rw mapping;
//   - mapfixed: MAP_FIXED rw over a group's r-x page, then r-x again;
//   - mprotect: a group's r-- page made --- (a merge), then r-- (a split);
//   - mremap: a group's r-- page grown in place into page 2 (unmapped
//     before the timing), then shrunk.
func BenchmarkSim(b *testing.B) {
	fixed, err := policy.ParsePolicy("fixed")
	if err != nil {
		b.Fatal(err)
	}
	for _, host := range []string{"x86_64", "arm64-64k"} {
		for _, n := range benchSizes() {
			b.Run(fmt.Sprintf("host=%s/vmas=%d", host, n), func(b *testing.B) {
				s, _, err := newSim(host, simTarget, fixed, 0)
				if err != nil {
					b.Fatal(err)
				}
				g, err := newGrid(simVM{s}, n/4)
				if err != nil {
					b.Fatal(err)
				}
				benchMix(b, g)
			})
		}
	}
}

// benchMix runs the pairs of BenchmarkSim on grid g.
func benchMix(b *testing.B, g *grid) {
	v, pg := g.v, g.pg
	js := g.spread(512)
	pair := func(name string, f func(j int) error) {
		b.Run("op="+name, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := f(js[i%len(js)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	pair("mmap+munmap", func(int) error {
		a, err := v.mmap(0, pg, protRW, anon)
		if err != nil {
			return err
		}
		return v.munmap(a, pg)
	})
	pair("mapfixed", func(j int) error {
		a := g.at(j, 3)
		if _, err := v.mmap(a, pg, protRW, anon|hostvm.MapFixed); err != nil {
			return err
		}
		_, err := v.mmap(a, pg, protRX, anon|hostvm.MapFixed)
		return err
	})
	pair("mprotect", func(j int) error {
		a := g.at(j, 1)
		if err := v.mprotect(a, pg, protNon); err != nil {
			return err
		}
		return v.mprotect(a, pg, protR)
	})
	for _, j := range js {
		if err := v.munmap(g.at(j, 2), pg); err != nil {
			b.Fatal(err)
		}
	}
	pair("mremap", func(j int) error {
		a := g.at(j, 1)
		if got, err := v.mremap(a, pg, 2*pg, 0, 0); err != nil || got != a {
			return fmt.Errorf("mremap grow at %#x: %#x, %v", a, got, err)
		}
		_, err := v.mremap(a, 2*pg, pg, 0, 0)
		return err
	})
}

// BenchmarkHostvmMix runs the pairs of BenchmarkSim directly on hostvm,
// in host pages, for comparison.
func BenchmarkHostvmMix(b *testing.B) {
	for _, host := range []string{"x86_64", "arm64-64k"} {
		for _, n := range benchSizes() {
			b.Run(fmt.Sprintf("host=%s/vmas=%d", host, n), func(b *testing.B) {
				k, err := newHost(host)
				if err != nil {
					b.Fatal(err)
				}
				g, err := newGrid(kernelVM{k}, n/4)
				if err != nil {
					b.Fatal(err)
				}
				benchMix(b, g)
			})
		}
	}
}

// BenchmarkProps runs property-suite sequences of 50 operations (policy
// fixed, seed 1) on every setup: one sequence per iteration, ops/s
// reported. Run it with -cpu 1 for section 5's figures.
func BenchmarkProps(b *testing.B) {
	for _, setup := range props.Setups {
		b.Run("setup="+setup.Name, func(b *testing.B) {
			b.ReportAllocs()
			b.ResetTimer()
			r, err := runProps(setup, "fixed", 1, b.N, 50)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(r.ops)/b.Elapsed().Seconds(), "ops/s")
			if r.cpuKnown {
				b.ReportMetric(float64(r.seqs)/r.cpu.Seconds(), "seqs/CPU-s")
			}
			if r.failed > 0 {
				b.Logf("%d of %d sequences failed", r.failed, r.seqs)
			}
		})
	}
}

// BenchmarkQEMUPair times section 7's sim side: an i386 guest's
// mmap+munmap pair with qemu_host_page_size 64K and RESERVED_VA, as
// qemu-i386 -p 65536 runs it, under each policy section 7 compares.
func BenchmarkQEMUPair(b *testing.B) {
	for _, name := range qemuPolicies {
		b.Run("policy="+name, func(b *testing.B) {
			pol, err := policy.ParsePolicy(name)
			if err != nil {
				b.Fatal(err)
			}
			g, err := newQEMUSim(pol)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			if _, _, err := simPairs(g, b.N)(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkReplayGcc replays ../shared/traces/gcc.strace on section 4's
// machines (natively, and as an x86_64 guest on a 64K host): one replay per
// iteration, memory calls per second reported. It skips where the trace is
// missing.
func BenchmarkReplayGcc(b *testing.B) {
	f, err := syntax.ReadFile(filepath.Join("..", "..", "shared", "traces", "gcc.strace"))
	if err != nil {
		b.Skip(err)
	}
	for _, m := range replayMachines {
		b.Run("machine="+strings.Fields(m.name)[0], func(b *testing.B) {
			set := scenario.NewSettings()
			for _, kv := range m.settings {
				if err := set.Set(kv[0], kv[1], "bench"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			calls := 0
			for i := 0; i < b.N; i++ {
				rep, err := replay.Replay(f, replay.Options{Settings: set})
				if err != nil {
					b.Fatal(err)
				}
				calls += rep.Calls
			}
			b.ReportMetric(float64(calls)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

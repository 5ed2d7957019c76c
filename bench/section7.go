package main

import (
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/policy"
	"github.com/mmapsim/mmapsim/sim"
)

// Section 7: sim's guest pair against the real QEMU's. An i386 guest
// (testdata/qemupair.c, built with gcc -m32 -static) runs under
// qemu-i386 -p 65536 and times its own anonymous mmap+munmap pairs; sim,
// configured as that QEMU runs it (a 4K x86-64 host, qemu_host_page_size
// 64K, RESERVED_VA 0xffff0000), makes the same calls. Both first make the
// same live one-page mappings.

//go:embed testdata/qemupair.c
var qemuPairSource []byte

// qemuH is the -p of the real QEMU and the H of sim's.
const qemuH = 0x10000

// qemuLive is how many one-page mappings both guests hold while timing.
const qemuLive = 10000

// qemuPolicies are the policies sim runs the guest pair under.
var qemuPolicies = []string{"qemu-7.2", "fixed"}

// qemuTool is the emulator and the guest built for it.
type qemuTool struct {
	qemu, guest, version string
}

// findQEMU finds qemu-i386 and gcc and builds the guest into dir; on
// failure it says why the section is skipped.
func findQEMU(dir string) (qemuTool, string) {
	qemu, err := exec.LookPath("qemu-i386")
	if err != nil {
		return qemuTool{}, "skipped: qemu-i386 not found (Debian: apt-get install qemu-user)"
	}
	v, err := exec.Command(qemu, "--version").Output()
	if err != nil {
		return qemuTool{}, fmt.Sprintf("skipped: qemu-i386 --version: %v", err)
	}
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		return qemuTool{}, "skipped: gcc not found (Debian: apt-get install gcc gcc-multilib)"
	}
	src := filepath.Join(dir, "qemupair.c")
	if err := os.WriteFile(src, qemuPairSource, 0o644); err != nil {
		return qemuTool{}, fmt.Sprintf("skipped: %v", err)
	}
	guest := filepath.Join(dir, "qemupair")
	if out, err := exec.Command(gcc, "-m32", "-static", "-O2", "-o", guest, src).CombinedOutput(); err != nil {
		return qemuTool{}, fmt.Sprintf("skipped: gcc -m32 -static cannot build the guest (Debian: apt-get install gcc-multilib): %v %s", err, strings.TrimSpace(string(out)))
	}
	return qemuTool{qemu: qemu, guest: guest, version: strings.SplitN(string(v), "\n", 2)[0]}, ""
}

// pairs runs the guest for n timed pairs and returns ns per pair.
func (q qemuTool) pairs(n int) (float64, error) {
	out, err := exec.Command(q.qemu, "-p", strconv.Itoa(qemuH), q.guest,
		strconv.Itoa(qemuLive), "2000", strconv.Itoa(n)).CombinedOutput()
	var got int
	var nsec int64
	if _, serr := fmt.Sscanf(string(out), "pairs %d ns %d", &got, &nsec); serr != nil || err != nil || got != n {
		return 0, fmt.Errorf("qemu-i386 -p %d %s: %v: %q", qemuH, filepath.Base(q.guest), err, out)
	}
	return float64(nsec) / float64(n), nil
}

// newQEMUSim starts sim as qemu-i386 -p 65536 runs an i386 guest on this
// (4K, x86-64) host, under pol, and makes the guest's live mappings.
func newQEMUSim(pol policy.Policy) (sim.Guest, error) {
	hp, tp := policy.Hosts["x86_64"], policy.Targets["i386"]
	hc := hp.Config
	hc.MaxMapCount = 1 << 20
	k, err := hostvm.New(hc)
	if err != nil {
		return nil, err
	}
	cfg := policy.SimConfig(hp, tp)
	cfg.HostPageSize = qemuH
	cfg.ReservedVA = 0xfffff000 &^ (qemuH - 1) // QEMU 7.2's for i386, rounded down to H
	cfg.ProbeGuestBase = true
	g, err := pol.New(sim.KernelHost{Kernel: k}, cfg)
	if err != nil {
		return nil, err
	}
	g.SetRecording(false)
	for i := 0; i < qemuLive; i++ {
		prot := protRW
		if i%2 == 1 {
			prot = protR
		}
		if _, err := g.Mmap(0, 0x1000, int(prot), anon, -1, 0); err != nil {
			return nil, fmt.Errorf("live mapping %d: %v", i, err)
		}
	}
	return g, nil
}

// simPairs is a batch of n guest pairs on g.
func simPairs(g sim.Guest, n int) batch {
	return func() ([]time.Duration, []int, error) {
		d, err := timed(n, func(int) error {
			a, err := g.Mmap(0, 0x1000, int(protRW), anon, -1, 0)
			if err != nil {
				return err
			}
			return g.Munmap(a, 0x1000)
		})
		return []time.Duration{d}, []int{n}, err
	}
}

// sectionQEMU times the guest pair under sim and under the real QEMU,
// taking turns.
func sectionQEMU(o *options, dir string) (*table, error) {
	t := &table{
		title:  "7. sim vs the real QEMU: an i386 guest's mmap+munmap pair, qemu-i386 -p 65536",
		header: []string{"sim policy", "sim ns/pair", "qemu ns/pair", "sim/qemu", "median ratio"},
	}
	q, skip := findQEMU(dir)
	if skip != "" {
		t.note("%s", skip)
		return t, nil
	}
	// Size the real runs to the budget: about budget/reps of pairs each.
	o.progress("7: calibrating %s", filepath.Base(q.qemu))
	per, err := q.pairs(2000)
	if err != nil {
		return nil, err
	}
	n := max(2000, int(float64((o.budget/time.Duration(o.reps)).Nanoseconds())/per))
	real := func() ([]time.Duration, []int, error) {
		v, err := q.pairs(n)
		return []time.Duration{time.Duration(v * float64(n))}, []int{n}, err
	}
	worst := 0.0
	spread := 0.0
	for _, name := range qemuPolicies {
		pol, err := policy.ParsePolicy(name)
		if err != nil {
			return nil, err
		}
		g, err := newQEMUSim(pol)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		o.progress("7: sim (%s) and qemu-i386, %d live mappings each", name, qemuLive)
		// Each real turn is one run of the guest; measure repeats it
		// until the budget is spent, so a round is at least one run.
		r, err := measureRounds(o.budget, o.reps, simPairs(g, o.batch), real)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		spread = max(spread, r.spread())
		sns, qns, med := r.best(0, 0), r.best(1, 0), r.ratio(0, 1, 0)
		t.add(name, ns(sns), ns(qns), ratio(sns, qns), fmt.Sprintf("%.2fx", med))
		worst = max(worst, med)
	}
	o.set(goalQEMUPair, "", worst)
	o.goals[goalQEMUPair].note = fmt.Sprintf("the larger of policies %s", strings.Join(qemuPolicies, " and "))
	t.note("%s; guest testdata/qemupair.c, gcc -m32 -static -O2; %d live one-page mappings (rw-, r--) on both sides", q.version, qemuLive)
	t.note("sim: as QEMU 7.2 runs the guest here: a 4K x86-64 hostvm, qemu_host_page_size 64K, RESERVED_VA 0xffff0000; host-call recording off")
	t.note("qemu: the guest's own clock around %s pairs per run (after 2,000 untimed), QEMU's start-up not included", count(int64(n)))
	t.note("timing: %d rounds, sim and qemu taking turns; ns/pair from each side's best round; median ratio: the median of the rounds' ratios;", o.reps)
	t.note("  the median round was up to %.0f%% slower than the best", 100*spread)
	return t, nil
}

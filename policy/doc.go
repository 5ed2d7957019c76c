// Package policy chooses what a simulated guest runs on and under: the
// host and target presets, the target-mapping algorithm and its switches,
// and the catalogue of the seed's defects.
//
// A Policy names an algorithm (AlgoSeed: package sim's port of QEMU
// linux-user/mmap.c of March 2015; AlgoBox64: package sim/box64's port of
// box64's 4K page emulation) and its switches: for the seed family the
// quirks left in (the seed's defects, sim.QuirkSet), for box64 the Wine
// switch. Scenarios and the command line spell a policy as ParsePolicy reads
// it: a named Variant ("seed", "fixed", "qemu-7.2", "box64", "box64-wine"),
// "fixed-except=Q,...", "seed-except=Q,..." or "quirks=Q,...".
// Policy.New starts a guest (a sim.Guest) over a sim.Host; SimConfig makes
// its sim.Config from a HostPreset and a TargetPreset.
//
// # Files
//
//   - policy.go: Algorithm, Policy, the Variants and ParsePolicy
//   - presets.go: HostPreset, TargetPreset, the presets and SimConfig
//   - quirks.go: QuirkInfo and Quirks, the catalogue: what a guest sees of
//     each quirk, who found it, and its regression scenario in
//     testdata/quirks (what the C does wrong, and the seed lines, are
//     sim's: sim.Quirk.Desc)
//   - qemu72.go: Qemu72, the seed's defects QEMU 7.2 still has and 7.2's
//     own behaviours, each decided from v7.2.0's source with the lines
//     cited and checked against real QEMU (props/qemudiff)
//
// # Regression scenarios
//
// testdata/quirks holds one scenario per quirk, named after it. Each passes
// under policy=fixed and fails under policy=fixed-except=<quirk>
// (TestQuirkScenarios); a quirk that shows only with others (QuirkInfo.Needs)
// passes under fixed-except=<those> and fails with itself added.
// TestQuirkCatalogue checks that every quirk sim
// knows has an entry and a scenario, and every scenario a quirk.
//
// # Concurrency
//
// Everything here is read-only once the program runs: the policies, the
// presets (Hosts, Targets) and the catalogue (Quirks, Variants) are values,
// which nothing may change. Policy.New may run in many goroutines at once;
// each guest it returns is then its own, for one goroutine at a time
// (TestPoliciesInParallel).
package policy

package policy

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/sim"
	"github.com/mmapsim/mmapsim/sim/box64"
	"github.com/mmapsim/mmapsim/sim/qemu11"
)

// Algorithm names a target-mapping algorithm: one implementation of
// sim.Guest. The seed family (sim.Sim, the 2015 file with its defects as
// switchable quirks) is the first.
type Algorithm uint8

// The algorithms.
const (
	// AlgoSeed is sim.Sim: QEMU linux-user/mmap.c of March 2015, ported
	// function by function, each known defect a quirk.
	AlgoSeed Algorithm = iota
	// AlgoBox64 is box64.Box64: box64's 4K page-size emulation on hosts
	// with larger pages (box64 at HEAD 76fda7910e), x86_64 guests only.
	AlgoBox64
	// AlgoQemu111 is qemu11.Guest: QEMU 11.1's linux-user/mmap.c as it
	// ships, defects and all. It has no switches, and no -p.
	AlgoQemu111
)

// algorithms is the table of algorithms: name, and how to start a guest.
var algorithms = [...]struct {
	name string
	new  func(host sim.Host, cfg sim.Config, p Policy) (sim.Guest, error)
}{
	AlgoSeed: {"seed-family", func(host sim.Host, cfg sim.Config, p Policy) (sim.Guest, error) {
		cfg.Quirks = p.Quirks
		s, err := sim.New(host, cfg)
		if err != nil {
			return nil, err
		}
		return s, nil
	}},
	AlgoBox64: {"box64", func(host sim.Host, cfg sim.Config, p Policy) (sim.Guest, error) {
		b, err := box64.New(host, cfg, box64.Options{Wine: p.Wine})
		if err != nil {
			return nil, err
		}
		return b, nil
	}},
	AlgoQemu111: {"qemu-11.1", func(host sim.Host, cfg sim.Config, _ Policy) (sim.Guest, error) {
		g, err := qemu11.New(host, cfg)
		if err != nil {
			return nil, err
		}
		return g, nil
	}},
}

func (a Algorithm) String() string {
	if int(a) < len(algorithms) {
		return algorithms[a].name
	}
	return fmt.Sprintf("algorithm(%d)", uint8(a))
}

// Policy is a choice of algorithm and of its switches: what a scenario's
// policy= setting and the --policy flag name.
type Policy struct {
	Algorithm Algorithm
	// Quirks are the seed family's defects left in (AlgoSeed only; the
	// zero set is the fixed algorithm, the reference).
	Quirks sim.QuirkSet
	// Wine is box64's box64_wine switch (AlgoBox64 only): box64 runs Wine.
	Wine bool
}

// Fixed is the reference policy: the seed with every known defect fixed.
var Fixed = Policy{Algorithm: AlgoSeed}

// Seed is the seed as it was: every known defect in.
var Seed = Policy{Algorithm: AlgoSeed, Quirks: sim.SeedQuirks}

// New starts a guest process under the policy on host: the policy's
// switches (the seed family's Quirks, box64's Wine) replace cfg's.
func (p Policy) New(host sim.Host, cfg sim.Config) (sim.Guest, error) {
	if int(p.Algorithm) >= len(algorithms) {
		return nil, fmt.Errorf("policy: unknown algorithm %v", p.Algorithm)
	}
	return algorithms[p.Algorithm].new(host, cfg, p)
}

// String spells the policy as ParsePolicy reads it.
func (p Policy) String() string {
	for _, v := range Variants {
		if v.Policy == p {
			return v.Name
		}
	}
	off := sim.SeedQuirks.Minus(p.Quirks)
	if p.Quirks.Minus(sim.SeedQuirks).Empty() && off.Len() < p.Quirks.Len() {
		return "seed-except=" + off.String()
	}
	return "fixed-except=" + p.Quirks.String()
}

// Variant is a named policy.
type Variant struct {
	Name        string
	Description string
	Policy      Policy
}

// Variants are the named policies.
var Variants = []Variant{
	{"seed", "QEMU linux-user/mmap.c as of March 2015, every known defect in", Seed},
	{"fixed", "the seed with every known defect fixed: the reference, what the guest kernel would do", Fixed},
	{"qemu-7.2", "QEMU 7.2's linux-user (Debian 12's qemu-user): the seed's defects 7.2 still has, and 7.2's own behaviours (see qemu72.go)",
		Policy{Algorithm: AlgoSeed, Quirks: Qemu72}},
	{"qemu-11.1", "QEMU 11.1's linux-user/mmap.c as it ships (package sim/qemu11): its own algorithm, no -p",
		Qemu111},
	{"box64", "box64's 4K page emulation (HEAD 76fda7910e) for x86_64 guests: see sim/box64", Policy{Algorithm: AlgoBox64}},
	{"box64-wine", "box64 running Wine (box64_wine): the PE-section copy and Wine's reservations", Policy{Algorithm: AlgoBox64, Wine: true}},
}

// Qemu111 is QEMU 11.1's algorithm (AlgoQemu111).
var Qemu111 = Policy{Algorithm: AlgoQemu111}

// ParsePolicy reads a policy as scenarios and flags spell it: a variant
// name ("seed", "fixed", "qemu-7.2", ...), "fixed-except=QUIRK,QUIRK" (fixed
// with those quirks left in), "seed-except=QUIRK,..." (the seed with those
// fixed), or "quirks=QUIRK,..." (exactly those).
func ParsePolicy(s string) (Policy, error) {
	for _, v := range Variants {
		if s == v.Name {
			return v.Policy, nil
		}
	}
	name, list, ok := strings.Cut(s, "=")
	if !ok {
		return Policy{}, fmt.Errorf("unknown policy %q (want %s, fixed-except=Q,..., seed-except=Q,... or quirks=Q,...)", s, variantNames())
	}
	var set sim.QuirkSet
	for _, n := range strings.Split(list, ",") {
		if n == "" {
			continue
		}
		q, ok := sim.QuirkByName(n)
		if !ok {
			return Policy{}, fmt.Errorf("unknown quirk %q in policy %q (run mmapsim presets for the list)", n, s)
		}
		set = set.With(q)
	}
	switch name {
	case "fixed-except", "quirks":
		return Policy{Algorithm: AlgoSeed, Quirks: set}, nil
	case "seed-except":
		return Policy{Algorithm: AlgoSeed, Quirks: sim.SeedQuirks.Minus(set)}, nil
	}
	return Policy{}, fmt.Errorf("unknown policy form %q in %q", name, s)
}

// PolicyString spells the seed-family policy with quirk set q.
func PolicyString(q sim.QuirkSet) string { return Policy{Algorithm: AlgoSeed, Quirks: q}.String() }

func variantNames() string {
	var n []string
	for _, v := range Variants {
		n = append(n, v.Name)
	}
	return strings.Join(n, ", ")
}

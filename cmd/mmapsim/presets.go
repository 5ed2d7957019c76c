package main

import (
	"fmt"
	"io"

	"github.com/mmapsim/mmapsim/policy"
)

func presetsCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprintln(stderr, "usage: mmapsim presets")
		return 2
	}
	fmt.Fprintln(stdout, "host presets (host=NAME):")
	for _, n := range policy.HostNames() {
		fmt.Fprintf(stdout, "  %-12s %s\n", n, policy.Hosts[n].Description)
	}
	fmt.Fprintln(stdout, "\ntarget presets (target=NAME):")
	for _, n := range policy.TargetNames() {
		fmt.Fprintf(stdout, "  %-12s %s\n", n, policy.Targets[n].Description)
	}
	fmt.Fprintln(stdout, "\npolicies (policy=NAME, or fixed-except=Q,..., seed-except=Q,..., quirks=Q,...):")
	for _, v := range policy.Variants {
		if v.Policy.Algorithm != policy.AlgoSeed {
			fmt.Fprintf(stdout, "  %-12s %s\n", v.Name, v.Description)
			continue
		}
		fmt.Fprintf(stdout, "  %-12s %s (%d quirks)\n", v.Name, v.Description, v.Policy.Quirks.Len())
	}
	fmt.Fprintln(stdout, "\nquirks of the seed (QEMU linux-user/mmap.c, March 2015):")
	for _, q := range policy.Quirks {
		fmt.Fprintf(stdout, "  %-28s %s\n", q.Name(), q.Symptom)
	}
	return 0
}

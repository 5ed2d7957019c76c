// Package props tests QEMU's target-mapping algorithms (package sim) by
// properties: random call sequences run on the emulation (sim over a hostvm
// host) and on a reference model, the guest's ideal kernel (hostvm with the
// guest's page size and address width), and every guest-visible outcome is
// compared after every step: results and errno, bytes read, faults, and the
// two views of the address space (QEMU's page flags, the guest kernel's
// VMAs), besides sim's own invariants (guest/host agreement, RESERVED_VA
// containment).
//
// # Files
//
//   - setup.go: Setups, the configurations run (H = T, H = 4T, H = 16T,
//     T > H, 32- and 64-bit guests, with and without RESERVED_VA), and how
//     a setup builds both systems
//   - ops.go: Op, GenOp (one operation from a stream of random numbers,
//     shared by gopter and the fuzz target), and how an Op's addresses are
//     resolved against a run
//   - gen.go: the gopter state-machine description (commands package)
//   - system.go: System (both systems and the run's state), Options (how
//     it is built: WrapHost), Exec
//   - dispatch.go: one runner per operation kind: it makes the call on
//     both systems, writes its scenario line and compares the outcomes
//   - compare.go: the comparisons after a call: accesses, the contents of
//     the pages it could have changed, the invariants and the two views
//   - pages.go: the contents compared a run of pages at a time, read
//     sparsely on both systems (a page neither wrote is equal unread)
//   - divergences.go: the catalogue of named divergences (Divergences) and
//     the rules that allow them, as ordered lists, one per comparison point
//   - conditions.go: what the rules see at each point (the outcome types)
//     and the questions they ask of the two systems
//   - snapshots.go: the guest pages whose contents may legitimately differ
//     (tainted by a divergence, or copies of file data)
//   - text.go: the run as scenario text, and the spellings of failures
//   - catalogue.go: Catalogue, the named behaviours of an algorithm other
//     than the reference (Behaviour) and the rules that recognise them
//     (Rule), and how a run names its differences by them
//   - qemu111.go, qemu111_behaviours.go, qemu111_rules.go: QEMU 11.1's
//     catalogue, its setups, and the questions its rules ask
//   - box64_behaviours.go, box64_rules.go, box64_conditions.go: box64's
//     catalogue and the questions its rules ask
//
// Placement differs legitimately: where sim places a non-fixed mapping,
// the model maps it with MAP_FIXED_NOREPLACE at that address. Earlier
// mappings are named by handle (gopter's NextState cannot see results).
//
// # Named divergences
//
// Where QEMU knowingly cannot be transparent, the comparison allows a
// named divergence (see Divergences), counts it, and keeps QEMU's outcome,
// marks the guest pages it leaves unknown, or stops comparing the run.
// Nothing else may differ.
//
// The rules that allow them are data (divergences.go): at each comparison
// point (mmap, mremap, the other calls, an access, a byte, a page, after a
// store) an ordered list of rules, each a divergence's name, its
// condition in words and as a predicate, and its effect. The first rule
// whose condition holds decides; where none holds, the difference is a
// failure. To allow a new divergence, add it to Divergences and a rule to
// the list of the point where it shows. TestRulesNamed checks that every
// rule names a catalogued divergence and every divergence has a rule;
// TestDivergencesNamed shows each one happening.
//
// # Other algorithms
//
// An algorithm other than the reference (a QEMU release as it ships, or
// an emulator that is not QEMU's, box64) brings its own Catalogue
// (CatalogueFor): named behaviours, each with its source line, a verdict
// (a defect users can hit, or a trade-off), its reason and an example
// scenario, and the rules that recognise them at the comparison points.
// For a QEMU release the divergences' rules are tried after the
// catalogue's; for an algorithm with its own layout (OwnLayout) they do not
// apply. Every difference must be named, or the run fails.
// Options.Disallow makes one behaviour a failure, which is how
// TestCatalogueBehavioursFound finds and shrinks an example of each.
//
// Failures print as scenario text that `mmapsim run` replays: the model's
// results are the expectations.
package props

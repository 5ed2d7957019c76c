// Mutate measures how strong the test suite is by mutation testing: it
// makes single-point changes ("mutants") to the seed family of QEMU's
// algorithms (packages sim and sim/internal/base), runs the tests against
// each, and reports the mutation score (the share of mutants some test
// kills) and the mutants that survive.
//
//	go run ./internal/mutate -n 150 -seed 1                 # the whole suite
//	go run ./internal/mutate -n 150 -seed 1 -suite props    # go test -short ./props alone
//	go run ./internal/mutate -n 150 -seed 1 -suite both     # props -short first, then the rest: both scores
//	go run ./internal/mutate -only KEY -runs sim            # one mutant against sim's tests alone: a quick check, not a score
//	go run ./internal/mutate -list                          # every mutation point
//
// The operators are the classic ones: a binary operator swapped for its
// neighbour (+ and -, < and <=, == and !=, && and ||, & and |, << and >>,
// &^ and &), an integer literal one more or one less, an if condition
// negated, a boolean constant flipped, and a statement deleted (a call, an
// assignment, an increment). Points are only in function bodies.
// They are enumerated in a fixed order and sampled with the printed seed,
// so a run is reproducible; -only names one mutant by its key.
//
// A mutant never touches the source tree: the mutated file is written to a
// temporary directory and the go command sees it through -overlay, so
// other work in the same tree (and its build cache) is not disturbed. A
// mutant that does not compile is not counted. Every package whose tests
// depend on sim is run, fastest first (sim, props -short, then the rest),
// each with -count=1 and a timeout; the first failing package kills the
// mutant, and a timeout (five times the run on the unmutated tree, which
// must pass) kills it too: the tests caught a hang. Mutants
// listed in equivalent.txt, each with the reason no test can tell it from
// the original, are left out of the score.
//
// Files: main.go (flags, sampling, the report), mutants.go (the mutation
// points and the edits), run.go (building and testing one mutant).
package main

// Package scenario runs scenarios: it builds the machine a scenario's
// settings describe and runs the scenario's statements on it, one by one,
// comparing each result with the expectation written beside it.
//
// A scenario is a file in mmapsim's scenario language (package
// scenario/syntax parses it): strace's output syntax, plus "#!" settings,
// file directives, $bindings, expressions and the memory statements poke,
// peek and fill. A Machine is a simulated host kernel (hostvm) and, when
// the settings name a target, a simulated QEMU guest over it (the sim.Guest
// that policy.Policy.New builds); calls go to the guest when there is one.
//
// # Layers
//
// Data flows one way:
//
//	cmd/mmapsim ──> replay, picture ──> scenario ──> scenario/syntax
//	                                       │
//	                                       └──> policy ──> sim ──> hostvm
//
// Package syntax knows the language and nothing of mmapsim. This package
// gives it meaning: which calls exist and what their arguments are (the
// call table), which flag and errno names exist, and what running a
// statement does. Package replay replays strace logs with the same call
// table; package picture draws a Machine, and hooks into Run to draw one
// after every step. Neither is imported here.
//
// # Files
//
//   - settings.go: Settings, the "#!" keys (SettingKeys), which are also
//     mmapsim's flags. A file sets each key once and makes each file
//     once (a second is a usage error; a command-line flag replaces the
//     file's value); a value the library would misread (a 0 it takes for
//     "the default", qemu-host-page below the host page) is a usage error
//     naming the key and where it was set
//   - build.go: Settings.Build, the Machine the settings describe
//   - machine.go: Machine, its calls, and Outcome, what a statement did
//   - run.go: Run and RunReader, the runner, Report and its Summary, UsageError
//   - expect.go: comparing an outcome with an expectation; errno names
//   - filedirective.go: "#! file NAME size=N fill=..." makes a file
//   - calls.go: the call table (CallSpec, LookupCall): one per call,
//     with its parameters, class, result and how to run it
//   - params.go: ParamKind, what a parameter is: its flag names (strace's,
//     from hostvm's tables and a few of Linux's uapi headers) and how it
//     is written
//   - call_args.go: evaluating a statement's arguments (CallArgs), arity
//   - calls_mapping.go, calls_range.go, calls_brk.go, calls_file.go,
//     calls_memory.go, calls_unmodelled.go: the calls, one family a file
//
// # Running
//
// Run reads the file strictly: a line that does not parse, or an errno
// name Linux does not have, is a UsageError before anything runs. Then the
// settings (the file's "#!" lines, overridden by RunOptions.Settings)
// build the Machine, file directives make their files, and each call or
// memory statement runs in order. A call the table does not know (or
// knows mmapsim has no model of) is skipped with a note. The table checks
// each call's arity: too few or too many arguments is a UsageError naming
// file:line, the call and the arguments it takes. A failed expectation is
// a Failure in the Report, and the run goes on; a UsageError stops it,
// keeping what ran.
//
// RunReader runs a scenario as a syntax.Reader reads it, a statement at a
// time, so that memory grows with the simulated machine and not with the
// file (a million-line scenario, a line longer than syntax.MaxLineLength,
// /dev/zero): the settings are the "#!" lines before the first call, and a
// bad line stops the run where it is, after the statements before it ran.
// A Report keeps the first MaxDetails failures and skipped statements with
// their text, and counts them all (Failed, SkipCount).
//
// Expectations: "= VALUE" (an expression, at the machine's word width),
// "= -1 ERRNO", "= ?" (anything), "= ? (success)", "= ? (>= N)", and for
// memory statements "= SIGSEGV", "= SIGBUS" and peek's "= \"bytes\"". A
// $binding takes the call's value; when the call fails, a later use of
// the variable is a failure, not a usage error.
//
// # Concurrency
//
// Run and RunReader may run in many goroutines at once, each with its own
// RunOptions.Out and hooks, even over one *syntax.File and one *Settings,
// which they only read (TestRunsInParallel). A Machine, a Report, and a
// Settings while it is being set, belong to one goroutine; the package's
// tables (SettingKeys, TargetKeys, the calls) are read-only.
package scenario

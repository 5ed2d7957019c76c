package base

import "fmt"

// Abort is the outcome where the emulator itself would have called
// abort(): a failed assertion (in page_set_flags, say) or mmap_fork_start
// with the lock held. The guest process is dead; every later call returns
// the same Abort.
type Abort struct {
	Func   string // the emulator function that aborted
	Reason string
	// Emulator names the emulator that died: "qemu" when empty.
	Emulator string
}

func (a *Abort) Error() string {
	who := a.Emulator
	if who == "" {
		who = "qemu"
	}
	return who + ": " + a.Func + ": " + a.Reason + " (emulator abort)"
}

// abortPanic carries an Abort from deep in an algorithm to Guard.Run, which
// recovers it: C's abort() unwinds everything, so a port's control flow
// can stay the C's.
type abortPanic struct{ a *Abort }

// Raise aborts the emulator: it unwinds to the Guard.Run running the
// current guest call, which returns an Abort for fn (the C function that
// aborted) with the formatted reason.
//
// Preconditions: called (at any depth) inside Guard.Run.
func Raise(fn, format string, args ...any) {
	panic(abortPanic{&Abort{Func: fn, Reason: fmt.Sprintf(format, args...)}})
}

// RaiseAbort is Raise with an Abort the caller made (one that names
// another emulator, say).
//
// Preconditions: called (at any depth) inside Guard.Run.
func RaiseAbort(a *Abort) { panic(abortPanic{a}) }

// Guard runs guest calls until the emulator aborts.
type Guard struct {
	// Aborted is nil while the process lives; once set, the process is
	// gone and Run returns it without running anything.
	Aborted *Abort
}

// Run runs one guest call, turning a Raise inside it into an *Abort error
// (and remembering it). Panics other than Raise's pass through.
func (g *Guard) Run(fn func() error) (err error) {
	if g.Aborted != nil {
		return g.Aborted
	}
	defer func() {
		if r := recover(); r != nil {
			ap, ok := r.(abortPanic)
			if !ok {
				panic(r)
			}
			g.Aborted = ap.a
			err = ap.a
		}
	}()
	return fn()
}

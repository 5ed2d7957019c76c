package base

import "testing"

// TestGuardPassesOtherPanics: Guard.Run turns RaiseAbort into an *Abort
// and remembers it, but a panic of anything else (a programmer's error)
// passes through, and the process lives on.
func TestGuardPassesOtherPanics(t *testing.T) {
	var g Guard
	func() {
		defer func() {
			if r := recover(); r != "bug" {
				t.Errorf("recovered %v, want the panic \"bug\" passed through", r)
			}
		}()
		g.Run(func() error { panic("bug") })
		t.Error("Run returned from a panic that is not an abort")
	}()
	if g.Aborted != nil {
		t.Errorf("after another panic, Aborted = %v, want nil", g.Aborted)
	}
	a := &Abort{}
	if err := g.Run(func() error { RaiseAbort(a); return nil }); err != a || g.Aborted != a {
		t.Errorf("Run after RaiseAbort = %v (Aborted %v), want the abort", err, g.Aborted)
	}
}

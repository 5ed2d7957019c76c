package sim

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// TestCheckAgreementIn: the check over a range agrees with the whole one.
// From random calls (the seed's, which leave disagreements, and the
// fix's) and host pages unmapped or reprotected behind sim's back: where
// the whole space agrees, every range does; where a range disagrees, so
// does the whole space; where the whole space disagrees inside the guest
// space, the range of all of it does; and a host page changed behind
// sim's back is found by a range holding it.
func TestCheckAgreementIn(t *testing.T) {
	seed := uint64(0x61677265)
	t.Logf("seed %#x", seed)
	rng := rand.New(rand.NewPCG(seed, 6))
	const lo, span = 0x1000000, 0x100000
	for _, c := range []struct {
		name     string
		reserved uint64
		quirks   QuirkSet
	}{{"fixed", 0, QuirkSet{}}, {"fixed-reserved", 0x10000000, QuirkSet{}}, {"seed-reserved", 0x10000000 - 0x10000, SeedQuirks}, {"seed", 0, SeedQuirks}} {
		t.Run(c.name, func(t *testing.T) {
			s, k := newTestSim(t, 0x10000, 0, c.reserved, c.quirks)
			spaceEnd := uint64(1) << 32
			if c.reserved != 0 {
				spaceEnd = c.reserved
			}
			page := func() uint64 { return lo + rng.Uint64N(span/0x1000)*0x1000 }
			found, disagreed := 0, 0
			for step := 0; step < 400; step++ {
				a, n := page(), (1+rng.Uint64N(40))*0x1000
				switch rng.IntN(7) {
				case 0:
					_, _ = s.Mmap(a, n, rw, anon|hostvm.MapFixed, -1, 0)
				case 1:
					_, _ = s.Mmap(0, n, protRead, anon, -1, 0)
				case 2:
					_ = s.Munmap(a, n)
				case 3:
					_ = s.Mprotect(a, n, protRead)
				case 4:
					_, _ = s.Mremap(a, 0x1000, n, hostvm.MremapMayMove, 0)
				case 5:
					// Behind sim's back: a valid guest page's host page
					// unmapped, then found by the range holding it.
					if s.PageFlags(a)&PageValid == 0 {
						continue
					}
					h := uint64(s.G2H(a)) &^ 0xffff
					_ = k.Munmap(hostvm.Addr(h), 0x10000)
					if err := s.CheckAgreementIn(a&^0xfff, a&^0xfff+0x1000); err == nil {
						t.Fatalf("step %d: host page %#x unmapped under valid guest page %#x, but the range holding it agrees", step, h, a)
					}
					found++
				default:
					_ = k.Mprotect(s.G2H(a&^0xffff), 0x10000, hostvm.ProtNone)
				}
				full := s.CheckAgreement()
				if full != nil {
					disagreed++
				}
				whole := s.CheckAgreementIn(0, spaceEnd)
				if full != nil && whole == nil && !strings.Contains(full.Error(), "outside the reservation") &&
					!strings.Contains(full.Error(), "past the guest space") {
					t.Fatalf("step %d: the whole space disagrees, the range of all of it agrees:\n%v", step, full)
				}
				for i := 0; i < 4; i++ {
					wlo := page()
					whi := min(wlo+(1+rng.Uint64N(64))*0x1000, spaceEnd)
					in := s.CheckAgreementIn(wlo, whi)
					if full == nil && in != nil {
						t.Fatalf("step %d: the whole space agrees, [%#x, %#x) does not:\n%v", step, wlo, whi, in)
					}
				}
				if full != nil && rng.IntN(4) == 0 {
					// Start again from agreement.
					s, k = newTestSim(t, 0x10000, 0, c.reserved, c.quirks)
				}
			}
			if found == 0 || disagreed < 20 {
				t.Errorf("only %d unmapped host pages found and %d disagreements: the test tests little", found, disagreed)
			}
		})
	}
}

// TestCheckReservationStrayMapping: under RESERVED_VA, a host mapping
// below the reservation (made behind sim's back) is reported as lying
// outside it, and the reservation, whole, is not said to have a hole.
func TestCheckReservationStrayMapping(t *testing.T) {
	s, k := newTestSim(t, 0x1000, 0, 0x10000000, QuirkSet{})
	mustMmap(t, s, 0x1000000, 0x3000, rw, anon|hostvm.MapFixed)
	if err := s.CheckAgreement(); err != nil {
		t.Fatalf("before: %v", err)
	}
	stray := s.G2H(0) - 0x10000
	if _, err := k.Mmap(stray, 0x1000, hostvm.ProtRead, hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapFixedNoReplace, -1, 0); err != nil {
		t.Fatalf("host mmap at %v: %v", stray, err)
	}
	err := s.CheckAgreement()
	if err == nil || !strings.Contains(err.Error(), "outside the reservation") {
		t.Fatalf("with a host mapping at %v below the reservation: %v; want it reported outside the reservation", stray, err)
	}
	if strings.Contains(err.Error(), "hole") {
		t.Errorf("the whole reservation is said to have a hole:\n%v", err)
	}
}

// TestCheckAgreementInLooksOnlyInside: a disagreement outside the range
// checked is not reported by CheckAgreementIn (which looks only at what a
// call could have changed), while CheckAgreement finds it.
func TestCheckAgreementInLooksOnlyInside(t *testing.T) {
	for _, reserved := range []uint64{0, 0x10000000} {
		s, k := newTestSim(t, 0x1000, 0, reserved, QuirkSet{})
		a := mustMmap(t, s, 0x1000000, 0x3000, rw, anon|hostvm.MapFixed)
		b := mustMmap(t, s, 0x2000000, 0x3000, rw, anon|hostvm.MapFixed)
		if err := k.Munmap(s.G2H(a+0x1000), 0x1000); err != nil { // behind sim's back
			t.Fatal(err)
		}
		if err := s.CheckAgreement(); err == nil {
			t.Errorf("reserved %#x: host page under valid guest page %#x unmapped, and the whole space agrees", reserved, a+0x1000)
		}
		if err := s.CheckAgreementIn(b, b+0x3000); err != nil {
			t.Errorf("reserved %#x: the range %#x-%#x reports what lies outside it:\n%v", reserved, b, b+0x3000, err)
		}
		if err := s.CheckAgreementIn(a, a+0x3000); err == nil {
			t.Errorf("reserved %#x: the range %#x-%#x holds the unmapped page and agrees", reserved, a, a+0x3000)
		}
	}
}

// TestCheckReservationHoleAtGuestZero: with guest_base 0 (the reservation
// at host address 0, on a host that allows it), a hole at the bottom of
// the reservation is named from its first byte, guest 0.
func TestCheckReservationHoleAtGuestZero(t *testing.T) {
	k, err := hostvm.New(hostvm.Config{PageSize: 0x1000, AddrBits: 47, Privileged: true, MmapMinAddr: 0, LSMMmapMinAddr: 0})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(KernelHost{k}, Config{ReservedVA: 0x1000000})
	if err != nil {
		t.Fatal(err)
	}
	if s.G2H(0) != 0 {
		t.Fatalf("guest_base %v; want 0", s.G2H(0))
	}
	if err := s.CheckAgreement(); err != nil {
		t.Fatalf("before: %v", err)
	}
	if err := k.Munmap(0, 0x2000); err != nil {
		t.Fatal(err)
	}
	err = s.CheckAgreement()
	if err == nil || !strings.Contains(err.Error(), "hole at 0x0-0x2000") && !strings.Contains(err.Error(), "guest 0x0-0x2000") {
		t.Errorf("reservation's first two pages unmapped: %v; want a hole named from guest 0x0 to 0x2000", err)
	}
}

package sim

import (
	"fmt"
	"strings"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/internal/runs"
)

// HostInspector is what CheckAgreement needs of the host beyond Host: its
// mappings. KernelHost has it.
type HostInspector interface {
	MappingsIn(r hostvm.Range) []hostvm.Mapping
}

// CheckAgreement verifies that the guest's page flags and the host's
// mappings tell one story:
//
//   - every valid guest page lies in a host mapping whose protection
//     includes the guest page's (the host may allow more: the union of the
//     guest pages sharing a host page);
//   - a host page (of qemu_host_page_size) none of whose guest pages is valid
//     is unmapped, or, under RESERVED_VA, a PROT_NONE placeholder;
//   - under RESERVED_VA, every byte of the reservation stays mapped on the
//     host, and no host mapping lies outside it.
//
// It returns nil, or an error naming each violation with both views. It
// needs a host with HostInspector.
func (s *Sim) CheckAgreement() error {
	hi, ok := s.host.(HostInspector)
	if !ok {
		return fmt.Errorf("sim: host %T cannot list its mappings", s.host)
	}
	g := &s.g
	var bad []string
	fail := func(format string, args ...any) {
		if len(bad) < 20 {
			bad = append(bad, fmt.Sprintf(format, args...))
		}
	}
	// The guest space as host addresses.
	var space hostvm.Range
	if s.cfg.ReservedVA != 0 {
		space = hostvm.Range{Start: g.g2h(0), End: g.g2h(0) + hostvm.Addr(s.cfg.ReservedVA)}
	} else {
		space = hostvm.Range{Start: g.g2h(0), End: hostvm.Addr(^uint64(0))}
	}

	// Valid guest pages must be mapped with at least their protection.
	s.flags.Each(func(r runs.Run) bool {
		start, end := r.First*g.t, r.End*g.t
		want := hostvm.Prot(r.Val & PageBits)
		at := g.g2h(start)
		hend := at + hostvm.Addr(end-start)
		for _, m := range hi.MappingsIn(hostvm.Range{Start: at, End: hend}) {
			if m.Start > at {
				fail("guest pages %#x-%#x are valid (%s) but host %v-%v is unmapped",
					g.h2g(at), g.h2g(m.Start), protLetters(r.Val), at, m.Start)
			}
			if m.Prot&want != want {
				lo, hi := max(m.Start, g.g2h(start)), min(m.End, hend)
				fail("guest pages %#x-%#x are %s but their host mapping %v-%v is %v",
					g.h2g(lo), g.h2g(hi), protLetters(r.Val), lo, hi, m.Prot)
			}
			at = m.End
		}
		if at < hend {
			fail("guest pages %#x-%#x are valid (%s) but host %v-%v is unmapped",
				g.h2g(at), end, protLetters(r.Val), at, hend)
		}
		return len(bad) < 20
	})

	// Host mappings must belong to some valid guest page, or be
	// placeholders in the reservation.
	for _, m := range hi.MappingsIn(hostvm.Range{Start: 0, End: hostvm.Addr(^uint64(0))}) {
		if s.cfg.ReservedVA != 0 && (m.Start < space.Start || m.End > space.End) {
			fail("host mapping %v-%v (%v) lies outside the reservation %v", m.Start, m.End, m.Prot, space)
			continue
		}
		if m.Start < space.Start {
			continue // below guest_base: not guest memory
		}
		if s.cfg.ReservedVA != 0 && m.Prot == hostvm.ProtNone && m.Anonymous && !m.Shared {
			continue // a placeholder (or a PROT_NONE guest mapping)
		}
		lo := uint64(m.Start-space.Start) &^ (g.h - 1)
		hi := uint64(m.End - space.Start)
		if s.g.abiMask != ^uint64(0) && hi > s.g.abiMask+1 {
			fail("host mapping %v-%v (%v) reaches past the guest space", m.Start, m.End, m.Prot)
			continue
		}
		if p, ok := s.unusedHostPage(lo, hi); ok {
			fail("host page %v (guest %#x) is mapped %v but none of its guest pages is valid", g.g2h(p), p, m.Prot)
		}
	}

	// The reservation stays whole.
	if s.cfg.ReservedVA != 0 {
		at := space.Start
		for _, m := range hi.MappingsIn(space) {
			if m.Start > at {
				fail("the reservation has a hole at %v-%v (guest %#x-%#x)", at, m.Start, g.h2g(at), g.h2g(m.Start))
			}
			at = m.End
		}
		if at < space.End {
			fail("the reservation has a hole at %v-%v (guest %#x-%#x)", at, space.End, g.h2g(at), s.cfg.ReservedVA)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("guest and host disagree:\n  %s", strings.Join(bad, "\n  "))
}

// unusedHostPage returns the first host page (of H) in guest range [lo, hi)
// with no valid guest page.
func (s *Sim) unusedHostPage(lo, hi uint64) (uint64, bool) {
	g := &s.g
	lo &^= g.h - 1
	hi = (hi + g.h - 1) &^ (g.h - 1) // whole host pages: a page is used if any guest page of it is
	at := lo                         // the first host page not yet known to be used
	found, page := false, uint64(0)
	s.flags.EachIn(lo/g.t, (hi+g.t-1)/g.t, func(r runs.Run) bool {
		first := (r.First * g.t) &^ (g.h - 1)
		if first > at {
			found, page = true, at
			return false
		}
		at = max(at, (r.End*g.t+g.h-1)&^(g.h-1))
		return true
	})
	if !found && at < hi {
		return at, true
	}
	return page, found
}

func protLetters(f uint32) string { return hostvm.Prot(f & PageBits).String() }

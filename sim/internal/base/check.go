package base

import (
	"fmt"
	"strings"
	"sync"

	"github.com/mmapsim/mmapsim/hostvm"
)

// CheckAgreement verifies that an emulator's page flags and the host's
// mappings tell one story, for any algorithm that keeps QEMU's layout
// (guest address a at host address g2h(a), whole host pages of
// g.HostPageSize, RESERVED_VA placeholders):
//
//   - a guest page with any flag is valid;
//   - every valid guest page lies in a host mapping whose protection
//     includes the guest page's (the host may allow more: the union of the
//     guest pages sharing a host page);
//   - a host page none of whose guest pages is valid is unmapped, or, under
//     RESERVED_VA, a PROT_NONE placeholder;
//   - under RESERVED_VA, every byte of the reservation stays mapped on the
//     host, and no host mapping lies outside it.
//
// The host's [stack] (the emulator's own, mapped before it started) is not
// guest memory: it may lie outside the reservation, or in the guest space
// without RESERVED_VA, with no guest page in it.
//
// It returns nil, or an error naming each violation (at most 20) with both
// views.
func CheckAgreement(flags *PageFlags, host Host, g *Geom) error {
	return checkAgreement(flags, host, g, 0, 0, true)
}

// CheckAgreementIn is CheckAgreement over the guest range [start, end)
// alone: the valid guest pages in it, the host mappings over it, the
// reservation's bytes in it. What lies outside is not looked at: callers
// that know what a call could have changed check that, and the whole
// space now and then.
//
// Preconditions: start < end, both guest-page aligned.
func CheckAgreementIn(flags *PageFlags, host Host, g *Geom, start, end uint64) error {
	return checkAgreement(flags, host, g, start, end, false)
}

// mappingBufs are checkAgreement's buffers of host mappings, runBufs its
// buffers of guest runs.
var (
	mappingBufs = sync.Pool{New: func() any { return new([]hostvm.Mapping) }}
	runBufs     = sync.Pool{New: func() any { return new([]FlagRun) }}
)

// checkAgreement is CheckAgreement over the whole space (all), or over the
// guest range [start, end).
func checkAgreement(flags *PageFlags, host Host, g *Geom, start, end uint64, all bool) error {
	var bad []string
	// ms are the host mappings of one look, in a buffer reused from call
	// to call.
	buf := mappingBufs.Get().(*[]hostvm.Mapping)
	ms := (*buf)[:0]
	defer func() {
		*buf = ms[:0]
		mappingBufs.Put(buf)
	}()
	fail := func(format string, args ...any) {
		if len(bad) < 20 {
			bad = append(bad, fmt.Sprintf(format, args...))
		}
	}
	// The guest space as host addresses.
	var space hostvm.Range
	if g.ReservedVA != 0 {
		space = g.HostRange(0, g.ReservedVA)
	} else {
		space = hostvm.Range{Start: g.G2H(0), End: hostvm.Addr(^uint64(0))}
	}

	// What is looked at: the guest runs (in a buffer reused from call to
	// call), and the host range.
	runsBuf := runBufs.Get().(*[]FlagRun)
	defer runBufs.Put(runsBuf)
	var guestRuns []FlagRun
	look := hostvm.Range{Start: 0, End: hostvm.Addr(^uint64(0))}
	if all {
		guestRuns = flags.AppendRuns((*runsBuf)[:0])
	} else {
		guestRuns = flags.AppendRunsIn((*runsBuf)[:0], start, end)
		look = g.HostRange(start, end-start)
	}
	*runsBuf = guestRuns

	// Valid guest pages must be mapped with at least their protection.
	// Pages that are not valid have no flags at all (page_set_flags is
	// given PAGE_VALID with every protection, and 0 to unmap).
	for _, r := range guestRuns {
		if r.Flags&PageValid == 0 {
			fail("guest pages %#x-%#x have flags %#x but are not valid", r.Start, r.End, r.Flags)
			continue
		}
		want := hostvm.Prot(r.Flags & PageBits)
		if g.ExecAsRead && want&hostvm.ProtExec != 0 {
			want = want&^hostvm.ProtExec | hostvm.ProtRead
		}
		at := g.G2H(r.Start)
		hend := at + hostvm.Addr(r.End-r.Start)
		ms = appendMappingsIn(host, ms[:0], hostvm.Range{Start: at, End: hend})
		for _, m := range ms {
			if m.Start > at {
				fail("guest pages %#x-%#x are valid (%s) but host %v-%v is unmapped",
					g.H2G(at), g.H2G(m.Start), protLetters(r.Flags), at, m.Start)
			}
			if m.Prot&want != want {
				lo, hi := max(m.Start, g.G2H(r.Start)), min(m.End, hend)
				fail("guest pages %#x-%#x are %s but their host mapping %v-%v is %v",
					g.H2G(lo), g.H2G(hi), protLetters(r.Flags), lo, hi, m.Prot)
			}
			at = m.End
		}
		if at < hend {
			fail("guest pages %#x-%#x are valid (%s) but host %v-%v is unmapped",
				g.H2G(at), r.End, protLetters(r.Flags), at, hend)
		}
		if len(bad) >= 20 {
			break
		}
	}

	// Host mappings must belong to some valid guest page, or be
	// placeholders in the reservation.
	ms = appendMappingsIn(host, ms[:0], look)
	for _, m := range ms {
		if m.Name == "[stack]" && m.GrowsDown {
			continue // the emulator's own stack (the host's [stack]): not guest memory
		}
		if g.ReservedVA != 0 && (m.Start < space.Start || m.End > space.End) {
			fail("host mapping %v-%v (%v) lies outside the reservation %v", m.Start, m.End, m.Prot, space)
			continue
		}
		if m.Start < space.Start {
			continue // below guest_base: not guest memory
		}
		if g.ReservedVA != 0 && m.Prot == hostvm.ProtNone && m.Anonymous && !m.Shared {
			continue // a placeholder (or a PROT_NONE guest mapping)
		}
		lo := uint64(m.Start-space.Start) &^ (g.HostPageSize - 1)
		hi := uint64(m.End - space.Start)
		if g.ABIMask != ^uint64(0) && hi > g.ABIMask+1 {
			fail("host mapping %v-%v (%v) reaches past the guest space", m.Start, m.End, m.Prot)
			continue
		}
		if p, ok := flags.UnusedHostPage(lo, hi, g.HostPageSize); ok {
			fail("host page %v (guest %#x) is mapped %v but none of its guest pages is valid", g.G2H(p), p, m.Prot)
		}
	}

	// The reservation stays whole.
	if g.ReservedVA != 0 {
		whole := hostvm.Range{Start: max(space.Start, look.Start), End: min(space.End, look.End)}
		at := whole.Start
		ms = appendMappingsIn(host, ms[:0], whole)
		for _, m := range ms {
			if m.Start > at {
				fail("the reservation has a hole at %v-%v (guest %#x-%#x)", at, m.Start, g.H2G(at), g.H2G(m.Start))
			}
			at = m.End
		}
		if at < whole.End {
			guestEnd := g.ReservedVA
			if whole.End < space.End {
				guestEnd = g.H2G(whole.End)
			}
			fail("the reservation has a hole at %v-%v (guest %#x-%#x)", at, whole.End, g.H2G(at), guestEnd)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("guest and host disagree:\n  %s", strings.Join(bad, "\n  "))
}

func protLetters(f uint32) string { return hostvm.Prot(f & PageBits).String() }

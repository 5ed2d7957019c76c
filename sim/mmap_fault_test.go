package sim

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
)

// newNthMmapFailSim is a Sim over a host of hostPage pages whose n-th mmap,
// counted once armed, fails with ENOMEM (mmapFailsNthHost), with
// RESERVED_VA reserved (0: none) and the given quirks.
func newNthMmapFailSim(t *testing.T, hostPage, reserved uint64, quirks QuirkSet) (*Sim, *mmapFailsNthHost) {
	t.Helper()
	host := &mmapFailsNthHost{}
	s, _ := newSimOver(t, hostPage, reserved, quirks, func(h Host) Host { host.Host = h; return host })
	return s, host
}

// fixedLateFailure is one MAP_FIXED mmap on a 64K host that the host
// refuses part way (TestFixedMmapLateFailureUnmapsRange).
type fixedLateFailure struct {
	reserved uint64 // RESERVED_VA, or 0
	old      bool   // a mapping the request replaces lies over its range
	nth      int    // the host mmap refused: 1 the tail fragment's fresh page, 2 the middle
}

func (c fixedLateFailure) String() string {
	return fmt.Sprintf("reserved-va=%#x old=%v host mmap %d refused", c.reserved, c.old, c.nth)
}

// runFixedLateFailure sets up a read-only neighbour at 0x20000000 (its
// bytes "keep"), optionally an old read-write mapping over [0x20001000,
// 0x20021000), and then asks for a read-write MAP_FIXED mapping of
// [0x20001000, 0x20021000) on a 64K host, refusing the host's nth mmap:
// mmap_frag has by then raised the neighbour's host page to rw- (the head
// fragment), and, when the middle is refused, mapped a fresh host page for
// the tail fragment. It returns the Sim and the mmap's error.
func runFixedLateFailure(t *testing.T, c fixedLateFailure, quirks QuirkSet) (*Sim, error) {
	t.Helper()
	const neighbour, start, length = 0x20000000, 0x20001000, 0x20000
	s, host := newNthMmapFailSim(t, 0x10000, c.reserved, quirks)
	mustMmap(t, s, neighbour, 0x1000, rw, anon|hostvm.MapFixed)
	if _, f := s.Store(neighbour, []byte("keep")); f != nil {
		t.Fatal(f)
	}
	if err := s.Mprotect(neighbour, 0x1000, protRead); err != nil {
		t.Fatal(err)
	}
	if c.old {
		mustMmap(t, s, start, length, rw, anon|hostvm.MapFixed)
	}
	host.armed, host.n = true, c.nth
	_, err := s.Mmap(start, length, rw, anon|hostvm.MapFixed, -1, 0)
	host.armed = false
	return s, err
}

// TestFixedMmapLateFailureUnmapsRange: when the host refuses a call in the
// middle of a MAP_FIXED target_mmap, after mmap_frag has changed the host
// pages the range shares with a neighbour, the fix leaves the range
// unmapped, as Linux's mmap_region() does when it fails after unmapping
// the old mappings: no page flag in the range, no host page mapped there
// that no valid guest page uses (under RESERVED_VA, the placeholder back),
// the neighbour's page flags and bytes as they were and its host page back
// to its own protection (r--), and the guest and the host agree; a later
// MAP_FIXED_NOREPLACE of the range succeeds. Under fixed-fail-leak (the
// seed's fail:, which only unlocks) the host keeps what mmap_frag did.
func TestFixedMmapLateFailureUnmapsRange(t *testing.T) {
	const neighbour, start, length = 0x20000000, 0x20001000, 0x20000
	var cases []fixedLateFailure
	for _, reserved := range []uint64{0, 0x40000000} {
		for _, old := range []bool{false, true} {
			for _, nth := range []int{1, 2} {
				cases = append(cases, fixedLateFailure{reserved, old, nth})
			}
		}
	}
	for _, c := range cases {
		t.Run(c.String(), func(t *testing.T) {
			s, err := runFixedLateFailure(t, c, QuirkSet{})
			if err != hostvm.ENOMEM {
				t.Fatalf("mmap = %v, want the host's ENOMEM\n%s", err, calls(s))
			}
			if runs := s.FlagRunsIn(start, start+length); len(runs) != 0 {
				t.Errorf("the failed MAP_FIXED range keeps page flags %v, want none", runs)
			}
			if f := s.PageFlags(neighbour); f&(PageValid|PageBits) != PageValid|PageRead {
				t.Errorf("the neighbour's page flags are %#x, want it valid and r--", f)
			}
			buf := make([]byte, 4)
			if _, f := s.Load(neighbour, buf); f != nil || !bytes.Equal(buf, []byte("keep")) {
				t.Errorf("the neighbour holds %q (%v), want \"keep\"", buf, f)
			}
			if m, ok := s.hostMapping(neighbour); !ok || m.Prot != hostvm.ProtRead {
				t.Errorf("the neighbour's host page is %v (%v), want it back to r--", m.Prot, ok)
			}
			if err := s.CheckAgreement(); err != nil {
				t.Errorf("after the failed mmap: %v\n%s", err, calls(s))
			}
			if _, err := s.Mmap(start, length, rw, anon|hostvm.MapFixedNoReplace, -1, 0); err != nil {
				t.Errorf("MAP_FIXED_NOREPLACE of the range after the failure: %v\n%s", err, calls(s))
			}
		})
	}
}

// TestFixedFailLeakQuirk: with fixed-fail-leak on, the failed MAP_FIXED
// mmap of TestFixedMmapLateFailureUnmapsRange keeps what mmap_frag did:
// the neighbour's host page stays rw-, and when the middle is refused, the
// tail fragment's fresh host page stays mapped with no valid guest page in
// it (the guest and the host disagree).
func TestFixedFailLeakQuirk(t *testing.T) {
	q := QuirkSet{}.With(QuirkFixedFailLeak)
	for _, nth := range []int{1, 2} {
		c := fixedLateFailure{nth: nth}
		s, err := runFixedLateFailure(t, c, q)
		if err != hostvm.ENOMEM {
			t.Fatalf("%v: mmap = %v, want the host's ENOMEM", c, err)
		}
		if m, ok := s.hostMapping(0x20000000); !ok || m.Prot != hostvm.ProtRead|hostvm.ProtWrite {
			t.Errorf("%v: the neighbour's host page is %v (%v), want rw- as mmap_frag left it", c, m.Prot, ok)
		}
		if err := s.CheckAgreement(); (err != nil) != (nth == 2) {
			t.Errorf("%v: CheckAgreement = %v, want a disagreement only where the tail's page was mapped", c, err)
		}
	}
}

// TestFixedMmapFailureBeforeHostKeepsOldMapping: a MAP_FIXED request the
// fix refuses before anything reaches the host (its first step, the head
// fragment's host page, is refused) leaves the mapping it was to replace
// as it was: only a request that changed the host is undone.
func TestFixedMmapFailureBeforeHostKeepsOldMapping(t *testing.T) {
	const start, length = 0x20001000, 0x20000
	s, host := newNthMmapFailSim(t, 0x10000, 0, QuirkSet{})
	mustMmap(t, s, start, length, rw, anon|hostvm.MapFixed)
	before := s.FlagRuns()
	// No neighbour: the head fragment's fresh host page is the first
	// host mmap.
	host.armed, host.n = true, 1
	if _, err := s.Mmap(start, length, protRead, anon|hostvm.MapFixed, -1, 0); err != hostvm.ENOMEM {
		t.Fatalf("mmap = %v, want the host's ENOMEM\n%s", err, calls(s))
	}
	host.armed = false
	if after := s.FlagRuns(); len(after) != len(before) || after[0] != before[0] {
		t.Errorf("a request refused before the host changed changed the page flags:\nbefore %v\nafter  %v", before, after)
	}
	if err := s.CheckAgreement(); err != nil {
		t.Errorf("after the refused mmap: %v\n%s", err, calls(s))
	}
}

// TestBrkLateFailureKeepsHeap: on a 64K host the fixed brk grows the heap
// with a MAP_FIXED target_mmap whose head fragment shares the host page of
// the heap's last page and whose tail needs a fresh host page. When the
// host refuses the middle, brk returns the old break, the heap keeps its
// pages and bytes, no host page is left mapped past it, and the guest and
// the host agree; the same growth succeeds once the host allows it.
func TestBrkLateFailureKeepsHeap(t *testing.T) {
	for _, abi := range []int{32, 64} {
		k, err := hostvm.New(hostvm.Config{PageSize: 0x10000, AddrBits: 47})
		if err != nil {
			t.Fatal(err)
		}
		host := &mmapFailsNthHost{Host: KernelHost{k}}
		s, err := New(host, Config{ABIBits: abi, TargetPageSize: 0x1000})
		if err != nil {
			t.Fatal(err)
		}
		first := s.BrkStart()
		if (first+0x1000)%0x10000 == 0 {
			t.Fatalf("abi %d: the heap starts at %#x: its first page ends a host page, so growth has no head fragment", abi, first)
		}
		if got, err := s.Brk(first + 0x1000); err != nil || got != first+0x1000 {
			t.Fatalf("abi %d: brk(%#x) = %#x, %v", abi, first+0x1000, got, err)
		}
		if _, f := s.Store(first, []byte("heap")); f != nil {
			t.Fatalf("abi %d: %v", abi, f)
		}
		old := first + 0x1000
		want := old + 0x20000
		host.armed, host.n = true, 2 // the tail's fresh host page, then the middle
		got, err := s.Brk(want)
		host.armed = false
		if err != nil || got != old {
			t.Fatalf("abi %d: brk(%#x) with the host's mmap refused = %#x, %v; want the old break %#x\n%s", abi, want, got, err, old, calls(s))
		}
		if runs := s.FlagRunsIn(old, want); len(runs) != 0 {
			t.Errorf("abi %d: the refused growth left page flags %v", abi, runs)
		}
		buf := make([]byte, 4)
		if _, f := s.Load(first, buf); f != nil || !bytes.Equal(buf, []byte("heap")) {
			t.Errorf("abi %d: the heap holds %q (%v), want \"heap\"", abi, buf, f)
		}
		if err := s.CheckAgreement(); err != nil {
			t.Errorf("abi %d: after the refused brk: %v\n%s", abi, err, calls(s))
		}
		if got, err := s.Brk(want); err != nil || got != want {
			t.Errorf("abi %d: brk(%#x) once the host allows it = %#x, %v", abi, want, got, err)
		}
	}
}

// TestMmapFailureAfterHostChangeUndone: two ways a MAP_FIXED file mmap
// on a 64K host fails after changing the host, when the host refuses its
// first mprotect. A fragment: mmap_frag maps a fresh host page, the
// mprotect that would let it read the file in is refused, and the pread
// into the read-only page fails. A file offset that disagrees with the
// address within a host page: the pread emulation maps anonymous memory,
// reads the file and is refused the target_mprotect to the guest's
// protection. The fix fails the mmap with nothing left mapped (guest and
// host agree, the host page unmapped); with fixed-fail-leak the host page
// stays (seed 519-522 return with the writable copy valid; mmap_frag's
// fresh page stays with no guest page in it).
func TestMmapFailureAfterHostChangeUndone(t *testing.T) {
	for _, c := range []struct {
		name         string
		addr, offset uint64
	}{{"fragment", 0x1003000, 0x3000}, {"pread emulation", 0x1000000, 0x1000}} {
		for _, quirks := range []QuirkSet{{}, Quirks(QuirkFixedFailLeak)} {
			s, k, host := newMprotectFailsSim(t, 0x10000, quirks, 1)
			fd := mustFile(t, k, "f", 0x10000)
			host.armed = true
			got, err := s.Mmap(c.addr, 0x1000, protRead, hostvm.MapPrivate|hostvm.MapFixed, fd, c.offset)
			if err == nil {
				t.Fatalf("%s, %v: mmap = %#x with the host's mprotect refused; want an error", c.name, quirks, got)
			}
			_, mapped := s.hostMapping(c.addr &^ 0xffff)
			valid := s.PageFlags(c.addr)&PageValid != 0
			if agree := s.CheckAgreement(); quirks.Empty() && (mapped || valid || agree != nil) {
				t.Errorf("%s, fix: host page mapped %v, guest page valid %v after the failure; agreement: %v", c.name, mapped, valid, agree)
			}
			if !quirks.Empty() && !mapped {
				t.Errorf("%s, %v: the host page was unmapped; want the seed's leak", c.name, quirks)
			}
		}
	}
}

// TestFixedMmapUndoStaysInRange: the fix's undo after a late failure gives
// back the protection of the host pages at the range's ends, and touches
// nothing past them. A read-only mapping just above the range, in the host
// page the range ends in (mmap_frag raised it to rw- for the tail
// fragment), gets r-- back; one in the next host page, when the range ends
// on a host page boundary, is not touched: no host call reaches it.
func TestFixedMmapUndoStaysInRange(t *testing.T) {
	const start = 0x20001000
	for _, end := range []uint64{0x2002f000, 0x20030000} {
		above := end
		s, host := newNthMmapFailSim(t, 0x10000, 0, QuirkSet{})
		mustMmap(t, s, above, 0x1000, protRead, anon|hostvm.MapFixed)
		s.SetRecording(true)
		host.armed, host.n = true, 2 // the middle, after the head's fresh page
		if _, err := s.Mmap(start, end-start, rw, anon|hostvm.MapFixed, -1, 0); err != hostvm.ENOMEM {
			t.Fatalf("end %#x: mmap = %v, want the host's ENOMEM\n%s", end, err, calls(s))
		}
		host.armed = false
		for _, c := range s.LastHostCalls() {
			if c.Op != OpTBInvalidate && c.Args[0] >= uint64(s.G2H(above)) {
				t.Errorf("end %#x: the failed mmap of [%#x, %#x) made a host call above it: %v", end, start, end, c)
			}
		}
		if m, ok := s.hostMapping(above); !ok || m.Prot != hostvm.ProtRead {
			t.Errorf("end %#x: the mapping above the range is %v (%v), want r--\n%s", end, m.Prot, ok, calls(s))
		}
		if err := s.CheckAgreement(); err != nil {
			t.Errorf("end %#x: after the failed mmap: %v", end, err)
		}
	}
}

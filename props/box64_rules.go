package props

import "github.com/mmapsim/mmapsim/hostvm"

// box64Rules recognise box64's behaviours, one rule each, in the order
// their conditions are tried.
var box64Rules = []Rule{
	{Name: "unknown-prot-bits-carried",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			switch o := d.Outcome.(type) {
			case *callOutcome:
				return o.name == "mprotect" && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL
			case *mmapOutcome:
				return !o.nonFixed && o.op.File < 0 && !o.op.Shared && o.qemuErr == hostvm.EINVAL && o.kernelErr == nil && s.unknownProtBits(o)
			}
			return false
		}},
	{Name: "mmap-offset-not-host-aligned",
		Then: keepQEMU,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mmapOutcome)
			return ok && o.op.File >= 0 && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL && o.offset%s.hostPage != 0
		}},
	{Name: "mmap-fixed-not-host-aligned",
		Then: keepQEMU,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mmapOutcome)
			return ok && !o.nonFixed && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL && o.addr%s.hostPage != 0
		}},
	{Name: "mremap-not-host-aligned",
		Then: keepQEMU,
		Match: func(s *System, d *Difference) bool {
			// Also where both say EINVAL: the guest's kernel unmaps the
			// destination and the shrunk tail before it finds its error,
			// which the views show next.
			o, ok := s.mremapBefore(d)
			return ok && o.qemuErr == hostvm.EINVAL && (o.kernelErr != hostvm.EINVAL || d.Outcome != any(o)) &&
				(o.addr%s.hostPage != 0 || o.flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) != 0 && o.to%s.hostPage != 0)
		}},
	{Name: "msync-not-host-aligned",
		Then: countOnly,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*callOutcome)
			return ok && o.name == "msync" && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL && o.addr%s.hostPage != 0
		}},
	{Name: "mprotect-write-implies-read",
		Then: countOnly,
		Delta: func(s *System, x viewDelta) bool {
			return x.wantMapped && x.gotMapped && x.want&protW != 0 && x.want&protR == 0 && x.got == x.want|protR
		}},
	{Name: "mmap-fixed-edge-memset-dies",
		Then:  stopRun,
		Match: func(s *System, d *Difference) bool { return crashedIn(d, "my_mmap64") }},
	{Name: "madvise-dontneed-memset-dies",
		Then:  stopRun,
		Match: func(s *System, d *Difference) bool { return crashedIn(d, "my_madvise") }},
	{Name: "mprotect-failure-not-recorded",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			c, ok := s.callBefore(d)
			return ok && c.name == "mprotect" && c.qemuErr != nil && c.qemuErr == c.kernelErr
		}},
	{Name: "mmap-hint-above-47-bits",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mmapOutcome)
			if p, placed := d.Outcome.(*placementOutcome); placed {
				o, ok = p.mmap, true
			}
			return ok && o.nonFixed && o.addr != 0 && o.qemuErr == nil && o.qemuAddr+o.length > s.spaceEnd
		}},
	{Name: "beyond-47-bits-reaches-host",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			return s.pastGuestSpace(d)
		}},
	{Name: "mprotect-unmapped-guest-pages",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*callOutcome)
			return ok && o.name == "mprotect" && o.qemuErr == nil && o.kernelErr == hostvm.ENOMEM
		}},
	{Name: "madvise-widened-to-host-pages",
		Then: countOnly,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*callOutcome)
			return ok && o.name == "madvise" && s.lastAdvice() != hostvm.MadvDontNeed && o.qemuErr != o.kernelErr &&
				(o.addr%s.hostPage != 0 || (o.addr+o.length)%s.hostPage != 0)
		}},
	{Name: "protection-union-shared",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*accessOutcome)
			if _, past := s.accessPastGuestFault(d); !past || !ok || o.kind != "store" {
				return false
			}
			h, mapped := s.host.Lookup(s.sim.G2H(o.parted))
			return mapped && h.Shared
		}},
	{Name: "protection-union",
		Then: taintPages,
		Match: func(s *System, d *Difference) bool {
			mapped, ok := s.accessPastGuestFault(d)
			return ok && mapped
		},
		Unknown: func(s *System, d *Difference) []span { return s.accessedPast(d) }},
	{Name: "unmapped-guest-page-accessible",
		Then: taintPages,
		Match: func(s *System, d *Difference) bool {
			mapped, ok := s.accessPastGuestFault(d)
			return ok && !mapped
		},
		Unknown: func(s *System, d *Difference) []span { return s.accessedPast(d) }},
	{Name: "mremap-resizes-host-pages",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			o, ok := s.mremapBefore(d)
			return ok && o.qemuErr == nil && o.qemuAddr == o.addr && (o.oldLen%s.hostPage != 0 || o.newLen%s.hostPage != 0)
		}},
	{Name: "mremap-moves-host-pages",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			o, ok := s.mremapBefore(d)
			return ok && o.qemuErr == nil && o.qemuAddr != o.addr && (o.oldLen%s.hostPage != 0 || o.newLen%s.hostPage != 0)
		}},
	{Name: "mremap-move-records-new-size",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			o, ok := s.mremapBefore(d)
			_, agreement := d.Outcome.(*agreementOutcome)
			return ok && agreement && o.qemuErr == nil && o.qemuAddr != o.addr
		}},
	{Name: "mmap-fixed-clobbers-host-page-neighbours",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			o, ok := s.mmapBefore(d)
			return ok && !o.nonFixed && (o.op.Shared || o.op.File >= 0) && o.qemuErr == nil && o.kernelErr == nil &&
				s.touchesOtherRange(o.before, o.addr, o.length)
		}},
	{Name: "madvise-dontneed-holes-unchecked",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*callOutcome)
			return ok && o.name == "madvise" && s.lastAdvice() == hostvm.MadvDontNeed && o.qemuErr == nil && o.kernelErr == hostvm.ENOMEM
		}},
	{Name: "union-refused-for-neighbour",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			switch o := d.Outcome.(type) {
			case *callOutcome:
				return o.name == "mprotect" && o.qemuErr == hostvm.EACCES && o.kernelErr != hostvm.EACCES
			case *mmapOutcome:
				return !o.nonFixed && o.qemuErr == hostvm.EACCES && o.kernelErr != hostvm.EACCES
			}
			return false
		}},
	{Name: "mmap-edge-failure-keeps-union",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			o, ok := s.mmapBefore(d)
			_, agreement := d.Outcome.(*agreementOutcome)
			return ok && agreement && !o.nonFixed && o.qemuErr != nil && o.op.File < 0 && !o.op.Shared
		}},
	{Name: "mmap-end-rounded-past-space",
		Then: keepQEMU,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mmapOutcome)
			if !ok {
				return false
			}
			end := o.addr + (o.length+s.hostPage-1)&^(s.hostPage-1)
			return !o.nonFixed && o.qemuErr == hostvm.ENOMEM && o.kernelErr != hostvm.ENOMEM &&
				(end < o.addr || end > uint64(s.host.TaskSize()))
		}},
	{Name: "mmap-noreplace-host-page-busy",
		Then: keepQEMU,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mmapOutcome)
			return ok && o.qemuErr == hostvm.EEXIST && o.kernelErr != hostvm.EEXIST
		}},
	{Name: "mremap-errno-host-pages",
		Then: countOnly,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mremapOutcome)
			return ok && o.qemuErr != nil && o.kernelErr != nil && o.qemuErr != o.kernelErr
		}},
	{Name: "madvise-dontneed-zeroes-shared",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			kernel, box, shared, _, ok := s.dontNeedByte(d)
			return ok && shared && box == 0 && kernel != 0
		}},
	{Name: "madvise-dontneed-zeroes-file-data",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			kernel, box, shared, file, ok := s.dontNeedByte(d)
			return ok && !shared && file && box == 0 && kernel != 0
		}},
	{Name: "madvise-dontneed-keeps-data",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			_, _, shared, _, ok := s.dontNeedByte(d)
			return ok && !shared && s.keptOldData(d)
		}},
	{Name: "eof-host-page",
		Then: taintPages,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*accessOutcome)
			return ok && o.qemuN > o.kernelN && o.kernelFault != nil && o.kernelFault.Signal == hostvm.SIGBUS
		},
		Unknown: func(s *System, d *Difference) []span {
			o := d.Outcome.(*accessOutcome)
			return s.accessTail(o, o.parted, o.qemuN)
		}},
	{Name: "mremap-across-guest-mappings",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mremapOutcome)
			return ok && o.qemuErr == nil && o.kernelErr == hostvm.EFAULT
		}},
	{Name: "calls-over-host-mapped-holes",
		Then: countOnly,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*callOutcome)
			return ok && (o.name == "msync" || o.name == "madvise") && o.qemuErr == nil && o.kernelErr == hostvm.ENOMEM
		}},
	{Name: "zero-length-skips-checks",
		Then: countOnly,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*callOutcome)
			return ok && (o.name == "mprotect" || o.name == "madvise") && o.length == 0 && o.qemuErr == nil && o.kernelErr == hostvm.EINVAL
		}},
	{Name: "private-file-copied-per-host-page",
		Then: taintPages,
		Match: func(s *System, d *Difference) bool {
			at, ok := s.firstDifferentByte(d)
			if !ok || !s.fileChanged {
				return false
			}
			m, mapped := s.ref.Lookup(hostvm.Addr(at))
			return mapped && !m.Shared && !m.Anonymous
		},
		Unknown: func(s *System, d *Difference) []span {
			at, _ := s.firstDifferentByte(d)
			return []span{{at &^ (s.targetPage - 1), at&^(s.targetPage-1) + s.targetPage}}
		}},
	{Name: "mremap-refused-by-host-pages",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mremapOutcome)
			return ok && (o.qemuErr == hostvm.ENOMEM || o.qemuErr == hostvm.EFAULT) && o.kernelErr == nil
		}},
	{Name: "mremap-failure-unmaps-host-pages",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			o, ok := s.mremapBefore(d)
			switch d.Outcome.(type) {
			case *agreementOutcome, *viewsOutcome:
				return ok && o.qemuErr != nil && o.kernelErr != nil && o.flags&hostvm.MremapFixed != 0
			}
			return false
		}},
	{Name: "edge-pages-keep-neighbour-backing",
		Then: stopRun,
		Match: func(s *System, d *Difference) bool {
			at, ok := s.differingAddress(d)
			return ok && s.backingDiffers(at)
		}},
	{Name: "munmap-keeps-partial-host-pages",
		Then:  countOnly,
		Delta: func(s *System, x viewDelta) bool { return !x.wantMapped && x.gotMapped && x.got == 0 }},
}

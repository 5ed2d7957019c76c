package props

import "github.com/mmapsim/mmapsim/hostvm"

// Box64Behaviours are box64's named behaviours (box64 at HEAD 76fda7910e,
// sim/box64), in the order their conditions are tried.
var Box64Behaviours = []Behaviour{
	{Name: "unknown-prot-bits-carried", Then: stopRun, Scenario: "testdata/box64/unknown-prot-bits-carried.scn", SourceLine: "wrappedlibc.c:3740-3743, 3753-3756, 3893, 4064, 4074, 4082",
		Verdict: Defect,
		Why:     "a program that passes mmap a protection bit Linux ignores there (PROT_SEM, or a bit of another architecture), then maps or mprotects part of a host page of that mapping",
		Doc: "box64 records the protection mmap was given, bits the kernel ignores included, and puts it into the unions the edge emulation and my_mprotect ask the host for: " +
			"the host's mprotect refuses the unknown bit with EINVAL, where the guest's kernel maps or changes the pages",
		Match: func(s *System, d *Difference) bool {
			switch o := d.Outcome.(type) {
			case *callOutcome:
				return o.name == "mprotect" && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL
			case *mmapOutcome:
				return !o.nonFixed && o.op.File < 0 && !o.op.Shared && o.qemuErr == hostvm.EINVAL && o.kernelErr == nil && s.unknownProtBits(o)
			}
			return false
		}},
	{Name: "mmap-offset-not-host-aligned", Then: keepQEMU, Scenario: "testdata/box64/mmap-offset-not-host-aligned.scn", SourceLine: "wrappedlibc.c:3824, custommem.c:3402",
		Verdict: Defect,
		Why: "box64 tells programs the page is 4096 bytes (wrappedlibc.c:5246-5255), and programs map files at offsets that are multiples of it: " +
			"SQLite's WAL index maps 32K regions at 32K offsets (unixShmMap), refused on a 64K host; loaders and databases that align to sysconf(_SC_PAGESIZE)",
		Doc: "a file mapping whose offset is a multiple of 4K but not of the host page fails with EINVAL: box_mmap passes the offset to the host, " +
			"which only maps whole host pages (Wine's PE sections excepted, see mmap_pe.go)",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mmapOutcome)
			return ok && o.op.File >= 0 && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL && o.offset%s.hostPage != 0
		}},
	{Name: "mmap-fixed-not-host-aligned", Then: keepQEMU, Scenario: "testdata/box64/mmap-fixed-not-host-aligned.scn", SourceLine: "wrappedlibc.c:3726-3731, 3824",
		Verdict: Defect,
		Why: "any MAP_FIXED (or MAP_FIXED_NOREPLACE) of a file, of shared memory, or into a host page box64 does not know, at an address that is 4K- but not host-aligned: " +
			"a program placing its own mappings (JITs, garbage collectors, loaders mapping ELF segments over a reservation)",
		Doc: "a fixed mapping at a 4K boundary that is not a host-page boundary fails with EINVAL unless it is private anonymous memory " +
			"whose partly covered host pages box64 already knows (the edge emulation); everything else goes to the host, which refuses the address",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mmapOutcome)
			return ok && !o.nonFixed && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL && o.addr%s.hostPage != 0
		}},
	{Name: "mremap-not-host-aligned", Then: keepQEMU, Scenario: "testdata/box64/mremap-not-host-aligned.scn", SourceLine: "wrappedlibc.c:3925",
		Verdict: Defect,
		Why:     "programs that move or resize part of a larger mapping, or move one to an address of their choosing (MREMAP_FIXED) on a 4K boundary",
		Doc:     "mremap goes to the host unchanged: an old or new address that is 4K- but not host-aligned is refused with EINVAL",
		Match: func(s *System, d *Difference) bool {
			// Also where both say EINVAL: the guest's kernel unmaps the
			// destination and the shrunk tail before it finds its error,
			// which the views show next.
			o, ok := s.mremapBefore(d)
			return ok && o.qemuErr == hostvm.EINVAL && (o.kernelErr != hostvm.EINVAL || d.Outcome != any(o)) &&
				(o.addr%s.hostPage != 0 || o.flags&(hostvm.MremapFixed|hostvm.MremapDontUnmap) != 0 && o.to%s.hostPage != 0)
		}},
	{Name: "msync-not-host-aligned", Then: countOnly, Scenario: "testdata/box64/msync-not-host-aligned.scn", SourceLine: "wrappedlibc_private.h: GO(msync, iFpLi) (not wrapped)",
		Verdict: Defect,
		Why:     "programs that flush the pages they dirtied, computed with the 4096-byte page box64 reports (databases and logs on memory-mapped files)",
		Doc:     "msync goes to the host unchanged: an address that is 4K- but not host-aligned is refused with EINVAL",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*callOutcome)
			return ok && o.name == "msync" && o.qemuErr == hostvm.EINVAL && o.kernelErr != hostvm.EINVAL && o.addr%s.hostPage != 0
		}},
	{Name: "mprotect-write-implies-read", Then: countOnly, Scenario: "testdata/box64/mprotect-write-implies-read.scn", SourceLine: "wrappedlibc.c:4043-4044",
		Verdict: TradeOff,
		Why:     "deliberate (\"PROT_READ is implicit with PROT_WRITE on x86_64\"): x86 pages cannot be writable without being readable, so a program cannot tell but from /proc/self/maps",
		Doc:     "mprotect with PROT_WRITE and without PROT_READ records the pages as readable too, where the guest's kernel keeps the protection asked for",
		Delta: func(s *System, x viewDelta) bool {
			return x.wantMapped && x.gotMapped && x.want&protW != 0 && x.want&protR == 0 && x.got == x.want|protR
		}},
	{Name: "mmap-fixed-edge-memset-dies", Then: stopRun, Scenario: "testdata/box64/mmap-fixed-edge-memset-dies.scn", SourceLine: "wrappedlibc.c:3769-3780",
		Verdict: Defect,
		Why: "a program that maps anonymous memory with MAP_FIXED right after a file mapping that ends inside a host page past the file's end " +
			"(the shape an ELF loader gives a data segment and its bss), on a host whose page reaches past the file",
		Doc: "the edge emulation zeroes the new guest pages with memset in the host page they share with a file mapping; " +
			"where that host page lies past the end of the file, the store faults (SIGBUS) in box64 itself and the process dies",
		Match: func(s *System, d *Difference) bool { return crashedIn(d, "my_mmap64") }},
	{Name: "madvise-dontneed-memset-dies", Then: stopRun, Scenario: "testdata/box64/madvise-dontneed-memset-dies.scn", SourceLine: "wrappedlibc.c:4130",
		Verdict: Defect,
		Why:     "a program that drops with MADV_DONTNEED part of a host page that holds a file mapping past the file's end (a file that shrank, or a mapping longer than its file)",
		Doc: "MADV_DONTNEED on part of a host page is a memset; where box64 believes the pages writable but the host page lies past the end of a file, " +
			"the store faults (SIGBUS) in box64 itself and the process dies",
		Match: func(s *System, d *Difference) bool { return crashedIn(d, "my_madvise") }},
	{Name: "mprotect-failure-not-recorded", Then: stopRun, Scenario: "testdata/box64/mprotect-failure-not-recorded.scn", SourceLine: "wrappedlibc.c:4091-4096",
		Verdict: Defect,
		Why:     "a program whose mprotect runs past the end of a mapping (ENOMEM) and goes on using the pages before the hole, as Linux changed them",
		Doc: "when the host's mprotect fails part-way (a hole: ENOMEM), the host has changed the pages before the hole, as the guest's kernel does, " +
			"but box64 records nothing: its memprot and its view keep the old protection, which later unions are computed from",
		Match: func(s *System, d *Difference) bool {
			c, ok := s.callBefore(d)
			return ok && c.name == "mprotect" && c.qemuErr != nil && c.qemuErr == c.kernelErr
		}},
	{Name: "mmap-hint-above-47-bits", Then: stopRun, Scenario: "testdata/box64/mmap-hint-above-47-bits.scn", SourceLine: "custommem.c:3399-3400, 3442-3443",
		Verdict: Defect,
		Why: "on a host with a 48-bit address space (arm64 with 48-bit VA, whose mmap window is 256 TiB), any mmap with a hint the host cannot honour; " +
			"x86_64 programs that keep tags in pointer bits 47-63 (JavaScript engines' NaN-boxing, some garbage collectors) then crash",
		Doc: "box_mmap moves a non-fixed mapping the host placed above 47 bits only when the program gave no address (or, under Wine, when the hint was not taken); " +
			"with a hint, the host's choice above 128 TiB goes back to the program, outside the x86_64 address space",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mmapOutcome)
			return ok && o.nonFixed && o.addr != 0 && o.qemuErr == nil && o.qemuAddr+o.length > s.spaceEnd
		}},
	{Name: "beyond-47-bits-reaches-host", Then: stopRun, Scenario: "testdata/box64/beyond-47-bits-reaches-host.scn", SourceLine: "wrappedlibc.c:3985-4002, 4054-4058, 3925",
		Verdict: Defect,
		Why:     "no correct program reaches it: only calls that name addresses past 128 TiB, which the x86_64 kernel refuses; on a 48-bit host box64 passes them on",
		Doc: "box64 checks no address against the x86_64 address space (47 bits) but box_mmap's placement: munmap, mprotect, mremap, madvise and msync " +
			"past 128 TiB reach the host, whose space is larger, and succeed where the guest's kernel says EINVAL or ENOMEM",
		Match: func(s *System, d *Difference) bool {
			return s.pastGuestSpace(d)
		}},
	{Name: "mprotect-unmapped-guest-pages", Then: stopRun, Scenario: "testdata/box64/mprotect-unmapped-guest-pages.scn", SourceLine: "wrappedlibc.c:4063-4086",
		Verdict: Defect,
		Why: "a program that mprotects a range running past its mapping into the rest of the host page: the call succeeds, " +
			"and the host page's protection grows by what was asked for the pages that are not there, so its mapped neighbours gain it too (a read-only page becomes writable)",
		Doc: "mprotect of guest pages that are not mapped, in a host page that is, succeeds: box64 asks the host only about whole host pages, " +
			"then records the unmapped pages as mapped with the new protection, where the guest's kernel says ENOMEM",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*callOutcome)
			return ok && o.name == "mprotect" && o.qemuErr == nil && o.kernelErr == hostvm.ENOMEM
		}},
	{Name: "madvise-widened-to-host-pages", Then: countOnly, Scenario: "testdata/box64/madvise-widened-to-host-pages.scn", SourceLine: "wrappedlibc.c:4110-4114",
		Verdict: Defect,
		Why: "any madvise but MADV_DONTNEED on part of a host page: hints (MADV_RANDOM, MADV_WILLNEED) only change errors, " +
			"but MADV_FREE, MADV_REMOVE, MADV_DONTNEED_LOCKED, MADV_WIPEONFORK and MADV_DONTFORK then act on the neighbours' pages too",
		Doc: "every advice but MADV_DONTNEED is given to the whole host pages of the range: it succeeds over guest pages that are not mapped, " +
			"fails for the neighbours' sake (MADV_FREE on a host page that also holds file memory: EINVAL), and acts on the neighbours",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*callOutcome)
			return ok && o.name == "madvise" && s.lastAdvice() != hostvm.MadvDontNeed && o.qemuErr != o.kernelErr &&
				(o.addr%s.hostPage != 0 || (o.addr+o.length)%s.hostPage != 0)
		}},
	{Name: "protection-union-shared", Then: stopRun, Scenario: "testdata/box64/protection-union-shared.scn",
		SourceLine: "wrappedlibc.c:3722-3725, 3991-3999, custommem.c:3402",
		Verdict:    TradeOff,
		Why: "as protection-union and unmapped-guest-page-accessible (QEMU makes the same trade-off), where the page is shared memory: " +
			"a stray store changes the file, or the memory other processes see",
		Doc: "a store the guest's kernel refuses goes through a host page of shared memory (past the end of a shared mapping, or through the union): " +
			"its effect shows everywhere that file or memory is mapped",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*accessOutcome)
			if _, past := s.accessPastGuestFault(d); !past || !ok || o.kind != "store" {
				return false
			}
			h, mapped := s.host.Lookup(s.sim.G2H(o.parted))
			return mapped && h.Shared
		}},
	{Name: "protection-union", Then: taintPages, Scenario: "testdata/box64/protection-union.scn", SourceLine: "wrappedlibc.c:3722-3725, 4063-4086",
		Verdict: TradeOff,
		Why: "deliberate (\"the edge host pages retain the union of their old and new protections because the kernel cannot protect their 4k guest pages independently\"), " +
			"the choice QEMU makes too; it reaches programs that rely on a fault in a page next to an accessible one: guard pages, write barriers of garbage collectors, W^X JITs",
		Doc: "a host page's protection is the union of its guest pages' and never shrinks on a partial call: a load or store the guest page forbids goes through",
		Match: func(s *System, d *Difference) bool {
			mapped, ok := s.accessPastGuestFault(d)
			return ok && mapped
		},
		Unknown: func(s *System, d *Difference) []span { return s.accessedPast(d) }},
	{Name: "unmapped-guest-page-accessible", Then: taintPages, Scenario: "testdata/box64/unmapped-guest-page-accessible.scn", SourceLine: "custommem.c:3402, wrappedlibc.c:3991-3999",
		Verdict: TradeOff,
		Why: "the host maps whole host pages: the tail of a mapping that does not end on a host page, and the guest pages munmap leaves in a host page, stay mapped; " +
			"it reaches programs that rely on a fault just past the end of a mapping (allocators' guard pages, fuzzers, bounds checks by SIGSEGV)",
		Doc: "a load or store at a guest page the guest's kernel has no mapping for succeeds (or faults with SIGBUS, past the end of a file) " +
			"where its host page is mapped: past the end of a mapping, or after munmap of part of a host page",
		Match: func(s *System, d *Difference) bool {
			mapped, ok := s.accessPastGuestFault(d)
			return ok && !mapped
		},
		Unknown: func(s *System, d *Difference) []span { return s.accessedPast(d) }},
	{Name: "mremap-resizes-host-pages", Then: stopRun, Scenario: "testdata/box64/mremap-resizes-host-pages.scn", SourceLine: "wrappedlibc.c:3925, 3937-3939, custommem.c:2861-2866",
		Verdict: Defect,
		Why: "glibc's realloc of a large block shrinks or grows its mapping in place by 4K multiples (mremap_chunk, with the 4096-byte page box64 reports): " +
			"box64 then forgets a host page the block still uses, which its own free-range search (box_mmap on 48-bit hosts, MAP_32BIT) may hand out again with MAP_FIXED",
		Doc: "mremap in place with sizes that are not host-page multiples: the host rounds both sizes up to its pages, so it unmaps or keeps other guest pages than asked " +
			"(a shrink drops the neighbours in the last host page with it), and box64's freeProtection rounds the start down, so it forgets the host page that still holds the mapping's end",
		Match: func(s *System, d *Difference) bool {
			o, ok := s.mremapBefore(d)
			return ok && o.qemuErr == nil && o.qemuAddr == o.addr && (o.oldLen%s.hostPage != 0 || o.newLen%s.hostPage != 0)
		}},
	{Name: "mremap-moves-host-pages", Then: stopRun, Scenario: "testdata/box64/mremap-moves-host-pages.scn", SourceLine: "wrappedlibc.c:3925, 3953-3966",
		Verdict: Defect,
		Why:     "a program that moves part of a mapping, or a mapping that shares its last host page with another one (two 4K mappings placed side by side by MAP_FIXED)",
		Doc: "mremap that moves a range which is not whole host pages: the host moves whole host pages, taking the neighbours' guest pages along (they vanish from their place), " +
			"and box64 gives the moved pages the protection it recorded for the old address's host page",
		Match: func(s *System, d *Difference) bool {
			o, ok := s.mremapBefore(d)
			return ok && o.qemuErr == nil && o.qemuAddr != o.addr && (o.oldLen%s.hostPage != 0 || o.newLen%s.hostPage != 0)
		}},
	{Name: "mremap-move-records-new-size", Then: stopRun, Scenario: "testdata/box64/mremap-move-records-new-size.scn",
		SourceLine: "wrappedlibc.c:3965-3966",
		Verdict:    Defect,
		Why:        "a program that moves, with MREMAP_FIXED, a range with holes in it (Linux 6.17 and later move the mapped parts of several mappings)",
		Doc: "after a move box64 records new_size bytes at the new address with the protection of the old address's host page, " +
			"whatever the host moved: where the old range had holes, box64 believes mapped what the host left unmapped",
		Match: func(s *System, d *Difference) bool {
			o, ok := s.mremapBefore(d)
			_, agreement := d.Outcome.(*agreementOutcome)
			return ok && agreement && o.qemuErr == nil && o.qemuAddr != o.addr
		}},
	{Name: "mmap-fixed-clobbers-host-page-neighbours", Then: stopRun, Scenario: "testdata/box64/mmap-fixed-clobbers-host-page-neighbours.scn", SourceLine: "wrappedlibc.c:3726-3731, 3824",
		Verdict: Defect,
		Why: "a program that maps a file or shared memory with MAP_FIXED over part of a host page holding another mapping " +
			"(a shared ring buffer or a file window placed next to private memory, an image's sections mapped into a reservation)",
		Doc: "only private anonymous fixed mappings get the edge emulation; a shared or file MAP_FIXED goes to the host as it is, " +
			"which maps whole host pages: the guest pages of other mappings in the first and last host page are replaced (their data lost, their protection changed)",
		Match: func(s *System, d *Difference) bool {
			o, ok := s.mmapBefore(d)
			return ok && !o.nonFixed && (o.op.Shared || o.op.File >= 0) && o.qemuErr == nil && o.kernelErr == nil &&
				s.touchesOtherRange(o.before, o.addr, o.length)
		}},
	{Name: "madvise-dontneed-holes-unchecked", Then: stopRun, Scenario: "testdata/box64/madvise-dontneed-holes-unchecked.scn", SourceLine: "wrappedlibc.c:4118-4131",
		Verdict: Defect,
		Why:     "a program that frees a range with MADV_DONTNEED that runs over unmapped guest pages of a mapped host page: it gets 0 instead of ENOMEM, and box64 zeroes those pages",
		Doc: "MADV_DONTNEED of part of a host page checks only that box64 knows the host pages of the first and last byte, then zeroes the whole range with memset: " +
			"it succeeds over guest pages that are not mapped, where the guest's kernel says ENOMEM",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*callOutcome)
			return ok && o.name == "madvise" && s.lastAdvice() == hostvm.MadvDontNeed && o.qemuErr == nil && o.kernelErr == hostvm.ENOMEM
		}},
	{Name: "union-refused-for-neighbour", Then: stopRun, Scenario: "testdata/box64/union-refused-for-neighbour.scn", SourceLine: "wrappedlibc.c:3743, 3756, 4063-4086",
		Verdict: Defect,
		Why:     "a program that makes writable (or maps with MAP_FIXED) private memory in a host page that also holds a shared mapping of a file opened read-only",
		Doc: "my_mprotect asks the host for the union of the new protection and the host page's, and the edge emulation opens the edge host page for writing: " +
			"where another mapping in the host page cannot take it (a shared mapping of a read-only file cannot be made writable), the host refuses with EACCES for the neighbour's sake",
		Match: func(s *System, d *Difference) bool {
			switch o := d.Outcome.(type) {
			case *callOutcome:
				return o.name == "mprotect" && o.qemuErr == hostvm.EACCES && o.kernelErr != hostvm.EACCES
			case *mmapOutcome:
				return !o.nonFixed && o.qemuErr == hostvm.EACCES && o.kernelErr != hostvm.EACCES
			}
			return false
		}},
	{Name: "mmap-edge-failure-keeps-union", Then: stopRun, Scenario: "testdata/box64/mmap-edge-failure-keeps-union.scn", SourceLine: "wrappedlibc.c:3782-3803",
		Verdict: Defect,
		Why: "a program whose MAP_FIXED anonymous mapping fails (below mmap_min_addr, out of memory) next to a mapping that shares a host page with it: " +
			"the neighbour keeps the failed mapping's protection, a read-only page becoming writable or executable",
		Doc: "when the edge emulation fails after opening an edge host page, it puts back the union of old and new protection, not the old one, " +
			"and records nothing: the host page keeps the protection of a mapping that was never made, which box64's record does not show",
		Match: func(s *System, d *Difference) bool {
			o, ok := s.mmapBefore(d)
			_, agreement := d.Outcome.(*agreementOutcome)
			return ok && agreement && !o.nonFixed && o.qemuErr != nil && o.op.File < 0 && !o.op.Shared
		}},
	{Name: "mmap-end-rounded-past-space", Then: keepQEMU, Scenario: "testdata/box64/mmap-end-rounded-past-space.scn", SourceLine: "wrappedlibc.c:3824, custommem.c:3402",
		Verdict: Defect,
		Why:     "no program in practice: a fixed mapping in the last host page of the address space (the top 16K or 64K below 128 TiB)",
		Doc: "the host rounds the length up to its page: a fixed mapping that ends inside the last host page of the space fails with ENOMEM " +
			"(and an unaligned address there gets ENOMEM instead of EINVAL)",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mmapOutcome)
			if !ok {
				return false
			}
			end := o.addr + (o.length+s.hostPage-1)&^(s.hostPage-1)
			return !o.nonFixed && o.qemuErr == hostvm.ENOMEM && o.kernelErr != hostvm.ENOMEM &&
				(end < o.addr || end > uint64(s.host.TaskSize()))
		}},
	{Name: "mmap-noreplace-host-page-busy", Then: keepQEMU, Scenario: "testdata/box64/mmap-noreplace-host-page-busy.scn", SourceLine: "wrappedlibc.c:3824, custommem.c:3402",
		Verdict: Defect,
		Why:     "a program that claims an address range with MAP_FIXED_NOREPLACE next to one of its mappings, or where it unmapped part of a host page",
		Doc: "MAP_FIXED_NOREPLACE goes to the host, which refuses (EEXIST) where the host page is in use by another mapping's guest pages, " +
			"or by pages munmap left mapped, though the guest pages asked for are free",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mmapOutcome)
			return ok && o.qemuErr == hostvm.EEXIST && o.kernelErr != hostvm.EEXIST
		}},
	{Name: "mremap-errno-host-pages", Then: countOnly, Scenario: "testdata/box64/mremap-errno-host-pages.scn", SourceLine: "wrappedlibc.c:3925",
		Verdict: TradeOff,
		Why:     "inherent to passing mremap on; a program sees only another errno for a call that fails anyway",
		Doc:     "mremap judged by the host on whole host pages fails with another errno than the guest's kernel gives (ENOMEM for EFAULT, say)",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mremapOutcome)
			return ok && o.qemuErr != nil && o.kernelErr != nil && o.qemuErr != o.kernelErr
		}},
	{Name: "madvise-dontneed-zeroes-shared", Then: stopRun, Scenario: "testdata/box64/madvise-dontneed-zeroes-shared.scn", SourceLine: "wrappedlibc.c:4128-4131",
		Verdict: Defect,
		Why: "a program that drops part of a host page of shared memory with MADV_DONTNEED (shared anonymous memory between processes, a shared file mapping box64 did not record): " +
			"other processes, or the file, see zeros",
		Doc: "MADV_DONTNEED on part of a host page is a memset: on shared memory it writes zeros into the memory the guest's kernel leaves alone",
		Match: func(s *System, d *Difference) bool {
			kernel, box, shared, _, ok := s.dontNeedByte(d)
			return ok && shared && box == 0 && kernel != 0
		}},
	{Name: "madvise-dontneed-zeroes-file-data", Then: stopRun, Scenario: "testdata/box64/madvise-dontneed-zeroes-file-data.scn", SourceLine: "wrappedlibc.c:4126-4131",
		Verdict: Defect,
		Why: "a program that drops private file pages with MADV_DONTNEED to get the file's data back (a loader resetting a data segment, a cache): " +
			"box64 knows a file mapping only by its exact bytes as first recorded, so a range ending past them, or a mapping below the file's first one, is zeroed",
		Doc: "MADV_DONTNEED on part of a host page of a private file mapping box64 does not find in its file record zeroes the pages, " +
			"where the guest's kernel shows the file's data again",
		Match: func(s *System, d *Difference) bool {
			kernel, box, shared, file, ok := s.dontNeedByte(d)
			return ok && !shared && file && box == 0 && kernel != 0
		}},
	{Name: "madvise-dontneed-keeps-data", Then: stopRun, Scenario: "testdata/box64/madvise-dontneed-keeps-data.scn", SourceLine: "wrappedlibc.c:4121-4128",
		Verdict: Defect,
		Why: "a program that uses MADV_DONTNEED to zero private memory (allocators resetting freed runs, jemalloc and tcmalloc purging): " +
			"on part of a host page the old data stays where the range has a hole, touches file memory, or a page box64 recorded as not writable",
		Doc: "MADV_DONTNEED on part of a host page does nothing (and says 0, or ENOMEM) when the first or last byte's host page is unknown to box64, " +
			"is file memory, or is not writable in box64's record: the guest's kernel drops the private pages (zeros, or the file's data)",
		Match: func(s *System, d *Difference) bool {
			_, _, shared, _, ok := s.dontNeedByte(d)
			return ok && !shared && s.keptOldData(d)
		}},
	{Name: "eof-host-page", Then: taintPages, Scenario: "testdata/box64/eof-host-page.scn", SourceLine: "custommem.c:3402",
		Verdict: TradeOff,
		Why:     "inherent: the host faults past the end of a file per host page; the choice QEMU makes too. Programs that find a file's end by SIGBUS notice",
		Doc:     "past the end of a mapped file the guest's kernel faults (SIGBUS) per 4K page, the host per host page: an access goes further under box64",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*accessOutcome)
			return ok && o.qemuN > o.kernelN && o.kernelFault != nil && o.kernelFault.Signal == hostvm.SIGBUS
		},
		Unknown: func(s *System, d *Difference) []span {
			o := d.Outcome.(*accessOutcome)
			return []span{{o.parted, s.word(o.addr + uint64(o.qemuN))}}
		}},
	{Name: "mremap-across-guest-mappings", Then: stopRun, Scenario: "testdata/box64/mremap-across-guest-mappings.scn", SourceLine: "wrappedlibc.c:3925",
		Verdict: Defect,
		Why:     "a program that resizes a range spanning two of its mappings (or a hole munmap left in a host page): the guest's kernel refuses it",
		Doc: "the host sees one mapping where the guest's kernel sees several (guest mappings that share host pages, pages munmap left mapped): " +
			"mremap over them succeeds on the host where the guest's kernel says EFAULT",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mremapOutcome)
			return ok && o.qemuErr == nil && o.kernelErr == hostvm.EFAULT
		}},
	{Name: "calls-over-host-mapped-holes", Then: countOnly, Scenario: "testdata/box64/calls-over-host-mapped-holes.scn", SourceLine: "wrappedlibc.c:4110-4119, wrappedlibc_private.h: GO(msync, iFpLi)",
		Verdict: TradeOff,
		Why:     "inherent to asking the host, which sees whole host pages; a program sees only 0 for a call over pages it does not have",
		Doc: "msync and madvise over guest pages that are not mapped, in host pages that are (past the end of a mapping, or munmapped in part), " +
			"succeed where the guest's kernel says ENOMEM",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*callOutcome)
			return ok && (o.name == "msync" || o.name == "madvise") && o.qemuErr == nil && o.kernelErr == hostvm.ENOMEM
		}},
	{Name: "zero-length-skips-checks", Then: countOnly, Scenario: "testdata/box64/zero-length-skips-checks.scn", SourceLine: "wrappedlibc.c:4058, 4107",
		Verdict: Defect,
		Why:     "no correct program notices: only a zero-length mprotect or madvise with an invalid protection or advice, which the guest's kernel refuses",
		Doc:     "my_mprotect and my_madvise return 0 for a zero length before the host sees the call, so an invalid protection or advice is not refused with EINVAL",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*callOutcome)
			return ok && (o.name == "mprotect" || o.name == "madvise") && o.length == 0 && o.qemuErr == nil && o.kernelErr == hostvm.EINVAL
		}},
	{Name: "private-file-copied-per-host-page", Then: taintPages, Scenario: "testdata/box64/private-file-copied-per-host-page.scn", SourceLine: "custommem.c:3402",
		Verdict: TradeOff,
		Why: "inherent: the host copies a private file page on the first write to it, a host page at a time; the choice QEMU makes too. " +
			"Programs that write one page of a private file mapping and expect the others to follow the file notice",
		Doc: "a store to one guest page of a private file mapping copies its whole host page: the other guest pages of that host page stop seeing later changes to the file",
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
	{Name: "mremap-refused-by-host-pages", Then: stopRun, Scenario: "testdata/box64/mremap-refused-by-host-pages.scn", SourceLine: "wrappedlibc.c:3925",
		Verdict: Defect,
		Why:     "a program that grows a mapping in place, or moves one, where the rest of the host page holds another mapping or pages munmap left",
		Doc: "the host judges mremap on whole host pages: it cannot grow in place into a host page another mapping uses (ENOMEM), " +
			"or sees two mappings where the guest's kernel sees one (EFAULT), where the guest's kernel succeeds",
		Match: func(s *System, d *Difference) bool {
			o, ok := d.Outcome.(*mremapOutcome)
			return ok && (o.qemuErr == hostvm.ENOMEM || o.qemuErr == hostvm.EFAULT) && o.kernelErr == nil
		}},
	{Name: "mremap-failure-unmaps-host-pages", Then: stopRun, Scenario: "testdata/box64/mremap-failure-unmaps-host-pages.scn", SourceLine: "wrappedlibc.c:3925-3927",
		Verdict: Defect,
		Why: "a program whose mremap to a fixed address fails late (the destination below mmap_min_addr, or the old range not one mapping): " +
			"Linux unmaps the destination, and the tail a shrink drops, before it finds the error; the host does it in whole host pages",
		Doc: "a failing MREMAP_FIXED still unmaps its destination and the shrunk tail, on the host in whole host pages: guest pages of other mappings " +
			"vanish there, or a tail the guest's kernel unmaps stays, and box64, which records nothing when mremap fails, keeps its old view",
		Match: func(s *System, d *Difference) bool {
			o, ok := s.mremapBefore(d)
			switch d.Outcome.(type) {
			case *agreementOutcome, *viewsOutcome:
				return ok && o.qemuErr != nil && o.kernelErr != nil && o.flags&hostvm.MremapFixed != 0
			}
			return false
		}},
	{Name: "edge-pages-keep-neighbour-backing", Then: stopRun, Scenario: "testdata/box64/edge-pages-keep-neighbour-backing.scn", SourceLine: "wrappedlibc.c:3737-3780",
		Verdict: Defect,
		Why: "a program that maps anonymous memory with MAP_FIXED over part of a host page of a file or shared mapping (a loader's bss after a data segment), " +
			"then truncates or writes that file: the \"anonymous\" pages follow it",
		Doc: "the new guest pages of an edge host page are the neighbour mapping's memory, zeroed: where that is a file, its truncation takes them (SIGBUS) " +
			"and, shared, its writes show in them, where the guest's kernel gives them anonymous memory of their own",
		Match: func(s *System, d *Difference) bool {
			at, ok := s.differingAddress(d)
			return ok && s.backingDiffers(at)
		}},
	{Name: "munmap-keeps-partial-host-pages", Then: countOnly, Scenario: "testdata/box64/munmap-keeps-partial-host-pages.scn", SourceLine: "wrappedlibc.c:3991-3999, 4023-4024",
		Verdict: TradeOff,
		Why: "box64's comment calls it a HACK (\"we have to leave partial edge pages mapped\"): the other guest pages of the host page may be in use. " +
			"It reaches every program that unmaps part of a host page: guard pages, allocators returning 4K runs, munmap of the tail of a mapping",
		Doc: "munmap of guest pages that share a host page with others unmaps nothing on the host: box64 records them as inaccessible (protection 0), " +
			"where the guest's kernel has nothing; they keep their data and their host page's protection, so a load or store there still succeeds",
		Delta: func(s *System, x viewDelta) bool { return !x.wantMapped && x.gotMapped && x.got == 0 }},
}

// allowViews names every run of pages where the views differ by the first
// behaviour whose Delta holds for it. Where all are named and none is
// disallowed, it counts each behaviour once and allows the views, or stops
// the run at the first behaviour whose effect is stopRun. Where some run
// is not named, it leaves the difference to fail.
func (s *System) allowViews(o *viewsOutcome) bool {
	var names []string
	stop := ""
	for _, x := range o.deltas() {
		b := s.deltaBehaviour(x)
		if b == nil || b.Name == s.disallow {
			return false
		}
		if b.Then == stopRun && stop == "" {
			stop = b.Name
		}
		names = append(names, b.Name)
	}
	if stop != "" {
		s.stop(stop)
		return true
	}
	seen := map[string]bool{}
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			s.Divergences[n]++
		}
	}
	return true
}

// deltaBehaviour is the first behaviour whose Delta holds for x, or nil.
func (s *System) deltaBehaviour(x viewDelta) *Behaviour {
	for i := range s.behaviours {
		if b := &s.behaviours[i]; b.Delta != nil && b.Delta(s, x) {
			return b
		}
	}
	return nil
}

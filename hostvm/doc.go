// Package hostvm is a deterministic fake Linux kernel for the memory system
// calls: mmap, munmap, mprotect, mremap, msync, madvise and brk, over an
// in-memory file system, with sparse memory contents and SIGSEGV/SIGBUS
// faults. It makes no real system call, so it behaves the same on every OS
// and GOARCH, and many kernels (of different page sizes and address widths)
// can coexist in one process.
//
// The package README describes the model; the files are:
//
//	addr.go       Addr and Range, overflow-checked address arithmetic
//	config.go     Config (page size, address width, layout, limits) and geometry
//	kernel.go     Kernel: construction, Clone, accessors
//	vma.go        VMAs in a copy-on-write B+tree (internal/cowtree): lookup,
//	              split, merge
//	gaps.go       the gap above each VMA, kept in the VMA tree, and O(log n)
//	              placement in the gaps
//	mmap.go       mmap: argument checks in Linux's order, placement, populate
//	region.go     mmap_region(): replacing what a mapping covers; MmapReserve
//	munmap.go     munmap
//	mprotect.go   mprotect, and the VMA-modify helper madvise shares
//	mremap.go     mremap in all its modes
//	msync.go      msync
//	madvise.go    madvise
//	brk.go        the program break
//	fs.go         files, descriptors, ftruncate/fstat
//	rw.go         pread and pwrite between simulated memory and files
//	mem.go        memory contents, copy-on-write, Read/Write/Fetch
//	memread.go    ranged reads (a VMA lookup per VMA), ReadSparse, SweepSparse
//	private.go    PrivatePagesIn: which pages hold private copies
//	fault.go      Fault, the page-fault handler's checks, stack growth
//	maps.go       /proc/self/maps rendering
//	invariants.go CheckInvariants (invariants_on/off.go: the build tag)
//	errno.go      Linux errno values, the project's own type
//	abi.go        PROT_*, MAP_*, MREMAP_*, MS_*, MADV_*, O_* constants
//	rand.go       the deterministic generator behind ASLR
//
// The examples show the two common uses: Example maps anonymous memory,
// changes its protection, unmaps a page and prints the maps listing;
// Example_fileMapping maps a file MAP_SHARED, reads and writes it through
// the mapping and through the file, and shows msync and SIGBUS.
//
// Every exported call validates its arguments in the order Linux does and
// returns an Errno (as error) exactly where Linux would. Build with
// -tags invariants to check every invariant after every call.
//
// The tests take their expected values from measurements on Linux 6.18
// (linux-facts, cited "linux-facts Qn"); the argument boundaries every
// range call checks (zero, unaligned and wrapping lengths, the top of the
// space, mmap_min_addr) are one table (boundaries_test.go) with each call's
// answer per case. TestLinuxDiff (Linux only) compares hostvm with the
// running kernel call by call, through internal/linuxsys.
//
// # Concurrency
//
// Kernels share nothing, so different kernels run in parallel freely. One
// Kernel is not safe for concurrent use, except that Clone and the methods
// that only look (Config, Maps, MapsString, Lookup, MappingsIn, Debug,
// CheckInvariants, Files, Fstat, FcntlGetFl, FilePread and the accessors)
// may run in any number of goroutines at once while nothing changes it:
// Clone only reads the kernel it copies (TestCloneConcurrently). Each
// clone then belongs to whoever took it. A nil or zero Kernel is no
// kernel: its system calls fail with EINVAL, and none of its methods
// panics (TestNoKernel).
package hostvm

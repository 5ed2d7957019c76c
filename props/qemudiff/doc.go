// Package qemudiff compares mmapsim with a real QEMU: Debian's qemu-user 7.2
// (qemu-i386) running a small static i386 guest, testdata/guest.c, that
// makes the calls of a random sequence and prints what each returned, what
// each load read and which faults struck. The same sequence runs on sim,
// configured as QEMU runs the guest (4 KiB target pages, qemu_host_page_size
// from -p, RESERVED_VA 0xfffff000 rounded down to it, the guest's initial
// page layout copied from QEMU's -d page log), under the policy "qemu-7.2"
// (policy/qemu72.go), and every call's outcome is compared.
//
// Everything is in the tests (built only on Linux); the test skips, saying
// why, where gcc -m32 or qemu-i386 is missing or the tests are not built
// for amd64. Flags:
//
//	-qemudiff.seed N     the seed of the sequences (printed)
//	-qemudiff.seqs N     sequences per host page size (4K, 16K, 64K)
//	-qemudiff.calls N    calls per sequence
//	-qemudiff.policy P   the policy sim runs (default qemu-7.2)
//	-qemudiff.quirks     also replay every sequence with each quirk flipped
//	                     and print which setting agrees with QEMU
//	-qemudiff.v          print every sequence with a differing call
//	-qemudiff.dump FILE  write those sequences to FILE
//	-qemudiff.keep DIR   keep the guest's inputs, outputs and QEMU's logs
//
// Differences that are QEMU 7.2's own behaviour which no quirk of sim
// models, or limits of the comparison, are named in known_linux_test.go;
// any other difference fails the test with the sequence to reproduce it.
package qemudiff

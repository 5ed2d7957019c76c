// Package qemudiff compares mmapsim with a real QEMU: Debian's qemu-user 7.2
// running small static guests, testdata/guest.c built for i386 (qemu-i386)
// and for x86-64 (qemu-x86_64), that make the calls of a random sequence
// and print what each returned, what each load read and which faults
// struck. The same sequence runs on sim, configured as QEMU runs the guest
// (4 KiB target pages; qemu_host_page_size from -p 4096, 16384 or 65536;
// RESERVED_VA 0xfffff000 rounded down to it for i386, none for x86-64, as
// 7.2 chooses; guest_base, the guest's start-up page layout, mmap_next_start
// and errno copied from QEMU's -d page log and a probe run), under the
// policy "qemu-7.2" (policy/qemu72.go).
//
// Every generated call is compared. After a call that differs, the sequence
// runs again from a fresh start without it (on both sides), so the calls
// after it are compared too; a call at which both sides die the same way
// agrees, and is left out the same way. When a run agrees throughout, its
// final state is compared: QEMU's last page dump against sim's page flags,
// and the bytes of every page of the guest's window that reads (or that
// faults with SIGBUS). The agreement is the agreeing calls and final states
// over all generated calls and sequences; calls left uncompared (the reruns
// of a sequence ran out) count as disagreeing.
//
// Everything is in the tests (built only on Linux); the test skips, saying
// why, where gcc, gcc -m32 or the emulators are missing or the tests are
// not built for amd64. Flags:
//
//	-qemudiff.seed N     the seed of the sequences (printed)
//	-qemudiff.seqs N     sequences per guest and host page size
//	-qemudiff.calls N    calls per sequence
//	-qemudiff.guests G   the guests: i386,x86_64 (the default) or one
//	-qemudiff.policy P   the policy sim runs (default qemu-7.2)
//	-qemudiff.quirks     also replay every sequence with each quirk flipped
//	                     and print which setting agrees with QEMU longer
//	-qemudiff.v          print every sequence with a difference
//	-qemudiff.dump FILE  write those sequences to FILE
//	-qemudiff.keep DIR   keep the guests' inputs, outputs and QEMU's logs
//
// What sim cannot model is named in known_linux_test.go; any other
// difference fails the test with the sequence to reproduce it.
package qemudiff

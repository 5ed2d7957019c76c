package hostvm

import "testing"

// TestCompatArithmetic checks the two 32-bit flavours: a 32-bit kernel's
// sums wrap at 32 bits; a 32-bit process on a 64-bit kernel (Compat) has its
// arguments truncated to 32 bits and summed in 64.
func TestCompatArithmetic(t *testing.T) {
	for _, compat := range []bool{false, true} {
		k := newKernel(t, Config{AddrBits: 32, TaskSize: 0x10000000, Compat: compat})
		if _, err := k.Mmap(0x100000, 0x2000, ProtRead, MapPrivate|MapAnonymous|MapFixed, -1, 0); err != nil {
			t.Fatal(err)
		}
		// 0xffff6000 + 0x69a0b000 wraps at 32 bits.
		wrapped := k.Madvise(0xffff6000, 0x69a0b000, MadvDontNeed)
		// Arguments are truncated to 32 bits in both.
		trunc := k.Mprotect(0x1_00100000, 0x1000, ProtRead|ProtWrite)
		// A length that page-aligns past 4 GiB.
		msync := k.Msync(0x100000, 0xffffffff, MsSync)
		if compat {
			if wrapped != ENOMEM || trunc != nil || msync != ENOMEM {
				t.Errorf("compat: madvise %v (want ENOMEM), mprotect %v (want success), msync %v (want ENOMEM)", wrapped, trunc, msync)
			}
		} else {
			if wrapped != EINVAL || trunc != nil || msync != nil {
				t.Errorf("32-bit kernel: madvise %v (want EINVAL), mprotect %v (want success), msync %v (want success: the length wraps to 0)", wrapped, trunc, msync)
			}
		}
	}
}

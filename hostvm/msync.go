package hostvm

// Msync is msync(2). hostvm has one page cache and no disk, so there is
// nothing to write back; what remains is Linux's argument checking and its
// treatment of holes. Compare Linux's sys_msync().
func (k *Kernel) Msync(addr Addr, length uint64, flags MsyncFlags) error {
	if !k.mutable() {
		return EINVAL
	}
	if invariantsEnabled {
		defer k.checkInvariantsAfter("msync")
	}
	addr = Addr(uint64(addr) & k.g.argMask)
	length &= k.g.argMask
	if flags&^(MsAsync|MsInvalidate|MsSync) != 0 {
		return EINVAL
	}
	if !k.g.pageAligned(uint64(addr)) {
		return EINVAL
	}
	if flags&MsAsync != 0 && flags&MsSync != 0 {
		return EINVAL
	}
	end := k.g.add(addr, k.g.pageAlign(length))
	if end < addr {
		return ENOMEM
	}
	if end == addr {
		return nil
	}
	var unmapped error
	for a := addr; ; {
		v, ok := k.nextVMA(a)
		if !ok {
			return ENOMEM
		}
		if a < v.start {
			// Plain MS_ASYNC has nothing to do, so it fails at once.
			if flags == MsAsync {
				return ENOMEM
			}
			a = v.start
			if a >= end {
				return ENOMEM
			}
			unmapped = ENOMEM
		}
		if flags&MsInvalidate != 0 && v.flags&vmLocked != 0 {
			return EBUSY
		}
		a = v.end
		if a >= end {
			return unmapped
		}
	}
}

package hostvm

import (
	"fmt"
	"strings"
	"testing"
)

// The execute-only protection key (Config.PKeys). No machine the tests ran
// on had protection keys, so the expectations follow Linux's source:
//
//   - do_mmap(): "if (prot == PROT_EXEC) pkey = execute_only_pkey(mm)",
//     prot as the caller gave it (PROT_SEM included);
//   - do_mprotect_pkey() strips PROT_GROWSDOWN/UP and keeps PROT_SEM in the
//     prot it hands arch_override_mprotect_pkey() (arch/x86/mm/pkeys.c):
//     exactly PROT_EXEC takes the execute-only key, a VMA that had it
//     (vma_is_pkey_exec_only()) goes back to key 0, any other keeps its key;
//   - the key lives in vm_flags (VM_PKEY_BIT*), which is_mergeable_vma()
//     compares, and /proc/self/maps does not print it;
//   - PKRU denies data access to the key (init_pkru_value, and
//     __execute_only_pkey() sets PKEY_DISABLE_ACCESS), so a load or store
//     faults with SEGV_PKUERR (bad_area_access_from_pkeys()), as does the
//     kernel's own copy to or from user memory (EFAULT); instruction fetches
//     do not look at the key, nor does /proc/self/mem (FOLL_REMOTE).

// pkeyVMA is one VMA of a pkey case, relative to the case's base address.
type pkeyVMA struct {
	from, to uint64 // in pages
	prot     Prot
	key      int
}

func (v pkeyVMA) String() string {
	return fmt.Sprintf("[%d,%d) %v key %d", v.from, v.to, v.prot, v.key)
}

// pkeyLayout lists the VMAs of [base, base+span pages) as pkeyVMAs.
func pkeyLayout(k *Kernel, base Addr, span uint64) []pkeyVMA {
	var out []pkeyVMA
	for _, m := range k.MappingsIn(Range{base, base + Addr(span*pg)}) {
		out = append(out, pkeyVMA{uint64(m.Start-base) / pg, uint64(m.End-base) / pg, m.Prot, m.PKey})
	}
	return out
}

func TestPKeysLayout(t *testing.T) {
	const a = freeBase
	x, xs, r := ProtExec, ProtExec|ProtSem, ProtRead
	fix := pa | MapFixed
	type step func(t *testing.T, k *Kernel, fd int)
	mmap := func(off, pages uint64, prot Prot, flags MapFlags) step {
		return func(t *testing.T, k *Kernel, fd int) {
			f := -1
			if flags&MapAnonymous == 0 {
				f = fd
			}
			mustMmap(t, k, a+Addr(off*pg), pages*pg, prot, flags|MapFixed, f, 0)
		}
	}
	mprotect := func(off, length uint64, prot Prot) step {
		return func(t *testing.T, k *Kernel, fd int) {
			mustOK(t, k.Mprotect(a+Addr(off*pg), length, prot), fmt.Sprintf("mprotect(+%d pages, %#x, %v)", off, length, prot))
		}
	}
	mremap := func(from, pages, to uint64) step {
		return func(t *testing.T, k *Kernel, fd int) {
			_, err := k.Mremap(a+Addr(from*pg), pages*pg, pages*pg, MremapMayMove|MremapFixed, a+Addr(to*pg))
			mustOK(t, err, "mremap")
		}
	}
	for _, c := range []struct {
		name    string
		steps   []step
		span    uint64    // pages to list
		withKey []pkeyVMA // Config.PKeys
		without []pkeyVMA // no protection keys
	}{
		{
			// TestLinuxDiff -linuxdiff.seed=4242 on a CPU with pku.
			name:    "PROT_EXEC inside PROT_EXEC|PROT_SEM",
			steps:   []step{mmap(0, 8, rw, fix), mprotect(0, 0x7d5d, xs), mprotect(4, 0x3000, x)},
			span:    8,
			withKey: []pkeyVMA{{0, 4, x, 0}, {4, 7, x, 1}, {7, 8, x, 0}},
			without: []pkeyVMA{{0, 8, x, 0}},
		},
		{
			name:    "mmap PROT_EXEC beside mmap PROT_EXEC|PROT_SEM",
			steps:   []step{mmap(0, 2, xs, pa), mmap(2, 2, x, pa)},
			span:    4,
			withKey: []pkeyVMA{{0, 2, x, 0}, {2, 4, x, 1}},
			without: []pkeyVMA{{0, 4, x, 0}},
		},
		{
			name:    "two PROT_EXEC mappings merge",
			steps:   []step{mmap(0, 2, x, pa), mmap(2, 2, x, pa)},
			span:    4,
			withKey: []pkeyVMA{{0, 4, x, 1}},
			without: []pkeyVMA{{0, 4, x, 0}},
		},
		{
			name:    "a file mapping takes the key too",
			steps:   []step{mmap(0, 1, x, MapPrivate), mmap(1, 1, x, pa)},
			span:    2,
			withKey: []pkeyVMA{{0, 1, x, 1}, {1, 2, x, 1}},
			without: []pkeyVMA{{0, 1, x, 0}, {1, 2, x, 0}},
		},
		{
			name:    "mprotect to anything else gives the key back",
			steps:   []step{mmap(0, 4, x, pa), mmap(4, 2, r, pa), mprotect(0, 4*pg, r)},
			span:    6,
			withKey: []pkeyVMA{{0, 6, r, 0}},
			without: []pkeyVMA{{0, 6, r, 0}},
		},
		{
			name:    "mprotect PROT_EXEC|PROT_SEM of a keyed VMA drops the key",
			steps:   []step{mmap(0, 4, x, pa), mprotect(1, 2*pg, xs)},
			span:    4,
			withKey: []pkeyVMA{{0, 1, x, 1}, {1, 3, x, 0}, {3, 4, x, 1}},
			without: []pkeyVMA{{0, 4, x, 0}},
		},
		{
			name:    "PROT_GROWSDOWN is stripped before the test",
			steps:   []step{mmap(0, 4, rw, pa|MapGrowsDown), mprotect(2, 2*pg, x|ProtGrowsDown)},
			span:    4,
			withKey: []pkeyVMA{{0, 4, x, 1}},
			without: []pkeyVMA{{0, 4, x, 0}},
		},
		{
			name:    "mremap moves the key with the VMA",
			steps:   []step{mmap(0, 2, x, pa), mmap(8, 2, xs, pa), mremap(0, 2, 10)},
			span:    12,
			withKey: []pkeyVMA{{8, 10, x, 0}, {10, 12, x, 1}},
			without: []pkeyVMA{{8, 12, x, 0}},
		},
	} {
		for _, keys := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/pkeys=%v", c.name, keys), func(t *testing.T) {
				cfg := linuxConfig()
				cfg.PKeys = keys
				k := newKernel(t, cfg)
				fd := fileWith(t, k, "f", repeat(7, 2*pg))
				for _, s := range c.steps {
					s(t, k, fd)
				}
				want := c.without
				if keys {
					want = c.withKey
				}
				got := pkeyLayout(k, a, c.span)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("VMAs %v, want %v\n%s", got, want, k.Debug())
				}
				// /proc/self/maps prints a keyed VMA as any other.
				if s := k.MapsString(); strings.Contains(s, "pkey") || (keys && c.withKey[0].key == 1 && !strings.Contains(k.Debug(), "execonly-pkey")) {
					t.Errorf("maps:\n%s\ndebug:\n%s", s, k.Debug())
				}
			})
		}
	}
}

// TestPKeysAccess: data accesses to a keyed VMA fault with SEGV_PKUERR,
// from user mode or from the kernel's copies; fetches pass; a PROT_EXEC
// VMA without the key stays readable, as on x86-64 without pku.
func TestPKeysAccess(t *testing.T) {
	for _, keys := range []bool{true, false} {
		t.Run(fmt.Sprintf("pkeys=%v", keys), func(t *testing.T) {
			cfg := linuxConfig()
			cfg.PKeys = keys
			k := newKernel(t, cfg)
			fd := fileWith(t, k, "f", repeat(7, pg))
			xo := mustMmap(t, k, freeBase, pg, ProtExec, pa|MapFixed, -1, 0)
			xs := mustMmap(t, k, freeBase+4*pg, pg, ProtExec|ProtSem, pa|MapFixed, -1, 0)
			pku := func(a Addr, acc Access) *Fault {
				if !keys {
					if acc == AccessWrite {
						return &Fault{SIGSEGV, SegvAccErr, a, acc}
					}
					return nil
				}
				if acc == AccessExec {
					return nil
				}
				return &Fault{SIGSEGV, SegvPkuErr, a, acc}
			}
			for _, c := range []struct {
				name string
				addr Addr
				acc  Access
				want *Fault
			}{
				{"read keyed", xo + 5, AccessRead, pku(xo+5, AccessRead)},
				{"write keyed", xo, AccessWrite, pku(xo, AccessWrite)},
				{"fetch keyed", xo, AccessExec, nil},
				{"read PROT_EXEC|PROT_SEM", xs, AccessRead, nil},
				{"write PROT_EXEC|PROT_SEM", xs, AccessWrite, &Fault{SIGSEGV, SegvAccErr, xs, AccessWrite}},
			} {
				f := accessOne(k, c.addr, c.acc)
				if (f == nil) != (c.want == nil) || (f != nil && *f != *c.want) {
					t.Errorf("%s: got %v, want %v", c.name, f, c.want)
				}
			}
			if keys {
				if _, f := k.Read(xo, make([]byte, 1)); f == nil || !strings.Contains(f.Error(), "SEGV_PKUERR") {
					t.Errorf("fault text %v, want SEGV_PKUERR", f)
				}
			}
			// pwrite reads the buffer, pread stores into it: the key stops
			// the first; the second fails on any PROT_EXEC page.
			_, err := k.Pwrite(fd, xo, 16, 0)
			wantW := Errno(0)
			if keys {
				wantW = EFAULT
			}
			if got := errno(t, err); got != wantW {
				t.Errorf("pwrite from the PROT_EXEC page: %v, want %v", res(got), res(wantW))
			}
			if _, err := k.Pwrite(fd, xs, 16, 0); err != nil {
				t.Errorf("pwrite from the PROT_EXEC|PROT_SEM page: %v", err)
			}
			if _, err := k.Pread(fd, xo, 16, 0); errno(t, err) != EFAULT {
				t.Errorf("pread into the PROT_EXEC page: %v, want EFAULT", err)
			}
		})
	}
}

// TestPKeysInvariant: CheckInvariants finds a key on a VMA that may not
// have it.
func TestPKeysInvariant(t *testing.T) {
	k := newKernel(t, linuxConfig())
	a := mustMmap(t, k, freeBase, pg, ProtRead, pa|MapFixed, -1, 0)
	var c cursor[vma]
	k.vmas.seekLE(&c, uint64(a))
	v := c.item()
	v.flags |= vmExecOnlyKey
	c.setItem(v)
	if err := k.CheckInvariants(); err == nil || !strings.Contains(err.Error(), "execute-only key") {
		t.Errorf("CheckInvariants: %v, want the execute-only key reported", err)
	}
	v.flags &^= vmExecOnlyKey
	c.setItem(v)
}

package scenario

import (
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// TestSettingsRefused: a setting the library would misread (a 0 that
// means "the default", a width an int would truncate, -p below the host
// page), a key set twice and a file made twice are usage errors that name
// the file, the line and the setting; a flag overriding the file's
// setting is not.
func TestSettingsRefused(t *testing.T) {
	for _, c := range []struct {
		name, src string
		want      string // "" for no error; else what the message contains
	}{
		{"host-page=0", "#! host-page=0\n", "t.scn:1:4: host-page=0: want a power of two from 4K to 1M (leave the setting out for the default)"},
		{"host-bits=0", "#! host-bits=0\n", "t.scn:1:4: host-bits=0: want 32, 39, 47, 48, 52 or 57"},
		{"max-map-count=0", "#! max-map-count=0\n", "t.scn:1:4: max-map-count=0: want at least 1"},
		{"mmap-min-addr=0", "#! mmap-min-addr=0\n", "t.scn:1:4: mmap-min-addr=0: want at least 1"},
		{"target-page=0", "#! target=i386 target-page=0\n", "t.scn:1:16: target-page=0: want a power of two"},
		{"target-bits=0", "#! target=i386 target-bits=0\n", "t.scn:1:16: target-bits=0: want 32 or 64"},
		{"virt-bits=0", "#! target=i386 virt-bits=0\n", "t.scn:1:16: virt-bits=0: want 24"},
		{"qemu-host-page=0", "#! target=i386 qemu-host-page=0\n", "t.scn:1:16: qemu-host-page=0: want a power of two"},
		{"brk=0", "#! target=i386 brk=0\n", "t.scn:1:16: brk=0: want a non-zero address"},
		{"host-bits past an int32", "#! host-bits=0x100000020\n", "t.scn:1:4: host-bits=0x100000020: want 32, 39"},
		{"target-bits past an int32", "#! target=x86_64 target-bits=0x100000040\n", "target-bits=0x100000040: want 32 or 64"},
		{"virt-bits past an int32", "#! target=x86_64 virt-bits=0x10000002f\n", "virt-bits=0x10000002f: want 24"},
		{"qemu-host-page below the host page", "#! host=arm64-64k target=i386 qemu-host-page=4K\n",
			"t.scn:1:31: qemu-host-page=4K: below the host page size (64K): want at least that"},
		{"qemu-host-page at the host page", "#! host=arm64-16k target=i386 qemu-host-page=16K\n", ""},
		{"qemu-host-page above the host page", "#! target=i386 qemu-host-page=64K\n", ""},
		{"a key twice on one line", "#! host=x86_64 host=arm64-64k\n", "t.scn:1:16: host set twice (first at t.scn:1:4)"},
		{"a key twice on two lines", "#! target=i386\n#! policy=seed\n#! target=x86_64\n", "t.scn:3:4: target set twice (first at t.scn:1:4)"},
		{"a file twice", "#! file f size=1\n#! file g size=2\n#! file f size=3\n", "t.scn:3: file f is made twice (first at t.scn:1)"},
		{"two files", "#! file f size=1\n#! file g size=2\n", ""},
		{"fill byte 256", "#! target=i386\n$a = mmap(NULL, 0x1000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = ?\nfill($a, 4, 256)\n",
			"t.scn:3: fill: byte 0x100: want 0 to 0xff"},
		{"fill byte 255", "#! target=i386\n$a = mmap(NULL, 0x1000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = ?\nfill($a, 4, 255)\npeek($a, 1) = \"\\xff\"\n", ""},
		{"file mode too large", "#! file f size=1 mode=0x10000\n", "t.scn:1: file f: mode 0x10000: want at most 07777"},
		{"extra call arguments", "munmap(0x10000, 0x1000, 7) = 0\n", "t.scn:1: munmap takes 2 arguments (addr, length), found 3"},
	} {
		t.Run(c.name, func(t *testing.T) {
			log, summary, usage := runText(t, c.src)
			switch {
			case c.want == "" && usage != "":
				t.Errorf("usage error %q, want none\n%s", usage, log)
			case c.want != "" && !strings.Contains(usage, c.want):
				t.Errorf("usage error %q, want one containing %q\n%s%s", usage, c.want, log, summary)
			case c.want == "" && !strings.Contains(summary, ": ok:"):
				t.Errorf("summary %q\n%s", summary, log)
			}
		})
	}
}

// TestSettingsFlagsOverride: a command-line setting (RunOptions.Settings)
// replaces the file's, as documented, without a duplicate error.
func TestSettingsFlagsOverride(t *testing.T) {
	set := NewSettings()
	if err := set.Set("host", "arm64-64k", "flag --host"); err != nil {
		t.Fatal(err)
	}
	f, err := syntax.Parse("t.scn", []byte("#! host=x86_64\n"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(f, RunOptions{Settings: set})
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Machine.Kernel.PageSize(); got != 64<<10 {
		t.Errorf("host page %#x, want the flag's 64K", got)
	}
}

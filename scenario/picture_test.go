package scenario_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/scenario"
)

// machine builds a machine from "key=value" settings.
func machine(pairs ...string) *scenario.Machine {
	s := scenario.NewSettings()
	for _, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		if err := s.Set(k, v, "example"); err != nil {
			panic(err)
		}
	}
	m, err := s.Build()
	if err != nil {
		panic(err)
	}
	return m
}

const (
	rw    = uint64(hostvm.ProtRead | hostvm.ProtWrite)
	fixed = uint64(hostvm.MapPrivate | hostvm.MapAnonymous | hostvm.MapFixed)
)

// An i386 guest on a 64K-page host: two fragments in one host page, r--
// and rw-, make the host page rw- (the union); a third mapping covers a
// whole host page and the head of the next. Placeholders of the RESERVED_VA
// reservation show as R.
func ExampleNewPicture() {
	m := machine("target=i386", "host=arm64-64k")
	m.Mmap(0x40005000, 0x2000, uint64(hostvm.ProtRead), fixed, ^uint64(0), 0)
	m.Mmap(0x40009000, 0x2000, rw, fixed, ^uint64(0), 0)
	m.Mmap(0x40020000, 0x13000, uint64(hostvm.ProtRead|hostvm.ProtExec), fixed, ^uint64(0), 0)
	fmt.Print(scenario.NewPicture(m))
	// Output:
	// guest         0K  4K  8K  12K 16K 20K 24K 28K 32K 36K 40K 44K 48K 52K 56K 60K  host
	//   ~~ 0x00000000-0x3fff0000 1023.9M, reservation placeholders
	//   0x3fff0000 R   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   ---
	//   0x40000000 F   .   .   .   .   .  r-- r--  .   .  rw- rw-  .   .   .   .   .   rw-
	//   0x40010000 R   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   ---
	//   0x40020000    r-x r-x r-x r-x r-x r-x r-x r-x r-x r-x r-x r-x r-x r-x r-x r-x  r-x
	//   0x40030000 F  r-x r-x r-x  .   .   .   .   .   .   .   .   .   .   .   .   .   r-x
	//   0x40040000 R   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   .   ---
	//   ~~ 0x40050000-0xf7000000 2.8G, reservation placeholders
}

// The host alone, with 16K pages: a file mapping of 5 pages, one of them
// made read-only, and a run of identical rows drawn once.
func ExampleNewPicture_host() {
	m := machine("host=arm64-16k")
	k := m.Kernel
	fd, _ := k.Open("lib.so", hostvm.ORdWr|hostvm.OCreat, 0o644)
	k.Ftruncate(fd, 0x14000)
	o := m.Mmap(0, 0x14000, uint64(hostvm.ProtRead|hostvm.ProtExec), uint64(hostvm.MapPrivate), uint64(fd), 0)
	m.Mprotect(o.Value+0x10000, 0x4000, uint64(hostvm.ProtRead))
	fmt.Print(scenario.NewPicture(m))
	// Output:
	// address            host
	//   ~~ 0x000000000000-0x7ffff7fe8000 127.9T, nothing mapped
	//   0x7ffff7fe8000     .
	//   0x7ffff7fec000     r-x lib.so@0  (x4)
	//   0x7ffff7ffc000     r-- lib.so@0x10000
	//   0x7ffff8000000     .
	//   ~~ 0x7ffff8004000-0x800000000000 127.9M, nothing mapped
}

// QEMU's -p 16K on a 4K host: a row is a 16K "host page" as QEMU sees it,
// and the host part lists the real 4K host pages under it where they
// differ. mmap_frag mapped all four for two guest pages. Changing one real
// host page behind QEMU's back makes the host refuse what the guest page
// allows: the row is marked "!".
func ExampleNewPicture_qemuHostPage() {
	m := machine("target=x86_64", "qemu-host-page=16K", "brk=0x555555554000") // heap on a host page: no bss tail
	m.Mmap(0x40001000, 0x2000, rw, fixed, ^uint64(0), 0)
	m.Kernel.Mprotect(0x40002000, 0x1000, hostvm.ProtRead)
	fmt.Print(scenario.NewPicture(m))
	// Output:
	// guest             0K  4K  8K  12K  host
	//   ~~ 0x000000000000-0x00003fffc000 1023.9M, nothing mapped
	//   0x00003fffc000     .   .   .   .   .
	//   0x000040000000 F!  .  rw- rw-  .   rw- *2 | r-- | rw-
	//   0x000040004000     .   .   .   .   .
	//   ~~ 0x000040008000-0x800000000000 127.9T, nothing mapped
}

func TestPictureLegendAndTruncation(t *testing.T) {
	m := machine("target=i386", "host=arm64-64k")
	// Alternate protections every host page, so no two rows are alike.
	for i := uint64(0); i < scenario.MaxPictureRows+20; i++ {
		prot := uint64(hostvm.ProtRead)
		if i%2 == 1 {
			prot = rw
		}
		m.Mmap(0x10000000+i*0x10000, 0x1000, prot, fixed, ^uint64(0), 0)
	}
	p := scenario.NewPicture(m)
	if !p.Truncated {
		t.Errorf("picture of %d distinct rows not truncated", scenario.MaxPictureRows+20)
	}
	if n := strings.Count(p.String(), "\n"); n > scenario.MaxPictureRows+5 {
		t.Errorf("picture has %d lines", n)
	}
}

// TestHTML checks that the page is produced, has a section and a picture
// for every step, names nothing outside itself, and is byte-identical from
// run to run.
func TestHTML(t *testing.T) {
	src := `#! target=i386 host=arm64-64k
#! file "a <b>.bin" size=0x3000 fill=seq
openat(AT_FDCWD, "a <b>.bin", O_RDONLY) = 3
$a = mmap(0x40001000, 0x2000, PROT_READ, MAP_PRIVATE|MAP_FIXED, 3, 0x1000) = 0x40001000
peek($a, 4) = "\x00\x04\x00\x00"
munmap($a, 0x2000) = 0
`
	page := func() []byte {
		f, err := scenario.Parse("h&<.scn", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		rec := &scenario.HTMLRecorder{Title: "test <page>"}
		start, after := rec.Hooks(f.Name)
		rep, err := scenario.Run(f, scenario.RunOptions{Start: start, After: after})
		if err != nil || len(rep.Failures) != 0 {
			t.Fatalf("run: %v %v", err, rep.Failures)
		}
		var b bytes.Buffer
		if err := rec.WriteHTML(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b := page(), page()
	if !bytes.Equal(a, b) {
		t.Errorf("two pages of the same run differ")
	}
	s := string(a)
	const steps = 5 // start and 4 statements
	if n := strings.Count(s, `<section class="step"`); n != steps {
		t.Errorf("%d step sections, want %d", n, steps)
	}
	if n := strings.Count(s, "<svg "); n != steps {
		t.Errorf("%d pictures, want %d", n, steps)
	}
	for _, bad := range []string{"http:", "https:", "src=", "url(", "@import", "<link", "a <b>", "h&<"} {
		if strings.Contains(s, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	for _, want := range []string{"<!DOCTYPE html>", "a &lt;b&gt;.bin", "pread64(3, ", "ArrowRight", "</html>\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestPictureHuge: a 64 TiB mapping is 2^34 rows of 4K, drawn as one line
// whose count is exact, in no time.
func TestPictureHuge(t *testing.T) {
	m := machine("host=x86_64")
	o := m.Mmap(0, 1<<46, 0, uint64(hostvm.MapPrivate|hostvm.MapAnonymous|hostvm.MapNoReserve), ^uint64(0), 0)
	if o.Err != 0 {
		t.Fatalf("mmap: %v", o)
	}
	s := scenario.NewPicture(m).String()
	if !strings.Contains(s, "(x17179869184)") {
		t.Errorf("no run of 2^34 rows in\n%s", s)
	}
}

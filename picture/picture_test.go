package picture_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/mmapsim/mmapsim/hostvm"
	"github.com/mmapsim/mmapsim/picture"
	"github.com/mmapsim/mmapsim/scenario"
	"github.com/mmapsim/mmapsim/scenario/syntax"
)

// TestTextHooks: the start hook writes the legend and the first picture,
// the after hook a new picture, or a note when nothing changed.
func TestTextHooks(t *testing.T) {
	m := machine("target=i386", "host=arm64-64k")
	var b bytes.Buffer
	start, after := picture.TextHooks(&b)
	start(m)
	first := picture.New(m).String()
	if b.String() != picture.Legend+first+"\n" {
		t.Errorf("start wrote:\n%s", b.String())
	}
	b.Reset()
	after(m, nil, scenario.Outcome{})
	if b.String() != "  (picture unchanged)\n\n" {
		t.Errorf("after an unchanged step:\n%s", b.String())
	}
	b.Reset()
	m.Mmap(0x40005000, 0x1000, rw, fixed, ^uint64(0), 0)
	after(m, nil, scenario.Outcome{})
	if got := b.String(); got == first+"\n" || !strings.Contains(got, "0x40000000 F") {
		t.Errorf("after a mapping:\n%s", got)
	}
}

func TestPictureTruncation(t *testing.T) {
	m := machine("target=i386", "host=arm64-64k")
	// Alternate protections every host page, so no two rows are alike.
	for i := uint64(0); i < picture.MaxRows+20; i++ {
		prot := uint64(hostvm.ProtRead)
		if i%2 == 1 {
			prot = rw
		}
		m.Mmap(0x10000000+i*0x10000, 0x1000, prot, fixed, ^uint64(0), 0)
	}
	p := picture.New(m)
	text := p.String()
	if !strings.HasSuffix(text, fmt.Sprintf("  ... (picture truncated at %d rows)\n", picture.MaxRows)) {
		t.Errorf("picture of %d distinct rows not truncated", picture.MaxRows+20)
	}
	if n := strings.Count(text, "\n"); n > picture.MaxRows+5 {
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
		f, err := syntax.Parse("h&<.scn", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		rec := &picture.HTMLRecorder{Title: "test <page>"}
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
	s := picture.New(m).String()
	if !strings.Contains(s, "(x17179869184)") {
		t.Errorf("no run of 2^34 rows in\n%s", s)
	}
}

// TestHostRecorder: under box64, which keeps its own record of the host
// pages, a row whose host page box64 forgot (mremap's shrink rounds the
// start down) is marked ? and says what box64 believes; the start hook adds
// the notation.
func TestHostRecorder(t *testing.T) {
	m := machine("target=x86_64", "host=arm64-16k", "policy=box64")
	if _, ok := m.Sim.(picture.HostRecorder); !ok {
		t.Fatalf("box64 is not a HostRecorder")
	}
	a := m.Mmap(0, 0xc000, rw, uint64(hostvm.MapPrivate|hostvm.MapAnonymous), ^uint64(0), 0).Value
	if o := m.Mremap(a, 0xc000, 0x5000, 0, 0); o.Err != 0 {
		t.Fatalf("mremap: %v", o)
	}
	text := picture.New(m).String()
	if !strings.Contains(text, fmt.Sprintf("%#x F? rw-  .   .   .   rw- (believed unmapped)", a+0x4000)) {
		t.Errorf("the forgotten host page is not shown:\n%s", text)
	}
	var b bytes.Buffer
	start, _ := picture.TextHooks(&b)
	start(m)
	if !strings.Contains(b.String(), picture.RecorderLegend) {
		t.Errorf("the start hook does not explain ?:\n%s", b.String())
	}
}

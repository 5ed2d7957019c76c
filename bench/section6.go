package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"github.com/mmapsim/mmapsim/policy"
)

// heap returns HeapAlloc and Sys after a full collection.
func heap() (alloc, sys uint64) {
	var m runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc, m.Sys
}

// guestMemory is what a guest with touched pages costs.
type guestMemory struct {
	retained int64 // HeapAlloc after GC, less before the guest started
	peak     int64 // highest HeapAlloc sampled, less before
	sys      int64 // runtime.MemStats.Sys at the end: the process's high-water
	hwm      int64 // VmHWM (peak resident set), -1 when unknown
}

// measureGuest starts an i386 guest with a 4 GiB RESERVED_VA on host
// hname, maps pages guest pages and stores one byte in each, sampling
// HeapAlloc every 256 pages for its high-water mark.
func measureGuest(hname string, pages int) (guestMemory, error) {
	fixed, err := policy.ParsePolicy("fixed")
	if err != nil {
		return guestMemory{}, err
	}
	before, _ := heap()
	peak := before
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peak = max(peak, m.HeapAlloc)
	}
	s, k, err := newSim(hname, "i386", fixed, 1<<32)
	if err != nil {
		return guestMemory{}, err
	}
	t := s.Config().TargetPageSize
	a, err := s.Mmap(0, uint64(pages)*t, int(protRW), anon, -1, 0)
	if err != nil {
		return guestMemory{}, fmt.Errorf("guest mmap: %v", err)
	}
	sample()
	one := []byte{1}
	for i := 0; i < pages; i++ {
		if _, f := s.Store(a+uint64(i)*t, one); f != nil {
			return guestMemory{}, fmt.Errorf("store at %#x: %v", a+uint64(i)*t, f)
		}
		if i%256 == 255 {
			sample()
		}
	}
	sample()
	after, sys := heap()
	runtime.KeepAlive(s)
	runtime.KeepAlive(k)
	return guestMemory{int64(after) - int64(before), int64(peak) - int64(before), int64(sys), peakRSS()}, nil
}

// peakRSS is VmHWM from /proc/self/status, in bytes; -1 when unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) == 2 && f[1] == "kB" {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n << 10
				}
			}
		}
	}
	return -1
}

// measureVMAs builds a ladder of n VMAs (section 2's layout) and returns
// the heap it holds, after GC.
func measureVMAs(n int) (int64, error) {
	before, _ := heap()
	l, err := newLadder(n)
	if err != nil {
		return 0, err
	}
	after, _ := heap()
	runtime.KeepAlive(l)
	return int64(after) - int64(before), nil
}

// memChild is the hidden --mem-child mode: one memory measurement in this
// (fresh) process, "vmas,N" or "guest,HOST,PAGES", printed as numbers.
func memChild(arg string, w io.Writer) error {
	f := strings.Split(arg, ",")
	switch {
	case len(f) == 2 && f[0] == "vmas":
		n, err := strconv.Atoi(f[1])
		if err != nil {
			return err
		}
		v, err := measureVMAs(n)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, v)
		return err
	case len(f) == 3 && f[0] == "guest":
		pages, err := strconv.Atoi(f[2])
		if err != nil {
			return err
		}
		g, err := measureGuest(f[1], pages)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(w, g.retained, g.peak, g.sys, g.hwm)
		return err
	}
	return fmt.Errorf("--mem-child %q: want vmas,N or guest,HOST,PAGES", arg)
}

// inChild runs this program with --mem-child arg and scans its output
// into vals. It reports false if that failed (no executable, say).
func inChild(arg string, vals ...any) bool {
	exe, err := os.Executable()
	if err != nil {
		return false
	}
	var out bytes.Buffer
	cmd := exec.Command(exe, "--mem-child", arg)
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return false
	}
	_, err = fmt.Sscan(out.String(), vals...)
	return err == nil
}

// sectionMemory reports hostvm's bytes per VMA, and the memory of a guest
// with touched pages.
func sectionMemory(o *options) (*table, error) {
	t := &table{
		title:  "6. memory",
		header: []string{"what", "retained heap", "per unit", "peak heap", "Sys", "peak RSS"},
	}
	n := o.memVMAs
	o.progress("6: %s VMAs", count(int64(n)))
	var held int64
	fresh := inChild(fmt.Sprintf("vmas,%d", n), &held)
	if !fresh {
		var err error
		if held, err = measureVMAs(n); err != nil {
			return nil, err
		}
	}
	o.set(goalHeap, count(int64(n))+" VMAs", float64(held)/float64(n))
	t.add(fmt.Sprintf("hostvm, %s VMAs", count(int64(n))), bytesString(float64(held)),
		fmt.Sprintf("%.1f B/VMA", float64(held)/float64(n)), "-", "-", "-")
	allFresh := true
	for _, h := range []string{"x86_64", "arm64-64k"} {
		o.progress("6: i386 guest on %s, %d touched pages", h, o.touchPages)
		var g guestMemory
		ok := inChild(fmt.Sprintf("guest,%s,%d", h, o.touchPages), &g.retained, &g.peak, &g.sys, &g.hwm)
		if !ok {
			var err error
			if g, err = measureGuest(h, o.touchPages); err != nil {
				return nil, fmt.Errorf("guest on %s: %v", h, err)
			}
		}
		allFresh = allFresh && fresh && ok
		hp, _ := policy.Host(h)
		rss := "-"
		if g.hwm >= 0 {
			rss = bytesString(float64(g.hwm))
		}
		t.add(fmt.Sprintf("i386 guest, reserved_va 4 GiB, host %s (%dK), %s pages touched", h, hp.Config.PageSize>>10, count(int64(o.touchPages))),
			bytesString(float64(g.retained)), fmt.Sprintf("%.0f B/page", float64(g.retained)/float64(o.touchPages)),
			bytesString(float64(g.peak)), bytesString(float64(g.sys)), rss)
	}
	t.note("hostvm VMAs: the layout of section 2 (2 VMAs and a one-page hole per group), so each VMA carries half a gap;")
	t.note("  retained: HeapAlloc after GC, less before building")
	t.note("guest: one mmap of all the pages (rw, private, anonymous), then a one-byte store in each; policy fixed;")
	t.note("  retained: HeapAlloc after GC, less before the guest started; peak heap: highest HeapAlloc sampled every 256 stores, less before;")
	if allFresh {
		t.note("each row measured in a fresh process: Sys (runtime.MemStats.Sys) and peak RSS (VmHWM) are that whole process's high-water marks")
	} else {
		t.note("measured in this process: Sys and peak RSS include the sections before")
	}
	return t, nil
}

//go:build linux

package hostvm

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// ldRun runs sequences on both sides.
type ldRun struct {
	t      *testing.T
	real   *ldReal
	cfg    Config
	header string
	noExec bool // the temporary directory is mounted noexec
	ext4   bool // the temporary directory is on ext4, whose files hostvm models
	strict bool // unexplained differences fail the test (report)
	k      *Kernel
	// deadline bounds minimizing, with ldMinTime per difference.
	deadline time.Time
	// ino maps the real side's inode numbers to hostvm's (f0 and f1,
	// and shared anonymous objects as they are first seen), inoRev back.
	ino, inoRev map[uint64]uint64
	stats       ldStats
	replaying   bool // minimizing: do not count calls
	// noZeroPage: read faults on private anonymous memory allocate the
	// VMA's anon_vma on this kernel (see probeZeroPage); hostvm, like
	// stock Linux, gives one only on a write, so the test mirrors the
	// read faults it causes (mirrorRead, mirrorPopulate).
	noZeroPage bool
}

// reset gives both sides a fresh start: an empty sandbox and empty files.
func (r *ldRun) reset() error {
	if err := r.real.reset(); err != nil {
		return err
	}
	k, err := New(r.cfg)
	if err != nil {
		return err
	}
	for i, name := range ldSlotNames {
		flags := ORdWr | OCreat | OTrunc
		if i == 2 {
			flags = ORdOnly
		}
		fd, err := k.Open(name, flags, 0o644)
		if err != nil || fd != ldFD(i) {
			return fmt.Errorf("hostvm open %s = %d, %v", name, fd, err)
		}
	}
	if _, err := k.Mmap(Addr(r.real.hvBase), ldSize, ProtNone, ldReservationFlags|MapFixed, -1, 0); err != nil {
		return fmt.Errorf("hostvm reservation: %v", err)
	}
	r.k = k
	r.ino, r.inoRev = map[uint64]uint64{}, map[uint64]uint64{}
	for i := 0; i < 2; i++ {
		st, err := k.Fstat(ldFD(i))
		if err != nil {
			return err
		}
		r.ino[r.real.inos[i]] = st.Ino
		r.inoRev[st.Ino] = r.real.inos[i]
	}
	return nil
}

// ldDiff is a difference: the calls that led to it and what each side saw.
type ldDiff struct {
	kind           string // "result", "maps", "contents" or "file"
	calls          []ldCall
	results        []ldResult        // Linux's, one per call
	hv, re         ldResult          // the last call's results
	hvMaps, reMaps []ldVMA           // after the last call
	detail         string            // contents and file differences: where and what
	at             Addr              // contents differences: the first differing byte (or page)
	peek           ldCall            // contents differences: a peek showing it
	rePeek, hvPeek ldResult          // and what it reads on each side
	fileSize       map[string]uint64 // hostvm's file sizes after the last call
	debug          string            // hostvm's Debug() after the last call
	lo, hi         Addr              // the window
	full           bool              // every page read after every call (else see ldRun.compareContents)
	ext4           bool              // the files were on ext4
	seq            int
	seed           int64
	from           int // calls before minimizing
	known          *ldKnown
}

// sequence runs up to n generated calls from a fresh start and returns the
// first difference. full chooses how contents are read (compareContents).
func (r *ldRun) sequence(g *ldGen, n int, full bool) (*ldDiff, error) {
	if err := r.reset(); err != nil {
		return nil, err
	}
	var calls []ldCall
	var results []ldResult
	for i := 0; i < n; i++ {
		g.k = r.k
		c := g.next()
		calls = append(calls, c)
		last := i == n-1 || r.stats.calls+1 >= *ldCallsFlag
		d, re, err := r.stepIn(c, g.lo, g.hi, full || last)
		if err != nil {
			return nil, err
		}
		results = append(results, re)
		if d != nil {
			d.calls, d.results, d.lo, d.hi, d.full, d.from = calls, results, g.lo, g.hi, full, len(calls)
			return d, nil
		}
		if last {
			break
		}
	}
	return nil, nil
}

// replay runs calls from a fresh start in the window [lo, hi), reading
// contents as sequence does, and returns the first difference and Linux's
// results up to it.
func (r *ldRun) replay(calls []ldCall, lo, hi Addr, full bool) (*ldDiff, []ldResult, error) {
	if err := r.reset(); err != nil {
		return nil, nil, err
	}
	var results []ldResult
	for i, c := range calls {
		d, re, err := r.stepIn(c, lo, hi, full || i == len(calls)-1)
		if err != nil {
			return nil, nil, err
		}
		results = append(results, re)
		if d != nil {
			d.calls, d.results, d.lo, d.hi, d.full = calls[:i+1], results, lo, hi, full
			return d, results, nil
		}
	}
	return nil, results, nil
}

// stepIn runs c on both sides and compares them afterwards, reading the
// contents of the window [lo, hi) (every page if full).
func (r *ldRun) stepIn(c ldCall, lo, hi Addr, full bool) (*ldDiff, ldResult, error) {
	var hv, re ldResult
	if c.op == ldPeek {
		hv, re = r.peek(c)
	} else {
		pokeLen := 0
		if c.op == ldPoke {
			pokeLen = r.writablePrefix(c.addr, len(c.data))
		}
		hv = r.hvCall(c)
		var err error
		if re, err = r.real.call(c, pokeLen); err != nil {
			return nil, re, err
		}
	}
	r.mirrorPopulate(c, hv)
	if !r.replaying {
		r.stats.count(c)
	}
	if *ldVerbose && !r.replaying {
		reMaps, _ := r.real.maps()
		r.t.Logf("%v %s   [hostvm %s]\n%s", c, c.resultString(re), c.resultString(hv), ldMapsDiff(reMaps, r.hvMaps()))
	}
	d := &ldDiff{hv: hv, re: re, ext4: r.ext4}
	if !hv.equal(re) {
		d.kind = "result"
	}
	d.hvMaps = r.hvMaps()
	var err error
	if d.reMaps, err = r.real.maps(); err != nil {
		return nil, re, err
	}
	if d.kind == "" && !r.mapsEqual(d.hvMaps, d.reMaps) {
		d.kind = "maps"
	}
	if d.kind == "" {
		if s, pc, pre, phv := r.compareContents(lo, hi, full); s != "" {
			d.kind, d.detail, d.at, d.peek, d.rePeek, d.hvPeek = "contents", s, pc.addr, pc, pre, phv
		}
	}
	if d.kind == "" {
		s, err := r.compareFiles()
		if err != nil {
			return nil, re, err
		}
		if s != "" {
			d.kind, d.detail = "file", s
		}
	}
	if d.kind == "" {
		return nil, re, nil
	}
	d.debug = r.k.Debug()
	d.fileSize = map[string]uint64{}
	for i := 0; i < 2; i++ {
		if st, err := r.k.Fstat(ldFD(i)); err == nil {
			d.fileSize[ldSlotNames[i]] = uint64(st.Size)
		}
	}
	return d, re, nil
}

// writablePrefix is how many of the n bytes at a lie in pages hostvm maps
// writable: the real side writes only those (through /proc/self/mem, which
// would write through any protection).
func (r *ldRun) writablePrefix(a Addr, n int) int {
	end := a + Addr(n)
	for p := a; p < end; p = Addr(AlignDown(uint64(p), ldPage)) + ldPage {
		v, ok := r.k.findVMA(p)
		if !ok || v.prot&ProtWrite == 0 {
			return int(p - a)
		}
	}
	return n
}

// hvCall runs c on hostvm.
func (r *ldRun) hvCall(c ldCall) ldResult {
	k := r.k
	res := func(v uint64, err error) ldResult {
		if err != nil {
			return ldResult{errno: err.(Errno)}
		}
		return ldResult{val: v}
	}
	switch c.op {
	case ldMmap:
		fd := -1
		if c.slot >= 0 {
			fd = ldFD(c.slot)
		}
		a, err := k.Mmap(c.addr, c.len, c.prot, MapFlags(c.flags), fd, c.off)
		return res(uint64(a), err)
	case ldMunmap:
		return res(0, k.Munmap(c.addr, c.len))
	case ldMprotect:
		return res(0, k.Mprotect(c.addr, c.len, c.prot))
	case ldMremap:
		a, err := k.Mremap(c.addr, c.len, c.newLen, MremapFlags(c.flags), c.newAddr)
		return res(uint64(a), err)
	case ldMadvise:
		return res(0, k.Madvise(c.addr, c.len, Advice(c.flags)))
	case ldMsync:
		return res(0, k.Msync(c.addr, c.len, MsyncFlags(c.flags)))
	case ldPwrite:
		n, err := k.FilePwrite(ldFD(c.slot), c.data, int64(c.off))
		return res(uint64(n), err)
	case ldFtruncate:
		return res(0, k.Ftruncate(ldFD(c.slot), int64(c.off)))
	case ldPoke:
		n, f := k.Write(c.addr, c.data)
		return ldResult{val: uint64(n), fault: f}
	}
	panic("unknown op")
}

// hvMaps lists hostvm's VMAs in the sandbox, as ldVMA.
func (r *ldRun) hvMaps() []ldVMA {
	lo, hi := Addr(r.real.hvBase), Addr(r.real.hvBase+r.real.size)
	var out []ldVMA
	for _, m := range r.k.MappingsIn(Range{lo, hi}) {
		s := "p"
		if m.Shared {
			s = "s"
		}
		out = append(out, ldVMA{start: max(m.Start, lo), end: min(m.End, hi), perms: m.Prot.String() + s,
			off: m.Offset, ino: m.Inode, name: m.Name})
	}
	return out
}

// mapsEqual compares the listings, matching inode numbers through r.ino
// (and learning the pairs of shared anonymous objects).
func (r *ldRun) mapsEqual(hv, re []ldVMA) bool {
	if len(hv) != len(re) {
		return false
	}
	for i := range hv {
		a, b := hv[i], re[i]
		if a.start != b.start || a.end != b.end || a.perms != b.perms || a.off != b.off || a.name != b.name ||
			(a.ino == 0) != (b.ino == 0) {
			return false
		}
		if b.ino == 0 {
			continue
		}
		if x, ok := r.ino[b.ino]; ok {
			if x != a.ino {
				return false
			}
		} else if _, taken := r.inoRev[a.ino]; taken {
			return false
		} else {
			r.ino[b.ino], r.inoRev[a.ino] = a.ino, b.ino
		}
	}
	return true
}

// hvPage reads the page at a from hostvm as /proc/self/mem does: through
// any protection, failing where nothing is mapped, beyond end-of-file and
// at guard pages. src is k, or a clone of it in which the window is
// readable.
func ldHVPage(src *Kernel, a Addr, buf []byte) bool {
	if _, found := src.findVMA(a); !found {
		return false
	}
	_, f := src.Read(a, buf)
	return f == nil
}

// readableClone returns k, or a clone of k in which every mapping of
// [lo, hi) is readable (also those with the execute-only protection key,
// which /proc/self/mem reads through).
func (r *ldRun) readableClone(lo, hi Addr) *Kernel {
	src := r.k
	for _, m := range r.k.MappingsIn(Range{lo, hi}) {
		if m.PKey == 0 && r.k.allows(m.Prot, AccessRead) {
			continue
		}
		if src == r.k {
			src = r.k.Clone()
		}
		s, e := max(m.Start, lo), min(m.End, hi)
		if err := src.Mprotect(s, uint64(e-s), ProtRead); err != nil {
			panic(fmt.Sprintf("mprotect in the clone: %v", err))
		}
	}
	return src
}

// compareContents compares the pages of [lo, hi) and describes the first
// that differs. Reading a page can change the real kernel (a read fault
// gives a private anonymous VMA its anon_vma where there is no zero page),
// so unless full it reads only the pages whose reading changes nothing:
// file pages, and the private anonymous pages hostvm holds data for.
func (r *ldRun) compareContents(lo, hi Addr, full bool) (string, ldCall, ldResult, ldResult) {
	src := r.readableClone(lo, hi)
	hb, rb := make([]byte, ldPage), make([]byte, ldPage)
	for a := lo; a < hi; a += ldPage {
		v, mapped := r.k.findVMA(a)
		if !full && mapped && v.ino == 0 && !v.shared() && getPage(r.k.pt, uint64(a)>>r.k.g.pageShift) == nil {
			continue
		}
		hok, rok := r.readPage(a, &src, lo, hi, hb, rb)
		sig := SIGSEGV
		if v, ok := r.k.findVMA(a); ok && v.ino != 0 {
			sig = SIGBUS
		}
		res := func(ok bool, b []byte, off, n int) ldResult {
			if !ok {
				return ldResult{errno: EIO, sig: sig}
			}
			return ldResult{val: uint64(n), data: append([]byte(nil), b[off:off+n]...)}
		}
		switch {
		case hok != rok:
			return fmt.Sprintf("page %v: Linux %s, hostvm %s", a, ldReadable(rok), ldReadable(hok)),
				ldCall{op: ldPeek, addr: a, n: 1}, res(rok, rb, 0, 1), res(hok, hb, 0, 1)
		case !hok:
		default:
			if j := ldFirstDiff(hb, rb); j >= 0 {
				n := min(16, ldPage-j)
				return fmt.Sprintf("page %v: bytes differ at %v", a, a+Addr(j)),
					ldCall{op: ldPeek, addr: a + Addr(j), n: n}, res(rok, rb, j, n), res(hok, hb, j, n)
			}
		}
	}
	return "", ldCall{}, ldResult{}, ldResult{}
}

// readPage reads the page at a on both sides as /proc/self/mem does, into
// hb (hostvm, from *src: k or a clone of it in which [lo, hi) is readable)
// and rb (Linux), and reports which succeeded. Like the real read, it
// grows a MAP_GROWSDOWN VMA above an unmapped a (__access_remote_vm()
// calls expand_stack()), and it mirrors the anon_vma a read fault gives
// private anonymous memory on a kernel without the zero page.
func (r *ldRun) readPage(a Addr, src **Kernel, lo, hi Addr, hb, rb []byte) (hok, rok bool) {
	v, mapped := r.k.findVMA(a)
	if !mapped {
		if _, f := r.k.Read(a, hb[:1]); f == nil || f.Code == SegvAccErr || f.Code == SegvPkuErr {
			v, mapped = r.k.findVMA(a)
			*src = r.readableClone(lo, hi)
		}
	}
	hok = ldHVPage(*src, a, hb)
	rok = r.real.readPage(a, rb)
	if rok && mapped && v.ino == 0 && !v.shared() {
		r.mirrorRead(a)
	}
	return hok, rok
}

// peek runs a peek statement: a read of up to a page through
// /proc/self/mem and its hostvm equivalent.
func (r *ldRun) peek(c ldCall) (hv, re ldResult) {
	pa := Addr(AlignDown(uint64(c.addr), ldPage))
	n := min(c.n, int(pa+ldPage-c.addr))
	src := r.readableClone(pa, pa+ldPage)
	hb, rb := make([]byte, ldPage), make([]byte, ldPage)
	hok, rok := r.readPage(pa, &src, pa, pa+ldPage, hb, rb)
	sig := SIGSEGV
	if v, ok := r.k.findVMA(pa); ok && v.ino != 0 {
		sig = SIGBUS
	}
	res := func(ok bool, b []byte) ldResult {
		if !ok {
			return ldResult{errno: EIO, sig: sig}
		}
		off := int(c.addr - pa)
		return ldResult{val: uint64(n), data: append([]byte(nil), b[off:off+n]...)}
	}
	return res(hok, hb), res(rok, rb)
}

// mirrorRead gives the private anonymous VMA at a an anon_vma, as the real
// kernel's read fault did, when it has no zero page.
func (r *ldRun) mirrorRead(a Addr) {
	if !r.noZeroPage {
		return
	}
	if v, ok := r.k.findVMA(a); ok && v.ino == 0 && !v.shared() && r.k.mutable() {
		r.k.prepareAnon(v) // mutable: k may have been cloned (readableClone)
	}
}

// mirrorRange is mirrorRead for every accessible private anonymous VMA in
// [s, e), in address order; with needRead it stops at the first hole or
// VMA without PROT_READ, as MADV_POPULATE_READ does.
func (r *ldRun) mirrorRange(s, e Addr, needRead bool) {
	for a := s; a < e; {
		v, ok := r.k.findVMA(a)
		if !ok || (needRead && v.prot&ProtRead == 0) {
			if needRead {
				return
			}
			a += ldPage
			continue
		}
		// Populating goes through get_user_pages(), which the
		// execute-only key stops (check_vma_flags()).
		if v.prot&ProtRWX != 0 && v.flags&vmExecOnlyKey == 0 {
			r.mirrorRead(a)
		}
		v, _ = r.k.findVMA(a) // prepareAnon may have merged it
		a = v.end
	}
}

// mirrorPopulate mirrors the read faults a call made on the real kernel
// (populating a readable but not writable mapping reads it; the writes of
// a writable one give hostvm its anon_vma itself).
func (r *ldRun) mirrorPopulate(c ldCall, hv ldResult) {
	if !r.noZeroPage {
		return
	}
	end := func(a Addr, n uint64) Addr { return a + Addr(AlignDown(n+ldPage-1, ldPage)) }
	switch c.op {
	case ldMmap:
		f := MapFlags(c.flags)
		if hv.errno == 0 && (f&(MapPopulate|MapNonBlock) == MapPopulate || f&MapLocked != 0) {
			r.mirrorRange(Addr(hv.val), end(Addr(hv.val), c.len), false)
		}
	case ldMadvise:
		if Advice(c.flags) == MadvPopulateRead && uint64(c.addr)%ldPage == 0 {
			r.mirrorRange(c.addr, end(c.addr, c.len), true)
		}
	case ldMremap:
		if hv.errno == 0 && c.newLen > c.len {
			if v, ok := r.k.findVMA(Addr(hv.val)); ok && v.flags&vmLocked != 0 {
				r.mirrorRange(Addr(hv.val)+Addr(c.len), end(Addr(hv.val), c.newLen), false)
			}
		}
	}
}

func ldReadable(ok bool) string {
	if ok {
		return "reads it"
	}
	return "faults (EIO)"
}

func ldFirstDiff(a, b []byte) int {
	if bytes.Equal(a, b) {
		return -1
	}
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// compareFiles compares the sizes and bytes of f0 and f1.
func (r *ldRun) compareFiles() (string, error) {
	for i := 0; i < 2; i++ {
		x, err := r.real.fileData(i)
		if err != nil {
			return "", err
		}
		st, err := r.k.Fstat(ldFD(i))
		if err != nil {
			return "", err
		}
		h := make([]byte, st.Size)
		if _, err := r.k.FilePread(ldFD(i), h, 0); err != nil {
			return "", err
		}
		if len(h) != len(x) {
			return fmt.Sprintf("file %s: Linux size %#x, hostvm %#x", ldSlotNames[i], len(x), len(h)), nil
		}
		if j := ldFirstDiff(h, x); j >= 0 {
			e := min(j+16, len(h))
			return fmt.Sprintf("file %s: bytes differ at offset %#x: Linux %s, hostvm %s", ldSlotNames[i], j,
				ldQuote(x[j:e]), ldQuote(h[j:e])), nil
		}
	}
	return "", nil
}

// minimize shortens d's calls while a replay still shows a difference of
// the same kind after the same operation, removing chunks of halving size
// (ddmin's idea), within a time and replay budget. On a kernel whose
// answer varies, a replay may not show the difference; d then stays.
func (r *ldRun) minimize(d *ldDiff) *ldDiff {
	r.replaying = true
	defer func() { r.replaying = false }()
	deadline := time.Now().Add(ldMinTime)
	if !r.deadline.IsZero() && r.deadline.Before(deadline) {
		deadline = r.deadline
	}
	tries := 0
	op := d.calls[len(d.calls)-1].op
	best := d
	for chunk := len(best.calls) / 2; chunk >= 1; chunk /= 2 {
		for i := 0; i < len(best.calls); {
			if time.Now().After(deadline) || tries >= ldMinTries {
				break
			}
			end := min(i+chunk, len(best.calls))
			cand := append(append([]ldCall(nil), best.calls[:i]...), best.calls[end:]...)
			if len(cand) == 0 {
				i = end
				continue
			}
			tries++
			x, _, err := r.replay(cand, d.lo, d.hi, d.full)
			if err != nil {
				r.t.Fatalf("minimizing: %v", err)
			}
			if x != nil && x.kind == d.kind && x.calls[len(x.calls)-1].op == op {
				best = x
				continue
			}
			i = end
		}
	}
	best.seq, best.seed, best.from = d.seq, d.seed, d.from
	return best
}

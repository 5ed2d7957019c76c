package sim

// Page flags, one word per guest page, as QEMU's translate-all.c keeps them
// (page_set_flags/page_get_flags). They are stored sparsely, as runs of
// equal flags (package runs), so a 4 GiB RESERVED_VA or a 47-bit guest
// costs only the runs that exist.

// Page flag bits (QEMU's PAGE_*).
const (
	PageRead     = 0x01
	PageWrite    = 0x02
	PageExec     = 0x04
	PageBits     = PageRead | PageWrite | PageExec
	PageValid    = 0x08
	PageWriteOrg = 0x10
	// PageAnon marks private anonymous guest memory (later QEMU's
	// PAGE_ANON). The seed has no such bit; the fixed algorithm records
	// it, so it can tell private anonymous memory, which it may copy, from
	// file memory QEMU emulated with anonymous host pages.
	PageAnon = 0x80
)

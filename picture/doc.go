// Package picture draws a scenario.Machine's address space for people: as
// text, one line per host page, and as one self-contained HTML page that
// steps through a run.
//
// Under a target, each row is one host page as QEMU sees it
// (qemu_host_page_size, H), split into H/T cells, one per guest page of T
// bytes: the guest page's flags ("r-x"; "---" for a valid PROT_NONE page;
// "." for an unmapped one), and beside them the host's real protection of
// that host page, from the host kernel's mappings. Marks say where the two
// views part: F a fragment (the host page's guest pages differ, so its
// protection is their union), R a reservation placeholder (RESERVED_VA), !
// guest and host disagree, ? the emulator's own record of the host page
// (box64's, through HostRecorder) is not what the host has. On the host
// alone, each row is one host page.
// Legend is the full notation.
//
// Use New to draw a machine, TextHooks to draw after every statement of a
// scenario.Run (mmapsim show), and HTMLRecorder for the HTML page
// (mmapsim show --html). Picture.SVG and LegendHTML give the HTML page's
// drawing and legend to other pages (the playground).
//
// # Files
//
//   - picture.go: Picture, New, and choosing what to draw: the rows near
//     something mapped, runs of identical rows drawn once
//   - row.go: one row: the guest's cells, the host pages, the mark
//   - text.go: Legend, and the picture as text
//   - html.go: HTMLRecorder, the picture as SVG in one page
//   - hooks.go: TextHooks, for scenario.RunOptions
//
// # Concurrency
//
// New only reads the machine it draws, and a Picture does not change: it
// may be rendered (String, WriteText, SVG) from many goroutines at once. An
// HTMLRecorder, and the hooks TextHooks and Hooks return, belong to one run
// at a time: runs with recorders and writers of their own go on in
// parallel (TestPicturesInParallel).
package picture

// Package runs is a sparse map from page numbers to small values, kept as
// maximal runs of equal non-zero values in a B+tree (internal/cowtree).
// sim keeps QEMU's page flags in one (a 4 GiB guest space costs only the
// runs that exist), hostvm its guard-page markers, box64's port its
// protection tables.
//
// Every operation finds its place with one descent of the tree and walks
// from there with a cursor: Set finds the run below its first page, trims
// or absorbs it, deletes the runs it covers, merges with equal neighbours
// and inserts, without another descent.
package runs

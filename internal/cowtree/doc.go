// Package cowtree is an ordered map from uint64 keys to values of any
// type: a copy-on-write B+tree with a cursor, optionally keeping per
// subtree the largest "span" of its entries. hostvm keeps its VMAs in such
// a tree (keyed by start, each VMA's span the free gap above it);
// internal/runs keeps runs of page values in one.
//
// Why not google/btree: every lookup there descends from the root through a
// comparison closure, and neighbours are reached by new descents. Here a
// Cursor keeps its path from the root, so an operation finds its position
// once and reaches the entries before and after it, edits them and fixes
// the path, without another descent; keys sit in flat arrays compared
// inline. Linux's maple tree and gVisor's segment sets work the same way.
//
// Files:
//
//	tree.go    the types, seeking and walking with a Cursor, copy-on-write
//	leaf.go    a leaf's slotted layout: edits shift keys and slot bytes
//	edit.go    edits through a Cursor: set, insert, delete; splits and merges; Check
//	search.go  searches that skip subtrees by their largest span
//
// A Tree is not safe for concurrent use.
package cowtree

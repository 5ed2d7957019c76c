package syntax

// arena hands out slices of T carved from larger chunks, so that parsing a
// line costs a few allocations instead of one per argument, field or term.
// A slice it gives has its length as its capacity, so appending to it
// copies and never reaches a neighbour's elements. A chunk lives as long
// as any statement using part of it.
type arena[T any] struct{ chunk []T }

// arenaChunk is the number of elements of a chunk.
const arenaChunk = 64

// take returns a slice of n zero elements.
func (a *arena[T]) take(n int) []T {
	if n > arenaChunk/4 {
		return make([]T, n)
	}
	if len(a.chunk) < n {
		a.chunk = make([]T, arenaChunk)
	}
	s := a.chunk[:n:n]
	a.chunk = a.chunk[n:]
	return s
}

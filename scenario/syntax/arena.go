package syntax

// arena hands out slices of T carved from larger chunks, so that parsing a
// line costs a few allocations instead of one per argument, field or term.
// A slice it gives has its length as its capacity, so appending to it
// copies and never reaches a neighbour's elements.
//
// Normally a chunk lives as long as any statement using part of it. A
// Reader told to reuse its statements (Reader.Reuse) rewinds its arenas
// before each line instead: the chunks are handed out again, and a line
// allocates nothing for its arguments.
type arena[T any] struct {
	chunk  []T   // the rest of the current chunk
	chunks [][]T // with reuse: every chunk, in order
	next   int   // with reuse: the index in chunks of the chunk after the current one
	reuse  bool
}

// arenaChunk is the number of elements of a chunk.
const arenaChunk = 64

// take returns a slice of n zero elements.
func (a *arena[T]) take(n int) []T {
	if n > arenaChunk/4 {
		return make([]T, n)
	}
	if len(a.chunk) < n {
		switch {
		case !a.reuse:
			a.chunk = make([]T, arenaChunk)
		case a.next < len(a.chunks):
			a.chunk = a.chunks[a.next]
			a.next++
		default:
			a.chunk = make([]T, arenaChunk)
			a.chunks = append(a.chunks, a.chunk)
			a.next++
		}
	}
	s := a.chunk[:n:n]
	a.chunk = a.chunk[n:]
	if a.reuse {
		clear(s)
	}
	return s
}

// rewind hands the chunks out again from the first (with reuse only).
func (a *arena[T]) rewind() {
	if !a.reuse {
		return
	}
	a.chunk, a.next = nil, 0
}

//go:build linux && race

package qemudiff

// Under the race detector sim runs several times slower: the default
// campaign is a quarter of the usual one.
func init() { raceDivisor = 4 }

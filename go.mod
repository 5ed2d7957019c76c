module github.com/mmapsim/mmapsim

go 1.22

require (
	github.com/google/btree v1.1.3
	github.com/leanovate/gopter v0.2.11
)

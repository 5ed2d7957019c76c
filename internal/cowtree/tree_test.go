package cowtree

import (
	"flag"
	"math/rand/v2"
	"slices"
	"testing"
)

var treeSteps = flag.Int("cowtree.steps", 20000, "steps of TestTreeModel")

// spanTree is a tree like hostvm's VMAs with their gaps: key a start, value an end, the
// summary the longest end-start.
func spanTree(gen *Generation) Tree[uint64] {
	return New(gen, func(key uint64, item *uint64) uint64 { return *item - key })
}

// treeModel is what a tree should hold: keys in order, each with a value.
type treeModel struct {
	keys []uint64
	vals map[uint64]uint64
}

func (m *treeModel) clone() *treeModel {
	c := &treeModel{keys: slices.Clone(m.keys), vals: make(map[uint64]uint64, len(m.vals))}
	for k, v := range m.vals {
		c.vals[k] = v
	}
	return c
}

// agree fails the test unless t holds exactly what m does and its
// invariants hold.
func agree(t *testing.T, tr *Tree[uint64], m *treeModel, step int) {
	t.Helper()
	if msg, ok := tr.Check("test"); !ok {
		t.Fatalf("step %d: %s", step, msg)
	}
	i := 0
	tr.Ascend(func(k, v uint64) bool {
		if i >= len(m.keys) || m.keys[i] != k || m.vals[k] != v {
			t.Fatalf("step %d: entry %d is %#x=%#x, model has %v", step, i, k, v, m.keys[min(i, len(m.keys)-1):])
		}
		i++
		return true
	})
	if i != len(m.keys) || tr.Len() != len(m.keys) {
		t.Fatalf("step %d: tree has %d entries (Len %d), model %d", step, i, tr.Len(), len(m.keys))
	}
}

// TestTreeModel drives a tree with random inserts, deletes (of one entry
// or a run), replacements and cursor walks, in clusters (as an address space fills) and runs of
// ascending and descending keys (as spaces are built), against a sorted
// slice, checking the tree's invariants after every step. Now and then it
// clones the tree and goes on with one copy, checking the other later.
func TestTreeModel(t *testing.T) {
	seed := uint64(0x7265650a)
	t.Logf("seed %#x, %d steps", seed, *treeSteps)
	rng := rand.New(rand.NewPCG(seed, 1))
	tr := spanTree(&Generation{})
	m := &treeModel{vals: map[uint64]uint64{}}
	type snapshot struct {
		tr Tree[uint64]
		m  *treeModel
	}
	var snaps []snapshot
	run := uint64(0)
	for step := 0; step < *treeSteps; step++ {
		var key uint64
		switch rng.IntN(4) {
		case 0:
			key = rng.Uint64N(1 << 12)
		case 1:
			run += 1 + rng.Uint64N(3)
			key = 1<<20 + run
		case 2:
			key = 1<<40 - run*3
		default:
			key = rng.Uint64()
		}
		var c Cursor[uint64]
		tr.SeekLE(&c, key)
		_, present := m.vals[key]
		op := rng.IntN(10)
		switch {
		case op < 6 && !present:
			val := key + rng.Uint64N(1<<30)
			c.InsertAfter(key, val)
			if !c.Valid() || c.Key() != key || c.Item() != val {
				t.Fatalf("step %d: after inserting %#x the cursor is elsewhere", step, key)
			}
			i, _ := slices.BinarySearch(m.keys, key)
			m.keys = slices.Insert(m.keys, i, key)
			m.vals[key] = val
		case op < 8 && len(m.keys) > 0:
			// Delete the entry at or before key (or the first).
			if !c.Valid() {
				c.Next()
			}
			k := c.Key()
			i, _ := slices.BinarySearch(m.keys, k)
			run := 1
			if rng.IntN(16) == 0 {
				run = 1 + rng.IntN(min(40, len(m.keys)-i))
			}
			c.DeleteRun(run)
			for _, k := range m.keys[i : i+run] {
				delete(m.vals, k)
			}
			m.keys = slices.Delete(m.keys, i, i+run)
			if i < len(m.keys) {
				if !c.Valid() || c.Key() != m.keys[i] {
					t.Fatalf("step %d: after deleting %#x the cursor is not on %#x", step, k, m.keys[i])
				}
			} else if c.Valid() {
				t.Fatalf("step %d: after deleting the last entry the cursor is on %#x", step, c.Key())
			}
		case op < 9 && c.Valid():
			val := c.Key() + rng.Uint64N(1<<40)
			c.SetItem(val)
			m.vals[c.Key()] = val
		default:
			// Walk a few steps both ways from key.
			i := searchKeys(m.keys, key) - 1
			for n := rng.IntN(40); n > 0; n-- {
				forward := rng.IntN(2) == 0
				var ok bool
				if forward {
					ok = c.Next()
					i = min(i+1, len(m.keys))
				} else {
					ok = c.Prev()
					i = max(i-1, -1)
				}
				if ok != (i >= 0 && i < len(m.keys)) || ok && c.Key() != m.keys[i] {
					t.Fatalf("step %d: walk at model index %d: cursor ok=%v", step, i, ok)
				}
			}
		}
		agree(t, &tr, m, step)
		if step%500 == 0 {
			snaps = append(snaps, snapshot{tr, m.clone()})
			tr.gen = &Generation{}
		}
	}
	for i, s := range snaps {
		agree(t, &s.tr, s.m, -1-i)
	}
	if tr.height < 2 {
		t.Errorf("the tree never grew past height %d", tr.height)
	}
}

// TestTreeDrain fills a tree in order and empties it from both ends and
// the middle, so every merge and borrow path runs at every level, and
// checks the tree (summaries included) along the way.
func TestTreeDrain(t *testing.T) {
	for _, order := range []string{"front", "back", "middle"} {
		tr := spanTree(&Generation{})
		var c Cursor[uint64]
		const n = 30000 // three levels of inner nodes
		for i := uint64(0); i < n; i++ {
			tr.SeekLE(&c, 2*i)
			c.InsertAfter(2*i, 2*i+1+i%97)
		}
		if msg, ok := tr.Check("drain"); !ok {
			t.Fatal(msg)
		}
		if tr.height != 3 {
			t.Fatalf("%d entries in order make a tree of height %d, want 3", n, tr.height)
		}
		for left := n; left > 0; left-- {
			switch order {
			case "front":
				tr.SeekFirst(&c)
			case "back":
				tr.SeekLast(&c)
			default:
				tr.SeekFirst(&c)
				for i := 0; i < left/2; i++ {
					c.Next()
				}
			}
			c.Delete()
			if left%97 != 0 && left > 200 {
				continue
			}
			if msg, ok := tr.Check("drain"); !ok {
				t.Fatalf("%s, %d left: %s", order, left-1, msg)
			}
		}
		if tr.Len() != 0 || tr.height != 1 || tr.root.maxLen != 0 {
			t.Errorf("%s: drained tree has %d entries, height %d, maxLen %d", order, tr.Len(), tr.height, tr.root.maxLen)
		}
	}
}

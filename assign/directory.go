package assign

import (
	"sync"

	"github.com/tshop/tshop/domain"
)

// Store is what the choice needs to know of a store.
type Store struct {
	ID       string
	Location domain.Location
	Capacity int
	Load     int // open reservations held now
	Paused   bool
}

// Free is how many more reservations the store can take: max(0, Capacity-Load).
func (s Store) Free() int { return max(0, s.Capacity-s.Load) }

// Directory holds stores indexed by place. It is safe for concurrent use.
//
// A store whose location is not valid (see domain.Location.Validate) is
// held, so Get and Len see it, but Choose never weighs it, as BruteForce
// does not.
type Directory struct {
	mu    sync.RWMutex
	byID  map[string]slot
	rows  []*row // one per grid row, nil while it holds no store
	nGrid int    // stores in the grid
}

// slot is a store and where its entry lives in the grid.
type slot struct {
	store    Store
	inGrid   bool
	row, col int
	at       int // index in the cell's entries
}

// NewDirectory returns an empty directory.
func NewDirectory() *Directory {
	return &Directory{byID: make(map[string]slot), rows: make([]*row, numRows)}
}

// Put adds s, or replaces the store with the same ID (its location may
// change).
func (d *Directory) Put(s Store) {
	d.mu.Lock()
	defer d.mu.Unlock()
	old, had := d.byID[s.ID]
	sl := slot{store: s}
	if s.Location.Validate() == nil {
		sl.inGrid = true
		sl.row, _ = rowOf(s.Location.Lat)
		sl.col, _ = bands[sl.row].colOf(s.Location.Lon)
	}
	e := entry{id: s.ID, p: pointOf(s.Location), free: s.Free(), paused: s.Paused}
	if had && old.inGrid && sl.inGrid && old.row == sl.row && old.col == sl.col {
		sl.at = old.at
		d.rows[sl.row].cellAt(sl.col).entries[sl.at] = e
		d.byID[s.ID] = sl
		return
	}
	if had && old.inGrid {
		d.remove(old)
	}
	if sl.inGrid {
		w := d.rows[sl.row]
		if w == nil {
			w = &row{}
			d.rows[sl.row] = w
		}
		c := w.cellAt(sl.col)
		sl.at = len(c.entries)
		c.entries = append(c.entries, e)
		d.nGrid++
	}
	d.byID[s.ID] = sl
}

// remove takes the entry of sl out of the grid; the caller holds the lock
// and rewrites or deletes sl itself.
func (d *Directory) remove(sl slot) {
	w := d.rows[sl.row]
	c := w.cellAt(sl.col)
	last := len(c.entries) - 1
	if sl.at != last {
		moved := c.entries[last]
		c.entries[sl.at] = moved
		m := d.byID[moved.id]
		m.at = sl.at
		d.byID[moved.id] = m
	}
	c.entries[last] = entry{}
	c.entries = c.entries[:last]
	if last == 0 {
		w.drop(sl.col)
		if len(w.cols) == 0 {
			d.rows[sl.row] = nil
		}
	}
	d.nGrid--
}

// Get returns the store with the given ID.
func (d *Directory) Get(id string) (Store, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	sl, ok := d.byID[id]
	return sl.store, ok
}

// Len is the number of stores held.
func (d *Directory) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.byID)
}

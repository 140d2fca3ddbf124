package assign

import (
	"sync"

	"github.com/tshop/tshop/domain"
)

const (
	// NearTieKm is how much farther than the nearest eligible store a store
	// may be and still win on free capacity.
	NearTieKm = 0.5
	// MaxPassed bounds the passed-over stores a Choice lists.
	MaxPassed = 5
	// MaxRunnersUp bounds the eligible runners-up a Choice lists.
	MaxRunnersUp = 3
)

// Choice is a decision and why.
type Choice struct {
	StoreID    string
	DistanceKm float64
	// Considered: every store nearer than the chosen one that was passed
	// over (PassedOver "full", "paused" or "rejected"), nearest first, at
	// most MaxPassed of them; then up to MaxRunnersUp eligible runners-up
	// after the chosen one, nearest first (PassedOver ""). Free is each
	// store's free capacity. Ties in distance are ordered by ID.
	//
	// The runners-up are the nearest eligible stores other than the chosen
	// one, so a near-tie that lost on free capacity, though nearer, is
	// listed among them. A store that is passed over for several reasons
	// gets the first of "paused", "rejected", "full".
	Considered []domain.Candidate
}

// Choose picks the store for a customer at at: among stores that are not
// paused, have Free() > 0 and for which rejected(id) is false (rejected may
// be nil), the nearest by great-circle distance; every eligible store
// within NearTieKm of that nearest one is a near-tie, and among near-ties
// the one with the most free capacity wins, then the nearer, then the
// smaller ID (deterministic). ok is false when no store is eligible, or
// when at is not a valid location.
//
// The answer, Considered included, is always BruteForce's over the stores
// held. rejected is called while the directory is read-locked: it must be
// a pure function of the ID and must not call into the directory.
//
// Choose searches the grid cell by cell in the order of a lower bound of
// the distance to each cell and stops at the first cell whose bound is
// beyond every store that can still matter (NearTieKm past the nearest
// eligible store, and the MaxRunnersUp+1 nearest eligible ones). When
// hardly any store is eligible that search would cross much of the grid;
// once it has taken more steps than twice the number of stores, Choose
// scans every store instead, so the cost stays bounded by the directory's
// size.
func (d *Directory) Choose(at domain.Location, rejected func(storeID string) bool) (c Choice, ok bool) {
	if at.Validate() != nil {
		return Choice{}, false
	}
	s := searches.Get().(*search)
	defer searches.Put(s)
	s.reset(at, rejected)
	d.mu.RLock()
	defer d.mu.RUnlock()
	if !d.walk(s, at) {
		s.reset(at, rejected)
		d.scan(s)
	}
	return s.choice()
}

// boundSlackKm is how far a cell's lower bound must pass the search limit
// before the search stops, far more than any rounding error of the bound.
const boundSlackKm = 1e-6

// scanAfter is how many steps a search may take among n stores before
// Choose scans them all instead: walking empty rows of the grid must not
// cost more than the scan it stands in for. Tests lift it to prove the
// walk alone exact.
var scanAfter = func(n int) int { return 2*n + 64 }

var searches = sync.Pool{New: func() any { return new(search) }}

// search is the state of one Choose: what it collected and its frontier,
// a heap of grid rows and cell cursors ordered by lower bound.
type search struct {
	collector
	r0      int     // the customer's row
	fracLat float64 // the customer's latitude above r0's southern border
	heap    []item
	visits  []visit
}

type itemKind uint8

const (
	rowItem  itemKind = iota // a row not yet entered
	eastItem                 // the next cell east of the customer in a row
	westItem                 // the next cell west of the customer in a row
)

// item is an entry of the frontier: a row, or a cursor standing for the
// cells of a row it has yet to reach. Every store not yet seen is at least
// the bound of some item away, and the bound of an item is never less than
// that of the item that queued it, so the frontier's least bound is a
// lower bound of the distance to every store not yet seen.
type item struct {
	bound float64
	kind  itemKind
	row   int32
	idx   int32 // for a cursor: index of its next cell in row.cols
	visit int32 // for a cursor: index in search.visits
}

// visit is a row being searched by two cursors, one going east and one
// going west from the customer's column, which together take every cell.
type visit struct {
	w     *row
	cols  int     // the band's column count
	width float64 // the band's column width in degrees
	c0    int     // the customer's column in this row
	frac  float64 // the customer's longitude east of c0's western border
	hLat  float64 // hav of the least latitude gap to the row
	scale float64 // cos(customer latitude) × least cos(latitude) in the row
	taken int     // cells searched
}

// walk runs the search; it reports false when it gave up for a scan.
func (d *Directory) walk(s *search, at domain.Location) bool {
	s.r0, s.fracLat = rowOf(at.Lat)
	s.heap, s.visits = s.heap[:0], s.visits[:0]
	s.push(item{kind: rowItem, row: int32(s.r0)})
	budget := scanAfter(d.nGrid)
	for steps := 0; len(s.heap) > 0 && s.count < d.nGrid; steps++ {
		if steps == budget {
			return false
		}
		it := s.pop()
		if it.bound > s.lim+boundSlackKm {
			return true
		}
		if it.kind == rowItem {
			d.enter(s, int(it.row), at.Lon)
		} else {
			s.step(it)
		}
	}
	return true
}

// scan feeds every store in the grid.
func (d *Directory) scan(s *search) {
	for _, w := range d.rows {
		if w == nil {
			continue
		}
		for _, c := range w.cells {
			for i := range c.entries {
				s.add(&c.entries[i])
			}
		}
	}
}

// enter queues the next row away from the customer and the two cursors of
// row r.
func (d *Directory) enter(s *search, r int, lon float64) {
	if r >= s.r0 && r+1 < numRows {
		s.pushRow(r + 1)
	}
	if r <= s.r0 && r > 0 {
		s.pushRow(r - 1)
	}
	w := d.rows[r]
	if w == nil {
		return
	}
	b := bands[r]
	c0, frac := b.colOf(lon)
	v := visit{w: w, cols: b.cols, width: b.width, c0: c0, frac: frac,
		hLat: hav(s.latGap(r) * degree), scale: s.q.cosLat * b.minCos}
	s.visits = append(s.visits, v)
	vi := int32(len(s.visits) - 1)
	n := len(w.cols)
	i, _ := w.find(c0)
	// With one cell both cursors start on it: whichever comes first takes it.
	s.pushCursor(item{kind: eastItem, row: int32(r), idx: int32(i % n), visit: vi})
	s.pushCursor(item{kind: westItem, row: int32(r), idx: int32((i - 1 + n) % n), visit: vi})
}

// step searches the cell under a cursor and moves the cursor on.
func (s *search) step(it item) {
	v := &s.visits[it.visit]
	n := len(v.w.cols)
	if v.taken == n {
		return
	}
	c := v.w.cells[it.idx]
	for i := range c.entries {
		s.add(&c.entries[i])
	}
	v.taken++
	if v.taken == n {
		return
	}
	if it.kind == eastItem {
		it.idx = (it.idx + 1) % int32(n)
	} else {
		it.idx = (it.idx - 1 + int32(n)) % int32(n)
	}
	s.pushCursor(it)
}

// latGap is the least latitude difference in degrees between the customer
// and row r.
func (s *search) latGap(r int) float64 {
	var g float64
	switch {
	case r > s.r0:
		g = float64(r-s.r0)*rowHeight - s.fracLat
	case r < s.r0:
		g = float64(s.r0-r-1)*rowHeight + s.fracLat
	default:
		return 0
	}
	return max(0, g-angleSlackDeg)
}

// pushRow queues row r with its latitude gap as the bound, shaded down so
// it never exceeds the bound of a cell in the row.
func (s *search) pushRow(r int) {
	s.push(item{bound: earthRadiusKm * s.latGap(r) * degree * (1 - 1e-12), kind: rowItem, row: int32(r)})
}

// pushCursor queues a cursor with the bound of its cell. The longitude gap
// is the distance in degrees from the customer to the cell's nearer border
// in the cursor's direction; it only grows as the cursor moves, and the
// true gap of every cell between the two cursors is at least the smaller
// of theirs. With the haversine identity
// hav(d) = hav(Δlat) + cos(lat1)·cos(lat2)·hav(Δlon), the bound is
// hav(least Δlat) + cos(customer lat)·(least cos in row)·hav(least Δlon).
func (s *search) pushCursor(it item) {
	v := &s.visits[it.visit]
	col := int(v.w.cols[it.idx])
	var gap float64
	if it.kind == eastItem {
		if k := (col - v.c0 + v.cols) % v.cols; k > 0 {
			gap = float64(k)*v.width - v.frac
		}
	} else {
		k := (v.c0 - col + v.cols) % v.cols
		if k == 0 {
			k = v.cols
		}
		gap = float64(k-1)*v.width + v.frac
	}
	gap = min(180, max(0, gap-angleSlackDeg))
	it.bound = arcKm(v.hLat + v.scale*hav(gap*degree))
	s.push(it)
}

func (s *search) push(it item) {
	h := append(s.heap, it)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].bound <= h[i].bound {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	s.heap = h
}

func (s *search) pop() item {
	h := s.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(h) && h[l].bound < h[m].bound {
			m = l
		}
		if r := l + 1; r < len(h) && h[r].bound < h[m].bound {
			m = r
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	s.heap = h
	return top
}

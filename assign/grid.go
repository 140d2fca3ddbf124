package assign

import (
	"math"
	"slices"
)

// The index is a grid of latitude rows, each rowHeight (0.02°) degrees
// high, cut into columns whose width in degrees grows as 1/cos(latitude),
// so that a cell is about 2.2 km across at any latitude. Near a pole a row
// holds only a few columns (the row that touches a pole, one); every row
// spans the whole circle of longitude, so the antimeridian is only a
// column border. Only non-empty cells are kept.
//
// 0.02° rather than a coarser 0.05°: in central Seoul a 5.5 km cell holds
// hundreds of stores, all of which a choice would measure; at 50,000
// stores over Korea 0.02° took a choice from 16 µs to 7 µs, and a finer
// grid gained little more.
const (
	cellsPerDegree = 50
	rowHeight      = 1.0 / cellsPerDegree
	numRows        = 180 * cellsPerDegree
)

// angleSlackDeg is taken off every angular lower bound, so that a rounding
// error when a location is put in its cell (far below 1e-9°) can never make
// a bound exceed the real distance.
const angleSlackDeg = 1e-9

// band is the geometry of one row of the grid.
type band struct {
	cols  int     // number of columns, at least 1
	width float64 // column width in degrees of longitude: 360/cols
	// minCos is the smallest cosine of a latitude in the row, shaded down
	// a little for rounding.
	minCos float64
}

var bands = makeBands()

func makeBands() []band {
	bs := make([]band, numRows)
	for r := range bs {
		lo, hi := rowSpan(r)
		eq := 0.0 // the row's latitude nearest the equator
		if lo > 0 {
			eq = lo
		} else if hi < 0 {
			eq = -hi
		}
		n := max(1, int(360*cellsPerDegree*math.Cos(eq*degree)))
		minCos := math.Min(math.Cos(lo*degree), math.Cos(hi*degree)) * (1 - 1e-12)
		bs[r] = band{cols: n, width: 360 / float64(n), minCos: math.Max(0, minCos)}
	}
	return bs
}

// rowSpan is the latitude range of row r in degrees.
func rowSpan(r int) (lo, hi float64) {
	return float64(r)/cellsPerDegree - 90, float64(r+1)/cellsPerDegree - 90
}

// rowOf is the row holding latitude lat and how far lat lies above the
// row's southern border, in degrees. Latitude 90 falls in the last row.
func rowOf(lat float64) (r int, frac float64) {
	r = min(numRows-1, max(0, int(math.Floor((lat+90)*cellsPerDegree))))
	lo, _ := rowSpan(r)
	return r, math.Min(rowHeight, math.Max(0, lat-lo))
}

// colOf is the column of row band b holding longitude lon and how far lon
// lies east of the column's western border, in degrees. Longitude 180 falls
// in the last column, at its eastern border (which is -180).
func (b band) colOf(lon float64) (c int, frac float64) {
	c = min(b.cols-1, max(0, int(math.Floor((lon+180)/b.width))))
	return c, math.Min(b.width, math.Max(0, lon+180-float64(c)*b.width))
}

// row holds the non-empty cells of one grid row, ordered by column.
type row struct {
	cols  []int32
	cells []*cell
}

// cell holds the stores whose location lies in it.
type cell struct {
	entries []entry
}

// entry is what a search reads of a store, kept next to its neighbours.
type entry struct {
	id     string
	p      point
	free   int
	paused bool
}

// find is the position of column c in the row, and whether it is there.
func (w *row) find(c int) (int, bool) {
	return slices.BinarySearch(w.cols, int32(c))
}

// cellAt returns the cell of column c, adding an empty one if needed.
func (w *row) cellAt(c int) *cell {
	i, ok := w.find(c)
	if !ok {
		w.cols = slices.Insert(w.cols, i, int32(c))
		w.cells = slices.Insert(w.cells, i, &cell{})
	}
	return w.cells[i]
}

// drop removes the (empty) cell of column c.
func (w *row) drop(c int) {
	if i, ok := w.find(c); ok {
		w.cols = slices.Delete(w.cols, i, i+1)
		w.cells = slices.Delete(w.cells, i, i+1)
	}
}

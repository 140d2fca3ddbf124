package plot

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// lineRight is the right edge of a line chart's plot area; the legend sits
// beyond it.
const lineRight = width - 180

// Line is one named series of (x, y) points.
type Line struct {
	Name string
	X, Y []float64
}

// LineChart draws lines over a shared x axis with axis ticks and labels, a
// title and a legend, one <polyline> per line in the order given. The y axis
// starts at 0 (lower only if a value is negative). Points with a NaN or
// infinite coordinate are left out. It returns an error if a line's X and Y
// differ in length, or if writing to w fails.
func LineChart(w io.Writer, title, xLabel, yLabel string, lines []Line) error {
	for _, l := range lines {
		if len(l.X) != len(l.Y) {
			return fmt.Errorf("line %q: %d x values but %d y values", l.Name, len(l.X), len(l.Y))
		}
	}
	xlo, xhi, ylo, yhi := bounds(lines)
	xt, xstep := niceTicks(xlo, xhi, 8)
	yt, ystep := niceTicks(ylo, yhi, 6)
	px := scale(xt[0], xt[len(xt)-1], left, lineRight)
	py := scale(yt[0], yt[len(yt)-1], bottom, top)

	c := newCanvas(title)
	c.yTicks(lineRight, yt, py, func(v float64) string { return tickLabel(v, ystep) })
	for _, v := range xt {
		c.xTick(px(v), tickLabel(v, xstep))
	}
	c.axes(lineRight, xLabel, yLabel)
	for i, l := range lines {
		colour := palette[i%len(palette)]
		var pts []string
		for j := range l.X {
			if finite(l.X[j]) && finite(l.Y[j]) {
				pts = append(pts, num(px(l.X[j]))+","+num(py(l.Y[j])))
			}
		}
		fmt.Fprintf(c, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(pts, " "), colour)
		y := float64(top + 8 + 18*i)
		fmt.Fprintf(c, `<rect x="%s" y="%s" width="20" height="3" fill="%s"/>`+"\n", num(lineRight+15), num(y-1.5), colour)
		c.text(lineRight+42, y+4, "start", 12, "", l.Name)
	}
	return c.finish(w)
}

// bounds returns the x range of the finite points and the y range from 0,
// widened so that neither is empty.
func bounds(lines []Line) (xlo, xhi, ylo, yhi float64) {
	xlo, xhi = math.Inf(1), math.Inf(-1)
	for _, l := range lines {
		for j := range l.X {
			if finite(l.X[j]) && finite(l.Y[j]) {
				xlo, xhi = min(xlo, l.X[j]), max(xhi, l.X[j])
				ylo, yhi = min(ylo, l.Y[j]), max(yhi, l.Y[j])
			}
		}
	}
	switch {
	case xlo > xhi: // no points
		xlo, xhi = 0, 1
	case xlo == xhi:
		xlo, xhi = xlo-1, xhi+1
	}
	if ylo == yhi {
		yhi = ylo + 1
	}
	return xlo, xhi, ylo, yhi
}

package plot

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Canvas size and the plot area inside it.
const (
	width  = 800
	height = 450
	left   = 70
	top    = 44
	bottom = height - 56
)

// palette colours lines in order, repeating when there are more lines.
var palette = []string{"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// canvas accumulates one SVG document.
type canvas struct {
	bytes.Buffer
}

// newCanvas starts a document with a white background and the title, both
// as <title> and as visible text.
func newCanvas(title string) *canvas {
	c := &canvas{}
	c.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(c, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	c.WriteString("<title>" + esc(title) + "</title>\n")
	c.rect(0, 0, width, height, "#ffffff")
	c.text(width/2, 24, "middle", 16, "", title)
	return c
}

// finish closes the document and writes it to w.
func (c *canvas) finish(w io.Writer) error {
	c.WriteString("</svg>\n")
	_, err := w.Write(c.Bytes())
	return err
}

// rect draws a filled rectangle.
func (c *canvas) rect(x, y, w, h float64, fill string) {
	fmt.Fprintf(c, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`+"\n", num(x), num(y), num(w), num(h), fill)
}

// line draws a line; dash is a stroke-dasharray, or empty for solid.
func (c *canvas) line(x1, y1, x2, y2 float64, stroke string, dash string) {
	extra := ""
	if dash != "" {
		extra = ` stroke-dasharray="` + dash + `"`
	}
	fmt.Fprintf(c, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s"%s/>`+"\n", num(x1), num(y1), num(x2), num(y2), stroke, extra)
}

// text draws s anchored at (x, y); transform, if non-empty, is applied.
func (c *canvas) text(x, y float64, anchor string, size int, transform, s string) {
	extra := ""
	if transform != "" {
		extra = ` transform="` + transform + `"`
	}
	fmt.Fprintf(c, `<text x="%s" y="%s" text-anchor="%s" font-size="%d"%s>%s</text>`+"\n", num(x), num(y), anchor, size, extra, esc(s))
}

// axes draws the frame of the plot area from left to right and the axis
// labels below and beside it.
func (c *canvas) axes(right float64, xLabel, yLabel string) {
	c.line(left, bottom, right, bottom, "#000000", "")
	c.line(left, top, left, bottom, "#000000", "")
	c.text((left+right)/2, height-14, "middle", 12, "", xLabel)
	y := float64(top+bottom) / 2
	c.text(16, y, "middle", 12, "rotate(-90 16 "+num(y)+")", yLabel)
}

// yTicks draws y ticks with grid lines from left to right, mapping value v
// to py(v), labelled by label.
func (c *canvas) yTicks(right float64, ticks []float64, py func(float64) float64, label func(float64) string) {
	for _, v := range ticks {
		y := py(v)
		c.line(left, y, right, y, "#e0e0e0", "")
		c.line(left-4, y, left, y, "#000000", "")
		c.text(left-7, y+4, "end", 11, "", label(v))
	}
}

// xTick draws one x tick at x labelled s.
func (c *canvas) xTick(x float64, s string) {
	c.line(x, bottom, x, bottom+4, "#000000", "")
	c.text(x, bottom+17, "middle", 11, "", s)
}

// num formats a coordinate with one decimal, never as "-0.0".
func num(v float64) string {
	v = math.Round(v*10) / 10
	if v == 0 {
		v = 0 // turns -0 into 0
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// esc escapes s for use as XML character data.
func esc(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s)) // writing to a bytes.Buffer cannot fail
	return b.String()
}

package plot_test

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/tshop/tshop/internal/plot"
)

func TestLineChart(t *testing.T) {
	tests := []struct {
		name  string
		title string
		lines []plot.Line
	}{
		{name: "no lines", title: "empty"},
		{name: "empty line", title: "nothing yet", lines: []plot.Line{{Name: "none"}}},
		{name: "one point", title: "single", lines: []plot.Line{{Name: "p", X: []float64{3}, Y: []float64{7}}}},
		{name: "all zero", title: "flat", lines: []plot.Line{{Name: "z", X: []float64{0, 1, 2}, Y: []float64{0, 0, 0}}}},
		{name: "two lines", title: "throughput by second", lines: []plot.Line{
			{Name: "achieved", X: []float64{0, 1, 2, 3}, Y: []float64{980, 1010, 995, 1002}},
			{Name: "intended", X: []float64{0, 1, 2, 3}, Y: []float64{1000, 1000, 1000, 1000}},
		}},
		{name: "escaped names", title: `p99 < 5ms & "fast"`, lines: []plot.Line{{Name: "a<b>&c", X: []float64{0, 1}, Y: []float64{1, 2}}}},
		{name: "negative and fractional", title: "drift", lines: []plot.Line{{Name: "d", X: []float64{0.1, 0.2, 0.3}, Y: []float64{-0.5, 0.25, 0.75}}}},
		{name: "non-finite points are skipped", title: "gaps", lines: []plot.Line{{Name: "g", X: []float64{0, 1, 2, nan}, Y: []float64{1, math.Inf(1), 3, 4}}}},
		{name: "more lines than colours", title: "many", lines: manyLines(12)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := plot.LineChart(&buf, tt.title, "second", "requests/s", tt.lines); err != nil {
				t.Fatal(err)
			}
			d := parse(t, buf.Bytes())
			only(t, d)
			for _, want := range []string{tt.title, "second", "requests/s"} {
				if !strings.Contains(d.text, want) {
					t.Errorf("text lacks %q", want)
				}
			}
			if got := d.elements["polyline"]; got != len(tt.lines) {
				t.Errorf("%d polylines, want %d", got, len(tt.lines))
			}
			for _, l := range tt.lines {
				if !strings.Contains(d.text, l.Name) {
					t.Errorf("legend lacks %q", l.Name)
				}
			}
		})
	}
}

// manyLines returns n short lines named l0, l1, ...
func manyLines(n int) []plot.Line {
	out := make([]plot.Line, n)
	for i := range out {
		out[i] = plot.Line{Name: "l" + string(rune('a'+i)), X: []float64{0, 1}, Y: []float64{float64(i), float64(i + 1)}}
	}
	return out
}

func TestLineChartRejectsMismatchedLengths(t *testing.T) {
	var buf bytes.Buffer
	err := plot.LineChart(&buf, "t", "x", "y", []plot.Line{{Name: "bad", X: []float64{1, 2}, Y: []float64{1}}})
	if err == nil {
		t.Fatal("no error for 2 x values and 1 y value")
	}
	if buf.Len() != 0 {
		t.Errorf("wrote %d bytes despite the error", buf.Len())
	}
}

func TestLineChartIsDeterministic(t *testing.T) {
	lines := []plot.Line{
		{Name: "p50", X: []float64{0, 1, 2}, Y: []float64{1.5, 1.7, 1.6}},
		{Name: "p99", X: []float64{0, 1, 2}, Y: []float64{9.1, 12.3, 10.4}},
	}
	var a, b bytes.Buffer
	if err := plot.LineChart(&a, "latency", "s", "ms", lines); err != nil {
		t.Fatal(err)
	}
	if err := plot.LineChart(&b, "latency", "s", "ms", lines); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("same input gave different output")
	}
}

package plot_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tshop/tshop/internal/plot"
)

func TestHistogram(t *testing.T) {
	tests := []struct {
		name      string
		latencies []time.Duration
		want      []string // text the chart must hold
	}{
		{name: "empty", want: []string{"no data"}},
		{name: "one", latencies: []time.Duration{3 * time.Millisecond}, want: []string{"p50 3ms", "p99 3ms", "p99.9 3ms"}},
		{name: "below and above the range", latencies: []time.Duration{0, time.Nanosecond, time.Minute}, want: []string{"p50 1ns", "p99.9 60s"}},
		{name: "spread", latencies: spread(), want: []string{"p50 1ms", "p99 99ms", "p99.9 999ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := plot.Histogram(&buf, "reserve latency", tt.latencies); err != nil {
				t.Fatal(err)
			}
			d := parse(t, buf.Bytes())
			only(t, d)
			for _, want := range append([]string{"reserve latency", "100µs", "1ms", "10s"}, tt.want...) {
				if !strings.Contains(d.text, want) {
					t.Errorf("text lacks %q:\n%s", want, d.text)
				}
			}
		})
	}
}

// spread returns 1000 latencies, not in order: 500 at 1ms, 480 at 2ms, 18
// at 99ms and 2 at 999ms, so p50 is 1ms, p99 99ms and p99.9 999ms.
func spread() []time.Duration {
	var out []time.Duration
	for range 480 {
		out = append(out, 2*time.Millisecond)
	}
	for range 18 {
		out = append(out, 99*time.Millisecond)
	}
	out = append(out, 999*time.Millisecond, 999*time.Millisecond)
	for range 500 {
		out = append(out, time.Millisecond)
	}
	return out
}

func TestHistogramLeavesInputAlone(t *testing.T) {
	in := spread()
	before := slices.Clone(in)
	if err := plot.Histogram(&bytes.Buffer{}, "t", in); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(in, before) {
		t.Error("Histogram reordered its input")
	}
}

func TestHistogramIsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := plot.Histogram(&a, "t", spread()); err != nil {
		t.Fatal(err)
	}
	if err := plot.Histogram(&b, "t", spread()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("same input gave different output")
	}
}

// failWriter fails every write.
type failWriter struct{}

// Write fails.
func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsAreReturned(t *testing.T) {
	tests := []struct {
		name string
		draw func() error
	}{
		{name: "histogram", draw: func() error { return plot.Histogram(failWriter{}, "t", spread()) }},
		{name: "line chart", draw: func() error { return plot.LineChart(failWriter{}, "t", "x", "y", nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.draw(); err == nil {
				t.Error("no error from a failing writer")
			}
		})
	}
}

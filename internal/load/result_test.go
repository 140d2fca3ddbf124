package load_test

import (
	"math"
	"testing"
	"time"

	"github.com/tshop/tshop/internal/load"
)

// ms returns the durations of the given milliseconds.
func ms(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, n := range v {
		out[i] = time.Duration(n) * time.Millisecond
	}
	return out
}

// upTo returns 1..n milliseconds.
func upTo(n int) []time.Duration {
	v := make([]int, n)
	for i := range v {
		v[i] = i + 1
	}
	return ms(v...)
}

func TestQuantile(t *testing.T) {
	tests := []struct {
		name string
		lat  []time.Duration
		q    float64
		want time.Duration
	}{
		{name: "empty", q: 0.5, want: 0},
		{name: "empty q=1", q: 1, want: 0},
		{name: "one q=0", lat: ms(7), q: 0, want: 7 * time.Millisecond},
		{name: "one q=0.5", lat: ms(7), q: 0.5, want: 7 * time.Millisecond},
		{name: "one q=1", lat: ms(7), q: 1, want: 7 * time.Millisecond},
		{name: "q=0 is the fastest", lat: ms(1, 2, 3, 4), q: 0, want: time.Millisecond},
		{name: "q=1 is the slowest", lat: ms(1, 2, 3, 4), q: 1, want: 4 * time.Millisecond},
		{name: "median by nearest rank", lat: ms(1, 2, 3, 4), q: 0.5, want: 2 * time.Millisecond},
		{name: "p99 of 100", lat: upTo(100), q: 0.99, want: 99 * time.Millisecond},
		{name: "p99.9 of 1000", lat: upTo(1000), q: 0.999, want: 999 * time.Millisecond},
		{name: "p99.9 of 10 is the max", lat: upTo(10), q: 0.999, want: 10 * time.Millisecond},
		{name: "above 1 clamps", lat: ms(1, 2), q: 2, want: 2 * time.Millisecond},
		{name: "below 0 clamps", lat: ms(1, 2), q: -1, want: time.Millisecond},
		{name: "NaN is the fastest", lat: ms(1, 2), q: math.NaN(), want: time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := load.Result{Latencies: tt.lat}
			if got := r.Quantile(tt.q); got != tt.want {
				t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
}

func TestMax(t *testing.T) {
	tests := []struct {
		name string
		lat  []time.Duration
		want time.Duration
	}{
		{name: "empty", want: 0},
		{name: "one", lat: ms(3), want: 3 * time.Millisecond},
		{name: "many", lat: ms(1, 5, 9), want: 9 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (load.Result{Latencies: tt.lat}).Max(); got != tt.want {
				t.Errorf("Max = %v, want %v", got, tt.want)
			}
		})
	}
}

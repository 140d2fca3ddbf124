package plot

import (
	"math"
	"strconv"
)

// niceTicks returns about n evenly spaced round tick values (steps of 1, 2
// or 5 times a power of ten) covering [lo, hi], and the step. The first and
// last tick are the bounds of the axis. hi must be greater than lo.
//
// When the span is too wide or too narrow for float64 to count it in round
// steps, the ticks are just lo and hi.
func niceTicks(lo, hi float64, n int) (ticks []float64, step float64) {
	raw := (hi - lo) / float64(n)
	if !finite(raw) || raw <= 0 {
		return []float64{lo, hi}, hi - lo
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / mag; {
	case f <= 1:
		step = mag
	case f <= 2:
		step = 2 * mag
	case f <= 5:
		step = 5 * mag
	default:
		step = 10 * mag
	}
	first := math.Floor(lo/step + 1e-9)
	count := math.Ceil(hi/step-1e-9) - first
	if !(count >= 1 && count <= 100) {
		return []float64{lo, hi}, hi - lo
	}
	for i := range int(count) + 1 {
		ticks = append(ticks, (first+float64(i))*step)
	}
	return ticks, step
}

// tickLabel formats v with as many decimals as step needs.
func tickLabel(v, step float64) string {
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	if math.Abs(v) < step/2 {
		v = 0 // no "-0"
	}
	return strconv.FormatFloat(v, 'f', min(decimals, 12), 64)
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float64) bool {
	return !math.IsNaN(v) && !math.IsInf(v, 0)
}

// scale returns the function that maps [lo, hi] onto [from, to].
func scale(lo, hi, from, to float64) func(float64) float64 {
	return func(v float64) float64 {
		return from + (v-lo)/(hi-lo)*(to-from)
	}
}

package plot

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Histogram buckets: logarithmic, bucketsPerDecade to a decade, from
// histLow up to the first edge at or past histHigh.
const (
	histLow          = 50 * time.Microsecond
	histHigh         = 10 * time.Second
	bucketsPerDecade = 10
	histRight        = width - 30
)

// marks are the quantiles drawn over a histogram.
var marks = []struct {
	name string
	q    float64
}{{"p50", 0.5}, {"p99", 0.99}, {"p99.9", 0.999}}

// Histogram draws a latency histogram with logarithmic buckets, ten to a
// decade from 50µs to 10s, so that every run is drawn on the same x axis.
// Latencies outside that range are counted in the first or last bucket. Bar
// height is the share of requests in the bucket. Vertical lines mark p50,
// p99 and p99.9 (nearest rank), labelled with their values. latencies need
// not be sorted and are not modified.
func Histogram(w io.Writer, title string, latencies []time.Duration) error {
	n := int(math.Ceil(bucketsPerDecade * math.Log10(float64(histHigh)/float64(histLow))))
	counts := make([]int, n)
	for _, d := range latencies {
		counts[bucketOf(d, n)]++
	}
	share := make([]float64, n) // percent
	peak := 0.0
	for i, k := range counts {
		share[i] = 100 * float64(k) / float64(max(len(latencies), 1))
		peak = max(peak, share[i])
	}
	if peak == 0 {
		peak = 1
	}
	yt, ystep := niceTicks(0, peak, 5)
	py := scale(0, yt[len(yt)-1], bottom, top)
	logLo := math.Log10(float64(histLow))
	logHi := logLo + float64(n)/bucketsPerDecade
	px := func(d time.Duration) float64 {
		return scale(logLo, logHi, left, histRight)(math.Log10(float64(d)))
	}

	c := newCanvas(title)
	c.yTicks(histRight, yt, py, func(v float64) string { return tickLabel(v, ystep) + "%" })
	for d := 100 * time.Microsecond; d <= histHigh; d *= 10 {
		c.xTick(px(d), fmtDur(d))
	}
	for i, s := range share {
		if s > 0 {
			x0, x1 := px(edge(i)), px(edge(i+1))
			c.rect(x0+0.5, py(s), x1-x0-1, bottom-py(s), "#4e79a7")
		}
	}
	c.axes(histRight, "latency (log scale)", "share of requests")
	if len(latencies) == 0 {
		c.text((left+histRight)/2, (top+bottom)/2, "middle", 14, "", "no data")
		return c.finish(w)
	}
	sorted := slices.Clone(latencies)
	slices.Sort(sorted)
	for i, m := range marks {
		d := nearestRank(sorted, m.q)
		x := px(min(max(d, histLow), edge(n)))
		c.line(x, top, x, bottom, "#e15759", "4 3")
		anchor, dx := "start", 3.0
		if x > histRight-90 {
			anchor, dx = "end", -3
		}
		c.text(x+dx, float64(top+12+14*i), anchor, 11, "", fmt.Sprintf("%s %s", m.name, fmtDur(d)))
	}
	return c.finish(w)
}

// edge returns the lower edge of bucket i.
func edge(i int) time.Duration {
	return time.Duration(math.Round(float64(histLow) * math.Pow(10, float64(i)/bucketsPerDecade)))
}

// bucketOf returns the bucket of d among n, clamping to the first and last.
func bucketOf(d time.Duration, n int) int {
	if d <= histLow {
		return 0
	}
	i := int(math.Floor(bucketsPerDecade * math.Log10(float64(d)/float64(histLow))))
	return min(max(i, 0), n-1)
}

// nearestRank returns the nearest-rank quantile q of sorted, which is not
// empty.
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// fmtDur formats d with about three significant digits and no trailing
// zeros: 950µs, 1.25ms, 1ms, 12.5s.
func fmtDur(d time.Duration) string {
	units := []struct {
		name string
		size time.Duration
	}{{"s", time.Second}, {"ms", time.Millisecond}, {"µs", time.Microsecond}}
	for _, u := range units {
		if d >= u.size {
			v := float64(d) / float64(u.size)
			decimals := 0
			switch {
			case v < 10:
				decimals = 2
			case v < 100:
				decimals = 1
			}
			s := strconv.FormatFloat(v, 'f', decimals, 64)
			if strings.Contains(s, ".") {
				s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
			}
			return s + u.name
		}
	}
	return strconv.FormatInt(int64(d), 10) + "ns"
}

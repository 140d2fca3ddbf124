package load

import (
	"math"
	"slices"
	"time"
)

// Result of a measured run.
type Result struct {
	Config    Config
	Started   time.Time       // when the measured window began (after warmup)
	Elapsed   time.Duration   // measured wall time, including the tail of requests still in flight when the window closed
	Done      int             // requests of the measured window that completed
	Achieved  float64         // Done / Elapsed seconds
	Kinds     map[string]int  // completions by kind, plus NotSent for open-loop sends dropped
	Latencies []time.Duration // every measured latency, sorted ascending
	Series    []Second        // one entry per second of the measured window; see Second
}

// Second is what completed in one second of the measured window. The last
// second may be partial, and it also counts the requests that completed
// after the window closed, so that no entry covers only the tail. A second
// in which nothing completed has Done 0 and zero quantiles.
type Second struct {
	At       time.Duration // start of the second, relative to Result.Started
	Done     int           // requests completed in this second
	P50, P99 time.Duration // latency quantiles of those requests; 0 when none
}

// Quantile returns the latency at quantile q in [0, 1] (0.999 for p99.9) by
// nearest rank: q=0 is the fastest, q=1 the slowest. It returns 0 when no
// latency was measured; q outside [0, 1] is clamped.
func (r Result) Quantile(q float64) time.Duration {
	return quantile(r.Latencies, q)
}

// Max returns the slowest measured latency, or 0 when none was measured.
func (r Result) Max() time.Duration {
	return quantile(r.Latencies, 1)
}

// quantile returns the nearest-rank quantile q of sorted.
func quantile(sorted []time.Duration, q float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if !(q > 0) {
		return sorted[0]
	}
	i := int(math.Ceil(min(q, 1)*float64(n))) - 1
	return sorted[min(max(i, 0), n-1)]
}

// newResult gathers the samples of every worker. window is how long the
// measured window actually stayed open.
func newResult(cfg Config, started time.Time, window time.Duration, per [][]sample, notSent int64) Result {
	r := Result{Config: cfg, Started: started, Elapsed: max(window, 0), Kinds: map[string]int{}}
	var all []sample
	for _, s := range per {
		all = append(all, s...)
	}
	r.Latencies = make([]time.Duration, 0, len(all))
	for _, s := range all {
		r.Latencies = append(r.Latencies, s.latency)
		r.Kinds[s.kind]++
		r.Elapsed = max(r.Elapsed, s.done)
	}
	slices.Sort(r.Latencies)
	if notSent > 0 {
		r.Kinds[NotSent] += int(notSent)
	}
	r.Done = len(all)
	if r.Elapsed > 0 {
		r.Achieved = float64(r.Done) / r.Elapsed.Seconds()
	}
	r.Series = series(all, max(window, 0))
	return r
}

// series buckets samples by the second of window they completed in.
func series(all []sample, window time.Duration) []Second {
	n := int((window + time.Second - 1) / time.Second)
	if n == 0 && len(all) > 0 {
		n = 1
	}
	buckets := make([][]time.Duration, n)
	for _, s := range all {
		i := min(max(int(s.done/time.Second), 0), n-1)
		buckets[i] = append(buckets[i], s.latency)
	}
	out := make([]Second, n)
	for i, b := range buckets {
		slices.Sort(b)
		out[i] = Second{At: time.Duration(i) * time.Second, Done: len(b), P50: quantile(b, 0.5), P99: quantile(b, 0.99)}
	}
	return out
}

package load_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tshop/tshop/internal/load"
)

// counter is a Request that waits delay, counts its calls and how many run
// at once, and returns kind.
type counter struct {
	delay    time.Duration
	kind     string
	calls    atomic.Int64
	inFlight atomic.Int64
	maxIn    atomic.Int64
}

// request is the counter's load.Request.
func (c *counter) request(ctx context.Context) string {
	c.calls.Add(1)
	n := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for {
		m := c.maxIn.Load()
		if n <= m || c.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	if !wait(ctx, c.delay) {
		return "timeout"
	}
	return c.kind
}

// wait sleeps d and reports false if ctx ended first.
func wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// stall returns a Request that takes about a millisecond, except that every
// call made from after (counted from now) until after+d later blocks on one
// shared gate that opens at after+d: a server that freezes once.
func stall(t *testing.T, after, d time.Duration) load.Request {
	t.Helper()
	begin := time.Now()
	gate := make(chan struct{})
	timer := time.AfterFunc(after+d, func() { close(gate) })
	t.Cleanup(func() { timer.Stop() })
	return func(ctx context.Context) string {
		if time.Since(begin) >= after {
			select {
			case <-gate:
			case <-ctx.Done():
				return "timeout"
			}
		}
		if !wait(ctx, time.Millisecond) {
			return "timeout"
		}
		return "200"
	}
}

// checkShape fails unless r is internally consistent: one sorted latency
// per completion, Kinds summing to Done besides not-sent, and a Series that
// covers the measured window and accounts for every completion.
func checkShape(t *testing.T, r load.Result) {
	t.Helper()
	if len(r.Latencies) != r.Done {
		t.Errorf("len(Latencies) = %d, Done = %d", len(r.Latencies), r.Done)
	}
	for i := 1; i < len(r.Latencies); i++ {
		if r.Latencies[i] < r.Latencies[i-1] {
			t.Fatalf("Latencies not sorted at %d", i)
		}
	}
	kinds := 0
	for k, n := range r.Kinds {
		if k != load.NotSent {
			kinds += n
		}
	}
	if kinds != r.Done {
		t.Errorf("Kinds sum to %d besides %s, Done = %d", kinds, load.NotSent, r.Done)
	}
	window := min(r.Elapsed, r.Config.Duration)
	if want := int((window + time.Second - 1) / time.Second); len(r.Series) != want && !(want == 0 && len(r.Series) == 1) {
		t.Errorf("len(Series) = %d, want %d for a window of %v", len(r.Series), want, window)
	}
	done := 0
	for i, s := range r.Series {
		if s.At != time.Duration(i)*time.Second {
			t.Errorf("Series[%d].At = %v", i, s.At)
		}
		if s.P50 > s.P99 {
			t.Errorf("Series[%d]: P50 %v > P99 %v", i, s.P50, s.P99)
		}
		done += s.Done
	}
	if done != r.Done {
		t.Errorf("Series completions sum to %d, Done = %d", done, r.Done)
	}
}

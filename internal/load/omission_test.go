package load_test

import (
	"context"
	"testing"
	"time"

	"github.com/tshop/tshop/internal/load"
)

// TestCoordinatedOmission freezes the server for 500 ms in the middle of a
// run. Open loop charges the requests scheduled during the freeze with their
// wait; closed loop only sees the few requests that were in flight, since
// its workers simply stop sending while blocked.
func TestCoordinatedOmission(t *testing.T) {
	t.Parallel()
	const (
		conns  = 4
		freeze = 500 * time.Millisecond
		slow   = freeze / 2
	)
	run := func(t *testing.T, rate float64) load.Result {
		t.Helper()
		req := stall(t, 300*time.Millisecond, freeze)
		cfg := load.Config{Conns: conns, Rate: rate, Duration: 1500 * time.Millisecond}
		r := load.Run(context.Background(), cfg, req)
		checkShape(t, r)
		return r
	}
	countAtLeast := func(r load.Result, d time.Duration) int {
		n := 0
		for _, l := range r.Latencies {
			if l >= d {
				n++
			}
		}
		return n
	}

	open := run(t, 200)
	closed := run(t, 0)
	t.Logf("open: done %d, p50 %v, p99 %v, %d at or over %v", open.Done, open.Quantile(0.5), open.Quantile(0.99), countAtLeast(open, slow), slow)
	t.Logf("closed: done %d, p50 %v, p99 %v, %d at or over %v", closed.Done, closed.Quantile(0.5), closed.Quantile(0.99), countAtLeast(closed, slow), slow)

	if p99 := open.Quantile(0.99); p99 < slow {
		t.Errorf("open loop p99 = %v, want at least %v: the freeze was omitted", p99, slow)
	}
	// About 50 requests were due in the first half of the freeze.
	if n := countAtLeast(open, slow); n < 20 {
		t.Errorf("open loop: %d latencies at or over %v, want at least 20", n, slow)
	}
	// Each closed-loop worker is caught by the freeze only once (a loaded
	// machine may add a few slow ones of its own), so it reports the freeze
	// in a far smaller share of its requests.
	openShare := float64(countAtLeast(open, slow)) / float64(max(open.Done, 1))
	closedShare := float64(countAtLeast(closed, slow)) / float64(max(closed.Done, 1))
	if closedShare*5 > openShare {
		t.Errorf("share of latencies at or over %v: closed loop %.4f, open loop %.4f; want closed far below open", slow, closedShare, openShare)
	}
	if n := closed.Done - countAtLeast(closed, slow); n < 100 {
		t.Errorf("closed loop: only %d fast latencies", n)
	}
}

// TestBacklogCapCountsNotSent runs one worker far below the intended rate:
// the schedule drops what is more than Conns*1000 sends overdue instead of
// sending ever later.
func TestBacklogCapCountsNotSent(t *testing.T) {
	t.Parallel()
	c := &counter{delay: 200 * time.Millisecond, kind: "200"}
	cfg := load.Config{Conns: 1, Rate: 10000, Duration: 2 * time.Second}
	r := load.Run(context.Background(), cfg, c.request)
	checkShape(t, r)
	if r.Done == 0 || r.Kinds[load.NotSent] == 0 {
		t.Fatalf("Done = %d, Kinds = %v: want some sent and some not", r.Done, r.Kinds)
	}
	if got := r.Done + r.Kinds[load.NotSent]; got != 20000 {
		t.Errorf("Done + not-sent = %d, want the 20000 intended sends", got)
	}
	// The cap keeps sends at most 1000/10000 s = 100 ms late (plus the
	// 200 ms request); without it the tenth send would be about 1.8 s late.
	if m := r.Max(); m >= time.Second {
		t.Errorf("Max = %v: the backlog was not capped", m)
	}
}

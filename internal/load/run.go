package load

import (
	"context"
	"math"
	"sync"
	"time"
)

// NotSent is the kind counted for open-loop intended sends that were never
// sent: dropped by the backlog cap or still due when the window closed.
const NotSent = "not-sent"

// DefaultTimeout is the per-request timeout used when Config.Timeout is 0.
const DefaultTimeout = 5 * time.Second

// backlogPerConn is how many overdue intended sends each worker may have
// queued behind it before the oldest are dropped.
const backlogPerConn = 1000

// Request sends one request and says how it ended: kind is a short label
// such as "201", "409", "503", "timeout" or "conn-error". It must return
// soon after ctx is done.
type Request func(ctx context.Context) (kind string)

// Config for a run.
type Config struct {
	Conns    int           // concurrent workers, each its own goroutine; < 1 means 1
	Rate     float64       // open loop: intended requests per second; 0 (or negative, NaN, Inf) means closed loop
	Duration time.Duration // measured time
	Warmup   time.Duration // run first, not measured
	Timeout  time.Duration // per request context timeout; 0 means DefaultTimeout
}

// withDefaults returns c with zero and out-of-range fields replaced.
func (c Config) withDefaults() Config {
	if c.Conns < 1 {
		c.Conns = 1
	}
	if !(c.Rate > 0) || math.IsInf(c.Rate, 1) {
		c.Rate = 0
	}
	if c.Duration < 0 {
		c.Duration = 0
	}
	if c.Warmup < 0 {
		c.Warmup = 0
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// sample is one measured completion; done is relative to the start of the
// measured window.
type sample struct {
	done    time.Duration
	latency time.Duration
	kind    string
}

// Run drives req with load as cfg says and returns what it measured. It
// returns early when ctx is done; requests that end after that are not
// recorded, since their outcome reflects the cancellation. Result.Config is
// cfg with defaults applied.
func Run(ctx context.Context, cfg Config, req Request) Result {
	cfg = cfg.withDefaults()
	start := time.Now()
	from, end := cfg.Warmup, cfg.Warmup+cfg.Duration
	var sched *schedule
	if cfg.Rate > 0 {
		sched = newSchedule(cfg.Rate, from, end, int64(cfg.Conns)*backlogPerConn)
	}
	per := make([][]sample, cfg.Conns)
	var wg sync.WaitGroup
	for w := range per {
		wg.Go(func() {
			if sched != nil {
				per[w] = openWorker(ctx, start, sched, cfg.Timeout, req)
			} else {
				per[w] = closedWorker(ctx, start, from, end, cfg.Timeout, req)
			}
		})
	}
	wg.Wait()
	stopped := time.Since(start) - from
	var notSent int64
	if sched != nil {
		notSent = sched.notSent
	}
	return newResult(cfg, start.Add(from), min(stopped, cfg.Duration), per, notSent)
}

// openWorker sends at intended times claimed from s until s runs out or ctx
// is done.
func openWorker(ctx context.Context, start time.Time, s *schedule, timeout time.Duration, req Request) []sample {
	var out []sample
	for {
		i, ok := s.claim(time.Since(start))
		if !ok {
			return out
		}
		at := s.offset(i)
		intended := start.Add(at)
		if !sleepUntil(ctx, intended) {
			return out
		}
		kind := send(ctx, timeout, req)
		now := time.Now()
		if ctx.Err() != nil {
			return out
		}
		if at >= s.from {
			out = append(out, sample{done: now.Sub(start) - s.from, latency: now.Sub(intended), kind: kind})
		}
	}
}

// closedWorker sends back to back until end (relative to start) or until
// ctx is done; requests started at or after from are recorded.
func closedWorker(ctx context.Context, start time.Time, from, end, timeout time.Duration, req Request) []sample {
	var out []sample
	for ctx.Err() == nil {
		began := time.Now()
		at := began.Sub(start)
		if at >= end {
			return out
		}
		kind := send(ctx, timeout, req)
		now := time.Now()
		if ctx.Err() != nil {
			return out
		}
		if at >= from {
			out = append(out, sample{done: now.Sub(start) - from, latency: now.Sub(began), kind: kind})
		}
	}
	return out
}

// send calls req with a context bounded by timeout.
func send(ctx context.Context, timeout time.Duration, req Request) string {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return req(ctx)
}

// sleepUntil waits until t and reports false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

package load_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tshop/tshop/internal/load"
)

func TestClosedLoopRecordsEveryCompletion(t *testing.T) {
	t.Parallel()
	c := &counter{delay: 2 * time.Millisecond, kind: "200"}
	r := load.Run(context.Background(), load.Config{Conns: 4, Duration: 300 * time.Millisecond}, c.request)
	checkShape(t, r)
	if r.Done == 0 {
		t.Fatal("no request completed")
	}
	// Without warmup every call starts inside the window and is recorded.
	if got := int(c.calls.Load()); got != r.Done {
		t.Errorf("calls = %d, Done = %d", got, r.Done)
	}
	if r.Kinds["200"] != r.Done {
		t.Errorf("Kinds = %v, want all %d as 200", r.Kinds, r.Done)
	}
	if m := c.maxIn.Load(); m < 2 || m > 4 {
		t.Errorf("at most %d requests ran at once, want 2..4", m)
	}
	if r.Latencies[0] < c.delay {
		t.Errorf("fastest latency %v is below the request's own %v", r.Latencies[0], c.delay)
	}
	if r.Elapsed < r.Config.Duration {
		t.Errorf("Elapsed = %v, shorter than Duration %v", r.Elapsed, r.Config.Duration)
	}
}

func TestOpenLoopAchievesTheRate(t *testing.T) {
	t.Parallel()
	c := &counter{delay: time.Millisecond, kind: "200"}
	cfg := load.Config{Conns: 4, Rate: 200, Duration: time.Second}
	r := load.Run(context.Background(), cfg, c.request)
	checkShape(t, r)
	// A broad band: this checks pacing, not speed.
	if r.Achieved < 100 || r.Achieved > 300 {
		t.Errorf("Achieved = %.1f/s, want about 200/s", r.Achieved)
	}
	if got := r.Done + r.Kinds[load.NotSent]; got != 200 {
		t.Errorf("Done + not-sent = %d, want the 200 intended sends", got)
	}
}

func TestWarmupIsNotRecorded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		rate       float64
		wantWindow int // intended sends in the measured window; 0 to skip
	}{
		{name: "closed loop"},
		{name: "open loop", rate: 100, wantWindow: 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &counter{delay: time.Millisecond, kind: "200"}
			cfg := load.Config{Conns: 2, Rate: tt.rate, Warmup: 200 * time.Millisecond, Duration: 500 * time.Millisecond}
			r := load.Run(context.Background(), cfg, c.request)
			checkShape(t, r)
			if r.Done == 0 {
				t.Fatal("no measured request")
			}
			if calls := int(c.calls.Load()); calls <= r.Done {
				t.Errorf("calls = %d, Done = %d: warmup sent nothing or was recorded", calls, r.Done)
			}
			if tt.wantWindow > 0 && r.Done+r.Kinds[load.NotSent] != tt.wantWindow {
				t.Errorf("Done + not-sent = %d, want %d", r.Done+r.Kinds[load.NotSent], tt.wantWindow)
			}
		})
	}
}

func TestKindsCountCompletions(t *testing.T) {
	t.Parallel()
	kinds := []string{"201", "409", "503"}
	var n atomic.Int64
	req := func(ctx context.Context) string {
		wait(ctx, time.Millisecond)
		return kinds[n.Add(1)%3]
	}
	r := load.Run(context.Background(), load.Config{Conns: 3, Duration: 200 * time.Millisecond}, req)
	checkShape(t, r)
	for _, k := range kinds {
		if r.Kinds[k] == 0 {
			t.Errorf("Kinds[%q] = 0 in %v", k, r.Kinds)
		}
	}
	if _, ok := r.Kinds[load.NotSent]; ok {
		t.Errorf("closed loop reported %s: %v", load.NotSent, r.Kinds)
	}
}

func TestTimeoutBoundsEachRequest(t *testing.T) {
	t.Parallel()
	hang := func(ctx context.Context) string {
		<-ctx.Done()
		return "timeout"
	}
	cfg := load.Config{Conns: 2, Duration: 100 * time.Millisecond, Timeout: 20 * time.Millisecond}
	r := load.Run(context.Background(), cfg, hang)
	checkShape(t, r)
	if r.Done == 0 || r.Kinds["timeout"] != r.Done {
		t.Errorf("Kinds = %v, Done = %d: want every request timed out", r.Kinds, r.Done)
	}
	if r.Latencies[0] < cfg.Timeout {
		t.Errorf("fastest latency %v is below the timeout %v", r.Latencies[0], cfg.Timeout)
	}
}

func TestCancelStopsTheRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	c := &counter{delay: time.Millisecond, kind: "200"}
	time.AfterFunc(100*time.Millisecond, cancel)
	r := load.Run(ctx, load.Config{Rate: 100, Duration: time.Hour}, c.request)
	checkShape(t, r)
	if r.Elapsed >= time.Hour {
		t.Errorf("Elapsed = %v after cancel", r.Elapsed)
	}
	if r.Config.Conns != 1 || r.Config.Timeout != load.DefaultTimeout {
		t.Errorf("Config = %+v, want defaults filled in", r.Config)
	}
}

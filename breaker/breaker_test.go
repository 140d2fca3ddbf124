package breaker_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tshop/tshop/breaker"
)

// clock is a fake clock a test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// changes records what OnChange sees, in order.
type changes struct {
	mu   sync.Mutex
	seen []string
}

func (c *changes) record(from, to breaker.State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen = append(c.seen, from.String()+"→"+to.String())
}

func (c *changes) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.seen...)
}

const cooldown = 2 * time.Second

// newBreaker returns a breaker opening after failures failures in a row,
// on a fake clock, recording its changes.
func newBreaker(failures int) (*breaker.Breaker, *clock, *changes) {
	clk := &clock{now: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	ch := &changes{}
	b := breaker.New(&breaker.Config{Failures: failures, Cooldown: cooldown, Now: clk.Now, OnChange: ch.record})
	return b, clk, ch
}

// call makes one call through b that succeeds or fails, and fails the test
// if b refuses it.
func call(t *testing.T, b *breaker.Breaker, failed bool) {
	t.Helper()
	done, err := b.Allow()
	if err != nil {
		t.Fatalf("Allow in state %s: %v", b.State(), err)
	}
	done(failed)
}

func wantState(t *testing.T, b *breaker.Breaker, want breaker.State) {
	t.Helper()
	if got := b.State(); got != want {
		t.Fatalf("state %s, want %s", got, want)
	}
}

func wantRefused(t *testing.T, b *breaker.Breaker) {
	t.Helper()
	done, err := b.Allow()
	if !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("Allow in state %s: %v, want ErrOpen", b.State(), err)
	}
	if done != nil {
		t.Fatal("Allow refused a call but returned a done func")
	}
}

// open drives a closed breaker open with failures failures.
func open(t *testing.T, b *breaker.Breaker, failures int) {
	t.Helper()
	for range failures {
		call(t, b, true)
	}
	wantState(t, b, breaker.Open)
}

func TestClosedPassesCalls(t *testing.T) {
	b, _, ch := newBreaker(3)
	for i := range 100 {
		// Two failures in a row at most, never three.
		call(t, b, i%3 != 2)
		wantState(t, b, breaker.Closed)
	}
	if got := ch.list(); len(got) != 0 {
		t.Errorf("OnChange saw %v, want nothing", got)
	}
	if got := breaker.New(nil).State(); got != breaker.Closed {
		t.Errorf("New(nil) is %s, want closed", got)
	}
}

func TestOpensAfterFailures(t *testing.T) {
	for _, tc := range []struct {
		name     string
		failures int // Config.Failures
		want     int // failures in a row that open it
	}{
		{"one", 1, 1},
		{"three", 3, 3},
		{"five", 5, 5},
		{"default", 0, 5},
		{"negative means default", -2, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _, _ := newBreaker(tc.failures)
			for range 3 {
				for range tc.want - 1 {
					call(t, b, true)
				}
				wantState(t, b, breaker.Closed)
				// A success resets the count.
				call(t, b, false)
				wantState(t, b, breaker.Closed)
			}
			open(t, b, tc.want)
			wantRefused(t, b)
			wantRefused(t, b)
		})
	}
}

func TestRetryAfterShrinksWithTheClock(t *testing.T) {
	b, clk, _ := newBreaker(2)
	open(t, b, 2)
	for _, step := range []struct {
		advance time.Duration
		want    time.Duration
	}{
		{0, cooldown},
		{500 * time.Millisecond, 1500 * time.Millisecond},
		{time.Second, 500 * time.Millisecond},
		{499 * time.Millisecond, time.Millisecond},
		{time.Millisecond - 1, 1},
	} {
		clk.Advance(step.advance)
		if got := b.RetryAfter(); got != step.want {
			t.Fatalf("RetryAfter %s into the cooldown: %s, want %s", cooldown-step.want, got, step.want)
		}
		wantRefused(t, b)
		wantState(t, b, breaker.Open)
	}
	clk.Advance(1)
	if got := b.RetryAfter(); got != 0 {
		t.Errorf("RetryAfter once the cooldown is over: %s, want 0", got)
	}
	clk.Advance(time.Hour)
	if got := b.RetryAfter(); got < 0 {
		t.Errorf("RetryAfter long after the cooldown: %s, want ≥ 0", got)
	}
}

func TestHalfOpenLetsOneProbeThrough(t *testing.T) {
	b, clk, _ := newBreaker(3)
	open(t, b, 3)
	clk.Advance(cooldown)
	wantState(t, b, breaker.HalfOpen)
	probe, err := b.Allow()
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	wantRefused(t, b)
	clk.Advance(10 * cooldown) // time alone does not free the probe's slot
	wantRefused(t, b)
	wantState(t, b, breaker.HalfOpen)
	probe(false)
	wantState(t, b, breaker.Closed)
	call(t, b, false)
}

func TestHalfOpenConcurrentAllowLetsExactlyOneThrough(t *testing.T) {
	b, clk, _ := newBreaker(1)
	open(t, b, 1)
	clk.Advance(cooldown)
	var (
		wg       sync.WaitGroup
		admitted atomic.Int32
		refused  atomic.Int32
		start    = make(chan struct{})
		probes   = make(chan func(bool), 50)
	)
	for range 50 {
		wg.Go(func() {
			<-start
			done, err := b.Allow()
			switch {
			case err == nil:
				admitted.Add(1)
				probes <- done
			case errors.Is(err, breaker.ErrOpen):
				refused.Add(1)
			default:
				t.Errorf("Allow: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if admitted.Load() != 1 || refused.Load() != 49 {
		t.Fatalf("admitted %d, refused %d; want 1 and 49", admitted.Load(), refused.Load())
	}
	(<-probes)(false)
	wantState(t, b, breaker.Closed)
}

func TestFailedProbeReopens(t *testing.T) {
	b, clk, _ := newBreaker(3)
	open(t, b, 3)
	clk.Advance(cooldown + time.Second)
	probe, err := b.Allow()
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	clk.Advance(300 * time.Millisecond)
	probe(true)
	wantState(t, b, breaker.Open)
	// A fresh cooldown, counted from the failed probe.
	if got := b.RetryAfter(); got != cooldown {
		t.Errorf("RetryAfter after a failed probe: %s, want %s", got, cooldown)
	}
	wantRefused(t, b)
	clk.Advance(cooldown - 1)
	wantRefused(t, b)
	clk.Advance(1)
	wantState(t, b, breaker.HalfOpen)
	call(t, b, false)
	wantState(t, b, breaker.Closed)
	// The successful probe reset the count: it takes 3 failures again.
	call(t, b, true)
	call(t, b, true)
	wantState(t, b, breaker.Closed)
	call(t, b, true)
	wantState(t, b, breaker.Open)
}

func TestOnChangeSeesEveryTransitionInOrder(t *testing.T) {
	b, clk, ch := newBreaker(2)
	open(t, b, 2) // closed→open
	wantRefused(t, b)
	clk.Advance(cooldown)
	probe, err := b.Allow() // open→half-open
	if err != nil {
		t.Fatal(err)
	}
	probe(true) // half-open→open
	clk.Advance(cooldown)
	wantState(t, b, breaker.HalfOpen) // open→half-open, seen by State alone
	call(t, b, false)                 // half-open→closed
	call(t, b, true)
	call(t, b, false)
	open(t, b, 2) // closed→open
	want := []string{
		"closed→open", "open→half-open", "half-open→open",
		"open→half-open", "half-open→closed", "closed→open",
	}
	if got := ch.list(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("OnChange saw\n%v\nwant\n%v", got, want)
	}
}

// TestConcurrentUse hammers one breaker from 50 goroutines while the clock
// moves; run under -race. OnChange must see a chain of real changes, each
// starting where the last ended.
func TestConcurrentUse(t *testing.T) {
	b, clk, ch := newBreaker(3)
	stop := make(chan struct{})
	var ticker sync.WaitGroup
	ticker.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				clk.Advance(50 * time.Millisecond)
				time.Sleep(50 * time.Microsecond)
			}
		}
	})
	var wg sync.WaitGroup
	var admitted, refused atomic.Int64
	for g := range 50 {
		wg.Go(func() {
			for i := range 300 {
				done, err := b.Allow()
				switch {
				case err == nil:
					admitted.Add(1)
					// Goroutines fail in bursts so the breaker keeps moving.
					done((g+i/20)%2 == 0)
				case errors.Is(err, breaker.ErrOpen):
					refused.Add(1)
				default:
					t.Errorf("Allow: %v", err)
					return
				}
				_ = b.State().String()
				if d := b.RetryAfter(); d < 0 || d > cooldown {
					t.Errorf("RetryAfter %s out of [0, %s]", d, cooldown)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	ticker.Wait()
	if admitted.Load() == 0 || refused.Load() == 0 {
		t.Errorf("admitted %d, refused %d: the breaker never moved", admitted.Load(), refused.Load())
	}
	prev := "closed"
	for i, c := range ch.list() {
		from, to, _ := strings.Cut(c, "→")
		if from != prev || from == to {
			t.Fatalf("change %d is %s after the breaker was %s", i, c, prev)
		}
		prev = to
	}
	// Whatever happened, it recovers: a probe after the cooldown closes it.
	clk.Advance(cooldown)
	if b.State() != breaker.Closed {
		call(t, b, false)
	}
	wantState(t, b, breaker.Closed)
}

// TestStaleReportDoesNotFreeTheProbeSlot: a call let through while the
// breaker was closed may report after the breaker opened and went
// half-open. Its report is not the probe's, so the slot of the probe still
// in flight must stay taken: no second probe may run beside it.
func TestStaleReportDoesNotFreeTheProbeSlot(t *testing.T) {
	b, clk, _ := newBreaker(1)
	doneA, err := b.Allow()
	if err != nil {
		t.Fatal(err)
	}
	doneB, err := b.Allow()
	if err != nil {
		t.Fatal(err)
	}
	doneA(true) // opens
	wantState(t, b, breaker.Open)
	clk.Advance(cooldown)
	probe, err := b.Allow()
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	defer probe(false)
	doneB(true) // late report of the call let through before the breaker opened
	clk.Advance(cooldown)
	if done, err := b.Allow(); err == nil {
		done(false)
		t.Fatal("a second probe was let through while the first was still in flight: " +
			"the stale report of a call admitted while closed was taken for the probe's")
	}
}

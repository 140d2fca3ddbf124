package eventstore_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/eventstore"
)

// eventually polls cond until it holds, failing the test after timeout.
func eventually(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	if !poll(timeout, cond) {
		t.Fatalf("condition not met within %s", timeout)
	}
}

// poll reports whether cond held within timeout, checking it every 10ms.
func poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// appendN appends n events to product id, which must have none yet, and
// returns their sequences.
func appendN(t *testing.T, s *eventstore.Store, id string, n int) []uint64 {
	t.Helper()
	var seqs []uint64
	for i := range n {
		seqs = append(seqs, appendOK(t, s, id, lastOr0(seqs), nth(id, i)))
	}
	return seqs
}

// consume runs s.Consume until the returned stop is called or the test
// ends; stop checks that Consume returned nil within 20 seconds (a hang
// check).
func consume(t *testing.T, s *eventstore.Store, cfg eventstore.ConsumerConfig, h eventstore.Handler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Consume(ctx, cfg, h) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Consume %s: %v", cfg.Durable, err)
				}
			case <-time.After(20 * time.Second):
				t.Errorf("Consume %s did not return within 20s of its context's end", cfg.Durable)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// processed polls Processed until it reports true.
func processed(t *testing.T, s *eventstore.Store, durable string, seq uint64) {
	t.Helper()
	eventually(t, 10*time.Second, func() bool {
		ok, err := s.Processed(t.Context(), eventstore.Products, durable, seq)
		return err == nil && ok
	})
}

// counter counts handled deliveries by sequence.
type counter struct{ m sync.Map }

func (c *counter) add(seq uint64) {
	n, _ := c.m.LoadOrStore(seq, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
}

func (c *counter) get(seq uint64) int64 {
	if n, ok := c.m.Load(seq); ok {
		return n.(*atomic.Int64).Load()
	}
	return 0
}

func (c *counter) len() int {
	n := 0
	c.m.Range(func(any, any) bool { n++; return true })
	return n
}

// logBuffer collects what a Store logs; handlers log from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func loggedStore(t *testing.T) (*nats.Conn, *eventstore.Store, *logBuffer) {
	t.Helper()
	logs := new(logBuffer)
	_, nc, s := open(t, &eventstore.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	return nc, s, logs
}

func TestConsumeDeliversEachOnce(t *testing.T) {
	_, _, s := open(t, nil)
	seqs := appendN(t, s, "p1", 50)
	var c counter
	var bad atomic.Int64
	consume(t, s, eventstore.ConsumerConfig{Durable: "each-once", Kind: eventstore.Products}, func(_ context.Context, d eventstore.Delivery) error {
		if d.Kind != eventstore.Products || d.ID != "p1" || d.Attempt != 1 || len(d.Events) != 1 {
			bad.Add(1)
		}
		c.add(d.Seq)
		return nil
	})
	eventually(t, 10*time.Second, func() bool { return c.len() == len(seqs) })
	processed(t, s, "each-once", seqs[len(seqs)-1])
	for _, seq := range seqs {
		if n := c.get(seq); n != 1 {
			t.Errorf("seq %d handled %d times, want 1", seq, n)
		}
	}
	if bad.Load() != 0 {
		t.Errorf("%d deliveries had the wrong kind, id, attempt or events", bad.Load())
	}
}

func TestConsumeSharedDurable(t *testing.T) {
	ns, nc, s1 := open(t, nil)
	s2 := openOn(t, ns.Connect(), nil)
	const durable = "shared"
	var c counter
	var by [2]atomic.Int64
	for i, s := range []*eventstore.Store{s1, s2} {
		consume(t, s, eventstore.ConsumerConfig{Durable: durable, Kind: eventstore.Products, Workers: 4}, func(_ context.Context, d eventstore.Delivery) error {
			c.add(d.Seq)
			by[i].Add(1)
			return nil
		})
	}
	// Both processes have joined once both have a pull request waiting.
	eventually(t, 10*time.Second, func() bool {
		cons, err := rawStream(t, nc, eventstore.Products).Consumer(context.Background(), durable)
		return err == nil && cons.CachedInfo().NumWaiting >= 2
	})
	var seqs []uint64
	for _, id := range []string{"a", "b", "c", "d"} {
		seqs = append(seqs, appendN(t, s1, id, 50)...)
	}
	eventually(t, 20*time.Second, func() bool { return c.len() == 200 })
	processed(t, s2, durable, slices.Max(seqs))
	for _, seq := range seqs {
		if n := c.get(seq); n != 1 {
			t.Errorf("seq %d handled %d times, want 1", seq, n)
		}
	}
	t.Logf("handled by the first process: %d, by the second: %d", by[0].Load(), by[1].Load())
	if by[0].Load() == 0 || by[1].Load() == 0 {
		t.Errorf("one process handled every message (%d, %d)", by[0].Load(), by[1].Load())
	}
}

func TestConsumeParksAfterMaxAttempts(t *testing.T) {
	_, s, logs := loggedStore(t)
	var mu sync.Mutex
	var attempts []uint64
	var c counter
	consume(t, s, eventstore.ConsumerConfig{Durable: "parker", Kind: eventstore.Products, MaxAttempts: 3}, func(_ context.Context, d eventstore.Delivery) error {
		if d.ID == "doomed" {
			mu.Lock()
			attempts = append(attempts, d.Attempt)
			mu.Unlock()
			return errors.New("handler failed")
		}
		c.add(d.Seq)
		return nil
	})
	doomed := appendOK(t, s, "doomed", 0, created("doomed", 1))
	after := appendN(t, s, "fine", 5)
	// Following messages flow while the doomed one is retried.
	eventually(t, 10*time.Second, func() bool { return c.len() == 5 })
	processed(t, s, "parker", doomed)
	processed(t, s, "parker", after[4])
	// Once more messages went through, the parked one was not delivered again.
	more := appendN(t, s, "more", 3)
	processed(t, s, "parker", more[2])
	mu.Lock()
	got := slices.Clone(attempts)
	mu.Unlock()
	if want := []uint64{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("attempts of the failing message %v, want %v", got, want)
	}
	if !strings.Contains(logs.String(), "parked message after failed attempts") {
		t.Errorf("parking was not logged:\n%s", logs)
	}
}

func TestConsumeRetryLaterRedelivers(t *testing.T) {
	_, _, s := open(t, nil)
	var mu sync.Mutex
	var attempts []uint64
	consume(t, s, eventstore.ConsumerConfig{Durable: "later", Kind: eventstore.Products, MaxAttempts: 3}, func(_ context.Context, d eventstore.Delivery) error {
		mu.Lock()
		attempts = append(attempts, d.Attempt)
		mu.Unlock()
		if d.Attempt < 2 {
			return eventstore.RetryLater(50 * time.Millisecond)
		}
		return nil
	})
	seq := appendOK(t, s, "p1", 0, created("p1", 1))
	processed(t, s, "later", seq)
	mu.Lock()
	defer mu.Unlock()
	if want := []uint64{1, 2}; !slices.Equal(attempts, want) {
		t.Errorf("attempts %v, want %v", attempts, want)
	}
}

// RetryLater is documented as "without counting as a failure", and
// MaxAttempts as parking "after that many failed attempts": a message put
// back with RetryLater several times and then failing once must not be
// parked.
// A RetryLater is not a failure: a message that waited many times is
// still retried after a failure, and parked only after MaxAttempts
// failures.
func TestConsumeRetryLaterDoesNotCountAsFailure(t *testing.T) {
	_, _, s := open(t, nil)
	var mu sync.Mutex
	var attempts []uint64
	var succeeded atomic.Bool
	consume(t, s, eventstore.ConsumerConfig{Durable: "later-then-fail", Kind: eventstore.Products, MaxAttempts: 2}, func(_ context.Context, d eventstore.Delivery) error {
		mu.Lock()
		attempts = append(attempts, d.Attempt)
		n := len(attempts)
		mu.Unlock()
		switch {
		case n <= 3:
			return eventstore.RetryLater(10 * time.Millisecond)
		case n == 4:
			return errors.New("first real failure")
		}
		succeeded.Store(true)
		return nil
	})
	seq := appendOK(t, s, "p1", 0, created("p1", 1))
	processed(t, s, "later-then-fail", seq)
	mu.Lock()
	defer mu.Unlock()
	if !succeeded.Load() || !slices.Equal(attempts, []uint64{1, 2, 3, 4, 5}) {
		t.Errorf("attempts %v, succeeded %v; want deliveries 1 to 5 and success on the fifth", attempts, succeeded.Load())
	}
}

func TestConsumeParksUndecodable(t *testing.T) {
	nc, s, logs := loggedStore(t)
	for _, data := range []string{"not json", `{"events":[],"state":{}}`, `{"events":[{"type":"Nope","data":{}}],"state":{}}`} {
		if err := nc.Publish(eventstore.Products.Subject("bad"), []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() bool { return msgCount(t, nc, eventstore.Products) == 3 })
	good := appendN(t, s, "good", 5)
	var c counter
	var sawBad atomic.Bool
	consume(t, s, eventstore.ConsumerConfig{Durable: "undecodable", Kind: eventstore.Products}, func(_ context.Context, d eventstore.Delivery) error {
		if d.ID == "bad" {
			sawBad.Store(true)
		}
		c.add(d.Seq)
		return nil
	})
	processed(t, s, "undecodable", good[4])
	for _, seq := range good {
		if n := c.get(seq); n != 1 {
			t.Errorf("good seq %d handled %d times, want 1", seq, n)
		}
	}
	if sawBad.Load() || c.len() != len(good) {
		t.Errorf("the handler saw an undecodable message (%d handled)", c.len())
	}
	eventually(t, 5*time.Second, func() bool {
		return strings.Count(logs.String(), "parked undecodable message") == 3
	})
	if !strings.Contains(logs.String(), eventstore.Products.Subject("bad")) {
		t.Errorf("the log does not name the subject:\n%s", logs)
	}
}

func TestProcessed(t *testing.T) {
	_, _, s := open(t, nil)
	ctx := context.Background()
	const durable = "processed"
	started := make(chan uint64, 10)
	release := make(chan struct{})
	var first atomic.Uint64
	consume(t, s, eventstore.ConsumerConfig{Durable: durable, Kind: eventstore.Products, Workers: 4}, func(ctx context.Context, d eventstore.Delivery) error {
		started <- d.Seq
		if d.Seq == first.Load() {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	first.Store(1) // the stream is empty: p1's message will be its first
	seqs := appendN(t, s, "p1", 1)
	if seqs[0] != 1 {
		t.Fatalf("first sequence %d, want 1", seqs[0])
	}
	seqs = append(seqs, appendN(t, s, "p2", 1)...)
	for range 2 {
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("messages were not delivered")
		}
	}
	// The second message is handled, the first is not: neither is processed
	// in the sense of "every message up to and including seq".
	for _, seq := range []uint64{seqs[0], seqs[1], seqs[1] + 10} {
		if ok, err := s.Processed(ctx, eventstore.Products, durable, seq); err != nil || ok {
			t.Errorf("Processed(%d) while seq %d is in its handler = %v, %v; want false", seq, seqs[0], ok, err)
		}
	}
	close(release)
	processed(t, s, durable, seqs[0])
	processed(t, s, durable, seqs[1])
	if ok, err := s.Processed(ctx, eventstore.Products, durable, seqs[1]+1); err != nil || ok {
		t.Errorf("Processed of a sequence not yet written = %v, %v; want false", ok, err)
	}
	if ok, err := s.Processed(ctx, eventstore.Products, "no-such-consumer", 1); ok {
		t.Errorf("Processed of a missing consumer = true, %v", err)
	}
}

func TestConsumeReturnsOnCancel(t *testing.T) {
	_, _, s := open(t, nil)
	inHandler := make(chan struct{}, 1)
	stop := consume(t, s, eventstore.ConsumerConfig{Durable: "cancel", Kind: eventstore.Products}, func(ctx context.Context, d eventstore.Delivery) error {
		select {
		case inHandler <- struct{}{}:
		default: // a redelivery while stopping
		}
		<-ctx.Done()
		return ctx.Err()
	})
	appendOK(t, s, "p1", 0, created("p1", 1))
	select {
	case <-inHandler:
	case <-time.After(10 * time.Second):
		t.Fatal("message not delivered")
	}
	start := time.Now()
	stop()
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Consume took %s to return after its context ended", took)
	}
}

// With NATS down, Consume should still return within about the store's
// Timeout of its context's end (3s here is a hang check, not a speed bound).
func TestConsumeReturnsOnCancelWhileNATSIsDown(t *testing.T) {
	ns, nc, s := open(t, &eventstore.Config{Timeout: 500 * time.Millisecond})
	var c counter
	stop := consume(t, s, eventstore.ConsumerConfig{Durable: "down", Kind: eventstore.Products}, func(_ context.Context, d eventstore.Delivery) error {
		c.add(d.Seq)
		return nil
	})
	appendOK(t, s, "p1", 0, created("p1", 1))
	eventually(t, 10*time.Second, func() bool { return c.len() == 1 })
	ns.Stop()
	// Wait until the client knows: before that a drain still ends at once.
	eventually(t, 10*time.Second, func() bool { return nc.Status() == nats.RECONNECTING })
	start := time.Now()
	stop()
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Consume took %s to return after its context ended while NATS was down, want about "+
			"Timeout (500ms): draining the pull subscription waits out nats.go's fixed 10s Flush", took)
	}
}

// A message in its handler when Consume's context ends is handed back at
// once, so another process takes it without waiting for AckWait; so should
// the messages this process had pulled but not yet started.
func TestConsumeCancelHandsMessagesOver(t *testing.T) {
	ns, nc, s1 := open(t, nil)
	s2 := openOn(t, ns.Connect(), nil)
	cfg := eventstore.ConsumerConfig{Durable: "handover", Kind: eventstore.Products, Workers: 1, AckWait: 30 * time.Second}
	inHandler := make(chan struct{}, 1)
	stop := consume(t, s1, cfg, func(ctx context.Context, d eventstore.Delivery) error {
		select {
		case inHandler <- struct{}{}:
		default: // a redelivery while stopping
		}
		<-ctx.Done()
		return ctx.Err()
	})
	seqs := appendN(t, s1, "p1", 20)
	select {
	case <-inHandler:
	case <-time.After(10 * time.Second):
		t.Fatal("message not delivered")
	}
	// Every message went to the first process: one is in its handler, the
	// others wait in its buffer for the one worker.
	eventually(t, 10*time.Second, func() bool {
		cons, err := rawStream(t, nc, eventstore.Products).Consumer(t.Context(), cfg.Durable)
		return err == nil && cons.CachedInfo().NumAckPending == len(seqs)
	})
	stop()
	var c counter
	consume(t, s2, cfg, func(_ context.Context, d eventstore.Delivery) error {
		c.add(d.Seq)
		return nil
	})
	start := time.Now()
	if !poll(10*time.Second, func() bool { return c.len() == len(seqs) }) {
		var got []uint64
		for _, seq := range seqs {
			if c.get(seq) > 0 {
				got = append(got, seq)
			}
		}
		t.Fatalf("10s after the first process stopped, the second handled only %v of %v: "+
			"messages pulled but not started were dropped unacked and wait out AckWait (%s)", got, seqs, cfg.AckWait)
	}
	t.Logf("the second process handled every message %s after the first stopped", time.Since(start))
}

package main

import (
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"
)

// rateLimitedError is a refusal by the per-customer limit, with how long
// until the next attempt would be let through.
type rateLimitedError struct {
	customer string
	wait     time.Duration
}

func (e *rateLimitedError) Error() string {
	return fmt.Sprintf("customer %s makes reservation attempts faster than allowed; retry in %s", e.customer, e.wait.Round(time.Millisecond))
}

func (e *rateLimitedError) Is(target error) bool { return target == errRateLimited }

var errRateLimited = errors.New("rate limited")

// customerLimiter is a token bucket per customer: burst attempts at once,
// then rate a second. Buckets that have filled up again are forgotten, so
// memory follows the customers active in the last burst/rate seconds, not
// every customer ever seen. The limit is per api instance.
type customerLimiter struct {
	rate  float64 // tokens a second
	burst float64
	now   func() time.Time
	seed  maphash.Seed

	shards [64]limiterShard
}

type limiterShard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
	// keys are the Idempotency-Keys already charged to the bucket, oldest
	// first: sending one again is a replay, which the contract allows any
	// number of times, so it costs nothing more.
	keys []string
}

// newCustomerLimiter returns nil (no limit) when rate is not positive.
func newCustomerLimiter(rate float64, burst int, now func() time.Time) *customerLimiter {
	if rate <= 0 || math.IsInf(rate, 0) || math.IsNaN(rate) {
		return nil
	}
	l := &customerLimiter{rate: rate, burst: float64(max(burst, 1)), now: now, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].buckets = map[string]*bucket{}
	}
	return l
}

// allow takes one attempt from the customer's bucket, or says how long to
// wait for the next. An attempt with an Idempotency-Key the bucket was
// already charged for is let through free.
func (l *customerLimiter) allow(customer, key string) error {
	if l == nil {
		return nil
	}
	sh := &l.shards[maphash.String(l.seed, customer)%uint64(len(l.shards))]
	now := l.now()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	l.sweep(sh, now)
	b, ok := sh.buckets[customer]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		sh.buckets[customer] = b
	}
	if key != "" && slices.Contains(b.keys, key) {
		return nil
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens < 1 {
		wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
		return &rateLimitedError{customer: customer, wait: wait}
	}
	b.tokens--
	if key != "" {
		if len(b.keys) >= int(l.burst) {
			b.keys = b.keys[1:]
		}
		b.keys = append(b.keys, key)
	}
	return nil
}

// sweep forgets the shard's buckets that are full again, at most once per
// refill period.
func (l *customerLimiter) sweep(sh *limiterShard, now time.Time) {
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	if now.Sub(sh.swept) < full {
		return
	}
	sh.swept = now
	for k, b := range sh.buckets {
		if b.tokens+now.Sub(b.at).Seconds()*l.rate >= l.burst {
			delete(sh.buckets, k)
		}
	}
}

// limitInflight answers 503 at once to requests beyond max in flight, so
// an overload sheds load instead of queueing without bound. The health
// checks are never refused.
func (a *api) limitInflight(max int) func(http.Handler) http.Handler {
	slots := make(chan struct{}, max)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isOpsPath(r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			select {
			case slots <- struct{}{}:
				defer func() { <-slots }()
				next.ServeHTTP(w, r)
			default:
				w.Header().Set("Retry-After", "1")
				writeProblem(w, http.StatusServiceUnavailable, "unavailable", fmt.Sprintf("more than %d requests in flight", max))
			}
		})
	}
}

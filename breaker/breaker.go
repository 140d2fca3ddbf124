// Package breaker is a circuit breaker: after repeated failures of a
// dependency it fails calls at once for a while instead of letting each one
// wait out its timeout, then lets a single probe through to see whether the
// dependency is back.
package breaker

import (
	"errors"
	"sync"
	"time"
)

// ErrOpen is returned, without calling anything, while the breaker is open.
var ErrOpen = errors.New("circuit breaker open")

// State is where a breaker stands.
type State int

// The states of a breaker.
const (
	Closed   State = iota // calls go through
	Open                  // calls fail at once
	HalfOpen              // one probe goes through
)

func (s State) String() string {
	return [...]string{"closed", "open", "half-open"}[s]
}

// Config configures a Breaker. The zero value is valid.
type Config struct {
	// Failures is how many failures in a row open the breaker. Default 5.
	Failures int
	// Cooldown is how long it stays open before a probe. Default 2 seconds.
	Cooldown time.Duration
	// Now is the clock; default time.Now.
	Now func() time.Time
	// OnChange, when set, is called on every change of state, in order.
	// It runs with the breaker locked and must not call the breaker.
	OnChange func(from, to State)
}

// Breaker guards calls to one dependency. It is safe for concurrent use.
type Breaker struct {
	cfg Config

	mu       sync.Mutex
	state    State
	failures int
	openedAt time.Time
	probing  bool
	// gen counts the times the breaker opened; a call reports into the
	// generation it was allowed in, and a report from an older one is
	// stale (the breaker has judged the dependency since) and ignored.
	gen uint64
}

// New returns a closed breaker.
func New(cfg *Config) *Breaker {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Failures <= 0 {
		c.Failures = 5
	}
	if c.Cooldown <= 0 {
		c.Cooldown = 2 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Breaker{cfg: c}
}

// State reports the breaker's state now.
func (b *Breaker) State() State {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance()
	return b.state
}

// RetryAfter is how long until the breaker lets a call through: the rest of
// the cooldown while open, a whole cooldown while a probe is out, else 0.
func (b *Breaker) RetryAfter() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance()
	switch {
	case b.state == Open:
		return max(0, b.cfg.Cooldown-b.cfg.Now().Sub(b.openedAt))
	case b.state == HalfOpen && b.probing:
		return b.cfg.Cooldown
	}
	return 0
}

// Allow asks to make a call. It returns ErrOpen, or a function to report
// the call's outcome with, once: failed is true when the dependency failed
// (not when the call was refused for its own reasons).
func (b *Breaker) Allow() (done func(failed bool), err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance()
	probe := false
	switch b.state {
	case Open:
		return nil, ErrOpen
	case HalfOpen:
		if b.probing {
			return nil, ErrOpen
		}
		b.probing, probe = true, true
	}
	gen := b.gen
	return func(failed bool) { b.report(gen, probe, failed) }, nil
}

func (b *Breaker) report(gen uint64, probe, failed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if gen != b.gen {
		return
	}
	if probe {
		b.probing = false
		if failed {
			b.open()
			return
		}
		b.failures = 0
		b.set(Closed)
		return
	}
	if !failed {
		b.failures = 0
		return
	}
	if b.failures++; b.failures >= b.cfg.Failures && b.state == Closed {
		b.open()
	}
}

func (b *Breaker) open() {
	b.gen++
	b.failures = 0
	b.openedAt = b.cfg.Now()
	b.set(Open)
}

// advance moves an open breaker to half-open once its cooldown is over.
func (b *Breaker) advance() {
	if b.state == Open && b.cfg.Now().Sub(b.openedAt) >= b.cfg.Cooldown {
		b.set(HalfOpen)
	}
}

func (b *Breaker) set(s State) {
	if b.state == s {
		return
	}
	from := b.state
	b.state = s
	if b.cfg.OnChange != nil {
		b.cfg.OnChange(from, s)
	}
}

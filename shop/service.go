package shop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// shopAckWait is how long a message handed to a process that died stays
// with it before another takes it over. Every handler here finishes in well
// under it (each call it makes is bounded by the store's timeout); one that
// does not is merely done twice, which every handler allows.
const shopAckWait = 5 * time.Second

// ErrBusy means an aggregate stayed contended through every retry.
var ErrBusy = errors.New("too much contention, try again")

// Config configures a Service. The zero value is valid.
type Config struct {
	// MaxBatch bounds how many reservations one append may hold. Default 256.
	MaxBatch int
	// MaxAttempts bounds the appends tried for one command on conflict.
	// Default 20.
	MaxAttempts int
	// Now is the clock; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Hooks lets tests stop a command between its steps.
	Hooks Hooks
	// DisableGroupCommit makes every reservation load, decide and append
	// on its own, retrying on conflict: the plain path group commit is
	// measured against. Keyed reservations are then protected only by the
	// check before they are held, so no deployment should set it.
	DisableGroupCommit bool
	// MaxWaiting bounds the placements that may wait for a store with
	// room at once, across every assigner (the placement consumer's
	// MaxAckPending); beyond it new placements queue behind them. Default
	// 20,000.
	MaxWaiting int
	// Observe receives measurements for the process's metrics.
	Observe Observers
}

// Observers are told what the service did, for metrics. Any may be nil;
// each must return at once.
type Observers struct {
	// Committed: one product append held units for n reservations.
	Committed func(n int)
	// Assigned: a reservation was accepted by a store, wait after it was
	// placed.
	Assigned func(wait time.Duration)
}

// Hooks are called between the steps of multi-append commands; an error
// returned from one aborts the command there, as a crash would.
type Hooks struct {
	// AfterHold runs once a reservation's unit is held, before the
	// reservation is placed.
	AfterHold func(domain.StockReserved) error
	// AfterRelease runs once a cancelled reservation's unit is back in
	// stock, before the reservation records it.
	AfterRelease func(domain.StockReleased) error
}

// Service runs commands against an event store.
type Service struct {
	es  *eventstore.Store
	cfg Config
	log *slog.Logger

	mu    sync.Mutex
	lanes map[string]*lane
	// inflight joins concurrent reservations under one Idempotency-Key in
	// this process.
	inflight map[string]*call
	// placedHere holds the product messages whose reservations this
	// process placed itself, so its placer skips checking them.
	placedHere *seqSet
}

// New returns a Service over es.
func New(es *eventstore.Store, cfg *Config) *Service {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.MaxBatch <= 0 {
		c.MaxBatch = 256
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 20
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return &Service{es: es, cfg: c, log: c.Logger, lanes: map[string]*lane{}, inflight: map[string]*call{}, placedHere: newSeqSet(100_000)}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// aggregate is what the domain's Product, Reservation and Store have in
// common.
type aggregate[T any] interface {
	Decide(cmd any, now time.Time) ([]domain.Event, error)
	Evolve(domain.Event) T
}

// load returns an aggregate's current state and the sequence of kind k's
// subject to expect; a missing aggregate is its zero value at sequence 0.
// On a replicated stream it may be a moment stale, which costs an append a
// conflict and a retry, and a refusal a second read from the leader (see
// executeEvents).
//
// A reservation or a store is read whole, from both its parts (see
// readParts), whichever part k names.
func load[T aggregate[T]](ctx context.Context, es *eventstore.Store, k eventstore.Kind, id string) (T, uint64, error) {
	return read[T](ctx, es, k, id, false)
}

// loadFromLeader is load as the stream's leader has it: use it where a
// stale answer would decide wrongly rather than conflict.
func loadFromLeader[T aggregate[T]](ctx context.Context, es *eventstore.Store, k eventstore.Kind, id string) (T, uint64, error) {
	return read[T](ctx, es, k, id, true)
}

func read[T aggregate[T]](ctx context.Context, es *eventstore.Store, k eventstore.Kind, id string, fromLeader bool) (T, uint64, error) {
	last := es.Last
	if fromLeader {
		last = es.LastFromLeader
	}
	var zero T
	switch any(zero).(type) {
	case domain.Reservation:
		r, seqs, err := readParts(ctx, last, k, eventstore.Reservations, eventstore.Assignments, id, domain.Combine)
		return any(r).(T), seqs[k], err
	case domain.Store:
		st, seqs, err := readParts(ctx, last, k, eventstore.Stores, eventstore.Slots, id, domain.CombineStore)
		return any(st).(T), seqs[k], err
	}
	return stateOf[T](last(ctx, k, id))
}

// readReservation reads a reservation whole from the stream's leader, with
// the sequences of both its subjects.
func readReservation(ctx context.Context, es *eventstore.Store, id string) (r domain.Reservation, own, assignment uint64, err error) {
	r, seqs, err := readParts(ctx, es.LastFromLeader, eventstore.Reservations, eventstore.Reservations, eventstore.Assignments, id, domain.Combine)
	return r, seqs[eventstore.Reservations], seqs[eventstore.Assignments], err
}

// readParts reads an aggregate kept on two subjects, its own (whole, of
// type W) and a part another process writes (P), and combines them. It
// returns each subject's last sequence; subject k is read last, so that a
// change to the other part that raced with k's shows.
func readParts[W, P any](ctx context.Context, last func(context.Context, eventstore.Kind, string) (eventstore.Message, error),
	k, whole, part eventstore.Kind, id string, combine func(W, P) W) (W, map[eventstore.Kind]uint64, error) {
	var w W
	var p P
	first, second := part, whole
	if k == part {
		first, second = whole, part
	}
	seqs := map[eventstore.Kind]uint64{}
	for _, kind := range []eventstore.Kind{first, second} {
		var err error
		if kind == whole {
			w, seqs[kind], err = stateOf[W](last(ctx, kind, id))
		} else {
			p, seqs[kind], err = stateOf[P](last(ctx, kind, id))
		}
		if err != nil {
			return w, nil, err
		}
	}
	return combine(w, p), seqs, nil
}

func stateOf[T any](m eventstore.Message, err error) (T, uint64, error) {
	var state T
	if errors.Is(err, eventstore.ErrNotFound) {
		return state, 0, nil
	}
	if err != nil {
		return state, 0, err
	}
	if err := m.State(&state); err != nil {
		return state, 0, err
	}
	return state, m.Seq, nil
}

// execute runs one command on one aggregate: load, decide, append, and on a
// conflict load and decide again. A command the aggregate has already seen
// (no events) returns the state as it is.
func execute[T aggregate[T]](ctx context.Context, s *Service, k eventstore.Kind, id string, cmd any) (T, uint64, error) {
	state, seq, _, err := executeEvents[T](ctx, s, k, id, cmd)
	return state, seq, err
}

// executeEvents is execute that also returns the events appended.
func executeEvents[T aggregate[T]](ctx context.Context, s *Service, k eventstore.Kind, id string, cmd any) (T, uint64, []domain.Event, error) {
	for attempt := 1; ; attempt++ {
		state, seq, err := load[T](ctx, s.es, k, id)
		if err != nil {
			return state, 0, nil, err
		}
		events, err := state.Decide(cmd, s.now())
		if final(events, err) {
			// Refused, or already done: a follower may have answered a
			// moment behind the leader, so only the leader's state may
			// say so.
			if state, seq, err = loadFromLeader[T](ctx, s.es, k, id); err != nil {
				return state, 0, nil, err
			}
			events, err = state.Decide(cmd, s.now())
		}
		if err != nil || len(events) == 0 {
			return state, seq, nil, err
		}
		for _, e := range events {
			state = state.Evolve(e)
		}
		seq, err = s.es.Append(ctx, k, id, seq, "", events, storedPart(k, state))
		if err == nil {
			return state, seq, events, nil
		}
		if !errors.Is(err, eventstore.ErrConflict) {
			return state, 0, nil, err
		}
		if attempt >= s.cfg.MaxAttempts {
			return state, 0, nil, fmt.Errorf("%s %s: %w", k, id, ErrBusy)
		}
		if err := backoff(ctx, attempt); err != nil {
			return state, 0, nil, err
		}
	}
}

// final reports whether a decision ends a command without an append: the
// state refuses it (wrong status, no such aggregate) or has it done.
func final(events []domain.Event, err error) bool {
	if err != nil {
		return errors.Is(err, domain.ErrInvalidTransition) || errors.Is(err, domain.ErrNotFound)
	}
	return len(events) == 0
}

// executeOn is execute starting from a state already in hand at sequence
// seq, which saves a load when it is current. Whatever goes wrong on it (a
// conflict: it was not current) is left to execute, which loads.
func executeOn[T aggregate[T]](ctx context.Context, s *Service, k eventstore.Kind, id string, state T, seq uint64, cmd any) (T, uint64, error) {
	events, err := state.Decide(cmd, s.now())
	if err == nil && len(events) > 0 {
		for _, e := range events {
			state = state.Evolve(e)
		}
		if seq, err = s.es.Append(ctx, k, id, seq, "", events, storedPart(k, state)); err == nil {
			return state, seq, nil
		}
	}
	return execute[T](ctx, s, k, id, cmd)
}

// storedPart is what a message of kind k holds of an aggregate's state:
// the part its writer owns. What the api's subject holds of a store's slots
// or a reservation's assignment would be ignored by every reader; leaving
// it out keeps those messages from claiming it.
func storedPart(k eventstore.Kind, state any) any {
	switch st := state.(type) {
	case domain.Reservation:
		if k == eventstore.Assignments {
			return st.Assignment
		}
		st.Assignment = domain.Assignment{}
		return st
	case domain.Store:
		if k == eventstore.Slots {
			return st.Slots()
		}
		return st.Entry()
	}
	return state
}

// backoff waits a short, jittered, growing time before a retry.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Run completes, in the background, what a crash left half done: it places
// every reservation whose unit is held, and finishes every cancellation
// whose unit is not yet back. Any number of processes may run it at once.
// It keeps trying while NATS is unreachable and returns when ctx ends.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	placer := placerConsumer
	// Unread: what holds nothing, and what this process placed itself.
	placer.Skip = func(p eventstore.Peek) bool {
		return s.placedHere.has(p.Seq) || !p.Has(domain.StockReserved{}.EventType())
	}
	wg.Go(func() { s.consume(ctx, placer, s.placeHeld) })
	wg.Go(func() { s.consume(ctx, cancellerConsumer, s.finishCancels) })
	wg.Wait()
}

func (s *Service) consume(ctx context.Context, cfg eventstore.ConsumerConfig, h eventstore.Handler) {
	for attempt := 1; ctx.Err() == nil; attempt++ {
		err := s.es.Consume(ctx, cfg, h)
		if err == nil || ctx.Err() != nil {
			return
		}
		s.log.Warn("consumer stopped; restarting", "consumer", cfg.Durable, "err", err)
		t := time.NewTimer(min(time.Duration(attempt)*time.Second, 10*time.Second))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}

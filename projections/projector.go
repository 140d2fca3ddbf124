package projections

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/tshop/tshop/eventstore"
)

// maxBatch bounds the messages one transaction writes.
const maxBatch = 2000

// errReached ends a follow that reached its target sequence.
var errReached = errors.New("reached")

// Lag is how far the read model is behind one stream.
type Lag struct {
	// Events is how many messages of the stream are not applied yet.
	Events uint64 `json:"events"`
	// Seconds is how long the oldest of them has waited, 0 when none.
	Seconds float64 `json:"seconds"`
	// Checkpoint is the last sequence applied.
	Checkpoint uint64 `json:"checkpoint"`
}

// Progress reports a catch-up: messages applied of the total to apply.
type Progress struct {
	Applied, Total uint64
}

// Projector follows the event log into a read model.
type Projector struct {
	es  *eventstore.Store
	db  *DB
	log *slog.Logger

	mu  sync.Mutex
	lag map[eventstore.Kind]*streamLag

	// changed, when set, hears of every batch committed (PublishChanges).
	changed func(eventstore.Kind, []eventstore.Message)
}

type streamLag struct {
	pending uint64 // messages after the last one read
	batched int    // read, not yet written
	// Store times of the first message read but not written, and of the
	// last message written.
	batchStart, lastApplied time.Time
}

// NewProjector returns a Projector that applies es's streams to db.
func NewProjector(es *eventstore.Store, db *DB, log *slog.Logger) *Projector {
	if log == nil {
		log = slog.Default()
	}
	p := &Projector{es: es, db: db, log: log, lag: map[eventstore.Kind]*streamLag{}}
	for _, k := range eventstore.Kinds() {
		p.lag[k] = &streamLag{}
	}
	return p
}

// Run applies every stream from the read model's checkpoints on, as events
// arrive, until ctx ends. While NATS is unreachable it keeps retrying.
func (p *Projector) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, k := range eventstore.Kinds() {
		wg.Go(func() {
			for attempt := 1; ctx.Err() == nil; attempt++ {
				before := p.db.Checkpoint(k)
				err := p.follow(ctx, k, 0, nil)
				if ctx.Err() != nil {
					return
				}
				if p.db.Checkpoint(k) != before {
					attempt = 1 // it got somewhere: start the backoff over
				}
				p.log.Warn("following the log failed; retrying", "stream", k.Stream(), "err", err)
				sleep(ctx, min(time.Duration(attempt)*500*time.Millisecond, 5*time.Second))
			}
		})
	}
	wg.Wait()
}

// CatchUp applies every stream up to the sequences until names (a stream
// not named, or named at 0, is not read), reporting progress, and returns.
func (p *Projector) CatchUp(ctx context.Context, until map[eventstore.Kind]uint64, progress func(Progress)) error {
	var total uint64
	for k, seq := range until {
		if c := p.db.Checkpoint(k); seq > c {
			total += seq - c
		}
	}
	var mu sync.Mutex
	var applied uint64
	report := func(n int) {
		// Under the lock, so reports arrive in order and the last one
		// is the total.
		mu.Lock()
		defer mu.Unlock()
		applied += uint64(n)
		if progress != nil {
			progress(Progress{Applied: applied, Total: total})
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(until))
	for k, seq := range until {
		if seq == 0 || p.db.Checkpoint(k) >= seq {
			continue
		}
		wg.Go(func() { errs <- p.follow(ctx, k, seq, report) })
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// Replace swaps the read model in the file next in for the one this
// projector feeds, first bringing it up to date, so nothing applied is
// lost and the checkpoints never move back (DB.Replace).
func (p *Projector) Replace(ctx context.Context, next string) error {
	return p.db.Replace(next, func(nd *DB, until map[eventstore.Kind]uint64) error {
		return NewProjector(p.es, nd, p.log).CatchUp(ctx, until, nil)
	})
}

// follow applies stream k from the checkpoint on, in batches, up to until
// (0: forever). It returns nil once until is applied.
//
// Reading and writing run apart: the reader hands each message to the
// writer, which writes, in one transaction, every message that arrived
// while it wrote the last (up to maxBatch). A message then waits for at
// most the transaction before it and its own, however fast they come, and
// the batches grow with the load. (Flushing from the reader, when the
// server had nothing more to deliver, wrote one message per transaction
// whenever the projector kept up: the messages the client had buffered
// all say so.)
func (p *Projector) follow(ctx context.Context, k eventstore.Kind, until uint64, applied func(int)) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	in := make(chan eventstore.Message, maxBatch)
	written := make(chan error, 1)
	go func() {
		err := p.write(k, in, applied)
		if err != nil {
			cancel(err)
		}
		written <- err
	}()
	from := p.db.Checkpoint(k) + 1
	err := p.es.Follow(ctx, k, from, func(m eventstore.Message, pos eventstore.Position) error {
		p.noteRead(k, m, pos)
		select {
		case in <- m:
		case <-ctx.Done():
			p.noteDropped(k, 1)
			return context.Cause(ctx)
		}
		if until > 0 && m.Seq >= until {
			return errReached
		}
		return nil
	})
	close(in)
	if werr := <-written; werr != nil {
		// What the writer left unread is read again by the next follow.
		n := 0
		for range in {
			n++
		}
		p.noteDropped(k, n)
		return werr
	}
	if errors.Is(err, errReached) {
		return nil
	}
	return err
}

// write applies the messages of in, in order, each transaction holding all
// that wait (up to maxBatch), until in is closed or a transaction fails.
func (p *Projector) write(k eventstore.Kind, in <-chan eventstore.Message, applied func(int)) error {
	batch := make([]eventstore.Message, 0, maxBatch)
	for m := range in {
		batch = append(batch[:0], m)
	drain:
		for len(batch) < maxBatch {
			select {
			case m, ok := <-in:
				if !ok {
					break drain
				}
				batch = append(batch, m)
			default:
				break drain
			}
		}
		if err := p.db.Apply(k, batch); err != nil {
			p.noteDropped(k, len(batch))
			return err
		}
		if applied != nil {
			applied(len(batch))
		}
		p.noteApplied(k, len(batch), batch[len(batch)-1].Time)
		p.noteChanged(k, batch)
	}
	return nil
}

func (p *Projector) noteRead(k eventstore.Kind, m eventstore.Message, pos eventstore.Position) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.lag[k]
	if l.batched == 0 {
		l.batchStart = m.Time
	}
	l.batched++
	l.pending = pos.Pending
}

// noteDropped forgets a batch read but not written; it is read again.
func (p *Projector) noteDropped(k eventstore.Kind, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lag[k].batched -= n
}

func (p *Projector) noteApplied(k eventstore.Kind, n int, last time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.lag[k]
	l.batched -= n
	l.lastApplied = last
	if l.batched > 0 {
		// Read while this batch was written: the oldest of them was
		// stored after the last one applied.
		l.batchStart = last
	}
}

// Lag reports how far the read model is behind each stream.
func (p *Projector) Lag() map[string]Lag {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]Lag, len(p.lag))
	for k, l := range p.lag {
		lag := Lag{Events: l.pending + uint64(l.batched), Checkpoint: p.db.Checkpoint(k)}
		// The oldest unapplied message is the first of the batch being
		// read, or else one not read yet, stored after the last applied.
		switch {
		case l.batched > 0:
			lag.Seconds = time.Since(l.batchStart).Seconds()
		case l.pending > 0 && !l.lastApplied.IsZero():
			lag.Seconds = time.Since(l.lastApplied).Seconds()
		}
		out[k.Stream()] = lag
	}
	return out
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

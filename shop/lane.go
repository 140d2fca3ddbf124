package shop

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// laneIdle is how long a product's lane waits for work before it ends.
const laneIdle = 30 * time.Second

// A lane serializes one product's commands in this process and commits the
// reservations waiting at the same time as one append (group commit).
// While an append is in flight, new reservations queue up and go together
// in the next one, so the batch grows with the load and no timer delays a
// lone request.
type lane struct {
	s       *Service
	id      string
	jobs    chan *job
	pending atomic.Int64 // jobs sent or about to be sent

	// Owned by the lane's goroutine: the product as of its last append
	// or load, and whether it is known to be current.
	state domain.Product
	seq   uint64
	fresh bool
	// fromLeader asks the next load for the leader's answer: a refusal is
	// decided only on the product as it surely is.
	fromLeader bool
	// confirmed is when state was last known to be the product as stored:
	// read from the leader, or just appended by this lane.
	confirmed time.Time
}

// refusalTTL is how long a confirmed state may refuse reservations (out of
// stock) without asking the leader again: a sold-out product costs one
// read per product per refusalTTL, not one per batch, and a restock by
// another process is seen within it.
const refusalTTL = 50 * time.Millisecond

// job is one product command waiting in a lane.
type job struct {
	ctx context.Context
	cmd any // domain.Reserve, domain.Restock or domain.Release
	// keyed marks a reservation under an Idempotency-Key: its id may
	// already be held, which the lane checks before holding it again.
	keyed bool
	// msgID, when set, names the append for deduplication across
	// processes; such a job is committed alone.
	msgID string
	done  chan result
}

type result struct {
	event   domain.Event // the job's own event, nil if none
	product domain.Product
	seq     uint64
	// placed counts the placements still owed for the message at seq.
	placed *batchPlacement
	// replay: the reservation already existed; nothing was held now.
	replay bool
	err    error
}

func (j *job) reserve() (domain.Reserve, bool) {
	r, ok := j.cmd.(domain.Reserve)
	return r, ok && j.msgID == ""
}

// submit runs cmd in the product's lane and waits for its result.
func (s *Service) submit(ctx context.Context, productID string, j *job) result {
	j.ctx, j.done = ctx, make(chan result, 1)
	s.mu.Lock()
	l, ok := s.lanes[productID]
	if !ok {
		l = &lane{s: s, id: productID, jobs: make(chan *job, 4*s.cfg.MaxBatch)}
		s.lanes[productID] = l
		go l.loop()
	}
	l.pending.Add(1)
	s.mu.Unlock()
	select {
	case l.jobs <- j:
	case <-ctx.Done():
		l.pending.Add(-1)
		return result{err: ctx.Err()}
	}
	select {
	case r := <-j.done:
		return r
	case <-ctx.Done():
		return result{err: ctx.Err()}
	}
}

func (l *lane) loop() {
	idle := time.NewTimer(laneIdle)
	defer idle.Stop()
	var next *job
	for {
		first := next
		next = nil
		if first == nil {
			select {
			case first = <-l.jobs:
				l.pending.Add(-1)
			case <-idle.C:
				l.s.mu.Lock()
				if l.pending.Load() == 0 {
					delete(l.s.lanes, l.id)
					l.s.mu.Unlock()
					return
				}
				l.s.mu.Unlock()
				idle.Reset(laneIdle)
				continue
			}
		}
		batch := []*job{first}
		if _, ok := first.reserve(); ok {
		drain:
			for len(batch) < l.s.cfg.MaxBatch {
				select {
				case j := <-l.jobs:
					l.pending.Add(-1)
					if _, ok := j.reserve(); !ok {
						next = j
						break drain
					}
					batch = append(batch, j)
				default:
					break drain
				}
			}
		}
		l.run(batch)
		idle.Reset(laneIdle)
	}
}

// run commits one batch: decide every job on the current product, append
// the events of those that succeed as one message, and answer each job.
func (l *lane) run(batch []*job) {
	ctx := context.Background()
	// Drop jobs whose caller already gave up.
	live := batch[:0]
	for _, j := range batch {
		if j.ctx.Err() != nil {
			j.done <- result{err: j.ctx.Err()}
			continue
		}
		live = append(live, j)
	}
	batch = live
	for attempt := 1; len(batch) > 0; attempt++ {
		if !l.fresh {
			get := load[domain.Product]
			if l.fromLeader {
				get = loadFromLeader[domain.Product]
			}
			p, seq, err := get(ctx, l.s.es, eventstore.Products, l.id)
			if err != nil {
				l.fresh, l.fromLeader = false, false
				l.fail(batch, err)
				return
			}
			if l.fromLeader {
				l.confirmed = time.Now()
			}
			l.state, l.seq, l.fresh, l.fromLeader = p, seq, true, false
		}
		// sure: the product is as stored, recently enough, so a refusal
		// decided on it is not an artifact of a stale cache or a lagging
		// replica.
		sure := l.fresh && time.Since(l.confirmed) < refusalTTL
		var err error
		if batch, err = l.dropReplays(ctx, batch); err != nil {
			l.fail(batch, err)
			return
		}
		p := l.state
		var events []domain.Event
		var ok []*job
		var refused []*job
		refusedErr := map[*job]error{}
		for _, j := range batch {
			evs, err := p.Decide(j.cmd, l.s.now())
			if err != nil {
				refused = append(refused, j)
				refusedErr[j] = err
				continue
			}
			for _, e := range evs {
				p = p.Evolve(e)
			}
			events = append(events, evs...)
			ok = append(ok, j)
		}
		// A refusal decided on a state this lane cached may be stale (a
		// restock or a create by another process): decide again on the
		// product as its leader has it, without appending anything first.
		if len(refused) > 0 && !sure {
			l.fresh, l.fromLeader = false, true
			continue
		}
		for _, j := range refused {
			j.done <- result{product: l.state, seq: l.seq, err: refusedErr[j]}
		}
		if len(events) == 0 {
			return
		}
		msgID := ""
		if len(ok) == 1 {
			msgID = ok[0].msgID
		}
		seq, err := l.s.es.Append(ctx, eventstore.Products, l.id, l.seq, msgID, events, p)
		if err == nil {
			// A job named by msgID may have been a duplicate of an append
			// another process made: read the product again next time.
			l.state, l.seq, l.fresh = p, seq, msgID == ""
			if l.fresh {
				l.confirmed = time.Now()
			}
			if f := l.s.cfg.Observe.Committed; f != nil && len(ok) > 0 {
				if _, reserving := ok[0].reserve(); reserving {
					f(len(ok))
				}
			}
			done := &batchPlacement{s: l.s, seq: seq}
			done.remaining.Store(int64(len(ok)))
			for i, j := range ok {
				j.done <- result{event: events[i], product: p, seq: seq, placed: done}
			}
			return
		}
		l.fresh = false
		if !errors.Is(err, eventstore.ErrConflict) {
			l.fail(ok, err)
			return
		}
		if attempt >= l.s.cfg.MaxAttempts {
			l.fail(ok, fmt.Errorf("product %s: %w", l.id, ErrBusy))
			return
		}
		batch = ok
		if err := backoff(ctx, attempt); err != nil {
			l.fail(batch, err)
			return
		}
	}
}

func (l *lane) fail(batch []*job, err error) {
	for _, j := range batch {
		j.done <- result{err: err}
	}
}

// dropReplays answers, and takes out of the batch, the keyed reservations
// that already exist. Every unit held up to the lane's sequence is placed
// once the placer has processed that sequence, so after waiting for it a
// missing reservation is truly new; one held after it would make this
// batch's append conflict and be checked again.
func (l *lane) dropReplays(ctx context.Context, batch []*job) ([]*job, error) {
	keyed := false
	for _, j := range batch {
		keyed = keyed || j.keyed
	}
	if !keyed || l.seq == 0 {
		return batch, nil
	}
	if err := l.s.waitPlaced(ctx, l.seq); err != nil {
		return batch, err
	}
	kept := batch[:0]
	for _, j := range batch {
		r, _ := j.reserve()
		if j.keyed {
			if placed, err := l.s.placed(ctx, r.ReservationID, true); err != nil {
				j.done <- result{err: err}
				continue
			} else if placed {
				j.done <- result{replay: true}
				continue
			}
		}
		kept = append(kept, j)
	}
	return kept, nil
}

// waitPlaced waits until the placer has processed the product log up to
// seq, or fails with eventstore.ErrUnavailable after the store's timeout.
func (s *Service) waitPlaced(ctx context.Context, seq uint64) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		done, err := s.es.Processed(ctx, eventstore.Products, placerConsumer.Durable, seq)
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("placer behind sequence %d: %w", seq, eventstore.ErrUnavailable)
		}
	}
}

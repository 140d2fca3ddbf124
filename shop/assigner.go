package shop

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/assign"
	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// AssignerConsumers name the assigners' shared durable consumers, for
// reading their backlog.
var AssignerConsumers = []struct {
	Kind    eventstore.Kind
	Durable string
}{{assignerConsumer.Kind, assignerConsumer.Durable}, {releaserConsumer.Kind, releaserConsumer.Durable}}

// assignerConsumer gives every placement (a new reservation, or one a
// store handed back) to one assigner. Its name must never change. A
// reservation waiting for room stays unacked (see waitDelay), so
// MaxAckPending bounds how many may wait at once before new placements
// queue behind them.
var assignerConsumer = eventstore.ConsumerConfig{Durable: "store-assigner", Kind: eventstore.Reservations,
	Parts:   []eventstore.Kind{eventstore.Reservations}, // placements are the api's
	Workers: 64, MaxAckPending: 20_000, AckWait: shopAckWait,
	Skip: func(p eventstore.Peek) bool { return !p.Has(placementEvents...) }}

// releaserConsumer gives every change that settles or frees a store's
// slot (accepted, cancelled, fulfilled) to one assigner. It is a consumer
// of its own so that placements waiting for room, however many, never
// hold up the releases that make room: on one consumer, a full
// MaxAckPending of waiting placements would stop the cancellations behind
// them from freeing anything. Its handler never waits. Its name must
// never change.
var releaserConsumer = eventstore.ConsumerConfig{Durable: "store-releaser", Kind: eventstore.Reservations,
	Workers: 16, AckWait: shopAckWait,
	Skip: func(p eventstore.Peek) bool { return !p.Has(releaseEvents...) }}

// placementEvents ask for a store to be chosen; releaseEvents settle or
// free one. Together they are every event that may change which store
// should hold a reservation.
var (
	placementEvents = []string{domain.ReservationPlaced{}.EventType(), domain.ReservationRejected{}.EventType()}
	releaseEvents   = []string{domain.ReservationAccepted{}.EventType(), domain.CancelRequested{}.EventType(), domain.ReservationFulfilled{}.EventType()}
)

// Assigner gives every placed reservation the best store, and frees a
// store's slot when its reservation is rejected, cancelled or fulfilled.
// Any number of assigners may run at once.
type Assigner struct {
	s   *Service
	dir *directory
	// waiting is what this process found no room for, tried again as soon
	// as room appears.
	waiting *waitList
	// lastWrite is the stores' stream sequence of this process's last
	// append, which its directory must have seen before it decides again.
	lastWrite atomic.Uint64
}

// NewAssigner returns an assigner that runs commands through s.
func (s *Service) NewAssigner() *Assigner {
	return &Assigner{s: s, dir: newDirectory(s.es), waiting: newWaitList()}
}

// Run follows the store directory and assigns until ctx ends.
func (a *Assigner) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() {
		a.dir.follow(ctx, func(err error) { a.s.log.Warn("following the stores failed; retrying", "err", err) })
	})
	wg.Go(func() {
		// Start with every store known, so the first choices are good.
		for ctx.Err() == nil {
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := a.dir.sync(sctx)
			cancel()
			if err == nil {
				break
			}
			a.s.log.Warn("reading the store directory failed; retrying", "err", err)
			sleepCtx(ctx, time.Second)
		}
		var consumers sync.WaitGroup
		placer := assignerConsumer
		if n := a.s.cfg.MaxWaiting; n > 0 {
			placer.MaxAckPending = n
		}
		consumers.Go(func() { a.s.consume(ctx, placer, a.handle) })
		consumers.Go(func() { a.s.consume(ctx, releaserConsumer, a.settle) })
		consumers.Wait()
	})
	wg.Go(func() { a.wake(ctx) })
	wg.Wait()
}

func (a *Assigner) handle(ctx context.Context, d eventstore.Delivery) error {
	if !slices.ContainsFunc(d.Events, concernsStores) {
		return nil
	}
	id, err := uuid.Parse(d.ID)
	if err != nil {
		return fmt.Errorf("reservation subject %q: %w", d.ID, err)
	}
	// A placement back while no store has room anywhere: nothing to do
	// but wait again, without reading anything. (A cancel meanwhile comes
	// as a message of its own.)
	if d.Attempt > 1 && !a.dir.hasRoom() && onlyPlacement(d.Events) && len(a.dir.holding(id)) == 0 {
		a.waiting.add(id, placedAt(d))
		return waitDelay(d.Attempt)
	}
	err = a.route(ctx, d, id)
	if err == nil {
		a.waiting.remove(id)
	}
	return err
}

// placedAt is when a delivery's reservation was placed, as its state
// says; the delivery's own time when that does not read.
func placedAt(d eventstore.Delivery) time.Time {
	var r domain.Reservation
	if err := d.State(&r); err != nil || r.CreatedAt.IsZero() {
		return d.Time
	}
	return r.CreatedAt
}

// onlyPlacement reports whether events only place or hand back a
// reservation: what a reservation waiting for a store was delivered with.
func onlyPlacement(events []domain.Event) bool {
	for _, e := range events {
		switch e.(type) {
		case domain.ReservationPlaced, domain.ReservationRejected:
		default:
			return false
		}
	}
	return true
}

// route converges the delivery's reservation, from the delivery itself
// when it says all there is to know.
func (a *Assigner) route(ctx context.Context, d eventstore.Delivery, id uuid.UUID) error {
	if err := a.seeWrites(ctx, d); err != nil {
		return err
	}
	// A reservation's first message, delivered once, says all there is
	// to know: it is PLACED, with no store. Anything later is read from
	// the stream's leader, as the delivery may be stale.
	if r, ok := firstAndOnly(d, domain.ReservationPlaced{}, domain.StatusPlaced); ok {
		return a.assign(ctx, r, d.Seq, "", d.Attempt)
	}
	return a.converge(ctx, id, d.Attempt, true, d.Seq)
}

// seeWrites waits until the directory has seen this process's own store
// writes, before a decision on the delivery; on a redelivery, every
// process's, as another one may have died mid-way.
func (a *Assigner) seeWrites(ctx context.Context, d eventstore.Delivery) error {
	if d.Attempt > 1 {
		return a.dir.sync(ctx)
	}
	return a.dir.waitFor(ctx, a.lastWrite.Load())
}

// firstAndOnly returns the reservation a delivery states when it is the
// delivery's first, holds only an event of the given kind, and leaves the
// reservation in the given status: then the delivery itself says what
// the message asks for, without reading the reservation back.
func firstAndOnly(d eventstore.Delivery, kind domain.Event, status domain.Status) (domain.Reservation, bool) {
	var r domain.Reservation
	if d.Attempt != 1 || len(d.Events) != 1 || d.Events[0].EventType() != kind.EventType() {
		return r, false
	}
	if err := d.State(&r); err != nil || r.Status != status {
		return r, false
	}
	return r, true
}

// settle brings the stores' slots in line with a reservation accepted,
// cancelled or fulfilled. A reservation placed again by now is left to
// its placement, which comes as a message of its own.
func (a *Assigner) settle(ctx context.Context, d eventstore.Delivery) error {
	if !slices.ContainsFunc(d.Events, func(e domain.Event) bool { return slices.Contains(releaseEvents, e.EventType()) }) {
		return nil
	}
	id, err := uuid.Parse(d.ID)
	if err != nil {
		return fmt.Errorf("reservation subject %q: %w", d.ID, err)
	}
	if err := a.seeWrites(ctx, d); err != nil {
		return err
	}
	// An acceptance delivered once, with no store but its own holding
	// the reservation, asks for nothing: skip reading it back. Whatever
	// happened to the reservation since came as a message of its own,
	// read from the leader when it is handled.
	if d.Attempt == 1 && len(d.Events) == 1 {
		if acc, ok := d.Events[0].(domain.ReservationAccepted); ok && heldOnlyBy(a.dir.holding(id), acc.StoreID) {
			return nil
		}
	}
	return a.converge(ctx, id, d.Attempt, false, d.Seq)
}

// heldOnlyBy reports whether no store but storeID is among holders.
func heldOnlyBy(holders []string, storeID string) bool {
	for _, h := range holders {
		if h != storeID {
			return false
		}
	}
	return true
}

// concernsStores reports whether an event may change which store should
// hold its reservation.
func concernsStores(e domain.Event) bool {
	return slices.Contains(placementEvents, e.EventType()) || slices.Contains(releaseEvents, e.EventType())
}

// converge brings the stores' slots in line with the reservation as it is
// now: a placed one gets a store (when place is set), an accepted one is
// held by its store alone, a cancelled or fulfilled one by none. Every
// step is idempotent, so a crash, a redelivery or a race with another
// assigner converges too.
//
// atLeast is the sequence of the message that asked for it (0: none): a
// read older than that message, or one that finds no reservation at all,
// is not the reservation as it is now, and deciding on it would ack the
// message having done nothing, so the message comes back instead.
func (a *Assigner) converge(ctx context.Context, id uuid.UUID, attempt uint64, place bool, atLeast uint64) error {
	r, seq, asgSeq, err := readReservation(ctx, a.s.es, id.String())
	if errors.Is(err, eventstore.ErrUndecodable) {
		// A reservation whose last message no one can read is held by
		// no store: free whatever an earlier attempt took for it. The
		// message itself fails, and is parked in the end.
		if rerr := a.releaseAll(ctx, id, a.dir.holding(id), ""); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	if err != nil {
		return err
	}
	if max(seq, asgSeq) < atLeast {
		a.s.log.Warn("the stream leader answered an older reservation than its message; trying again", "reservation", id, "seq", max(seq, asgSeq), "message", atLeast)
		return eventstore.RetryLater(time.Second)
	}
	if seq == 0 {
		return nil
	}
	holders := a.dir.holding(id)
	switch r.Status {
	case domain.StatusPlaced:
		// A store that turned it down may still hold its slot.
		keep := ""
		for _, st := range holders {
			if slices.Contains(r.RejectedBy, st) {
				if err := a.release(ctx, st, id); err != nil {
					return err
				}
			} else {
				keep = st
			}
		}
		if !place {
			return nil
		}
		return a.assign(ctx, r, seq, keep, attempt)
	case domain.StatusAccepted:
		for _, st := range holders {
			if st != r.StoreID {
				if err := a.release(ctx, st, id); err != nil {
					return err
				}
			}
		}
		return nil
	case domain.StatusCancelling:
		if err := a.releaseAll(ctx, id, holders, r.StoreID); err != nil {
			return err
		}
		_, _, err := execute[domain.Reservation](ctx, a.s, eventstore.Assignments, id.String(), domain.RecordStoreReleased{})
		return err
	}
	// Cancelled or fulfilled: no store holds it any more.
	return a.releaseAll(ctx, id, holders, r.StoreID)
}

func (a *Assigner) releaseAll(ctx context.Context, id uuid.UUID, holders []string, storeID string) error {
	if storeID != "" && !slices.Contains(holders, storeID) {
		holders = append(holders, storeID)
	}
	for _, st := range holders {
		if err := a.release(ctx, st, id); err != nil {
			return err
		}
	}
	return nil
}

// assign gives a placed reservation, as it was at sequence seq, a store:
// the one that already holds its slot (an earlier attempt took it, then
// stopped), or the best one with room. With none, the reservation waits:
// the message comes back in a moment and is tried again.
func (a *Assigner) assign(ctx context.Context, r domain.Reservation, seq uint64, held string, attempt uint64) error {
	if held != "" {
		loc, _ := a.dir.location(held)
		return a.accept(ctx, r, seq, assign.Choice{StoreID: held, DistanceKm: assign.DistanceKm(r.Location, loc)}, attempt)
	}
	rejected := func(storeID string) bool { return slices.Contains(r.RejectedBy, storeID) }
	for range 8 {
		choice, ok := a.dir.index.Choose(r.Location, rejected)
		if !ok {
			a.waiting.add(r.ID, r.CreatedAt)
			return waitDelay(attempt)
		}
		st, storeSeq, err := a.storeCommand(ctx, choice.StoreID, domain.TakeSlot{ReservationID: r.ID})
		if errors.Is(err, domain.ErrInvalidTransition) {
			// Full or paused by now: the directory is behind. Correct it
			// from the store as stored and choose again.
			a.dir.index.Put(assign.Store{ID: st.ID, Location: st.Location, Capacity: st.Capacity, Load: st.Load(), Paused: st.Paused})
			continue
		}
		if err != nil {
			return err
		}
		a.noteWrite(storeSeq)
		return a.accept(ctx, r, seq, choice, attempt)
	}
	a.waiting.add(r.ID, r.CreatedAt)
	return waitDelay(attempt)
}

// accept records the choice on the reservation, whose slot the store now
// holds. If the reservation moved on meanwhile (cancelled, or accepted by
// a racing assigner) the slot goes back, unless that other assigner chose
// the same store.
func (a *Assigner) accept(ctx context.Context, r domain.Reservation, seq uint64, c assign.Choice, attempt uint64) error {
	err := a.record(ctx, r, seq, domain.Accept{StoreID: c.StoreID, DistanceKm: c.DistanceKm, Considered: c.Considered})
	if err == nil {
		a.s.log.Info("reservation assigned", "reservation", r.ID, "store", c.StoreID, "distance_km", c.DistanceKm)
		if f := a.s.cfg.Observe.Assigned; f != nil {
			f(a.s.now().Sub(r.CreatedAt))
		}
		return nil
	}
	if !errors.Is(err, domain.ErrInvalidTransition) {
		return err
	}
	now, nowSeq, _, err := readReservation(ctx, a.s.es, r.ID.String())
	if err != nil {
		return err
	}
	if now.Status == domain.StatusAccepted && now.StoreID == c.StoreID {
		return nil
	}
	if err := a.release(ctx, c.StoreID, r.ID); err != nil {
		return err
	}
	if now.Status == domain.StatusPlaced {
		return a.assign(ctx, now, nowSeq, "", attempt)
	}
	return nil
}

// errTaken means another assigner accepted the reservation first.
var errTaken = fmt.Errorf("another assigner accepted the reservation first: %w", domain.ErrInvalidTransition)

// record appends an acceptance to the reservation's assignment, decided on
// r, as its own subject was at sequence seq. The append is stored only
// while that subject is still there: never after a cancel, a rejection or
// a fulfilment. Two assigners deciding on the same r name their appends
// alike, so the stream stores the first and acks the second as its
// duplicate, within its duplicate window (a decision and its append are
// seconds apart at most); the second then finds another store's
// acceptance: errTaken. A conflict is decided again on the reservation as
// the leader has it.
func (a *Assigner) record(ctx context.Context, r domain.Reservation, seq uint64, cmd domain.Accept) error {
	id := r.ID.String()
	for attempt := 1; ; attempt++ {
		events, err := r.Decide(cmd, a.s.now())
		if err != nil || len(events) == 0 {
			return err
		}
		next := r
		for _, e := range events {
			next = next.Evolve(e)
		}
		_, dup, err := a.s.es.AppendAfter(ctx, eventstore.Assignments, id, seq, fmt.Sprintf("accept-%s-%d", id, seq), events, next.Assignment)
		if err == nil && !dup {
			return nil
		}
		if err != nil && !errors.Is(err, eventstore.ErrConflict) {
			return err
		}
		if attempt >= a.s.cfg.MaxAttempts {
			return fmt.Errorf("reservation %s: %w", id, ErrBusy)
		}
		if r, seq, _, err = readReservation(ctx, a.s.es, id); err != nil {
			return err
		}
		if dup {
			// Ours, stored before an ack that was lost, or another's.
			if r.Status == domain.StatusAccepted && r.StoreID == cmd.StoreID {
				return nil
			}
			return errTaken
		}
	}
}

// release frees the reservation's slot at a store; a store that does not
// hold it changes nothing.
func (a *Assigner) release(ctx context.Context, storeID string, id uuid.UUID) error {
	_, seq, err := a.storeCommand(ctx, storeID, domain.ReleaseSlot{ReservationID: id})
	if err != nil {
		return fmt.Errorf("release %s at store %s: %w", id, storeID, err)
	}
	a.noteWrite(seq)
	return nil
}

// storeCommand runs a command on a store, deciding first on the store as
// the directory has it: with nothing written since, as is usual, the
// append succeeds without reading the store back from the stream. Anything
// else (a write in between, a refusal, nothing to do) is decided again on
// the store as stored.
func (a *Assigner) storeCommand(ctx context.Context, storeID string, cmd any) (domain.Store, uint64, error) {
	if st, seq, ok := a.dir.store(storeID); ok {
		return executeOn(ctx, a.s, eventstore.Slots, storeID, st, seq, cmd)
	}
	return execute[domain.Store](ctx, a.s, eventstore.Slots, storeID, cmd)
}

func (a *Assigner) noteWrite(seq uint64) {
	for {
		old := a.lastWrite.Load()
		if seq <= old || a.lastWrite.CompareAndSwap(old, seq) {
			return
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

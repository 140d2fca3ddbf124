package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
)

var partsAt = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func placedEvent(id uuid.UUID) domain.ReservationPlaced {
	return domain.ReservationPlaced{ReservationID: id, ProductID: "p-1", CustomerID: "c-1", At: partsAt}
}

func acceptedEvent(id uuid.UUID, store string) domain.ReservationAccepted {
	return domain.ReservationAccepted{ReservationID: id, StoreID: store, DistanceKm: 1, At: partsAt}
}

// Each part of an aggregate has its own subject in the aggregate's stream,
// and holds only its own event types: appends refuse any other before
// sending, and every reader refuses a message that holds one.
func TestPartsHoldOnlyTheirOwnEvents(t *testing.T) {
	_, nc, s := open(t, nil)
	ctx := t.Context()
	id := uuid.New()
	if got := eventstore.Assignments.Subject(id.String()); got != "tshop.assignment."+id.String() {
		t.Fatalf("assignment subject %q", got)
	}
	if eventstore.Assignments.Stream() != eventstore.Reservations.Stream() || eventstore.Slots.Stream() != eventstore.Stores.Stream() {
		t.Fatal("a part is not in its aggregate's stream")
	}
	for _, typ := range domain.EventTypes() {
		owners := 0
		for _, k := range []eventstore.Kind{eventstore.Products, eventstore.Reservations, eventstore.Stores, eventstore.Assignments, eventstore.Slots} {
			if k.Holds(typ) {
				owners++
			}
		}
		if owners != 1 {
			t.Fatalf("event type %s is held by %d kinds, want exactly one", typ, owners)
		}
	}

	if _, err := s.Append(ctx, eventstore.Reservations, id.String(), 0, "", []domain.Event{acceptedEvent(id, "s-1")}, domain.Reservation{}); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("append of an acceptance on the reservation's own subject: %v, want ErrInvalid", err)
	}
	if n := msgCount(t, nc, eventstore.Reservations); n != 0 {
		t.Fatalf("the refused append reached the stream: %d messages", n)
	}

	// Written by hand, as a client with the api's permissions could.
	placed := placedEvent(id)
	seq, err := s.Append(ctx, eventstore.Reservations, id.String(), 0, "", []domain.Event{placed}, domain.Reservation{}.Evolve(placed))
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := domain.MarshalEvent(acceptedEvent(id, "s-9"))
	forged := fmt.Sprintf(`{"events":[%s],"state":{"status":"ACCEPTED","storeId":"s-9"}}`, ev)
	js, _ := jetstream.New(nc)
	if _, err := js.Publish(ctx, eventstore.Reservations.Subject(id.String()), []byte(forged),
		jetstream.WithExpectLastSequencePerSubject(seq)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Last(ctx, eventstore.Reservations, id.String()); err == nil {
		t.Fatal("loaded a reservation message holding an acceptance")
	}
	m, err := s.Next(ctx, eventstore.Reservations, id.String(), seq+1)
	if err != nil || m.Err == nil {
		t.Fatalf("Next read the forged message as %+v, %v; want it with a decode error", m, err)
	}
	var followed []eventstore.Message
	fctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_ = s.Follow(fctx, eventstore.Reservations, 1, func(m eventstore.Message, p eventstore.Position) error {
		followed = append(followed, m)
		if p.Pending == 0 {
			cancel()
		}
		return nil
	})
	if len(followed) != 2 || followed[0].Err != nil || followed[1].Err == nil {
		t.Fatalf("Follow read %d messages (%+v), want the placement and the forged one refused", len(followed), followed)
	}
}

// AppendAfter stores a part's message only while its aggregate's own
// subject is where the writer read it; under one message id it stores
// once.
func TestAppendAfter(t *testing.T) {
	_, _, s := open(t, nil)
	ctx := t.Context()
	id := uuid.New()
	placed := placedEvent(id)
	r := domain.Reservation{}.Evolve(placed)
	seq, err := s.Append(ctx, eventstore.Reservations, id.String(), 0, "", []domain.Event{placed}, r)
	if err != nil {
		t.Fatal(err)
	}
	acc := acceptedEvent(id, "s-1")
	msgID := fmt.Sprintf("accept-%s-%d", id, seq)
	got, dup, err := s.AppendAfter(ctx, eventstore.Assignments, id.String(), seq, msgID, []domain.Event{acc}, r.Evolve(acc).Assignment)
	if err != nil || dup || got <= seq {
		t.Fatalf("AppendAfter = %d, %v, %v; want stored after %d", got, dup, err, seq)
	}
	// A second decision on the same reservation, at another store: the
	// stream acks it as the first's duplicate.
	other := acceptedEvent(id, "s-2")
	again, dup, err := s.AppendAfter(ctx, eventstore.Assignments, id.String(), seq, msgID, []domain.Event{other}, r.Evolve(other).Assignment)
	if err != nil || !dup || again != got {
		t.Fatalf("second AppendAfter = %d, %v, %v; want the duplicate of %d", again, dup, err, got)
	}
	last, err := s.Last(ctx, eventstore.Assignments, id.String())
	if err != nil || last.Seq != got || last.Events[0].(domain.ReservationAccepted).StoreID != "s-1" {
		t.Fatalf("the assignment's last message is %+v, %v; want the first acceptance", last, err)
	}
	// Once the reservation moved on, a decision on its old state is
	// refused, whatever its message id.
	cancelled := domain.CancelRequested{ReservationID: id, ProductSeq: 1, At: partsAt}
	if _, err := s.Append(ctx, eventstore.Reservations, id.String(), seq, "", []domain.Event{cancelled}, r.Evolve(cancelled)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.AppendAfter(ctx, eventstore.Assignments, id.String(), seq, "accept-late", []domain.Event{other}, r.Evolve(other).Assignment); !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("AppendAfter on a reservation that moved on: %v, want ErrConflict", err)
	}
	if _, _, err := s.AppendAfter(ctx, eventstore.Assignments, id.String(), seq, "", []domain.Event{other}, nil); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("AppendAfter without a message id: %v, want ErrInvalid", err)
	}
	// Next walks both subjects of the reservation in log order.
	var kinds []eventstore.Kind
	for from := uint64(1); ; {
		m, err := s.Next(ctx, eventstore.Reservations, id.String(), from)
		if errors.Is(err, eventstore.ErrNotFound) {
			break
		}
		if err != nil || m.Err != nil {
			t.Fatal(err, m.Err)
		}
		kinds = append(kinds, m.Kind)
		from = m.Seq + 1
	}
	if want := []eventstore.Kind{eventstore.Reservations, eventstore.Assignments, eventstore.Reservations}; fmt.Sprint(kinds) != fmt.Sprint(want) {
		t.Fatalf("Next walked %v, want %v", kinds, want)
	}
}

// On a replicated stream, a check that names the aggregate's own subject
// is serialized with writes to that subject: of an acceptance and a cancel
// both decided on the same reservation, either the cancel is refused or
// the acceptance is stored before it, never after. (A check naming a
// wildcard is not serialized this way; Tshop names none.)
func TestAppendAfterIsOrderedWithTheAggregateOnCluster(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	var stores []*eventstore.Store
	for _, srv := range c.Servers {
		stores = append(stores, openOn(t, srv.Connect(), &eventstore.Config{Replicas: 3, Timeout: 5 * time.Second}))
	}
	// Each attempt a new reservation: one that was stored before its
	// answer was lost would conflict for ever.
	warmUp(t, stores, func(s *eventstore.Store, _ int) error {
		id := uuid.New()
		warm := placedEvent(id)
		_, err := s.Append(t.Context(), eventstore.Reservations, id.String(), 0, "", []domain.Event{warm}, domain.Reservation{}.Evolve(warm))
		return err
	})
	ctx := t.Context()
	const rounds = 100
	both := 0
	for round := range rounds {
		id := uuid.New()
		placed := placedEvent(id)
		r := domain.Reservation{}.Evolve(placed)
		seq, err := stores[0].Append(ctx, eventstore.Reservations, id.String(), 0, "", []domain.Event{placed}, r)
		if err != nil {
			t.Fatal(err)
		}
		acc := acceptedEvent(id, "s-1")
		cancelled := domain.CancelRequested{ReservationID: id, ProductSeq: 1, At: partsAt}
		var accSeq, cancelSeq uint64
		var accErr, cancelErr error
		var wg sync.WaitGroup
		wg.Go(func() {
			accSeq, _, accErr = stores[(round+1)%3].AppendAfter(ctx, eventstore.Assignments, id.String(), seq,
				fmt.Sprintf("accept-%s-%d", id, seq), []domain.Event{acc}, r.Evolve(acc).Assignment)
		})
		wg.Go(func() {
			cancelSeq, cancelErr = stores[(round+2)%3].Append(ctx, eventstore.Reservations, id.String(), seq, "", []domain.Event{cancelled}, r.Evolve(cancelled))
		})
		wg.Wait()
		for _, err := range []error{accErr, cancelErr} {
			if err != nil && !errors.Is(err, eventstore.ErrConflict) {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if accErr == nil && cancelErr == nil {
			both++
			if accSeq > cancelSeq {
				t.Fatalf("round %d: the acceptance was stored at %d, after the cancel at %d", round, accSeq, cancelSeq)
			}
		}
		if accErr != nil && cancelErr != nil {
			t.Fatalf("round %d: both refused: %v; %v", round, accErr, cancelErr)
		}
	}
	t.Logf("%d of %d rounds stored both, the acceptance first", both, rounds)
}

// warmUp appends through every store, each its own aggregate, until each
// server takes appends to the new replicated stream.
func warmUp(t *testing.T, stores []*eventstore.Store, appendOne func(s *eventstore.Store, i int) error) {
	t.Helper()
	for i, s := range stores {
		deadline := time.Now().Add(30 * time.Second)
		for {
			err := appendOne(s, i)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the stream takes no append through server %d: %v", i+1, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

package shop_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/shop"
)

// A process with the api's NATS user cannot make a store assignment: what
// it may write on a reservation's own subject, an acceptance event or a
// state that claims one, changes no reservation's status or store, and the
// assigner assigns as if it were not there.
func TestApiSubjectCannotAssign(t *testing.T) {
	ns := natstest.Start(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	apiConn := ns.Connect(natstest.User(natstest.API))
	es, err := eventstore.Open(ctx, apiConn, &eventstore.Config{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	api := shop.New(es, &shop.Config{Logger: quiet})
	if _, _, err := api.CreateProduct(ctx, domain.CreateProduct{ID: "p-1", Name: "Phone", Stock: 5}); err != nil {
		t.Fatal(err)
	}
	for _, st := range []domain.RegisterStore{
		{ID: "near", Name: "Near", Location: domain.Location{Lat: 37.5, Lon: 127}, Capacity: 5},
		{ID: "far", Name: "Far", Location: domain.Location{Lat: 35.1, Lon: 129}, Capacity: 5},
	} {
		if _, _, err := api.RegisterStore(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	reserve := func() string {
		res, err := api.Reserve(ctx, shop.ReserveRequest{ProductID: "p-1", CustomerID: "c-1", Location: domain.Location{Lat: 37.5, Lon: 127}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Reservation.ID.String()
	}
	claimed, poisoned := reserve(), reserve()
	js, _ := jetstream.New(apiConn)
	// publish writes on a reservation's own subject as the api's user.
	publish := func(id string, events string, state string) {
		t.Helper()
		last, err := es.LastFromLeader(ctx, eventstore.Reservations, id)
		if err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf(`{"events":[%s],"state":%s}`, events, state)
		if _, err := js.Publish(ctx, eventstore.Reservations.Subject(id), []byte(body), jetstream.WithExpectLastSequencePerSubject(last.Seq)); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Now().UTC()

	// With no assigner running: a message whose event the api may write,
	// with a state that claims an acceptance by "far".
	restored, _ := domain.MarshalEvent(domain.StockRestored{ReservationID: uuid.MustParse(claimed), At: at})
	publish(claimed, string(restored), fmt.Sprintf(`{"id":%q,"productId":"p-1","customerId":"c-1","status":"ACCEPTED","storeId":"far",`+
		`"distanceKm":0.1,"createdAt":"2026-11-25T09:00:00Z","updatedAt":"2026-11-25T09:00:00Z","assignment":{"storeId":"far","distanceKm":0.1}}`, claimed))
	if r, err := api.Reservation(ctx, uuid.MustParse(claimed)); err != nil || r.Status != domain.StatusPlaced || r.StoreID != "" {
		t.Fatalf("the reservation whose api subject claims an acceptance reads %s at %q (%v), want PLACED at none", r.Status, r.StoreID, err)
	}

	// An acceptance event on the api's subject: no reader takes it.
	accepted, _ := domain.MarshalEvent(domain.ReservationAccepted{ReservationID: uuid.MustParse(poisoned), StoreID: "far", DistanceKm: 0.1, At: at})
	publish(poisoned, string(accepted), `{"status":"ACCEPTED","storeId":"far"}`)
	if r, err := api.Reservation(ctx, uuid.MustParse(poisoned)); err == nil {
		t.Fatalf("read a reservation whose last message holds an acceptance on the api's subject: %+v", r)
	}
	// Nor may the api's user write where acceptances go.
	if _, err := js.Publish(ctx, eventstore.Assignments.Subject(poisoned), []byte(`{}`)); err == nil {
		t.Fatal("the api's user wrote on the assignment's subject")
	}

	// The assigner then assigns the nearest store to the claimed one, as
	// if nothing had been claimed.
	asg := shop.New(openAs(t, ctx, ns, natstest.Assigner), &shop.Config{Logger: quiet}).NewAssigner()
	done := make(chan struct{})
	go func() { asg.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		m, err := es.LastFromLeader(ctx, eventstore.Assignments, claimed)
		if err == nil {
			var a domain.Assignment
			if err := m.State(&a); err != nil || a.StoreID != "near" {
				t.Fatalf("assigned %+v (%v), want near", a, err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not assigned within 20s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The reservation no one can read any more holds no slot: one the
	// assigner took for it before it found out is given back.
	for {
		var slots domain.Slots
		m, err := es.LastFromLeader(ctx, eventstore.Slots, "near")
		if err == nil {
			err = m.State(&slots)
		}
		if err == nil && len(slots.Holding) == 1 && slots.Holding[0].String() == claimed {
			break
		}
		if time.Now().After(deadline.Add(20 * time.Second)) {
			t.Fatalf("store near holds %v (%v), want only %s", slots.Holding, err, claimed)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openAs opens the event store as a role's NATS user; only the api creates
// the streams, the others wait for them.
func openAs(t *testing.T, ctx context.Context, ns *natstest.Server, r natstest.Role) *eventstore.Store {
	t.Helper()
	es, err := eventstore.Open(ctx, ns.Connect(natstest.User(r)), &eventstore.Config{Timeout: 5 * time.Second, WaitForStreams: r != natstest.API})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

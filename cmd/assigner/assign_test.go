package main_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// Two assigners, 1,000 reservations, room for 600: exactly 600 accepted,
// 400 waiting, no store over capacity. Reservations taken while no
// assigner ran are worked through once one starts.
func TestTwoAssignersBindingCapacity(t *testing.T) {
	e := newEnv(t)
	e.product(t, "galaxy-s26-256", 1000)
	var stores []string
	for i := range 12 {
		id := fmt.Sprintf("store-%02d", i)
		e.store(t, id, 37.45+0.01*float64(i), 126.9+0.015*float64(i), 50)
		stores = append(stores, id)
	}
	// No assigner yet: reservations are still taken.
	ids := make([]uuid.UUID, 0, 1000)
	for i := range 1000 {
		ids = append(ids, e.reserve(t, "galaxy-s26-256", i, 37.40+float64(i%50)*0.004, 126.85+float64(i%37)*0.006))
	}
	for _, id := range ids[:10] {
		if r := e.reservation(t, id); r.Status != domain.StatusPlaced {
			t.Fatalf("with no assigner, reservation %s is %s", id, r.Status)
		}
	}
	a, b := e.startAssigner(t), e.startAssigner(t)
	var statuses map[domain.Status]int
	eventually(t, 60*time.Second, "600 accepted", func() bool {
		n := 0
		for _, id := range stores {
			n += e.storeState(t, id).Load()
		}
		return n == 600
	})
	statuses = e.checkStores(t, stores, ids)
	if statuses[domain.StatusAccepted] != 600 || statuses[domain.StatusPlaced] != 400 {
		t.Fatalf("statuses %v, want 600 accepted and 400 placed", statuses)
	}
	// Room appears: a new store takes waiting reservations at once.
	e.store(t, "store-new", 37.5, 127.0, 30)
	eventually(t, 20*time.Second, "the new store filled", func() bool { return e.storeState(t, "store-new").Load() == 30 })
	statuses = e.checkStores(t, append(stores, "store-new"), ids)
	if statuses[domain.StatusAccepted] != 630 || statuses[domain.StatusPlaced] != 370 {
		t.Fatalf("statuses %v, want 630 accepted and 370 placed", statuses)
	}
	a.Stop(t)
	b.Stop(t)
}

// An assigner killed with SIGKILL again and again while it works through a
// backlog: every reservation ends assigned once, no slot leaks.
func TestAssignerKilledMidBacklog(t *testing.T) {
	e := newEnv(t)
	e.product(t, "iphone-18-128", 400)
	var stores []string
	for i := range 8 {
		id := fmt.Sprintf("store-%d", i)
		e.store(t, id, 35.1+0.02*float64(i), 129.0+0.02*float64(i), 60)
		stores = append(stores, id)
	}
	var ids []uuid.UUID
	for i := range 400 {
		ids = append(ids, e.reserve(t, "iphone-18-128", i, 35.1+float64(i%20)*0.01, 129.0+float64(i%13)*0.01))
	}
	for range 4 {
		p := e.startAssigner(t)
		time.Sleep(300 * time.Millisecond)
		p.Kill(t)
	}
	p := e.startAssigner(t)
	eventually(t, 60*time.Second, "all 400 accepted", func() bool {
		n := 0
		for _, id := range stores {
			n += e.storeState(t, id).Load()
		}
		return n == 400
	})
	statuses := e.checkStores(t, stores, ids)
	if statuses[domain.StatusAccepted] != 400 {
		t.Fatalf("statuses %v, want 400 accepted", statuses)
	}
	p.Stop(t)
}

// A store's rejection frees its slot and the reservation goes to the next
// best store that has not rejected it; with none left it waits.
func TestRejectAndReassign(t *testing.T) {
	e := newEnv(t)
	e.product(t, "pixel-11-128", 5)
	e.store(t, "near", 37.50, 127.00, 5)
	e.store(t, "far", 37.60, 127.10, 5)
	p := e.startAssigner(t)
	id := e.reserve(t, "pixel-11-128", 1, 37.5, 127.0)
	eventually(t, 10*time.Second, "accepted by near", func() bool { return e.reservation(t, id).StoreID == "near" })
	r := e.reservation(t, id)
	if r.DistanceKm > 0.01 {
		t.Errorf("distance to the store at the customer's door: %v km", r.DistanceKm)
	}
	if _, _, err := e.svc.Reject(context.Background(), id, domain.Reject{StoreID: "near", Reason: "no staff"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "reassigned to far", func() bool { return e.reservation(t, id).StoreID == "far" })
	if e.storeState(t, "near").Holds(id) {
		t.Error("the rejecting store still holds the reservation")
	}
	if _, _, err := e.svc.Reject(context.Background(), id, domain.Reject{StoreID: "far", Reason: "closed"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "waiting, held by none", func() bool {
		r := e.reservation(t, id)
		return r.Status == domain.StatusPlaced && !e.storeState(t, "far").Holds(id)
	})
	// A store not yet tried appears: it takes the reservation.
	e.store(t, "new", 37.7, 127.2, 1)
	eventually(t, 10*time.Second, "accepted by new", func() bool { return e.reservation(t, id).StoreID == "new" })
	p.Stop(t)
}

// Cancelling an accepted reservation releases its store and its unit, each
// once; fulfilling one frees the slot, and a cancel after that is refused.
func TestCancelAndFulfilEndToEnd(t *testing.T) {
	e := newEnv(t)
	e.product(t, "galaxy-s26-256", 3)
	e.store(t, "gangnam-01", 37.4979, 127.0276, 2)
	p := e.startAssigner(t)
	ctx := context.Background()

	a := e.reserve(t, "galaxy-s26-256", 1, 37.5, 127.03)
	eventually(t, 10*time.Second, "a accepted", func() bool { return e.reservation(t, a).Status == domain.StatusAccepted })
	// CANCELLING while the store is released; CANCELLED already if the
	// assigner was quicker than the rest of the request.
	r, _, err := e.svc.Cancel(ctx, a)
	if err != nil || (r.Status != domain.StatusCancelling && r.Status != domain.StatusCancelled) {
		t.Fatalf("cancel of an accepted reservation: %v %s, want CANCELLING or CANCELLED", err, r.Status)
	}
	eventually(t, 10*time.Second, "a cancelled", func() bool { return e.reservation(t, a).Status == domain.StatusCancelled })
	if e.storeState(t, "gangnam-01").Holds(a) {
		t.Fatal("a cancelled reservation still holds its store")
	}

	b := e.reserve(t, "galaxy-s26-256", 2, 37.5, 127.03)
	eventually(t, 10*time.Second, "b accepted", func() bool { return e.reservation(t, b).Status == domain.StatusAccepted })
	if _, _, err := e.svc.Fulfil(ctx, b, domain.Fulfil{Method: domain.StoreVisit}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "slot freed by fulfilment", func() bool { return !e.storeState(t, "gangnam-01").Holds(b) })
	if _, _, err := e.svc.Cancel(ctx, b); !errors.Is(err, domain.ErrInvalidTransition) {
		t.Fatalf("cancel after fulfilment: %v, want invalid transition", err)
	}

	// Cancel while the assignment may be under way: whichever wins, the
	// reservation ends cancelled and held by no store.
	for i := range 10 {
		c := e.reserve(t, "galaxy-s26-256", 10+i, 37.5, 127.03)
		if _, _, err := e.svc.Cancel(ctx, c); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "cancelled during assignment", func() bool {
			return e.reservation(t, c).Status == domain.StatusCancelled && !e.storeState(t, "gangnam-01").Holds(c)
		})
	}
	p.Stop(t)
}

// A message that cannot be decoded is parked and logged; assignments go on.
func TestPoisonMessageIsParked(t *testing.T) {
	e := newEnv(t)
	e.product(t, "galaxy-s26-256", 5)
	e.store(t, "s1", 37.5, 127.0, 5)
	nc := e.ns.Connect()
	if err := nc.Publish(eventstore.Reservations.Subject(uuid.NewString()), []byte("not an event")); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	p := e.startAssigner(t)
	id := e.reserve(t, "galaxy-s26-256", 1, 37.5, 127.0)
	eventually(t, 10*time.Second, "accepted after the poison", func() bool { return e.reservation(t, id).Status == domain.StatusAccepted })
	eventually(t, 5*time.Second, "poison logged", func() bool { return strings.Contains(p.Output(), "parked undecodable message") })
	p.Stop(t)
}

// A paused store takes nothing new; resumed, it does.
func TestPausedStoreTakesNothing(t *testing.T) {
	e := newEnv(t)
	e.product(t, "galaxy-s26-256", 5)
	e.store(t, "near", 37.5, 127.0, 5)
	e.store(t, "far", 37.7, 127.3, 5)
	if _, _, err := e.svc.PauseStore(context.Background(), "near"); err != nil {
		t.Fatal(err)
	}
	p := e.startAssigner(t)
	id := e.reserve(t, "galaxy-s26-256", 1, 37.5, 127.0)
	eventually(t, 10*time.Second, "accepted by far", func() bool { return e.reservation(t, id).StoreID == "far" })
	r := e.reservation(t, id)
	near := r.DistanceKm
	if why := e.accepted(t, id).Considered; len(why) == 0 || why[0].StoreID != "near" || why[0].PassedOver != "paused" {
		t.Errorf("the assignment does not say the nearer store was paused: %+v", why)
	}
	if _, _, err := e.svc.ResumeStore(context.Background(), "near"); err != nil {
		t.Fatal(err)
	}
	// The assigner learns of the resume from the stores' stream a moment
	// later; a reservation made in that moment may still go far. Within a
	// few reservations one goes to the resumed store, and nearer.
	resumed := false
	for i := range 4 {
		id2 := e.reserve(t, "galaxy-s26-256", 2+i, 37.5, 127.0)
		eventually(t, 10*time.Second, "assigned", func() bool { return e.reservation(t, id2).Status == domain.StatusAccepted })
		if r2 := e.reservation(t, id2); r2.StoreID == "near" {
			resumed = true
			if r2.DistanceKm >= near {
				t.Errorf("the resumed nearer store is %v km away, the far one %v", r2.DistanceKm, near)
			}
			break
		}
	}
	if !resumed {
		t.Fatal("the resumed store took none of four reservations at its door")
	}
	p.Stop(t)
}

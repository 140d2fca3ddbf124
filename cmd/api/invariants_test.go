package main

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"

	nstest "github.com/tshop/tshop/internal/natstest"
)

// productLog is what a product's own log says, read event by event.
type productLog struct {
	Product  domain.Product // folded from every event
	Holds    map[uuid.UUID]int
	Releases map[uuid.UUID]int
}

// readProductLog folds a product's whole log from the stream.
func readProductLog(t *testing.T, es *eventstore.Store, id string) productLog {
	t.Helper()
	pl := productLog{Holds: map[uuid.UUID]int{}, Releases: map[uuid.UUID]int{}}
	err := es.Scan(context.Background(), eventstore.Products, id, 1, func(m eventstore.Message) error {
		for _, e := range m.Events {
			pl.Product = pl.Product.Evolve(e)
			switch e := e.(type) {
			case domain.StockReserved:
				pl.Holds[e.ReservationID]++
			case domain.StockReleased:
				pl.Releases[e.ReservationID]++
			}
		}
		var stored domain.Product
		if err := m.State(&stored); err != nil {
			return err
		}
		if stored != pl.Product {
			t.Errorf("product %s at %d: stored state %+v, folded events %+v", id, m.Seq, stored, pl.Product)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan product %s: %v", id, err)
	}
	return pl
}

// openStore connects a test's own event store to the server at url.
func openStore(t *testing.T, url string) *eventstore.Store {
	t.Helper()
	nc, err := nats.Connect(url, nstest.User(nstest.Ops))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	es, err := eventstore.Open(context.Background(), nc, nil)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// checkInvariants checks, from the log alone, the contract's invariants for
// one product and the reservations its log names: every unit is held once,
// every held unit has its reservation, every cancelled reservation gave its
// unit back exactly once, and stock + reserved == stocked with stock >= 0.
func checkInvariants(t *testing.T, es *eventstore.Store, productID string) productLog {
	t.Helper()
	pl := readProductLog(t, es, productID)
	p := pl.Product
	if p.Stock < 0 || p.Stock+p.Reserved != p.Stocked {
		t.Errorf("product %s: stock %d + reserved %d != stocked %d", productID, p.Stock, p.Reserved, p.Stocked)
	}
	open := 0
	for id, n := range pl.Holds {
		if n != 1 {
			t.Errorf("reservation %s held %d units", id, n)
		}
		m, err := es.Last(context.Background(), eventstore.Reservations, id.String())
		if err != nil {
			t.Errorf("held unit of reservation %s has no reservation: %v", id, err)
			continue
		}
		var r domain.Reservation
		if err := m.State(&r); err != nil {
			t.Fatal(err)
		}
		released := pl.Releases[id]
		switch {
		case r.Status == domain.StatusCancelled && released != 1:
			t.Errorf("cancelled reservation %s released %d units", id, released)
		case r.Status != domain.StatusCancelled && r.Status != domain.StatusCancelling && released != 0:
			t.Errorf("reservation %s in %s released %d units", id, r.Status, released)
		case released > 1:
			t.Errorf("reservation %s released %d units", id, released)
		}
		if released == 0 {
			open++
		}
	}
	for id := range pl.Releases {
		if pl.Holds[id] == 0 {
			t.Errorf("release of %s, which held nothing", id)
		}
	}
	if open != p.Reserved {
		t.Errorf("product %s: %d units held by reservations, reserved says %d", productID, open, p.Reserved)
	}
	return pl
}

// streamReplicas is the replica count a stream has.
func streamReplicas(t *testing.T, url, stream string) int {
	t.Helper()
	nc, err := nats.Connect(url, nstest.User(nstest.Ops))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	return s.CachedInfo().Config.Replicas
}

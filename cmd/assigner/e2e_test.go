package main_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/internal/proctest"
	"github.com/tshop/tshop/shop"
)

var assignerBin string

func TestMain(m *testing.M) { proctest.Main(m, "assigner", ".", &assignerBin) }

type env struct {
	ns  *natstest.Server
	es  *eventstore.Store
	svc *shop.Service
}

// newEnv starts NATS and a shop with its background completion running, as
// the api has it; no assigner runs until a test starts one.
func newEnv(t *testing.T) *env {
	t.Helper()
	ns := natstest.Start(t)
	es, err := eventstore.Open(context.Background(), ns.Connect(natstest.User(natstest.API)), &eventstore.Config{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	svc := shop.New(es, &shop.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &env{ns: ns, es: es, svc: svc}
}

func (e *env) startAssigner(t *testing.T) *proctest.Proc {
	t.Helper()
	return proctest.StartEnv(t, natstest.RoleEnv(natstest.Assigner), assignerBin, "--nats", e.ns.URL())
}

func (e *env) product(t *testing.T, id string, stock int) {
	t.Helper()
	if _, _, err := e.svc.CreateProduct(context.Background(), domain.CreateProduct{ID: id, Name: "Phone", Stock: stock}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) store(t *testing.T, id string, lat, lon float64, capacity int) {
	t.Helper()
	if _, _, err := e.svc.RegisterStore(context.Background(), domain.RegisterStore{ID: id, Name: "Store " + id, Location: domain.Location{Lat: lat, Lon: lon}, Capacity: capacity}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) reserve(t *testing.T, product string, i int, lat, lon float64) uuid.UUID {
	t.Helper()
	res, err := e.svc.Reserve(context.Background(), shop.ReserveRequest{ProductID: product, CustomerID: fmt.Sprintf("c-%d", i), Location: domain.Location{Lat: lat, Lon: lon}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Reservation.ID
}

func (e *env) reservation(t *testing.T, id uuid.UUID) domain.Reservation {
	t.Helper()
	r, err := e.svc.Reservation(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// storeState is a store as the log has it: its entry with the slots the
// assigner's subject says it holds.
func (e *env) storeState(t *testing.T, id string) domain.Store {
	t.Helper()
	m, err := e.es.Last(context.Background(), eventstore.Stores, id)
	if err != nil {
		t.Fatal(err)
	}
	var s domain.Store
	if err := m.State(&s); err != nil {
		t.Fatal(err)
	}
	var slots domain.Slots
	m, err = e.es.Last(context.Background(), eventstore.Slots, id)
	switch {
	case errors.Is(err, eventstore.ErrNotFound):
	case err != nil:
		t.Fatal(err)
	default:
		if err := m.State(&slots); err != nil {
			t.Fatal(err)
		}
	}
	return domain.CombineStore(s, slots)
}

func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkStores checks, from the log, that no store holds more than its
// capacity and that every store holds exactly the reservations accepted
// by it and still open.
func (e *env) checkStores(t *testing.T, stores []string, ids []uuid.UUID) map[domain.Status]int {
	t.Helper()
	holding := map[uuid.UUID]string{}
	for _, id := range stores {
		s := e.storeState(t, id)
		if s.Load() > s.Capacity {
			t.Errorf("store %s holds %d, capacity %d", id, s.Load(), s.Capacity)
		}
		for _, r := range s.Holding {
			if other, ok := holding[r]; ok {
				t.Errorf("reservation %s held by %s and %s", r, other, id)
			}
			holding[r] = id
		}
	}
	statuses := map[domain.Status]int{}
	for _, id := range ids {
		r := e.reservation(t, id)
		statuses[r.Status]++
		switch r.Status {
		case domain.StatusAccepted:
			if holding[id] != r.StoreID {
				t.Errorf("reservation %s accepted by %s, held by %q", id, r.StoreID, holding[id])
			}
		default:
			if st, ok := holding[id]; ok {
				t.Errorf("reservation %s in %s still held by %s", id, r.Status, st)
			}
		}
	}
	return statuses
}

// accepted is the reservation's last ReservationAccepted event, as the log
// has it.
func (e *env) accepted(t *testing.T, id uuid.UUID) domain.ReservationAccepted {
	t.Helper()
	var last domain.ReservationAccepted
	// Scanning a reservation's log is no work of the api's: read it as ops.
	es, err := eventstore.Open(context.Background(), e.ns.Connect(), nil)
	if err != nil {
		t.Fatal(err)
	}
	err = es.Scan(context.Background(), eventstore.Assignments, id.String(), 1, func(m eventstore.Message) error {
		for _, ev := range m.Events {
			if a, ok := ev.(domain.ReservationAccepted); ok {
				last = a
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return last
}

// The assigner may start before the api: its NATS user may not create the
// streams, so it waits for them, and stops cleanly while it waits.
func TestAssignerWaitsForTheStreams(t *testing.T) {
	ns := natstest.Start(t)
	p := proctest.StartEnv(t, natstest.RoleEnv(natstest.Assigner), assignerBin, "--nats", ns.URL())
	eventually(t, 20*time.Second, "waiting for the streams", func() bool {
		return strings.Contains(p.Output(), `"msg":"waiting for the stream`)
	})
	p.Stop(t)
}

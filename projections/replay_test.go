package projections_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	bolt "go.etcd.io/bbolt"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/projections"
)

func eventually(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	if !within(timeout, cond) {
		t.Fatalf("condition not met within %s", timeout)
	}
}

// within polls cond until it holds or timeout passes, and reports whether
// it held.
func within(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// world is an event log on an embedded NATS server and a clock for the
// commands run against it.
type world struct {
	nc  *nats.Conn
	es  *eventstore.Store
	now time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	nc := natstest.Start(t).Connect()
	es, err := eventstore.Open(t.Context(), nc, &eventstore.Config{Logger: quiet()})
	if err != nil {
		t.Fatalf("eventstore.Open: %v", err)
	}
	return &world{nc: nc, es: es, now: t0}
}

type aggregate[T any] interface {
	Decide(cmd any, now time.Time) ([]domain.Event, error)
	Evolve(e domain.Event) T
}

// last reads the state of subject k's last message into v and returns its
// sequence; 0 when there is none.
func (w *world) last(t *testing.T, k eventstore.Kind, id string, v any) uint64 {
	t.Helper()
	m, err := w.es.Last(t.Context(), k, id)
	switch {
	case errors.Is(err, eventstore.ErrNotFound):
		return 0
	case err != nil:
		t.Fatalf("load %s %s: %v", k, id, err)
	}
	if err := m.State(v); err != nil {
		t.Fatal(err)
	}
	return m.Seq
}

// run does what a command handler does: decide on state, append the events
// to subject k with the evolved state's part stored. It returns the events.
func run[T aggregate[T]](t *testing.T, w *world, k eventstore.Kind, id string, state T, expect uint64, part func(T) any, cmd any) []domain.Event {
	t.Helper()
	w.now = w.now.Add(time.Minute)
	events, err := state.Decide(cmd, w.now)
	if err != nil {
		t.Fatalf("%T on %s %s: %v", cmd, k, id, err)
	}
	for _, e := range events {
		state = state.Evolve(e)
	}
	if _, err := w.es.Append(t.Context(), k, id, expect, "", events, part(state)); err != nil {
		t.Fatalf("append %s %s: %v", k, id, err)
	}
	return events
}

func (w *world) product(t *testing.T, id string, cmd any) []domain.Event {
	t.Helper()
	var p domain.Product
	seq := w.last(t, eventstore.Products, id, &p)
	return run(t, w, eventstore.Products, id, p, seq, func(p domain.Product) any { return p }, cmd)
}

// store runs a command on a store, whole from both its subjects: slot
// commands on the assigner's, the others on the api's.
func (w *world) store(t *testing.T, id string, cmd any) {
	t.Helper()
	var entry domain.Store
	var slots domain.Slots
	seqs := map[eventstore.Kind]uint64{
		eventstore.Stores: w.last(t, eventstore.Stores, id, &entry),
		eventstore.Slots:  w.last(t, eventstore.Slots, id, &slots),
	}
	k, part := eventstore.Stores, func(s domain.Store) any { return s.Entry() }
	switch cmd.(type) {
	case domain.TakeSlot, domain.ReleaseSlot:
		k, part = eventstore.Slots, func(s domain.Store) any { return s.Slots() }
	}
	run(t, w, k, id, domain.CombineStore(entry, slots), seqs[k], part, cmd)
}

// reservation runs a command on a reservation, whole from both its
// subjects: the assigner's commands on its subject, the others on the
// api's.
func (w *world) reservation(t *testing.T, id uuid.UUID, cmd any) {
	t.Helper()
	var r domain.Reservation
	var a domain.Assignment
	seqs := map[eventstore.Kind]uint64{
		eventstore.Reservations: w.last(t, eventstore.Reservations, id.String(), &r),
		eventstore.Assignments:  w.last(t, eventstore.Assignments, id.String(), &a),
	}
	k, part := eventstore.Reservations, func(r domain.Reservation) any { r.Assignment = domain.Assignment{}; return r }
	switch cmd.(type) {
	case domain.Accept, domain.RecordStoreReleased:
		k, part = eventstore.Assignments, func(r domain.Reservation) any { return r.Assignment }
	}
	run(t, w, k, id.String(), domain.Combine(r, a), seqs[k], part, cmd)
}

// reserve holds a unit of product and places the reservation.
func (w *world) reserve(t *testing.T, product, customer string, id uuid.UUID) {
	t.Helper()
	hold := w.product(t, product, domain.Reserve{ReservationID: id, CustomerID: customer, Location: seoul})
	w.reservation(t, id, domain.Place{Hold: hold[0].(domain.StockReserved)})
}

// accept has store take reservation id.
func (w *world) accept(t *testing.T, store string, id uuid.UUID) {
	t.Helper()
	w.store(t, store, domain.TakeSlot{ReservationID: id})
	w.reservation(t, id, domain.Accept{StoreID: store, DistanceKm: 1.2})
}

// seed writes a small shop's history: r1 accepted by s1, r2 cancelled
// (placed after r1, same customer), r3 fulfilled by s2, s2 paused.
func (w *world) seed(t *testing.T) {
	t.Helper()
	w.product(t, "p1", domain.CreateProduct{ID: "p1", Name: "Galaxy", Stock: 3})
	w.product(t, "p2", domain.CreateProduct{ID: "p2", Name: "iPhone", Stock: 1})
	w.product(t, "p2", domain.Restock{Quantity: 2})
	w.store(t, "s1", domain.RegisterStore{ID: "s1", Name: "Gangnam", Location: seoul, Capacity: 2})
	w.store(t, "s2", domain.RegisterStore{ID: "s2", Name: "Mapo", Location: seoul, Capacity: 1})
	w.reserve(t, "p1", "c1", rid(1))
	w.accept(t, "s1", rid(1))
	w.reserve(t, "p1", "c1", rid(2))
	last, err := w.es.Last(t.Context(), eventstore.Products, "p1")
	if err != nil {
		t.Fatal(err)
	}
	w.reservation(t, rid(2), domain.Cancel{ProductSeq: last.Seq})
	w.product(t, "p1", domain.Release{ReservationID: rid(2)})
	w.reservation(t, rid(2), domain.RecordStockRestored{})
	w.reserve(t, "p2", "c2", rid(3))
	w.accept(t, "s2", rid(3))
	w.reservation(t, rid(3), domain.Fulfil{Method: domain.Delivery})
	w.store(t, "s2", domain.PauseStore{})
}

// ends is every stream's last sequence.
func (w *world) ends(t *testing.T) map[eventstore.Kind]uint64 {
	t.Helper()
	out := map[eventstore.Kind]uint64{}
	for _, k := range eventstore.Kinds() {
		seq, err := w.es.LastSeq(t.Context(), k)
		if err != nil {
			t.Fatal(err)
		}
		out[k] = seq
	}
	return out
}

// project runs a Projector into db until the returned stop is called or t
// ends.
func (w *world) project(t *testing.T, db *projections.DB) (*projections.Projector, func()) {
	t.Helper()
	p := projections.NewProjector(w.es, db, quiet())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return p, stop
}

// caughtUp waits until db has applied every stream to its end.
func (w *world) caughtUp(t *testing.T, db *projections.DB) {
	t.Helper()
	want := w.ends(t)
	eventually(t, 10*time.Second, func() bool { return maps.Equal(db.Checkpoints(), want) })
}

// verify is projections.Verify of path, with the differences it reported.
func (w *world) verify(t *testing.T, path string) (int, []projections.Difference) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var diffs []projections.Difference
	n, err := projections.Verify(ctx, w.es, w.nc, path, func(d projections.Difference) { diffs = append(diffs, d) }, nil, nil)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if n != len(diffs) {
		t.Errorf("Verify = %d, reported %d differences", n, len(diffs))
	}
	return n, diffs
}

// corrupt changes the closed read model at path behind its back.
func corrupt(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(fn); err != nil {
		t.Fatal(err)
	}
}

func TestProjectorFollowsTheLog(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	path := filepath.Join(t.TempDir(), "views.db")
	db, err := projections.Open(path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	p, stop := w.project(t, db)
	w.caughtUp(t, db)
	eventually(t, 5*time.Second, func() bool {
		for _, l := range p.Lag() {
			if l.Events != 0 {
				return false
			}
		}
		return true
	})
	ends := w.ends(t)
	for _, k := range eventstore.Kinds() {
		if l := p.Lag()[k.Stream()]; l.Checkpoint != ends[k] || l.Seconds != 0 {
			t.Errorf("Lag[%s] = %+v, want checkpoint %d", k.Stream(), l, ends[k])
		}
	}
	db.View(func(kv projections.KV) error {
		for id, want := range map[uuid.UUID]domain.Status{rid(1): domain.StatusAccepted, rid(2): domain.StatusCancelled, rid(3): domain.StatusFulfilled} {
			if r, ok, _ := projections.Reservation(kv, id.String()); !ok || r.Status != want {
				t.Errorf("reservation %s = %+v, want %s", id, r, want)
			}
		}
		for _, want := range []domain.Product{{ID: "p1", Name: "Galaxy", Stock: 2, Reserved: 1, Stocked: 3}, {ID: "p2", Name: "iPhone", Stock: 2, Reserved: 1, Stocked: 3}} {
			if got, _, _ := projections.Product(kv, want.ID); got != want {
				t.Errorf("product = %+v, want %+v", got, want)
			}
		}
		if s, _, _ := projections.Store(kv, "s2"); !s.Paused || !slices.Equal(s.Holding, []uuid.UUID{rid(3)}) {
			t.Errorf("store s2 = %+v", s)
		}
		return nil
	})

	// New events reach the views too.
	w.product(t, "p1", domain.Restock{Quantity: 10})
	w.caughtUp(t, db)
	stop()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if n, diffs := w.verify(t, path); n != 0 {
		t.Errorf("Verify of a caught-up read model = %d: %v", n, diffs)
	}
	for _, leftover := range []string{path + ".shadow", path + ".verify"} {
		if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Verify left %s behind", leftover)
		}
	}

	// A read model part of the way along verifies against its own positions.
	partPath := filepath.Join(t.TempDir(), "part.db")
	part := openDB(t, partPath)
	until := map[eventstore.Kind]uint64{eventstore.Products: 3, eventstore.Reservations: 2}
	if err := projections.NewProjector(w.es, part, quiet()).CatchUp(t.Context(), until, nil); err != nil {
		t.Fatalf("CatchUp: %v", err)
	}
	if got := part.Checkpoints(); !maps.Equal(got, until) {
		t.Errorf("CatchUp checkpoints = %v, want %v", got, until)
	}
	part.Close()
	if n, diffs := w.verify(t, partPath); n != 0 {
		t.Errorf("Verify of a partial read model = %d: %v", n, diffs)
	}

	// A read model changed behind the projector's back does not verify.
	var customerKey []byte
	corrupt(t, path, func(tx *bolt.Tx) error {
		customerKey, _ = tx.Bucket([]byte("customers")).Cursor().First()
		customerKey = slices.Clone(customerKey)
		return errors.Join(
			tx.Bucket([]byte("products")).Put([]byte("p1"), []byte(`{"id":"p1","stock":99}`)),
			tx.Bucket([]byte("stores")).Delete([]byte("s2")),
			tx.Bucket([]byte("reservations")).Put([]byte("bogus"), []byte(`{}`)),
			tx.Bucket([]byte("customers")).Delete(customerKey))
	})
	n, diffs := w.verify(t, path)
	if n != 4 {
		t.Fatalf("Verify of a corrupted read model = %d, want 4: %v", n, diffs)
	}
	byKey := map[string]projections.Difference{}
	for _, d := range diffs {
		byKey[d.Bucket+"/"+string(d.Key)] = d
	}
	if d := byKey["products/p1"]; d.Want == nil || string(d.Got) != `{"id":"p1","stock":99}` {
		t.Errorf("products/p1 difference = %v", d)
	}
	if d := byKey["stores/s2"]; d.Want == nil || d.Got != nil {
		t.Errorf("stores/s2 difference = %v", d)
	}
	if d := byKey["reservations/bogus"]; d.Want != nil || string(d.Got) != `{}` {
		t.Errorf("reservations/bogus difference = %v", d)
	}
	if d, ok := byKey["customers/"+string(customerKey)]; !ok || d.Got != nil {
		t.Errorf("customers difference = %v (found %v)", d, ok)
	}
}

// serve runs projections.Serve for db until t ends.
func (w *world) serve(t *testing.T, db *projections.DB, cfg projections.ServiceConfig) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	cfg.Ready = func() { close(ready) }
	if cfg.Logger == nil {
		cfg.Logger = quiet()
	}
	go func() { done <- projections.Serve(ctx, w.nc, db, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Serve ended before it was ready: %v", err)
	}
}

func TestVerifyHeldReadModel(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	db := tempDB(t)
	w.project(t, db)
	w.serve(t, db, projections.ServiceConfig{})
	w.caughtUp(t, db)
	// The file is held: Verify goes through a copy the serving DB writes.
	if n, diffs := w.verify(t, db.Path()); n != 0 {
		t.Errorf("Verify of a held read model = %d: %v", n, diffs)
	}
	if _, err := os.Stat(db.Path() + ".verify"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Verify left its snapshot behind: %v", err)
	}
}

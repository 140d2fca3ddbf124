package projections_test

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/projections"
)

// served is a seeded log with a projector caught up into a read model that
// answers queries with MaxWait 200ms.
func served(t *testing.T) (*world, *projections.DB, *projections.Client) {
	t.Helper()
	w := newWorld(t)
	w.seed(t)
	db := tempDB(t)
	p, _ := w.project(t, db)
	w.serve(t, db, projections.ServiceConfig{MaxWait: 200 * time.Millisecond, Lag: p.Lag})
	w.caughtUp(t, db)
	return w, db, projections.NewClient(w.nc, 5*time.Second)
}

func TestQueries(t *testing.T) {
	_, db, c := served(t)
	ctx := t.Context()

	r1v, err := c.Reservation(ctx, rid(1).String(), nil)
	if err != nil || r1v.Status != domain.StatusAccepted || r1v.StoreID != "s1" || r1v.CustomerID != "c1" {
		t.Errorf("Reservation r1 = %+v, %v", r1v, err)
	}
	if p, err := c.Product(ctx, "p1", nil); err != nil || p != (domain.Product{ID: "p1", Name: "Galaxy", Stock: 2, Reserved: 1, Stocked: 3}) {
		t.Errorf("Product p1 = %+v, %v", p, err)
	}
	if ps, err := c.Products(ctx, nil); err != nil || len(ps) != 2 || ps[0].ID != "p1" || ps[1].ID != "p2" {
		t.Errorf("Products = %+v, %v", ps, err)
	}
	if s, err := c.Store(ctx, "s2", nil); err != nil || !s.Paused || s.Capacity != 1 || !slices.Equal(s.Holding, []uuid.UUID{rid(3)}) {
		t.Errorf("Store s2 = %+v, %v", s, err)
	}
	if ss, err := c.Stores(ctx, nil); err != nil || len(ss) != 2 || ss[0].ID != "s1" || ss[1].ID != "s2" {
		t.Errorf("Stores = %+v, %v", ss, err)
	}
	if rs, err := c.StoreReservations(ctx, "s1", nil); err != nil || len(rs) != 1 || rs[0].ID != rid(1) {
		t.Errorf("StoreReservations s1 = %+v, %v", rs, err)
	}
	for _, tt := range []struct {
		limit int
		want  []uuid.UUID
	}{{0, []uuid.UUID{rid(2), rid(1)}}, {1, []uuid.UUID{rid(2)}}, {5, []uuid.UUID{rid(2), rid(1)}}} {
		rs, err := c.CustomerReservations(ctx, "c1", tt.limit, nil)
		if err != nil || !slices.Equal(ids(rs), tt.want) {
			t.Errorf("CustomerReservations(c1, %d) = %v, %v; want %v", tt.limit, ids(rs), err, tt.want)
		}
	}
	if rs, err := c.CustomerReservations(ctx, "nobody", 10, nil); err != nil || len(rs) != 0 {
		t.Errorf("CustomerReservations of a customer with none = %+v, %v", rs, err)
	}
	h, err := c.History(ctx, rid(2).String(), nil)
	var types []string
	for i, e := range h {
		types = append(types, e.Type)
		if i > 0 && e.Seq <= h[i-1].Seq {
			t.Errorf("history seqs out of order: %+v", h)
		}
	}
	if want := []string{"ReservationPlaced", "CancelRequested", "StockRestored"}; err != nil || !slices.Equal(types, want) {
		t.Errorf("History r2 = %v, %v; want %v", types, err, want)
	}
	lag, err := c.Lag(ctx)
	if err != nil || len(lag) != 3 {
		t.Fatalf("Lag = %v, %v", lag, err)
	}
	for stream, l := range lag {
		if l.Events != 0 {
			t.Errorf("Lag[%s] = %+v once caught up", stream, l)
		}
	}

	// A position the read model has reached answers at once.
	after := map[string]uint64{}
	for k, seq := range db.Checkpoints() {
		after[k.Stream()] = seq
	}
	if _, err := c.Reservation(ctx, rid(1).String(), after); err != nil {
		t.Errorf("Reservation after a reached position: %v", err)
	}
}

func TestQueryErrors(t *testing.T) {
	w, _, c := served(t)
	ctx := t.Context()
	unknown := uuid.NewString()
	beyond := map[string]uint64{eventstore.Products.Stream(): w.ends(t)[eventstore.Products] + 10}
	tests := []struct {
		name    string
		query   func() error
		wantErr error
	}{
		{"unknown reservation", func() error { _, err := c.Reservation(ctx, unknown, nil); return err }, domain.ErrNotFound},
		{"unknown product", func() error { _, err := c.Product(ctx, "p9", nil); return err }, domain.ErrNotFound},
		{"unknown store", func() error { _, err := c.Store(ctx, "s9", nil); return err }, domain.ErrNotFound},
		{"history of unknown", func() error { _, err := c.History(ctx, unknown, nil); return err }, domain.ErrNotFound},
		{"reservations of unknown store", func() error { _, err := c.StoreReservations(ctx, "s9", nil); return err }, domain.ErrNotFound},
		{"bad customer id", func() error { _, err := c.CustomerReservations(ctx, "bad id!", 10, nil); return err }, domain.ErrInvalid},
		{"empty customer id", func() error { _, err := c.CustomerReservations(ctx, "", 10, nil); return err }, domain.ErrInvalid},
		{"unknown stream", func() error {
			_, err := c.Products(ctx, map[string]uint64{"NOPE": 1})
			return err
		}, domain.ErrInvalid},
		{"position beyond the end", func() error { _, err := c.Product(ctx, "p1", beyond); return err }, projections.ErrUnavailable},
		{"list beyond the end", func() error { _, err := c.Stores(ctx, beyond); return err }, projections.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.query(); !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestQueryWaitsForPosition(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	db := tempDB(t)
	if err := projections.NewProjector(w.es, db, quiet()).CatchUp(t.Context(), w.ends(t), nil); err != nil {
		t.Fatal(err)
	}
	w.serve(t, db, projections.ServiceConfig{MaxWait: 20 * time.Second})
	c := projections.NewClient(w.nc, 30*time.Second)

	// Ask for the product as of the restock about to be written.
	pos := map[string]uint64{eventstore.Products.Stream(): w.ends(t)[eventstore.Products] + 1}
	type answer struct {
		p   domain.Product
		err error
	}
	done := make(chan answer, 1)
	go func() {
		p, err := c.Product(t.Context(), "p1", pos)
		done <- answer{p, err}
	}()
	w.product(t, "p1", domain.Restock{Quantity: 5})
	select {
	case a := <-done:
		t.Fatalf("answered before the position was applied: %+v, %v", a.p, a.err)
	default:
	}
	w.project(t, db)
	select {
	case a := <-done:
		if a.err != nil || a.p.Stock != 7 || a.p.Stocked != 8 {
			t.Errorf("Product p1 = %+v, %v; want the restock applied", a.p, a.err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("no answer once the position was applied")
	}
}

func TestTwoReadModelsShareQueries(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	ends := w.ends(t)
	var answered [2]atomic.Int64
	var dbs [2]*projections.DB
	for i := range dbs {
		dbs[i] = openDB(t, filepath.Join(t.TempDir(), "views.db"))
		until := maps.Clone(ends)
		if i == 1 {
			until[eventstore.Reservations] = 2 // tell the two apart
		}
		if err := projections.NewProjector(w.es, dbs[i], quiet()).CatchUp(t.Context(), until, nil); err != nil {
			t.Fatal(err)
		}
		w.serve(t, dbs[i], projections.ServiceConfig{Lag: func() map[string]projections.Lag {
			answered[i].Add(1)
			return map[string]projections.Lag{}
		}})
	}
	c := projections.NewClient(w.nc, 5*time.Second)
	for range 40 {
		if _, err := c.Lag(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	a, b := answered[0].Load(), answered[1].Load()
	if a+b != 40 || a == 0 || b == 0 {
		t.Errorf("answers: %d and %d of 40, want both to answer some, each query once", a, b)
	}

	// Each read model's admin subject reaches that one alone.
	for i, db := range dbs {
		snapshot := filepath.Join(t.TempDir(), "copy.db")
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		err := projections.Admin(ctx, w.nc, db.Path(), "copy", snapshot)
		cancel()
		if err != nil {
			t.Fatalf("Admin copy %d: %v", i, err)
		}
		cp, err := projections.OpenReadOnly(snapshot, quiet())
		if err != nil {
			t.Fatal(err)
		}
		if got := cp.Checkpoints(); !maps.Equal(got, db.Checkpoints()) {
			t.Errorf("copy of read model %d has checkpoints %v, want %v", i, got, db.Checkpoints())
		}
		cp.Close()
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err := projections.Admin(ctx, w.nc, filepath.Join(t.TempDir(), "none.db"), "copy", filepath.Join(t.TempDir(), "x"))
	if !errors.Is(err, projections.ErrUnavailable) {
		t.Errorf("Admin of a file no one holds = %v, want ErrUnavailable", err)
	}
}

// A query waiting for a position the read model has not reached holds up
// no other query: while 20 of them wait out a 6 s MaxWait, 200 others are
// each answered within a client timeout of 2 s (held up, they would fail).
func TestWaitingQueryHoldsUpNoOther(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	db := tempDB(t)
	p, _ := w.project(t, db)
	w.serve(t, db, projections.ServiceConfig{MaxWait: 6 * time.Second, Lag: p.Lag})
	w.caughtUp(t, db)
	c := projections.NewClient(w.nc, 10*time.Second)
	quick := projections.NewClient(w.nc, 2*time.Second)
	ahead := map[string]uint64{eventstore.Products.Stream(): 1 << 40}
	var waiting sync.WaitGroup
	for range 20 {
		waiting.Go(func() {
			if _, err := c.Reservation(t.Context(), uuid.NewString(), ahead); !errors.Is(err, projections.ErrUnavailable) {
				t.Errorf("query for a position never reached = %v, want ErrUnavailable", err)
			}
		})
	}
	for range 200 {
		if _, err := quick.Reservation(t.Context(), uuid.NewString(), nil); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("Reservation of an unknown id while others wait = %v", err)
		}
	}
	waiting.Wait()
}

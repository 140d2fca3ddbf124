package projections_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/micro"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
	"github.com/tshop/tshop/projections"
)

// golden returns the data of the domain package's golden events, by type.
func golden(tb testing.TB) map[string][]byte {
	tb.Helper()
	out := map[string][]byte{}
	for _, name := range domain.EventTypes() {
		b, err := os.ReadFile(filepath.Join("..", "domain", "testdata", name+".json"))
		if err != nil {
			tb.Fatal(err)
		}
		out[name] = bytes.TrimSpace(b)
	}
	return out
}

// kindOfEvent is the stream an event of its type is stored in.
func kindOfEvent(e domain.Event) eventstore.Kind {
	switch e.(type) {
	case domain.ProductCreated, domain.ProductRestocked, domain.StockReserved, domain.StockReleased:
		return eventstore.Products
	case domain.StoreRegistered, domain.StorePaused, domain.StoreResumed, domain.StoreSlotTaken, domain.StoreSlotReleased:
		return eventstore.Stores
	}
	return eventstore.Reservations
}

// fuzzDB is a read model under tb.TempDir() holding the golden events: a
// product, a store and a reservation the store holds.
func fuzzDB(tb testing.TB) *projections.DB {
	tb.Helper()
	db, err := projections.Open(filepath.Join(tb.TempDir(), "views.db"), quiet())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	g := golden(tb)
	for _, name := range []string{"ProductCreated", "StockReserved", "StoreRegistered", "StoreSlotTaken",
		"ReservationPlaced", "ReservationAccepted"} {
		e, err := domain.DecodeEvent(name, g[name])
		if err != nil {
			tb.Fatal(err)
		}
		applyNext(tb, db, e)
	}
	return db
}

// applyNext applies e as the next message of its stream.
func applyNext(tb testing.TB, db *projections.DB, e domain.Event) {
	tb.Helper()
	if err := nextMessage(db, e); err != nil {
		tb.Fatalf("apply %s: %v", e.EventType(), err)
	}
}

func nextMessage(db *projections.DB, e domain.Event) error {
	k := kindOfEvent(e)
	return db.Apply(k, []eventstore.Message{{Kind: k, ID: e.AggregateID(), Seq: db.Checkpoint(k) + 1, Events: []domain.Event{e}}})
}

// FuzzApply folds events decoded from the log into a read model. Whatever
// decodes must fold without panicking, and must not fail to fold: a
// message the projector cannot apply would stop its stream's views for
// good. Every query of the views it touched answers afterwards.
func FuzzApply(f *testing.F) {
	for name, data := range golden(f) {
		f.Add(name, data)
	}
	db := fuzzDB(f)
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		e, err := domain.DecodeEvent(typ, data)
		if err != nil {
			return
		}
		if err := nextMessage(db, e); err != nil {
			t.Fatalf("apply %s %s: %v", typ, data, err)
		}
		id := e.AggregateID()
		err = db.View(func(kv projections.KV) error {
			var err error
			switch kindOfEvent(e) {
			case eventstore.Products:
				_, _, err = projections.Product(kv, id)
			case eventstore.Stores:
				_, _, err = projections.StoreReservations(kv, id)
			case eventstore.Reservations:
				if _, _, err = projections.Reservation(kv, id); err == nil {
					_, _, err = projections.History(kv, id)
				}
			}
			if err != nil {
				return err
			}
			if _, err := projections.Products(kv); err != nil {
				return err
			}
			stores, err := projections.Stores(kv)
			if err != nil {
				return err
			}
			for _, s := range stores {
				if _, _, err := projections.StoreReservations(kv, s.ID); err != nil {
					return err
				}
			}
			customers := []string{"c-1001"}
			if p, ok := e.(domain.ReservationPlaced); ok && domain.ValidateID("customerId", p.CustomerID) == nil {
				customers = append(customers, p.CustomerID)
			}
			for _, c := range customers {
				if _, err := projections.CustomerReservations(kv, c, projections.MaxLimit); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("query after applying %s %s: %v", typ, data, err)
		}
	})
}

// TestApplyPassesOverEventsNoViewCanHold: a message whose event names no
// aggregate a view can be kept for is passed over, not retried forever;
// a reservation of a customer id no query can name is kept but not
// indexed, so it cannot break the index of the customer whose id it
// starts with.
func TestApplyPassesOverEventsNoViewCanHold(t *testing.T) {
	db := tempDB(t)
	rid := uuid.MustParse("3f8e2c1a-7b4d-4e9f-a2c6-5d1b8e0f9a37")
	rid2 := uuid.MustParse("0b5d2c1e-8f3a-4c6b-9d7e-1a2b3c4d5e6f")
	at := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	products := []eventstore.Message{
		msg(1, "", domain.ProductCreated{Name: "no id", Stock: 1, At: at}),
		msg(2, "p1", domain.ProductCreated{ProductID: "p1", Name: "Galaxy", Stock: 1, At: at}),
		msg(3, "p2", domain.ProductCreated{ProductID: "p2", Name: "ok", Stock: 1, At: at},
			domain.ProductCreated{ProductID: strings.Repeat("p", 40000), Name: "long", Stock: 1, At: at}),
	}
	if err := db.Apply(eventstore.Products, products); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if got := db.Checkpoint(eventstore.Products); got != 3 {
		t.Errorf("checkpoint %d, want 3", got)
	}
	reservations := []eventstore.Message{
		msg(1, rid.String(), domain.ReservationPlaced{ReservationID: rid, ProductID: "p1", CustomerID: "c-1", At: at}),
		msg(2, rid2.String(), domain.ReservationPlaced{ReservationID: rid2, ProductID: "p1", CustomerID: "c-1\x00xxxxxxxx", At: at}),
	}
	if err := db.Apply(eventstore.Reservations, reservations); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	err := db.View(func(kv projections.KV) error {
		ps, err := projections.Products(kv)
		if err != nil || len(ps) != 1 || ps[0].ID != "p1" {
			t.Errorf("Products = %+v, %v; want p1 alone", ps, err)
		}
		if _, ok, err := projections.Reservation(kv, rid2.String()); !ok || err != nil {
			t.Errorf("Reservation of an unindexed customer = %v, %v; want it kept", ok, err)
		}
		rs, err := projections.CustomerReservations(kv, "c-1", 10)
		if err != nil || len(rs) != 1 || rs[0].ID != rid {
			t.Errorf("CustomerReservations(c-1) = %+v, %v; want %s alone", rs, err, rid)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := projections.Apply(newMemKV(), projections.Event{Seq: 1, Event: domain.StorePaused{At: at}}); !errors.Is(err, projections.ErrUnfoldable) {
		t.Errorf("Apply of a store event with no id = %v, want ErrUnfoldable", err)
	}
}

// queryEndpoints are the query subjects' last tokens.
var queryEndpoints = []string{"reservation", "reservations", "history", "product", "products", "store", "stores", "store-reservations"}

// FuzzQuery sends query requests, as any NATS client may, to a projector's
// query service. Each gets an answer: a JSON view, or an error header with
// 400 or 404. The service never panics and never leaves a query
// unanswered; a position past the end of the log is a bad request.
func FuzzQuery(f *testing.F) {
	rid := "3f8e2c1a-7b4d-4e9f-a2c6-5d1b8e0f9a37"
	for i, q := range []string{
		`{"id":"` + rid + `"}`,
		`{"customerId":"c-1001","limit":10}`,
		`{"id":"` + rid + `","after":{"TSHOP_RESERVATIONS":2}}`,
		`{"id":"galaxy-s26-256","after":{"TSHOP_PRODUCTS":2}}`,
		`{"after":{"TSHOP_PRODUCTS":0,"TSHOP_STORES":1}}`,
		`{"id":"gangnam-01"}`,
		`{"after":{"TSHOP_STORES":18446744073709551615}}`,
		`{"id":"gangnam-01","after":{"TSHOP_RESERVATIONS":3}}`,
	} {
		f.Add(uint8(i), []byte(q))
	}
	ns := natstest.Start(f)
	nc := ns.Connect()
	db := fuzzDB(f)
	ends := db.Checkpoints()
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- projections.Serve(ctx, nc, db, projections.ServiceConfig{
			MaxWait: 50 * time.Millisecond,
			Logger:  quiet(),
			Ready:   func() { close(ready) },
			// The read model is caught up: the log ends where it does.
			End: func(_ context.Context, k eventstore.Kind) (uint64, error) { return ends[k], nil },
		})
	}()
	f.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			f.Errorf("Serve: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		f.Fatalf("Serve ended before it was ready: %v", err)
	}
	f.Fuzz(func(t *testing.T, endpoint uint8, data []byte) {
		subject := "tshop.query." + queryEndpoints[int(endpoint)%len(queryEndpoints)]
		msg, err := nc.Request(subject, data, 5*time.Second)
		if err != nil {
			t.Fatalf("%s %s: no answer: %v", subject, data, err)
		}
		if code := msg.Header.Get(micro.ErrorCodeHeader); code != "" {
			if !slices.Contains([]string{"400", "404"}, code) {
				t.Fatalf("%s %s: error %s %s", subject, data, code, msg.Header.Get(micro.ErrorHeader))
			}
			return
		}
		if !json.Valid(msg.Data) {
			t.Fatalf("%s %s: answer is not JSON: %q", subject, data, msg.Data)
		}
	})
}

// TestQueryPastTheEndOfTheLog asks for a position the log has not
// reached: with End set it is a bad request, answered long before
// MaxWait; a position the log has reached but the read model has not is
// still waited for.
func TestQueryPastTheEndOfTheLog(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	db := tempDB(t)
	if err := projections.NewProjector(w.es, db, quiet()).CatchUp(t.Context(), w.ends(t), nil); err != nil {
		t.Fatal(err)
	}
	w.serve(t, db, projections.ServiceConfig{MaxWait: 10 * time.Second, End: w.es.LastSeq})
	c := projections.NewClient(w.nc, 20*time.Second)
	end := w.ends(t)[eventstore.Products]

	for _, seq := range []uint64{end + 1, 1 << 63, 18446744073709551615} {
		start := time.Now()
		_, err := c.Product(t.Context(), "p1", map[string]uint64{eventstore.Products.Stream(): seq})
		if !errIsInvalid(err) {
			t.Errorf("Product after %d, past the end at %d: %v, want an invalid-request error", seq, end, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Product after %d answered in %s, want well under MaxWait", seq, d)
		}
	}

	// Written but not yet applied: waited for, then answered.
	w.product(t, "p1", domain.Restock{Quantity: 5})
	type answer struct {
		p   domain.Product
		err error
	}
	got := make(chan answer, 1)
	go func() {
		p, err := c.Product(t.Context(), "p1", map[string]uint64{eventstore.Products.Stream(): end + 1})
		got <- answer{p, err}
	}()
	// Past the check, at a tenth of MaxWait, the query still waits.
	select {
	case a := <-got:
		t.Fatalf("answered before the restock was applied: %+v, %v", a.p, a.err)
	case <-time.After(1500 * time.Millisecond):
	}
	w.project(t, db)
	select {
	case a := <-got:
		if a.err != nil || a.p.Stocked != 8 {
			t.Errorf("Product after a written restock = %+v, %v; want it applied", a.p, a.err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no answer")
	}
}

func errIsInvalid(err error) bool { return errors.Is(err, domain.ErrInvalid) }

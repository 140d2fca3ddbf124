package projections_test

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/projections"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// openDB opens the read model at path and closes it when t ends.
func openDB(t *testing.T, path string) *projections.DB {
	t.Helper()
	db, err := projections.Open(path, quiet())
	if err != nil {
		t.Fatalf("Open %s: %v", path, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func tempDB(t *testing.T) *projections.DB {
	t.Helper()
	return openDB(t, filepath.Join(t.TempDir(), "views.db"))
}

func msg(seq uint64, id string, events ...domain.Event) eventstore.Message {
	return eventstore.Message{Seq: seq, ID: id, Events: events}
}

// productLog and reservationLog are two streams' messages, seq 1 on.
var (
	productLog = []eventstore.Message{
		msg(1, "p1", created("p1", 5, 0)),
		msg(2, "p2", created("p2", 3, 1)),
		msg(3, "p1", reserved("p1", rid(1), "c1", 2)),
		msg(4, "p2", domain.ProductRestocked{ProductID: "p2", Quantity: 2, At: at(3)}),
		msg(5, "p1", reserved("p1", rid(2), "c1", 4)),
	}
	reservationLog = []eventstore.Message{
		msg(1, rid(1).String(), placed(rid(1), "p1", "c1", 2)),
		msg(2, rid(2).String(), placed(rid(2), "p1", "c1", 4)),
		// Two events in one message.
		msg(3, rid(1).String(), domain.ReservationAccepted{ReservationID: rid(1), StoreID: "s1", DistanceKm: 2, At: at(5)},
			domain.CancelRequested{ReservationID: rid(1), ProductSeq: 5, At: at(6)}),
	}
)

// dumpBuckets are every bucket of the read model, checkpoints included.
var dumpBuckets = []string{"products", "stores", "reservations", "history", "customers", "checkpoints"}

// dump is every key and value of the read model.
func dump(t *testing.T, db *projections.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := db.View(func(kv projections.KV) error {
		for _, b := range dumpBuckets {
			for k, v := range kv.Scan([]byte(b), nil, false) {
				out[b+"/"+string(k)] = string(v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
	return out
}

func mustApply(t *testing.T, db *projections.DB, k eventstore.Kind, msgs ...eventstore.Message) {
	t.Helper()
	if err := db.Apply(k, msgs); err != nil {
		t.Fatalf("Apply %s: %v", k, err)
	}
}

// compareDBs is projections.Compare of two read models.
func compareDBs(t *testing.T, want, got *projections.DB) []projections.Difference {
	t.Helper()
	var diffs []projections.Difference
	err := want.View(func(w projections.KV) error {
		return got.View(func(g projections.KV) error {
			projections.Compare(w, g, func(d projections.Difference) { diffs = append(diffs, d) })
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return diffs
}

func TestOpenCreatesBuckets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "views.db")
	db, err := projections.Open(path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if cp := db.Checkpoints(); len(cp) != 0 {
		t.Errorf("fresh Checkpoints = %v", cp)
	}
	if db.Path() != path {
		t.Errorf("Path = %s, want %s", db.Path(), path)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var names []string
	b.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, _ *bolt.Bucket) error { names = append(names, string(name)); return nil })
	})
	slices.Sort(names)
	want := slices.Sorted(slices.Values(dumpBuckets))
	if !slices.Equal(names, want) {
		t.Errorf("buckets = %v, want %v", names, want)
	}
}

func TestDBApplyWritesViewsAndCheckpoint(t *testing.T) {
	db := tempDB(t)
	mustApply(t, db, eventstore.Products, productLog...)
	mustApply(t, db, eventstore.Reservations, reservationLog...)
	want := map[eventstore.Kind]uint64{eventstore.Products: 5, eventstore.Reservations: 3}
	if got := db.Checkpoints(); !maps.Equal(got, want) {
		t.Errorf("Checkpoints = %v, want %v", got, want)
	}
	if got := db.Checkpoint(eventstore.Stores); got != 0 {
		t.Errorf("Checkpoint(Stores) = %d", got)
	}
	// The views are the pure folds of the same events.
	mem := newMemKV()
	for _, log := range [][]eventstore.Message{productLog, reservationLog} {
		for _, m := range log {
			for i, e := range m.Events {
				if err := projections.Apply(mem, projections.Event{Seq: m.Seq, Index: i, Event: e}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	db.View(func(kv projections.KV) error {
		if n := projections.Compare(mem, kv, func(d projections.Difference) { t.Errorf("%v", d) }); n != 0 {
			t.Errorf("DB differs from the fold in %d keys", n)
		}
		p, _, _ := projections.Product(kv, "p1")
		if p.Stock != 3 || p.Reserved != 2 || p.Stocked != 5 {
			t.Errorf("p1 = %+v", p)
		}
		r, _, _ := projections.Reservation(kv, rid(1).String())
		if r.Status != domain.StatusCancelling || r.StoreID != "s1" {
			t.Errorf("r1 = %+v", r)
		}
		h, _, _ := projections.History(kv, rid(1).String())
		if len(h) != 3 || h[1].Seq != 3 || h[2].Seq != 3 || h[1].Type != "ReservationAccepted" || h[2].Type != "CancelRequested" {
			t.Errorf("r1 history = %+v", h)
		}
		return nil
	})
	if err := db.Apply(eventstore.Stores, nil); err != nil {
		t.Errorf("Apply of nothing: %v", err)
	}
}

func TestDBApplyAgainChangesNothing(t *testing.T) {
	db := tempDB(t)
	mustApply(t, db, eventstore.Products, productLog[:3]...)
	before := dump(t, db)
	tests := []struct {
		name string
		msgs []eventstore.Message
	}{
		{name: "same messages", msgs: productLog[:3]},
		{name: "older messages", msgs: productLog[:2]},
		{name: "last message", msgs: productLog[2:3]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustApply(t, db, eventstore.Products, tt.msgs...)
			if after := dump(t, db); !maps.Equal(before, after) {
				t.Errorf("re-applying changed the read model:\n%v\n%v", before, after)
			}
			if c := db.Checkpoint(eventstore.Products); c != 3 {
				t.Errorf("checkpoint = %d, want 3", c)
			}
		})
	}
	// Overlapping: only 4 and 5 are new.
	mustApply(t, db, eventstore.Products, productLog[1:]...)
	fresh := tempDB(t)
	mustApply(t, fresh, eventstore.Products, productLog...)
	if diffs := compareDBs(t, fresh, db); len(diffs) != 0 {
		t.Errorf("overlapping apply differs from one apply: %v", diffs)
	}
}

func TestDBApplyGap(t *testing.T) {
	db := tempDB(t)
	tests := []struct {
		name string
		msgs []eventstore.Message
	}{
		{name: "first message past 1", msgs: productLog[1:3]},
		{name: "skips after the checkpoint", msgs: productLog[3:4]},
		{name: "hole in the batch", msgs: []eventstore.Message{productLog[2], productLog[4]}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if i > 0 {
				mustApply(t, db, eventstore.Products, productLog[:2]...)
			}
			before, cp := dump(t, db), db.Checkpoint(eventstore.Products)
			err := db.Apply(eventstore.Products, tt.msgs)
			if !errors.Is(err, projections.ErrGap) {
				t.Fatalf("Apply = %v, want ErrGap", err)
			}
			if after := dump(t, db); !maps.Equal(before, after) {
				t.Errorf("a failed Apply wrote:\n%v\n%v", before, after)
			}
			if got := db.Checkpoint(eventstore.Products); got != cp {
				t.Errorf("checkpoint = %d, want %d", got, cp)
			}
		})
	}
}

func TestDBApplyFailsWhole(t *testing.T) {
	db := tempDB(t)
	mustApply(t, db, eventstore.Products, productLog[0])
	before := dump(t, db)
	err := db.Apply(eventstore.Products, []eventstore.Message{productLog[1], msg(3, "x", otherEvent{})})
	if err == nil || errors.Is(err, projections.ErrGap) {
		t.Fatalf("Apply of an unsupported event = %v", err)
	}
	if after := dump(t, db); !maps.Equal(before, after) {
		t.Errorf("a failed Apply wrote part of its batch:\n%v\n%v", before, after)
	}
	if c := db.Checkpoint(eventstore.Products); c != 1 {
		t.Errorf("checkpoint = %d, want 1", c)
	}
}

func TestDBApplyPassesOverUndecodable(t *testing.T) {
	db := tempDB(t)
	bad := eventstore.Message{Seq: 2, ID: "p9", Err: errors.New("does not decode")}
	mustApply(t, db, eventstore.Products, productLog[0], bad, msg(3, "p2", created("p2", 3, 1)))
	if c := db.Checkpoint(eventstore.Products); c != 3 {
		t.Errorf("checkpoint = %d, want 3", c)
	}
	mustApply(t, db, eventstore.Products, eventstore.Message{Seq: 4, ID: "p9", Err: errors.New("bad")})
	if c := db.Checkpoint(eventstore.Products); c != 4 {
		t.Errorf("checkpoint after a lone undecodable message = %d, want 4", c)
	}
	db.View(func(kv projections.KV) error {
		ps, _ := projections.Products(kv)
		if len(ps) != 2 || ps[0].ID != "p1" || ps[1].ID != "p2" {
			t.Errorf("Products = %+v", ps)
		}
		return nil
	})
}

func TestDBCheckpointsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "views.db")
	db, err := projections.Open(path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, db, eventstore.Products, productLog...)
	mustApply(t, db, eventstore.Reservations, reservationLog[:2]...)
	mustApply(t, db, eventstore.Stores, msg(1, "s1", registered("s1", 3, 0)))
	want := db.Checkpoints()
	before := dump(t, db)
	db.Close()
	for _, open := range []func(string, *slog.Logger) (*projections.DB, error){projections.Open, projections.OpenReadOnly} {
		db, err := open(path, quiet())
		if err != nil {
			t.Fatal(err)
		}
		if got := db.Checkpoints(); !maps.Equal(got, want) || len(got) != 3 {
			t.Errorf("Checkpoints after reopen = %v, want %v", got, want)
		}
		if got := db.Checkpoint(eventstore.Reservations); got != 2 {
			t.Errorf("Checkpoint(Reservations) = %d, want 2", got)
		}
		if after := dump(t, db); !maps.Equal(before, after) {
			t.Error("views changed across reopen")
		}
		db.Close()
	}
}

func TestDBWaitFor(t *testing.T) {
	db := tempDB(t)
	mustApply(t, db, eventstore.Products, productLog[:1]...)
	if err := db.WaitFor(t.Context(), eventstore.Products, 1); err != nil {
		t.Errorf("WaitFor a reached position: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- db.WaitFor(t.Context(), eventstore.Products, 3) }()
	mustApply(t, db, eventstore.Products, productLog[1])
	mustApply(t, db, eventstore.Reservations, reservationLog...) // another stream: no help
	select {
	case err := <-done:
		t.Fatalf("WaitFor(3) returned at checkpoint 2: %v", err)
	default:
	}
	mustApply(t, db, eventstore.Products, productLog[2:]...)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("WaitFor: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("WaitFor did not return once the position was applied")
	}

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := db.WaitFor(ctx, eventstore.Products, 100); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitFor beyond the end = %v, want DeadlineExceeded", err)
	}
}

func TestDBCopyToIsConsistent(t *testing.T) {
	db := tempDB(t)
	mustApply(t, db, eventstore.Products, productLog[0])
	const n = 200
	var wg sync.WaitGroup
	wg.Go(func() {
		for seq := uint64(2); seq <= n; seq++ {
			if err := db.Apply(eventstore.Products, []eventstore.Message{msg(seq, "p1",
				domain.ProductRestocked{ProductID: "p1", Quantity: 1, At: at(int(seq))})}); err != nil {
				t.Error(err)
				return
			}
		}
	})
	dir := t.TempDir()
	for i := range 5 {
		path := filepath.Join(dir, "copy"+string(rune('a'+i)))
		if err := db.CopyTo(path); err != nil {
			t.Fatal(err)
		}
		cp, err := projections.OpenReadOnly(path, quiet())
		if err != nil {
			t.Fatal(err)
		}
		seq := cp.Checkpoint(eventstore.Products)
		cp.View(func(kv projections.KV) error {
			p, _, _ := projections.Product(kv, "p1")
			if want := 5 + int(seq) - 1; p.Stocked != want {
				t.Errorf("copy at checkpoint %d has p1 stocked %d, want %d", seq, p.Stocked, want)
			}
			return nil
		})
		cp.Close()
	}
	wg.Wait()

	path := filepath.Join(dir, "final")
	if err := db.CopyTo(path); err != nil {
		t.Fatal(err)
	}
	cp, err := projections.OpenReadOnly(path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if !maps.Equal(cp.Checkpoints(), db.Checkpoints()) {
		t.Errorf("copy checkpoints %v, want %v", cp.Checkpoints(), db.Checkpoints())
	}
	if diffs := compareDBs(t, db, cp); len(diffs) != 0 {
		t.Errorf("copy differs: %v", diffs)
	}
}

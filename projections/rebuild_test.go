package projections_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/projections"
)

func TestRebuild(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	path := filepath.Join(t.TempDir(), "views.db")
	ends := w.ends(t)
	var total uint64
	for _, seq := range ends {
		total += seq
	}
	for _, name := range []string{"no file yet", "corrupted file"} {
		t.Run(name, func(t *testing.T) {
			if name == "corrupted file" {
				corrupt(t, path, func(tx *bolt.Tx) error {
					return tx.Bucket([]byte("products")).Put([]byte("p1"), []byte(`{"id":"p1"}`))
				})
			}
			var mu sync.Mutex
			var reports []projections.Progress
			progress := func(p projections.Progress) { mu.Lock(); reports = append(reports, p); mu.Unlock() }
			if err := projections.Rebuild(t.Context(), w.es, w.nc, path, progress, quiet()); err != nil {
				t.Fatalf("Rebuild: %v", err)
			}
			maxApplied := uint64(0)
			for _, p := range reports {
				if p.Total != total || p.Applied > total {
					t.Errorf("progress %+v, total %d", p, total)
				}
				maxApplied = max(maxApplied, p.Applied)
			}
			if maxApplied != total {
				t.Errorf("progress reached %d of %d", maxApplied, total)
			}
			db, err := projections.OpenReadOnly(path, quiet())
			if err != nil {
				t.Fatal(err)
			}
			if got := db.Checkpoints(); !maps.Equal(got, ends) {
				t.Errorf("rebuilt checkpoints = %v, want %v", got, ends)
			}
			db.Close()
			if n, diffs := w.verify(t, path); n != 0 {
				t.Errorf("Verify after Rebuild = %d: %v", n, diffs)
			}
			if _, err := os.Stat(path + ".rebuild"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("Rebuild left its file behind: %v", err)
			}
		})
	}
}

func TestRebuildHeldReadModel(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	db := tempDB(t)
	p, stop := w.project(t, db)
	w.serve(t, db, projections.ServiceConfig{Swap: p.Replace})
	w.caughtUp(t, db)
	// The serving DB swaps the rebuilt file in and keeps following the log.
	if err := projections.Rebuild(t.Context(), w.es, w.nc, db.Path(), nil, quiet()); err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if got, want := db.Checkpoints(), w.ends(t); !maps.Equal(got, want) {
		t.Errorf("checkpoints after Rebuild = %v, want %v", got, want)
	}
	w.product(t, "p2", domain.Restock{Quantity: 1})
	w.caughtUp(t, db)
	stop()
	db.Close()
	if n, diffs := w.verify(t, db.Path()); n != 0 {
		t.Errorf("Verify = %d: %v", n, diffs)
	}
}

// Rebuild reports progress from one goroutine per stream; a report that is
// slow to be taken in must not be overtaken, so the last report is the
// total (cmd/projector logs it as the number of events rebuilt).
func TestRebuildLastProgressIsTheTotal(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	var total uint64
	for _, seq := range w.ends(t) {
		total += seq
	}
	var mu sync.Mutex
	var last projections.Progress
	first := true
	reachedTotal := make(chan struct{})
	progress := func(p projections.Progress) {
		mu.Lock()
		wasFirst := first
		first = false
		mu.Unlock()
		if wasFirst {
			// A slow first report, as a terminal write can be.
			select {
			case <-reachedTotal:
			case <-time.After(3 * time.Second):
			}
		}
		mu.Lock()
		defer mu.Unlock()
		last = p
		if p.Applied == p.Total && !wasFirst {
			close(reachedTotal)
		}
	}
	path := filepath.Join(t.TempDir(), "views.db")
	if err := projections.Rebuild(t.Context(), w.es, w.nc, path, progress, quiet()); err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	if last.Applied != total || last.Total != total {
		t.Errorf("last progress report = %+v after applying all %d messages", last, total)
	}
}

// A follow that fails with a batch read but not written (ErrGap after a
// plain Swap) must not leave the batch counted in Lag.
func TestLagForgetsBatchLostToGap(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	db := tempDB(t)
	p, _ := w.project(t, db)
	w.caughtUp(t, db)

	// A rebuilt file that is behind the live projector on products, as one
	// is when products changed during the replay.
	until := w.ends(t)
	until[eventstore.Products] = 2
	nextPath := filepath.Join(t.TempDir(), "next.db")
	next := openDB(t, nextPath)
	if err := projections.NewProjector(w.es, next, quiet()).CatchUp(t.Context(), until, nil); err != nil {
		t.Fatal(err)
	}
	next.Close()
	if err := db.Swap(nextPath); err != nil {
		t.Fatal(err)
	}
	// The next product event does not follow the new checkpoint: the
	// projector's follow fails with ErrGap and starts again from it.
	w.product(t, "p1", domain.Restock{Quantity: 1})
	w.caughtUp(t, db)
	within(3*time.Second, func() bool { return p.Lag()[eventstore.Products.Stream()].Events == 0 })
	if l := p.Lag()[eventstore.Products.Stream()]; l.Events != 0 || l.Seconds != 0 {
		t.Errorf("Lag[%s] = %+v once caught up, want 0 events", eventstore.Products.Stream(), l)
	}
}

// Rebuild replays the log up to its ends when it starts; an event the live
// projector applies meanwhile, on a stream that then stays quiet, must
// still be in the read model after the swap (the swap brings the rebuilt
// file up to the live checkpoints first).
func TestRebuildKeepsEventsAppliedDuringReplay(t *testing.T) {
	w := newWorld(t)
	w.seed(t)
	db := tempDB(t)
	p, _ := w.project(t, db)
	w.serve(t, db, projections.ServiceConfig{Swap: p.Replace})
	w.caughtUp(t, db)

	paused, resume := make(chan struct{}), make(chan struct{})
	var once sync.Once
	progress := func(projections.Progress) {
		once.Do(func() { close(paused); <-resume })
	}
	rebuilt := make(chan error, 1)
	go func() { rebuilt <- projections.Rebuild(t.Context(), w.es, w.nc, db.Path(), progress, quiet()) }()
	select {
	case <-paused:
	case err := <-rebuilt:
		t.Fatalf("Rebuild ended without reporting progress: %v", err)
	}
	// During the replay a store registers and the live read model has it.
	w.store(t, "s3", domain.RegisterStore{ID: "s3", Name: "Jongno", Location: seoul, Capacity: 1})
	end := w.ends(t)[eventstore.Stores]
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := db.WaitFor(ctx, eventstore.Stores, end); err != nil {
		t.Fatal(err)
	}
	close(resume)
	if err := <-rebuilt; err != nil {
		t.Fatalf("Rebuild: %v", err)
	}
	hasS3 := func() bool {
		ok := false
		db.View(func(kv projections.KV) error { _, ok, _ = projections.Store(kv, "s3"); return nil })
		return ok && db.Checkpoint(eventstore.Stores) == end
	}
	if !within(5*time.Second, hasS3) {
		t.Errorf("after Rebuild the read model lost store s3: stores checkpoint %d, log ends at %d", db.Checkpoint(eventstore.Stores), end)
	}
}

package projections_test

import (
	"errors"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/projections"
)

func TestDBSwap(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "live.db"))
	mustApply(t, db, eventstore.Products, productLog[:2]...)

	nextPath := filepath.Join(dir, "next.db")
	next, err := projections.Open(nextPath, quiet())
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, next, eventstore.Products, productLog[:4]...)
	mustApply(t, next, eventstore.Reservations, reservationLog[:1]...)
	want, wantCP := dump(t, next), next.Checkpoints()
	next.Close()

	if err := db.Swap(nextPath); err != nil {
		t.Fatalf("Swap: %v", err)
	}
	if got := db.Checkpoints(); !maps.Equal(got, wantCP) {
		t.Errorf("Checkpoints after Swap = %v, want %v", got, wantCP)
	}
	if got := dump(t, db); !maps.Equal(got, want) {
		t.Errorf("views after Swap are not the new file's")
	}
	if _, err := os.Stat(nextPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("swapped-in file still at its old path: %v", err)
	}
	// The DB goes on from the new checkpoint, and from the new file's
	// views: none the old file had in memory.
	mustApply(t, db, eventstore.Products, productLog[4])
	fresh := openDB(t, filepath.Join(dir, "fresh.db"))
	mustApply(t, fresh, eventstore.Products, productLog...)
	mustApply(t, fresh, eventstore.Reservations, reservationLog[:1]...)
	if got, want := dump(t, db), dump(t, fresh); !maps.Equal(got, want) {
		t.Errorf("views after an Apply that follows a Swap:\n got %v\nwant %v", got, want)
	}
	if err := db.Apply(eventstore.Reservations, reservationLog[2:]); !errors.Is(err, projections.ErrGap) {
		t.Errorf("Apply past the new checkpoint = %v, want ErrGap", err)
	}
	want = dump(t, db)
	db.Close()
	again := openDB(t, filepath.Join(dir, "live.db"))
	if got := dump(t, again); !maps.Equal(got, want) {
		t.Error("the live path does not hold the swapped-in views")
	}

	// A failed Swap keeps the read model it had.
	if err := again.Swap(filepath.Join(dir, "missing.db")); err == nil {
		t.Fatal("Swap of a missing file succeeded")
	}
	if got := dump(t, again); !maps.Equal(got, want) {
		t.Error("a failed Swap changed the read model")
	}
	mustApply(t, again, eventstore.Reservations, reservationLog[1:]...)
}

func TestOpenHeldFileFailsLocked(t *testing.T) {
	db := tempDB(t)
	for name, open := range map[string]func(string, *slog.Logger) (*projections.DB, error){
		"Open": projections.Open, "OpenReadOnly": projections.OpenReadOnly,
	} {
		t.Run(name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				other, err := open(db.Path(), quiet())
				if err == nil {
					other.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, projections.ErrLocked) {
					t.Errorf("%s of a held file = %v, want ErrLocked", name, err)
				}
			case <-time.After(15 * time.Second):
				t.Fatalf("%s of a held file hangs", name)
			}
		})
	}
}

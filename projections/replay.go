package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/eventstore"
)

// ends is the last sequence of every stream now.
func ends(ctx context.Context, es *eventstore.Store) (map[eventstore.Kind]uint64, error) {
	until := map[eventstore.Kind]uint64{}
	for _, k := range eventstore.Kinds() {
		seq, err := es.LastSeq(ctx, k)
		if err != nil {
			return nil, err
		}
		until[k] = seq
	}
	return until, nil
}

// replay builds a fresh read model at path from the log up to until.
func replay(ctx context.Context, es *eventstore.Store, path string, until map[eventstore.Kind]uint64, progress func(Progress), log *slog.Logger) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	db, err := Open(path, log)
	if err != nil {
		return err
	}
	if err := NewProjector(es, db, log).CatchUp(ctx, until, progress); err != nil {
		db.Close()
		return err
	}
	return db.Close()
}

// Rebuild replays the whole log into a fresh file beside the read model at
// path and swaps it in atomically: through the projector that holds path,
// which keeps serving meanwhile and goes on from the new file's
// checkpoints, or by renaming it over path when no process holds it.
func Rebuild(ctx context.Context, es *eventstore.Store, nc *nats.Conn, path string, progress func(Progress), log *slog.Logger) error {
	until, err := ends(ctx, es)
	if err != nil {
		return err
	}
	next := path + ".rebuild"
	if err := replay(ctx, es, next, until, progress, log); err != nil {
		return fmt.Errorf("replay into %s: %w", next, err)
	}
	err = Admin(ctx, nc, path, "swap", next)
	if !errors.Is(err, nats.ErrNoResponders) {
		return err
	}
	// No projector holds the file: swap it in here, and make sure no
	// other process holds it.
	db, err := Open(path, log)
	if err != nil {
		return err
	}
	if err := NewProjector(es, db, log).Replace(ctx, next); err != nil {
		db.Close()
		return err
	}
	return db.Close()
}

// Verify replays the log into a shadow read model up to the checkpoints of
// the one at path and compares them key by key, calling report with each
// difference. It returns how many there were. A read model held by a
// running projector is verified through a consistent copy that projector
// writes.
func Verify(ctx context.Context, es *eventstore.Store, nc *nats.Conn, path string, report func(Difference), progress func(Progress), log *slog.Logger) (int, error) {
	live, err := OpenReadOnly(path, log)
	if errors.Is(err, ErrLocked) {
		snapshot := path + ".verify"
		defer os.Remove(snapshot)
		if err := Admin(ctx, nc, path, "copy", snapshot); err != nil {
			return 0, err
		}
		live, err = OpenReadOnly(snapshot, log)
	}
	if err != nil {
		return 0, err
	}
	defer live.Close()
	shadow := path + ".shadow"
	defer os.Remove(shadow)
	if err := replay(ctx, es, shadow, live.Checkpoints(), progress, log); err != nil {
		return 0, fmt.Errorf("replay into %s: %w", shadow, err)
	}
	fresh, err := OpenReadOnly(shadow, log)
	if err != nil {
		return 0, err
	}
	defer fresh.Close()
	if report == nil {
		report = func(Difference) {}
	}
	n := 0
	err = fresh.View(func(want KV) error {
		return live.View(func(got KV) error {
			n = Compare(want, got, report)
			return nil
		})
	})
	return n, err
}

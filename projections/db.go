package projections

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// DB is a read model kept in a bbolt file.
type DB struct {
	path string
	log  *slog.Logger

	// swap guards bolt: held for reading by every use, for writing while
	// Swap replaces the file.
	swap sync.RWMutex
	bolt *bolt.DB

	mu sync.Mutex
	// checkpoints is the last stream sequence applied, per stream; kept
	// in memory too so queries can wait for a position cheaply.
	checkpoints map[eventstore.Kind]uint64
	// advanced is closed and replaced whenever a checkpoint moves.
	advanced chan struct{}

	// views keeps the views Apply wrote lately, decoded.
	views *viewCache
}

// ErrLocked means another process holds the file.
var ErrLocked = errors.New("read model file is held by another process")

// ErrGap means Apply was handed messages that do not follow its checkpoint:
// the reader must start again from the checkpoint.
var ErrGap = errors.New("messages do not follow the checkpoint")

// Open opens or creates the read model at path. It waits at most a second
// for the file's lock and then fails with ErrLocked.
func Open(path string, log *slog.Logger) (*DB, error) {
	return open(path, false, log)
}

// OpenReadOnly opens an existing read model for reading.
func OpenReadOnly(path string, log *slog.Logger) (*DB, error) {
	return open(path, true, log)
}

func open(path string, readOnly bool, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.Default()
	}
	d := &DB{path: path, log: log, advanced: make(chan struct{}), views: newViewCache()}
	if err := d.load(readOnly); err != nil {
		return nil, err
	}
	return d, nil
}

// load opens the file and reads its checkpoints.
func (d *DB) load(readOnly bool) error {
	path := d.path
	// NoSync: a transaction is written to the file, not forced to the
	// disk. A killed projector loses nothing (the page cache keeps every
	// write); a host crash may lose the last transactions or, at worst,
	// the file, which rebuild makes again from the log. Forcing each batch
	// to disk put the read model hundreds of milliseconds behind the log.
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: readOnly, NoFreelistSync: true, NoSync: true})
	if err != nil {
		if err == bolt.ErrTimeout {
			return fmt.Errorf("open %s: %w", path, ErrLocked)
		}
		return fmt.Errorf("open %s: %w", path, err)
	}
	checkpoints := map[eventstore.Kind]uint64{}
	if !readOnly {
		err = b.Update(func(tx *bolt.Tx) error {
			for _, name := range append(viewBuckets, bucketCheckpoints) {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Close()
			return fmt.Errorf("open %s: %w", path, err)
		}
	}
	err = b.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketCheckpoints)
		if c == nil {
			return nil
		}
		for _, k := range eventstore.Kinds() {
			if v := c.Get([]byte(k.Stream())); len(v) == 8 {
				checkpoints[k] = binary.BigEndian.Uint64(v)
			}
		}
		return nil
	})
	if err != nil {
		b.Close()
		return err
	}
	d.bolt = b
	d.mu.Lock()
	d.checkpoints = checkpoints
	close(d.advanced)
	d.advanced = make(chan struct{})
	d.mu.Unlock()
	return nil
}

// Replace swaps the read model in the file next in for this one,
// atomically and without going back: catchUp brings next up to this read
// model's checkpoints, first while this one keeps serving and applying,
// then once more with both paused, for the few events applied meanwhile.
// The file is then renamed over this one; every query before sees the old
// views, every query after the new, and the checkpoints never move back.
func (d *DB) Replace(next string, catchUp func(next *DB, until map[eventstore.Kind]uint64) error) error {
	nd, err := Open(next, d.log)
	if err != nil {
		return err
	}
	if err := catchUp(nd, d.Checkpoints()); err != nil {
		nd.Close()
		return fmt.Errorf("bring %s up to date: %w", next, err)
	}
	d.swap.Lock()
	defer d.swap.Unlock()
	err = catchUp(nd, d.Checkpoints())
	if err == nil {
		// Written with NoSync: force it to disk before it takes the name.
		err = nd.bolt.Sync()
	}
	if cerr := nd.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("bring %s up to date: %w", next, err)
	}
	return d.swapLocked(next)
}

// Swap replaces the read model with the file next as it is, atomically.
// Whoever follows the log into this DB must start again from its new
// checkpoints (Apply refuses what does not follow them); Replace is the
// swap that needs no such restart.
func (d *DB) Swap(next string) error {
	d.swap.Lock()
	defer d.swap.Unlock()
	return d.swapLocked(next)
}

// swapLocked renames next over the file and opens it; on failure it opens
// the old file again.
func (d *DB) swapLocked(next string) error {
	d.views.clear()
	if err := d.bolt.Close(); err != nil {
		return err
	}
	if err := os.Rename(next, d.path); err != nil {
		if lerr := d.load(false); lerr != nil {
			return errors.Join(err, lerr)
		}
		return fmt.Errorf("swap in %s: %w", next, err)
	}
	return d.load(false)
}

// Path is the file the read model lives in.
func (d *DB) Path() string { return d.path }

// Close closes the file.
func (d *DB) Close() error {
	d.swap.Lock()
	defer d.swap.Unlock()
	return d.bolt.Close()
}

// Checkpoint is the last sequence of kind's stream applied.
func (d *DB) Checkpoint(k eventstore.Kind) uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.checkpoints[k]
}

// Checkpoints is every stream's checkpoint.
func (d *DB) Checkpoints() map[eventstore.Kind]uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[eventstore.Kind]uint64, len(d.checkpoints))
	for k, v := range d.checkpoints {
		out[k] = v
	}
	return out
}

// WaitFor returns once the read model has applied kind's stream up to seq,
// or ctx's error.
func (d *DB) WaitFor(ctx context.Context, k eventstore.Kind, seq uint64) error {
	for {
		d.mu.Lock()
		done, advanced := d.checkpoints[k] >= seq, d.advanced
		d.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-advanced:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Apply writes the events of msgs, all of one stream and in stream order,
// and the stream's new checkpoint in one transaction. Messages at or below
// the checkpoint were applied before and are skipped, so a redelivery or a
// replay changes nothing. A message that did not decode, or that holds an
// event no view can be kept for (ErrUnfoldable), is logged and passed
// over, as a fresh replay passes over it too.
func (d *DB) Apply(k eventstore.Kind, msgs []eventstore.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	d.swap.RLock()
	defer d.swap.RUnlock()
	var last uint64
	var b *batch
	err := d.bolt.Update(func(tx *bolt.Tx) error {
		// Reservation ids are UUIDv7, ordered by time, so these buckets
		// grow at their end: fill pages before splitting them, instead of
		// leaving every page half empty.
		tx.Bucket(bucketReservations).FillPercent = 0.9
		tx.Bucket(bucketHistory).FillPercent = 0.9
		b = newBatch(boltKV{tx})
		b.cache, b.written = d.views, map[viewKey]*pending{}
		c := tx.Bucket(bucketCheckpoints)
		checkpoint := uint64(0)
		if v := c.Get([]byte(k.Stream())); len(v) == 8 {
			checkpoint = binary.BigEndian.Uint64(v)
		}
		last = checkpoint
		for _, m := range msgs {
			if m.Seq <= last {
				continue
			}
			if m.Seq != last+1 {
				// Streams have no holes, so the reader started past the
				// checkpoint: the file was swapped under it.
				return fmt.Errorf("%w: %s at %d, checkpoint %d", ErrGap, k.Stream(), m.Seq, last)
			}
			if m.Err != nil {
				d.log.Error("passed over a message that does not decode", "subject", k.Subject(m.ID), "seq", m.Seq, "err", m.Err)
			}
			if err := foldable(m.Events); err != nil {
				d.log.Error("passed over a message no view can hold", "subject", k.Subject(m.ID), "seq", m.Seq, "err", err)
				last = m.Seq
				continue
			}
			for i, e := range m.Events {
				if err := b.apply(Event{Seq: m.Seq, Index: i, Event: e}); err != nil {
					return fmt.Errorf("apply %s at %d: %w", k.Subject(m.ID), m.Seq, err)
				}
			}
			last = m.Seq
		}
		if err := b.flush(); err != nil {
			return err
		}
		return c.Put([]byte(k.Stream()), binary.BigEndian.AppendUint64(nil, last))
	})
	if err != nil {
		// What the transaction did not commit may be in the views the
		// cache shares with it.
		d.views.clear()
		return err
	}
	d.views.put(b.written)
	d.mu.Lock()
	if last > d.checkpoints[k] {
		d.checkpoints[k] = last
		close(d.advanced)
		d.advanced = make(chan struct{})
	}
	d.mu.Unlock()
	return nil
}

// foldable is checkFoldable of every event of a message.
func foldable(events []domain.Event) error {
	for _, e := range events {
		if err := checkFoldable(e); err != nil {
			return err
		}
	}
	return nil
}

// View runs fn with a consistent read-only view of the read model.
func (d *DB) View(fn func(KV) error) error {
	d.swap.RLock()
	defer d.swap.RUnlock()
	return d.bolt.View(func(tx *bolt.Tx) error { return fn(boltKV{tx}) })
}

// CopyTo writes a consistent copy of the read model to path while it keeps
// serving.
func (d *DB) CopyTo(path string) error {
	d.swap.RLock()
	defer d.swap.RUnlock()
	return d.bolt.View(func(tx *bolt.Tx) error { return tx.CopyFile(path, 0o600) })
}

// boltKV is KV over a bbolt transaction.
type boltKV struct{ tx *bolt.Tx }

func (b boltKV) Get(bucket, key []byte) []byte {
	bk := b.tx.Bucket(bucket)
	if bk == nil {
		return nil
	}
	return bk.Get(key)
}

func (b boltKV) Put(bucket, key, value []byte) error {
	if value == nil {
		value = []byte{}
	}
	return b.tx.Bucket(bucket).Put(key, value)
}

func (b boltKV) Scan(bucket, prefix []byte, reverse bool) iter.Seq2[[]byte, []byte] {
	return func(yield func(k, v []byte) bool) {
		bk := b.tx.Bucket(bucket)
		if bk == nil {
			return
		}
		c := bk.Cursor()
		var k, v []byte
		next := c.Next
		switch {
		case !reverse:
			k, v = c.Seek(prefix)
		case prefixEnd(prefix) == nil:
			k, v = c.Last()
			next = c.Prev
		default:
			// Start after the last key with the prefix and walk back.
			if k, v = c.Seek(prefixEnd(prefix)); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
			next = c.Prev
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, v = next() {
			if !yield(k, v) {
				return
			}
		}
	}
}

// prefixEnd is the first key after every key with prefix (nil: none).
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

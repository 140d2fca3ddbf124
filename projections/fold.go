package projections

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"time"

	"github.com/tshop/tshop/domain"
)

// Buckets of the read model. Each view is a JSON value under its id.
var (
	bucketProducts     = []byte("products")
	bucketStores       = []byte("stores")
	bucketReservations = []byte("reservations")
	// history: reservation id, message seq (8 bytes), index in the
	// message (4 bytes) → one historyEntry.
	bucketHistory = []byte("history")
	// customers: customer id, 0, placed-at (8 bytes), reservation id →
	// nothing; a customer's reservations in time order.
	bucketCustomers   = []byte("customers")
	bucketCheckpoints = []byte("checkpoints")
)

// viewBuckets lists the buckets that hold views, in a fixed order.
var viewBuckets = [][]byte{bucketProducts, bucketStores, bucketReservations, bucketHistory, bucketCustomers}

// KV is what the folds read and write views through: a bbolt transaction
// in DB, a map in tests.
type KV interface {
	Get(bucket, key []byte) []byte
	Put(bucket, key, value []byte) error
	// Scan yields each key with the prefix and its value, in key order or
	// in reverse. Keys and values are valid only during the iteration.
	Scan(bucket, prefix []byte, reverse bool) iter.Seq2[[]byte, []byte]
}

// Event is one event at its place in the log.
type Event struct {
	// Seq is the stream sequence of the message that holds the event,
	// Index its place in that message.
	Seq   uint64
	Index int
	Event domain.Event
}

// HistoryEntry is one event in a reservation's history.
type HistoryEntry struct {
	Type string          `json:"type"`
	At   time.Time       `json:"at"`
	Seq  uint64          `json:"seq"`
	Data json.RawMessage `json:"data"`
}

// maxKeyLen bounds the aggregate id a view is kept under: far beyond any
// id Tshop writes (64 characters), well within bbolt's 32 KiB keys.
const maxKeyLen = 1024

// ErrUnfoldable means an event names no aggregate a view can be kept
// for: its id is empty or too long to be a key. No Tshop command writes
// such an event, but any client allowed to publish on a stream's subjects
// may; DB.Apply passes over the message that holds it, as it passes over
// one that does not decode, rather than stop the stream's views for good.
var ErrUnfoldable = errors.New("event names no aggregate a view can be kept for")

// checkFoldable reports whether Apply can fold e: ErrUnfoldable if not.
func checkFoldable(e domain.Event) error {
	if id := e.AggregateID(); id == "" || len(id) > maxKeyLen {
		return fmt.Errorf("%w: %s with an id of %d bytes", ErrUnfoldable, e.EventType(), len(id))
	}
	return nil
}

// Apply folds one event into every view it changes.
func Apply(kv KV, e Event) error {
	b := newBatch(kv)
	if err := b.apply(e); err != nil {
		return err
	}
	return b.flush()
}

// batch folds events into views, keeping every aggregate view it changed
// decoded until flush writes each once: a batch of events on one hot
// product or store then decodes and encodes its view once, not once per
// event.
type batch struct {
	kv    KV
	views map[viewKey]*pending
	order []viewKey // the order views were first changed, for flush
	// cache, when set, holds views as committed before this batch;
	// written is every view the batch has flushed, for the cache.
	cache   *viewCache
	written map[viewKey]*pending
}

type viewKey struct {
	bucket string
	id     string
}

// pending is an aggregate view changed in this batch, not written yet.
type pending struct {
	view   any
	encode func(any) ([]byte, error)
}

func newBatch(kv KV) *batch {
	return &batch{kv: kv, views: map[viewKey]*pending{}}
}

func (b *batch) apply(e Event) error {
	if err := checkFoldable(e.Event); err != nil {
		return err
	}
	switch ev := e.Event.(type) {
	case domain.ProductCreated, domain.ProductRestocked, domain.StockReserved, domain.StockReleased:
		return fold[domain.Product](b, bucketProducts, ev.AggregateID(), ev)
	case domain.StoreRegistered, domain.StorePaused, domain.StoreResumed, domain.StoreSlotTaken, domain.StoreSlotReleased:
		return fold[domain.Store](b, bucketStores, ev.AggregateID(), ev)
	case domain.ReservationPlaced, domain.ReservationAccepted, domain.ReservationRejected, domain.CancelRequested,
		domain.StockRestored, domain.StoreReleased, domain.ReservationFulfilled:
		id := ev.AggregateID()
		if err := fold[domain.Reservation](b, bucketReservations, id, ev); err != nil {
			return err
		}
		// Queries name customers by valid ids only: one that is not
		// (it may even hold the key's 0 separator) is not indexed.
		if placed, ok := ev.(domain.ReservationPlaced); ok && domain.ValidateID("customerId", placed.CustomerID) == nil {
			if err := b.kv.Put(bucketCustomers, customerKey(placed.CustomerID, placed.At, id), nil); err != nil {
				return err
			}
		}
		return addHistory(b.kv, id, e)
	}
	return fmt.Errorf("projections: no view for event %s", e.Event.EventType())
}

// flush writes every view the batch changed.
func (b *batch) flush() error {
	for _, k := range b.order {
		p := b.views[k]
		raw, err := p.encode(p.view)
		if err != nil {
			return err
		}
		if err := b.kv.Put([]byte(k.bucket), []byte(k.id), raw); err != nil {
			return err
		}
	}
	// What was written is kept for the cache, once committed.
	if b.cache != nil {
		maps.Copy(b.written, b.views)
	}
	clear(b.views)
	b.order = b.order[:0]
	return nil
}

// fold applies e to the view of one aggregate, kept as the aggregate's
// state: the same Evolve the command side uses.
func fold[T interface{ Evolve(domain.Event) T }](b *batch, bucket []byte, id string, e domain.Event) error {
	k := viewKey{string(bucket), id}
	if p, ok := b.views[k]; ok {
		p.view = p.view.(T).Evolve(e)
		return nil
	}
	var v T
	if p, ok := b.written[k]; ok {
		v = p.view.(T)
	} else if cached, ok := b.cache.get(k); ok {
		v = cached.(T)
	} else if raw := b.kv.Get(bucket, []byte(id)); raw != nil {
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("view %s/%s: %w", bucket, id, err)
		}
	}
	b.views[k] = &pending{view: v.Evolve(e), encode: func(v any) ([]byte, error) { return json.Marshal(v.(T)) }}
	b.order = append(b.order, k)
	return nil
}

func addHistory(kv KV, id string, e Event) error {
	data, err := json.Marshal(e.Event)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(HistoryEntry{Type: e.Event.EventType(), At: e.Event.OccurredAt(), Seq: e.Seq, Data: data})
	if err != nil {
		return err
	}
	key := binary.BigEndian.AppendUint64([]byte(id), e.Seq)
	key = binary.BigEndian.AppendUint32(key, uint32(e.Index))
	return kv.Put(bucketHistory, key, raw)
}

func customerKey(customerID string, at time.Time, id string) []byte {
	key := append([]byte(customerID), 0)
	key = binary.BigEndian.AppendUint64(key, uint64(at.UnixNano()))
	return append(key, id...)
}

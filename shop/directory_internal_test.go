package shop

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// The directory vouches for a store, for a slot write that expects no
// change since, only as of the store's newest slots message (none: 0), and
// never again once one of the store's messages could not be read: its copy
// may be wrong.
func TestDirectoryVouchesOnlyForWhatItRead(t *testing.T) {
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	d := newDirectory(nil)
	msg := func(k eventstore.Kind, id string, seq uint64, events ...domain.Event) eventstore.Message {
		return eventstore.Message{Kind: k, ID: id, Seq: seq, Events: events}
	}
	if _, _, ok := d.store("a"); ok {
		t.Fatal("vouched for a store never seen")
	}
	d.apply(msg(eventstore.Stores, "a", 1, domain.StoreRegistered{StoreID: "a", Name: "A", Capacity: 2, At: at}))
	d.apply(msg(eventstore.Stores, "b", 2, domain.StoreRegistered{StoreID: "b", Name: "B", Capacity: 2, At: at}))
	if s, seq, ok := d.store("a"); !ok || seq != 0 || s.Capacity != 2 {
		t.Fatalf("store a = %+v at %d, %v; want capacity 2 with no slots message", s, seq, ok)
	}
	d.apply(msg(eventstore.Slots, "b", 3, domain.StoreSlotTaken{StoreID: "b", ReservationID: uuid.New(), At: at}))
	if s, seq, ok := d.store("b"); !ok || seq != 3 || s.Load() != 1 {
		t.Fatalf("store b = %+v at %d, %v; want a load of 1 at slots message 3", s, seq, ok)
	}
	bad := msg(eventstore.Slots, "a", 4)
	bad.Err = errors.New("does not decode")
	d.apply(bad)
	d.apply(msg(eventstore.Stores, "a", 5, domain.StorePaused{StoreID: "a", At: at}))
	if _, _, ok := d.store("a"); ok {
		t.Fatal("vouched for store a after one of its messages could not be read")
	}
	if _, seq, ok := d.store("b"); !ok || seq != 3 {
		t.Fatalf("store b at %d, %v; want vouched for at 3", seq, ok)
	}
}

// The wait list hands out the reservation placed first, whatever the
// order it was found waiting in; one whose attempt failed goes behind the
// others; ids taken out are never handed out, however many come and go.
func TestWaitListOrder(t *testing.T) {
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	w := newWaitList()
	ids := make([]uuid.UUID, 4)
	for i := range ids {
		ids[i] = uuid.New()
	}
	// Found waiting in the order 2, 0, 3, 1.
	for _, i := range []int{2, 0, 3, 1} {
		w.add(ids[i], at.Add(time.Duration(i)*time.Second))
	}
	w.add(ids[0], at.Add(time.Hour)) // already on it: keeps its place
	oldest := func() uuid.UUID {
		t.Helper()
		id, ok := w.oldest()
		if !ok {
			t.Fatal("nothing waiting")
		}
		return id
	}
	if got := oldest(); got != ids[0] {
		t.Fatalf("oldest = %v, want the first placed %v", got, ids[0])
	}
	w.requeue(ids[0])
	if got := oldest(); got != ids[1] {
		t.Fatalf("after a failed attempt of the first, oldest = %v, want %v", got, ids[1])
	}
	w.remove(ids[1])
	if got := oldest(); got != ids[2] {
		t.Fatalf("after taking out %v, oldest = %v, want %v", ids[1], got, ids[2])
	}
	for i := range 500 {
		id := uuid.New()
		w.add(id, at.Add(-time.Duration(i)*time.Second))
		w.remove(id)
	}
	if got := oldest(); got != ids[2] || w.len() != 3 {
		t.Fatalf("after 500 ids came and went, oldest = %v of %d, want %v of 3", got, w.len(), ids[2])
	}
}

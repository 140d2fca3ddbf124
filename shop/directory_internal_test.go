package shop

import (
	"errors"
	"testing"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// The directory vouches for a store, for a write that expects no change
// since, only as of the store's newest message, and never again once one
// of the store's messages could not be read: its copy may be wrong.
func TestDirectoryVouchesOnlyForWhatItRead(t *testing.T) {
	at := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	d := newDirectory(nil)
	msg := func(id string, seq uint64, events ...domain.Event) eventstore.Message {
		return eventstore.Message{Kind: eventstore.Stores, ID: id, Seq: seq, Events: events}
	}
	if _, _, ok := d.store("a"); ok {
		t.Fatal("vouched for a store never seen")
	}
	d.apply(msg("a", 1, domain.StoreRegistered{StoreID: "a", Name: "A", Capacity: 2, At: at}))
	d.apply(msg("b", 2, domain.StoreRegistered{StoreID: "b", Name: "B", Capacity: 2, At: at}))
	if s, seq, ok := d.store("a"); !ok || seq != 1 || s.Capacity != 2 {
		t.Fatalf("store a = %+v at %d, %v; want capacity 2 at 1", s, seq, ok)
	}
	bad := msg("a", 3)
	bad.Err = errors.New("does not decode")
	d.apply(bad)
	d.apply(msg("a", 4, domain.StorePaused{StoreID: "a", At: at}))
	if _, _, ok := d.store("a"); ok {
		t.Fatal("vouched for store a after one of its messages could not be read")
	}
	if _, seq, ok := d.store("b"); !ok || seq != 2 {
		t.Fatalf("store b at %d, %v; want vouched for at 2", seq, ok)
	}
}

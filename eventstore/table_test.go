package eventstore_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
)

var testTable = eventstore.TableConfig{Stream: "TEST_TABLE", Subject: "test.table.", Description: "test"}

// A Table keeps the newest value of each key and refuses a write made from
// a revision that is no longer the key's.
func TestTable(t *testing.T) {
	ns, nc, s := open(t, nil)
	ctx := t.Context()
	tab, err := s.OpenTable(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tab.Get(ctx, "k"); !errors.Is(err, eventstore.ErrNotFound) {
		t.Fatalf("Get of a new key: %v, want ErrNotFound", err)
	}
	r1, err := tab.Put(ctx, "k", []byte("one"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tab.Put(ctx, "k", []byte("again"), 0); !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("second create: %v, want ErrConflict", err)
	}
	r2, err := tab.Put(ctx, "k", []byte("two"), r1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tab.Put(ctx, "k", []byte("stale"), r1); !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("put from a stale revision: %v, want ErrConflict", err)
	}
	if _, err := tab.Put(ctx, "other", []byte("x"), 0); err != nil {
		t.Fatal(err)
	}
	for _, get := range []func() ([]byte, uint64, error){
		func() ([]byte, uint64, error) { return tab.Get(ctx, "k") },
		func() ([]byte, uint64, error) { return tab.GetFromLeader(ctx, "k") },
	} {
		v, rev, err := get()
		if err != nil || string(v) != "two" || rev != r2 {
			t.Fatalf("Get = %q, %d, %v; want two, %d", v, rev, err, r2)
		}
	}
	// Only the newest value of each key is kept, and it survives a
	// restart of NATS and a reopening.
	ns.Stop()
	ns.Restart()
	tab2, err := openOn(t, nc, nil).OpenTable(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() bool {
		v, rev, err := tab2.Get(ctx, "k")
		return err == nil && string(v) == "two" && rev == r2
	})
	info, err := rawJS(t, nc).Stream(ctx, testTable.Stream)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 2 {
		t.Fatalf("table stream holds %d messages, want 2 (one per key)", n)
	}
	if _, err := tab.Put(ctx, "a.b", nil, 0); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("Put of a key that is not a token: %v, want ErrInvalid", err)
	}
}

// Of writers racing from the same revision, exactly one wins.
func TestTableCompareAndSet(t *testing.T) {
	_, _, s := open(t, nil)
	ctx := t.Context()
	tab, err := s.OpenTable(ctx, testTable)
	if err != nil {
		t.Fatal(err)
	}
	rev, err := tab.Put(ctx, "k", []byte("0"), 0)
	if err != nil {
		t.Fatal(err)
	}
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := tab.Put(ctx, "k", []byte("1"), rev)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, eventstore.ErrConflict):
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 7 {
		t.Fatalf("%d wins and %d conflicts, want 1 and 7", wins.Load(), conflicts.Load())
	}
}

// On a replicated table, writers on different servers racing from the same
// revision: exactly one wins each round, and a read from the leader after
// a conflict sees the winner's value.
func TestTableCompareAndSetOnCluster(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	var tabs []*eventstore.Table
	for _, srv := range c.Servers {
		s := openOn(t, srv.Connect(), &eventstore.Config{Replicas: 3, Timeout: 5 * time.Second})
		tab, err := s.OpenTable(t.Context(), testTable)
		if err != nil {
			t.Fatal(err)
		}
		tabs = append(tabs, tab)
	}
	var rev uint64
	for round := range 10 {
		var wins atomic.Int32
		var winner atomic.Value
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() {
				v := fmt.Sprintf("%d-%d", round, i)
				_, err := tabs[i%len(tabs)].Put(t.Context(), "k", []byte(v), rev)
				switch {
				case err == nil:
					wins.Add(1)
					winner.Store(v)
				case !errors.Is(err, eventstore.ErrConflict):
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("round %d: %d writers won, want 1", round, wins.Load())
		}
		v, r, err := tabs[round%len(tabs)].GetFromLeader(t.Context(), "k")
		if err != nil || string(v) != winner.Load() {
			t.Fatalf("round %d: leader has %q, %v; want %q", round, v, err, winner.Load())
		}
		rev = r
	}
}

// Processes on different servers of a cluster opening the same table at
// once all get it.
func TestOpenTableConcurrentlyOnCluster(t *testing.T) {
	c := natstest.StartCluster(t, 3)
	var wg sync.WaitGroup
	for _, srv := range c.Servers {
		s := openOn(t, srv.Connect(), &eventstore.Config{Replicas: 3, Timeout: time.Second})
		wg.Go(func() {
			if _, err := s.OpenTable(t.Context(), testTable); err != nil {
				t.Error(err)
			}
			if _, err := s.OpenParking(t.Context(), testParking); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

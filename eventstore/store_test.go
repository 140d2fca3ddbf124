package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/internal/natstest"
)

// open starts a NATS server and opens a Store on a connection to it.
func open(t *testing.T, cfg *eventstore.Config) (*natstest.Server, *nats.Conn, *eventstore.Store) {
	t.Helper()
	ns := natstest.Start(t)
	nc := ns.Connect()
	return ns, nc, openOn(t, nc, cfg)
}

func openOn(t *testing.T, nc *nats.Conn, cfg *eventstore.Config) *eventstore.Store {
	t.Helper()
	s, err := eventstore.Open(t.Context(), nc, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// rawStream is the stream of kind k as a plain jetstream client sees it.
func rawStream(t *testing.T, nc *nats.Conn, k eventstore.Kind) jetstream.Stream {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(t.Context(), k.Stream())
	if err != nil {
		t.Fatalf("stream %s: %v", k.Stream(), err)
	}
	return st
}

// msgCount is how many messages the stream of kind k holds.
func msgCount(t *testing.T, nc *nats.Conn, k eventstore.Kind) uint64 {
	t.Helper()
	info, err := rawStream(t, nc, k).Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

var at = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)

func created(id string, stock int) domain.ProductCreated {
	return domain.ProductCreated{ProductID: id, Name: "Galaxy " + id, Stock: stock, At: at}
}

// appendOK appends event e to product id at expect and returns the new
// sequence.
func appendOK(t *testing.T, s *eventstore.Store, id string, expect uint64, e domain.Event) uint64 {
	t.Helper()
	seq, err := s.Append(t.Context(), eventstore.Products, id, expect, "", []domain.Event{e}, domain.Product{ID: id})
	if err != nil {
		t.Fatalf("Append %s at %d: %v", id, expect, err)
	}
	return seq
}

// nth is the i-th event of product id: created, then restocked.
func nth(id string, i int) domain.Event {
	if i == 0 {
		return created(id, 0)
	}
	return domain.ProductRestocked{ProductID: id, Quantity: i, At: at}
}

func TestOpenCreatesStreams(t *testing.T) {
	ns, nc, s := open(t, nil)
	ctx := t.Context()
	if err := s.Check(ctx); err != nil {
		t.Fatalf("Check: %v", err)
	}
	for _, k := range eventstore.Kinds() {
		info, err := rawStream(t, nc, k).Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c := info.Config
		var want []string
		for _, p := range k.Parts() {
			want = append(want, strings.TrimSuffix(p.Subject("x"), "x")+"*")
		}
		if !slices.Equal(c.Subjects, want) {
			t.Errorf("%s subjects %v, want %v", k.Stream(), c.Subjects, want)
		}
		if !c.DenyDelete || !c.DenyPurge || !c.AllowDirect || c.Storage != jetstream.FileStorage || c.Replicas != 1 {
			t.Errorf("%s config %+v", k.Stream(), c)
		}
	}
	// Open again on this connection and on a new one changes nothing.
	seq := appendOK(t, s, "p1", 0, created("p1", 3))
	openOn(t, nc, nil)
	if err := openOn(t, ns.Connect(), nil).Check(ctx); err != nil {
		t.Fatalf("Check after reopening: %v", err)
	}
	// The log is the source of truth: nothing can be removed from it.
	st := rawStream(t, nc, eventstore.Products)
	if err := st.DeleteMsg(ctx, seq); err == nil {
		t.Error("DeleteMsg succeeded on a DenyDelete stream")
	}
	if err := st.Purge(ctx); err == nil {
		t.Error("Purge succeeded on a DenyPurge stream")
	}
	if got := msgCount(t, nc, eventstore.Products); got != 1 {
		t.Errorf("stream holds %d messages, want 1", got)
	}
}

// A process whose user may only look streams up (the projector, the
// assigner) opens with WaitForStreams: it waits until the api has created
// them, and gives up when its context ends.
func TestOpenWaitsForStreams(t *testing.T) {
	ns := natstest.Start(t)
	cfg := &eventstore.Config{WaitForStreams: true}
	ctx, cancel := context.WithTimeout(t.Context(), 700*time.Millisecond)
	defer cancel()
	if _, err := eventstore.Open(ctx, ns.Connect(natstest.User(natstest.Projector)), cfg); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Open with no streams: %v, want the context's deadline", err)
	}
	opened := make(chan error, 1)
	go func() {
		_, err := eventstore.Open(t.Context(), ns.Connect(natstest.User(natstest.Assigner)), cfg)
		opened <- err
	}()
	time.Sleep(300 * time.Millisecond)
	api := openOn(t, ns.Connect(natstest.User(natstest.API)), nil)
	select {
	case err := <-opened:
		if err != nil {
			t.Fatalf("Open once the streams exist: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Open still waiting 10s after the streams were created")
	}
	if err := api.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenConcurrently(t *testing.T) {
	ns := natstest.Start(t)
	conns := make([]*nats.Conn, 8)
	for i := range conns {
		conns[i] = ns.Connect()
	}
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, nc := range conns {
		wg.Go(func() {
			s, err := eventstore.Open(t.Context(), nc, nil)
			if err == nil {
				err = s.Check(t.Context())
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
		}
	}
}

func TestAppendAndLast(t *testing.T) {
	_, nc, s := open(t, nil)
	ctx := t.Context()
	rid := [16]byte{1, 2, 3}
	events := []domain.Event{
		created("p1", 3),
		domain.StockReserved{ProductID: "p1", ReservationID: rid, CustomerID: "c-1", Location: domain.Location{Lat: 37.5, Lon: 127}, At: at},
	}
	var state domain.Product
	for _, e := range events {
		state = state.Evolve(e)
	}
	seq, err := s.Append(ctx, eventstore.Products, "p1", 0, "", events, state)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	m, err := s.Last(ctx, eventstore.Products, "p1")
	if err != nil {
		t.Fatalf("Last: %v", err)
	}
	if m.Seq != seq || m.ID != "p1" || m.Kind != eventstore.Products || m.MsgID == "" || m.Time.IsZero() {
		t.Errorf("Last = %+v, want seq %d", m, seq)
	}
	if !reflect.DeepEqual(m.Events, events) {
		t.Errorf("Last events\n got %#v\nwant %#v", m.Events, events)
	}
	var got domain.Product
	if err := m.State(&got); err != nil {
		t.Fatalf("State: %v", err)
	}
	if got != state || got.Stock != 2 || got.Reserved != 1 {
		t.Errorf("State = %+v, want %+v", got, state)
	}
	// The subject is the one literal subject of the aggregate.
	raw, err := rawStream(t, nc, eventstore.Products).GetLastMsgForSubject(ctx, eventstore.Products.Subject("p1"))
	if err != nil || raw.Sequence != seq {
		t.Errorf("raw last of %s: %v, %v", eventstore.Products.Subject("p1"), raw, err)
	}

	if _, err := s.Last(ctx, eventstore.Products, "p2"); !errors.Is(err, eventstore.ErrNotFound) {
		t.Errorf("Last of a missing aggregate: %v, want ErrNotFound", err)
	}
}

// TestAppendConflicts races 32 writers at one expected sequence.
func TestAppendConflicts(t *testing.T) {
	_, nc, s := open(t, nil)
	base := appendOK(t, s, "p1", 0, created("p1", 100))
	const n = 32
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			e := domain.ProductRestocked{ProductID: "p1", Quantity: i + 1, At: at}
			_, errs[i] = s.Append(t.Context(), eventstore.Products, "p1", base, "", []domain.Event{e}, domain.Product{ID: "p1"})
		})
	}
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, eventstore.ErrConflict):
			t.Errorf("writer %d: %v, want nil or ErrConflict", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d writers won, want exactly 1", wins)
	}
	// Every stale or made-up sequence conflicts now.
	for _, expect := range []uint64{0, base, base + 5} {
		_, err := s.Append(t.Context(), eventstore.Products, "p1", expect, "", []domain.Event{nth("p1", 99)}, domain.Product{ID: "p1"})
		if !errors.Is(err, eventstore.ErrConflict) {
			t.Errorf("Append at stale %d: %v, want ErrConflict", expect, err)
		}
	}
	if got := msgCount(t, nc, eventstore.Products); got != 2 {
		t.Errorf("stream holds %d messages, want 2", got)
	}
}

func TestAppendRetryIsDeduplicated(t *testing.T) {
	_, nc, s := open(t, nil)
	ctx := t.Context()
	events := []domain.Event{created("p1", 3)}
	state := domain.Product{ID: "p1", Stock: 3, Stocked: 3}
	seq, err := s.Append(ctx, eventstore.Products, "p1", 0, "", events, state)
	if err != nil {
		t.Fatal(err)
	}
	retry := func(when string) {
		t.Helper()
		got, err := s.Append(ctx, eventstore.Products, "p1", 0, "", events, state)
		if err != nil || got != seq {
			t.Errorf("retry %s: seq %d, %v; want %d", when, got, err, seq)
		}
	}
	retry("immediately")
	if got := msgCount(t, nc, eventstore.Products); got != 1 {
		t.Fatalf("stream holds %d messages after a retry, want 1", got)
	}
	// Another aggregate of the stream moves on; p1's subject does not.
	appendOK(t, s, "p2", 0, created("p2", 1))
	retry("after another aggregate's append")
	if got := msgCount(t, nc, eventstore.Products); got != 2 {
		t.Fatalf("stream holds %d messages, want 2", got)
	}
	// A different append at the same expect is not a retry.
	if _, err := s.Append(ctx, eventstore.Products, "p1", 0, "", []domain.Event{created("p1", 4)}, state); !errors.Is(err, eventstore.ErrConflict) {
		t.Errorf("other content at a stale expect: %v, want ErrConflict", err)
	}
}

func TestAppendExplicitMsgIDAfterAnotherAppend(t *testing.T) {
	_, nc, s := open(t, nil)
	ctx := t.Context()
	state := domain.Product{ID: "p1"}
	orig, err := s.Append(ctx, eventstore.Products, "p1", 0, "cmd-1", []domain.Event{created("p1", 3)}, state)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Append(ctx, eventstore.Products, "p1", orig, "cmd-2",
		[]domain.Event{domain.ProductRestocked{ProductID: "p1", Quantity: 1, At: at}}, state)
	if err != nil {
		t.Fatal(err)
	}
	// A retry at the old expect conflicts: the last message is not ours.
	if _, err := s.Append(ctx, eventstore.Products, "p1", 0, "cmd-1", []domain.Event{created("p1", 3)}, state); !errors.Is(err, eventstore.ErrConflict) {
		t.Errorf("retry at the old expect: %v, want ErrConflict", err)
	}
	// Re-deciding at the new sequence with the same id is deduplicated.
	got, err := s.Append(ctx, eventstore.Products, "p1", other, "cmd-1",
		[]domain.Event{domain.ProductRestocked{ProductID: "p1", Quantity: 9, At: at}}, state)
	if err != nil || got != orig {
		t.Errorf("re-decided retry: seq %d, %v; want the original %d", got, err, orig)
	}
	if n := msgCount(t, nc, eventstore.Products); n != 2 {
		t.Errorf("stream holds %d messages, want 2", n)
	}
	if m, err := s.Last(ctx, eventstore.Products, "p1"); err != nil || m.Seq != other || m.MsgID != "cmd-2" {
		t.Errorf("Last = %+v, %v; want seq %d of cmd-2", m, err, other)
	}
}

// TestAppendRefusesBadInput checks that bad ids and empty appends are
// refused before anything is sent.
func TestAppendRefusesBadInput(t *testing.T) {
	_, nc, s := open(t, nil)
	ctx := t.Context()
	// Everything a client could send for an aggregate: its subjects and
	// the JetStream API. (Server advisories, which Open's stream creation
	// sets off a moment later, are not sends.)
	sub, err := nc.SubscribeSync("tshop.>")
	if err != nil {
		t.Fatal(err)
	}
	api, err := nc.SubscribeSync("$JS.API.>")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"", "a.b", "*", ">", "a b", "a\tb", "a\x00", "é", strings.Repeat("a", 200)} {
		t.Run(fmt.Sprintf("%q", id), func(t *testing.T) {
			_, err := s.Append(ctx, eventstore.Products, id, 0, "", []domain.Event{created("p1", 1)}, domain.Product{})
			if !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("Append: %v, want domain.ErrInvalid", err)
			}
			if _, err := s.Last(ctx, eventstore.Products, id); !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("Last: %v, want domain.ErrInvalid", err)
			}
			if err := s.Scan(ctx, eventstore.Products, id, 1, func(eventstore.Message) error { return nil }); !errors.Is(err, domain.ErrInvalid) {
				t.Errorf("Scan: %v, want domain.ErrInvalid", err)
			}
		})
	}
	for _, events := range [][]domain.Event{nil, {}} {
		if _, err := s.Append(ctx, eventstore.Products, "p1", 0, "", events, domain.Product{}); err == nil {
			t.Errorf("Append of %#v events succeeded", events)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []*nats.Subscription{sub, api} {
		if m, err := sub.NextMsg(50 * time.Millisecond); err == nil {
			t.Errorf("a message was sent for bad input: %s %q", m.Subject, m.Data)
		}
	}
	if n := msgCount(t, nc, eventstore.Products); n != 0 {
		t.Errorf("stream holds %d messages, want 0", n)
	}
}

// TestScan interleaves two aggregates of one stream; a has more messages
// than one fetch returns.
func TestScan(t *testing.T) {
	_, _, s := open(t, nil)
	ctx := t.Context()
	var a, b []uint64
	for i := range 300 {
		a = append(a, appendOK(t, s, "a", lastOr0(a), nth("a", i)))
		if i < 10 {
			b = append(b, appendOK(t, s, "b", lastOr0(b), nth("b", i)))
		}
	}
	tests := []struct {
		name string
		id   string
		from uint64
		want []uint64
	}{
		{"a from 0", "a", 0, a},
		{"a from 1", "a", 1, a},
		{"b from 1", "b", 1, b},
		{"a from its 4th", "a", a[3], a[3:]},
		{"a from a sequence of b", "a", b[5], a[6:]},
		{"b from its last", "b", b[9], b[9:]},
		{"b past its last", "b", b[9] + 1, nil},
		{"missing", "c", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []uint64
			err := s.Scan(ctx, eventstore.Products, tt.id, tt.from, func(m eventstore.Message) error {
				if e, ok := m.Events[0].(domain.ProductRestocked); m.ID != tt.id || ok && e.ProductID != tt.id {
					t.Errorf("visited %+v", m)
				}
				got = append(got, m.Seq)
				return nil
			})
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("visited %v, %v; want %v", got, err, tt.want)
			}
		})
	}

	stop := errors.New("stop")
	calls := 0
	err := s.Scan(ctx, eventstore.Products, "a", 1, func(eventstore.Message) error {
		if calls++; calls == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != 3 {
		t.Errorf("Scan with a failing callback: %v after %d calls, want stop after 3", err, calls)
	}
}

// lastOr0 is the last of seqs, 0 for none: the sequence to expect next.
func lastOr0(seqs []uint64) uint64 {
	if len(seqs) == 0 {
		return 0
	}
	return seqs[len(seqs)-1]
}

func TestIDs(t *testing.T) {
	_, _, s := open(t, nil)
	ctx := t.Context()
	ids, err := s.IDs(ctx, eventstore.Products)
	if err != nil || len(ids) != 0 {
		t.Fatalf("IDs of an empty stream: %v, %v", ids, err)
	}
	seqs := map[string]uint64{}
	for _, id := range []string{"pear", "apple", "zebra", "Mango", "kiwi-2"} {
		seqs[id] = appendOK(t, s, id, 0, created(id, 1))
	}
	appendOK(t, s, "apple", seqs["apple"], domain.ProductRestocked{ProductID: "apple", Quantity: 1, At: at})
	ids, err = s.IDs(ctx, eventstore.Products)
	if want := []string{"Mango", "apple", "kiwi-2", "pear", "zebra"}; err != nil || !slices.Equal(ids, want) {
		t.Errorf("IDs = %v, %v; want %v", ids, err, want)
	}
	if ids, err := s.IDs(ctx, eventstore.Stores); err != nil || len(ids) != 0 {
		t.Errorf("IDs of stores = %v, %v; want none", ids, err)
	}
}

func TestUnavailableWhileNATSIsDown(t *testing.T) {
	ns := natstest.Start(t)
	nc := ns.Connect(nats.ReconnectBufSize(-1), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	s := openOn(t, nc, &eventstore.Config{Timeout: 500 * time.Millisecond})
	ctx := t.Context()
	seq := appendOK(t, s, "p1", 0, created("p1", 3))
	restock := []domain.Event{domain.ProductRestocked{ProductID: "p1", Quantity: 1, At: at}}
	ns.Stop()

	bounded := func(name string, call func() error) {
		t.Helper()
		start := time.Now()
		err := call()
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("%s took %s while NATS was down", name, took)
		}
		if !errors.Is(err, eventstore.ErrUnavailable) {
			t.Errorf("%s while NATS was down: %v, want ErrUnavailable", name, err)
		}
	}
	for range 3 {
		bounded("Last", func() error {
			_, err := s.Last(ctx, eventstore.Products, "p1")
			return err
		})
		bounded("Append", func() error {
			_, err := s.Append(ctx, eventstore.Products, "p1", seq, "", restock, domain.Product{ID: "p1"})
			return err
		})
		bounded("Check", func() error { return s.Check(ctx) })
	}

	ns.Restart()
	eventually(t, 20*time.Second, func() bool {
		_, err := s.Append(ctx, eventstore.Products, "p1", seq, "", restock, domain.Product{ID: "p1"})
		return err == nil
	})
	m, err := s.Last(ctx, eventstore.Products, "p1")
	if err != nil || m.Seq != seq+1 {
		t.Errorf("Last after the restart: %+v, %v; want seq %d", m, err, seq+1)
	}
}

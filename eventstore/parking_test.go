package eventstore_test

import (
	"errors"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/eventstore"
)

var testParking = eventstore.ParkingConfig{Stream: "TEST_PARKED", Subject: "test.parked.", Description: "test"}

func rawJS(t *testing.T, nc *nats.Conn) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// Parked records are kept in order, each once however often it is parked
// within the duplicate window, and listed with their keys.
func TestParking(t *testing.T) {
	_, _, s := open(t, nil)
	ctx := t.Context()
	p, err := s.OpenParking(ctx, testParking)
	if err != nil {
		t.Fatal(err)
	}
	list := func() []eventstore.Parked {
		t.Helper()
		var got []eventstore.Parked
		if err := p.List(ctx, func(r eventstore.Parked) error { got = append(got, r); return nil }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("new parking lists %d records", len(got))
	}
	for _, r := range []struct{ key, id, data string }{{"a", "a-1", "first"}, {"b", "b-1", "second"}, {"a", "a-1", "first"}, {"a", "a-2", "third"}} {
		if _, err := p.Park(ctx, r.key, r.id, []byte(r.data)); err != nil {
			t.Fatal(err)
		}
	}
	got := list()
	want := []struct{ key, id, data string }{{"a", "a-1", "first"}, {"b", "b-1", "second"}, {"a", "a-2", "third"}}
	if len(got) != len(want) {
		t.Fatalf("listed %d records, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Key != w.key || got[i].MsgID != w.id || string(got[i].Data) != w.data || got[i].Time.IsZero() {
			t.Errorf("record %d = %+v, want %+v", i, got[i], w)
		}
		if i > 0 && got[i].Seq <= got[i-1].Seq {
			t.Errorf("record %d at %d, after %d", i, got[i].Seq, got[i-1].Seq)
		}
	}
	// A failing fn stops the listing with its error.
	stop := errors.New("stop")
	n := 0
	if err := p.List(ctx, func(eventstore.Parked) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Fatalf("List with a failing fn: %v after %d records", err, n)
	}
}

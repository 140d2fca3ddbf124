package eventstore

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tshop/tshop/domain"
)

// goldenEvents returns every golden event of the domain package decoded,
// by type name.
func goldenEvents(tb testing.TB) map[string]domain.Event {
	tb.Helper()
	out := map[string]domain.Event{}
	for _, name := range domain.EventTypes() {
		b, err := os.ReadFile(filepath.Join("..", "domain", "testdata", name+".json"))
		if err != nil {
			tb.Fatal(err)
		}
		e, err := domain.DecodeEvent(name, bytes.TrimSpace(b))
		if err != nil {
			tb.Fatalf("golden %s: %v", name, err)
		}
		out[name] = e
	}
	return out
}

// goldenBodies returns message bodies as Append writes them: the golden
// events of each aggregate with the state they lead to.
func goldenBodies(tb testing.TB) [][]byte {
	tb.Helper()
	g := goldenEvents(tb)
	p := domain.Product{}.Evolve(g["ProductCreated"])
	s := domain.Store{}.Evolve(g["StoreRegistered"])
	r := domain.Reservation{}.Evolve(g["ReservationPlaced"])
	bodies := []struct {
		events []domain.Event
		state  any
	}{
		{[]domain.Event{g["ProductCreated"]}, p},
		{[]domain.Event{g["ProductRestocked"], g["StockReserved"], g["StockReserved"]}, p.Evolve(g["ProductRestocked"]).Evolve(g["StockReserved"])},
		{[]domain.Event{g["StockReleased"]}, p},
		{[]domain.Event{g["StoreRegistered"]}, s},
		{[]domain.Event{g["StorePaused"], g["StoreResumed"]}, s},
		{[]domain.Event{g["StoreSlotTaken"]}, s.Evolve(g["StoreSlotTaken"])},
		{[]domain.Event{g["StoreSlotReleased"]}, s},
		{[]domain.Event{g["ReservationPlaced"]}, r},
		{[]domain.Event{g["ReservationAccepted"]}, r.Evolve(g["ReservationAccepted"])},
		{[]domain.Event{g["ReservationRejected"]}, r},
		{[]domain.Event{g["CancelRequested"], g["StockRestored"], g["StoreReleased"]}, r},
		{[]domain.Event{g["ReservationFulfilled"]}, r},
	}
	out := make([][]byte, len(bodies))
	for i, b := range bodies {
		data, err := encodeBody(b.events, b.state)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = data
	}
	return out
}

// FuzzDecodeBody feeds stored message bodies, as any client allowed to
// publish on a stream's subjects could write them, to the decoder every
// reader of the log uses. It must never panic. What decodes holds at least
// one event and a state; encoded again it decodes again, to the same
// encoding; and its state decodes into an aggregate or fails cleanly.
func FuzzDecodeBody(f *testing.F) {
	for _, b := range goldenBodies(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := Message{Kind: Products, ID: "p1", Seq: 7}
		if err := decodeBody(&m, data); err != nil {
			return
		}
		if len(m.Events) == 0 || len(m.state) == 0 {
			t.Fatalf("decoded %s into %d events and state %q", data, len(m.Events), m.state)
		}
		once, err := encodeBody(m.Events, m.state)
		if err != nil {
			t.Fatalf("encode a decoded body: %v", err)
		}
		back := Message{Kind: Products, ID: "p1", Seq: 7}
		if err := decodeBody(&back, once); err != nil {
			t.Fatalf("decode %s, the encoding of a decoded body: %v", once, err)
		}
		twice, err := encodeBody(back.Events, back.state)
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		if !bytes.Equal(once, twice) {
			t.Fatalf("round trip is not stable:\n%s\n%s", once, twice)
		}
		var p domain.Product
		var s domain.Store
		var r domain.Reservation
		for _, v := range []any{&p, &s, &r} {
			if err := m.State(v); err != nil && !strings.Contains(err.Error(), "decode state") {
				t.Fatalf("State: %v", err)
			}
		}
	})
}

// FuzzCheckToken feeds aggregate ids, as they come from outside, to the
// check that keeps them one literal subject token: what passes names
// exactly one aggregate's subject and comes back from it unchanged.
func FuzzCheckToken(f *testing.F) {
	for _, id := range []string{"galaxy-s26-256", "gangnam-01", "3f8e2c1a-7b4d-4e9f-a2c6-5d1b8e0f9a37", "", "a.b", "*", ">", "a b", "a\x00b", "é", strings.Repeat("x", 129)} {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if checkToken(id) != nil {
			return
		}
		for _, k := range Kinds() {
			subject := k.Subject(id)
			if got := k.idOf(subject); got != id {
				t.Fatalf("idOf(Subject(%q)) = %q", id, got)
			}
			tokens := strings.Split(subject, ".")
			if len(tokens) != 3 || tokens[2] != id {
				t.Fatalf("Subject(%q) = %q is not one token under %s", id, subject, k.wildcard())
			}
			for _, tok := range tokens {
				if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n") {
					t.Fatalf("Subject(%q) = %q holds a wildcard or whitespace", id, subject)
				}
			}
		}
	})
}

// FuzzSplitBody holds the hand-split fast path of decodeBody to the
// general decoder: whatever it splits, with every piece valid JSON, the
// general decoder reads the same way, piece for piece.
func FuzzSplitBody(f *testing.F) {
	for _, b := range goldenBodies(f) {
		f.Add(b)
	}
	f.Add([]byte(`{"events":[{"a":"}"},{"b":["]"]}],"state":{"x":"],\"state\":"}}`))
	f.Add([]byte(`{"events":[{}],"state":{},"events":[]}`))
	f.Add([]byte(`{"events":[{"a":"\\"}],"state":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, state, ok := splitBody(data)
		if !ok {
			return
		}
		for _, e := range events {
			if !json.Valid(e) {
				return // UnmarshalEvent refuses it, and so the message
			}
		}
		var b body
		if err := json.Unmarshal(data, &b); err != nil {
			t.Fatalf("split %s, which does not decode: %v", data, err)
		}
		if len(b.Events) != len(events) || !bytes.Equal(b.State, state) {
			t.Fatalf("split %s into %d events and state %s; the decoder reads %d and %s", data, len(events), state, len(b.Events), b.State)
		}
		for i := range events {
			if !bytes.Equal(events[i], b.Events[i]) {
				t.Fatalf("event %d of %s split as %s, decoded as %s", i, data, events[i], b.Events[i])
			}
		}
	})
}

package eventstore

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/domain"
)

// encodeBody writes byte for byte what encoding the body with json.Marshal
// writes, so message ids made from the bytes stay as they were.
func TestEncodeBodyAsMarshal(t *testing.T) {
	at := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	id := uuid.MustParse("01a21367-bfbd-7233-9260-0423c8f74996")
	events := []domain.Event{
		domain.ProductCreated{ProductID: "p-1", Name: "Galaxy <S26> & \u2028 \"256\" 갤럭시", Stock: 3, At: at},
		domain.StockReserved{ReservationID: id, ProductID: "p-1", CustomerID: "c-1", Location: domain.Location{Lat: 37.5, Lon: 127.01}, At: at},
		domain.ReservationRejected{ReservationID: id, StoreID: "s-1", Reason: "<script>재고</script>", At: at},
	}
	state := domain.Product{ID: "p-1", Name: "Galaxy <S26>", Stock: 2}
	got, err := encodeBody(events, state)
	if err != nil {
		t.Fatal(err)
	}
	b := body{}
	for _, e := range events {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		env, err := json.Marshal(struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}{e.EventType(), data})
		if err != nil {
			t.Fatal(err)
		}
		b.Events = append(b.Events, env)
	}
	if b.State, err = json.Marshal(state); err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("encodeBody:\n%s\njson.Marshal:\n%s", got, want)
	}
	// A reader takes from a product's subject product events only.
	var m Message
	if err := decodeBody(&m, got); err == nil {
		t.Errorf("decoded a product message holding a reservation's event: %d events", len(m.Events))
	}
	okBody, err := encodeBody(events[:2], state)
	if err != nil {
		t.Fatal(err)
	}
	if err := decodeBody(&m, okBody); err != nil || len(m.Events) != 2 {
		t.Errorf("decode: %v, %d events", err, len(m.Events))
	}
}

// Decoding a reservation message the way every reader does, against the
// general decoder it bypasses.
func BenchmarkDecodeBody(b *testing.B) {
	data := goldenBodies(b)[8] // a reservation placed, with its state
	b.Run("split", func(b *testing.B) {
		for b.Loop() {
			m := Message{Kind: Reservations}
			if err := decodeBody(&m, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("general", func(b *testing.B) {
		for b.Loop() {
			var body body
			if err := json.Unmarshal(data, &body); err != nil {
				b.Fatal(err)
			}
			for _, raw := range body.Events {
				if _, err := domain.UnmarshalEvent(raw); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// A stream already as configured is not updated; one that differs in any
// field a Tshop stream configuration sets is.
func TestConfigures(t *testing.T) {
	want := jetstream.StreamConfig{Name: "S", Description: "Tshop s", Subjects: []string{"s.*"}, Storage: jetstream.FileStorage,
		Retention: jetstream.LimitsPolicy, Replicas: 3, Duplicates: 2 * time.Minute, MaxMsgsPerSubject: 1,
		Discard: jetstream.DiscardOld, DenyDelete: true, DenyPurge: true, AllowDirect: true}
	have := want
	have.Subjects = []string{"s.*"}
	have.MaxMsgs, have.MaxBytes, have.MaxAge = -1, -1, 0 // filled in by the server
	if !configures(have, want) {
		t.Fatal("a stream as configured would be updated")
	}
	for name, change := range map[string]func(*jetstream.StreamConfig){
		"description":          func(c *jetstream.StreamConfig) { c.Description = "old" },
		"subjects":             func(c *jetstream.StreamConfig) { c.Subjects = []string{"s.*", "t.*"} },
		"storage":              func(c *jetstream.StreamConfig) { c.Storage = jetstream.MemoryStorage },
		"retention":            func(c *jetstream.StreamConfig) { c.Retention = jetstream.WorkQueuePolicy },
		"replicas":             func(c *jetstream.StreamConfig) { c.Replicas = 1 },
		"duplicates":           func(c *jetstream.StreamConfig) { c.Duplicates = time.Minute },
		"max msgs per subject": func(c *jetstream.StreamConfig) { c.MaxMsgsPerSubject = 5 },
		"discard":              func(c *jetstream.StreamConfig) { c.Discard = jetstream.DiscardNew },
		"deny delete":          func(c *jetstream.StreamConfig) { c.DenyDelete = false },
		"deny purge":           func(c *jetstream.StreamConfig) { c.DenyPurge = false },
		"allow direct":         func(c *jetstream.StreamConfig) { c.AllowDirect = false },
	} {
		h := have
		h.Subjects = slices.Clone(have.Subjects)
		change(&h)
		if configures(h, want) {
			t.Errorf("a stream whose %s differs would not be updated", name)
		}
	}
	// Every field an event stream's configuration sets is one configures
	// compares. (The table's and the parking's set none it does not.)
	s := &Store{cfg: Config{Replicas: 3, Duplicates: time.Minute}}
	for _, k := range Kinds() {
		checked := map[string]bool{"Name": true, "Description": true, "Subjects": true, "Storage": true, "Retention": true,
			"Replicas": true, "Duplicates": true, "MaxMsgsPerSubject": true, "Discard": true, "DenyDelete": true, "DenyPurge": true, "AllowDirect": true}
		v := reflect.ValueOf(s.streamConfig(k))
		for i := range v.NumField() {
			if f := v.Type().Field(i); !v.Field(i).IsZero() && !checked[f.Name] {
				t.Errorf("%s sets %s, which configures does not compare", k.Stream(), f.Name)
			}
		}
	}
}

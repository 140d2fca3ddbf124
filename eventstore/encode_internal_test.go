package eventstore

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

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
	var m Message
	if err := decodeBody(&m, got); err != nil || len(m.Events) != len(events) {
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

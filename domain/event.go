package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// Event is a fact that happened to one aggregate. Its type name is explicit
// and stable: an event stored once must decode forever.
type Event interface {
	EventType() string
	// AggregateID is the id of the product, store or reservation the
	// event happened to.
	AggregateID() string
	// OccurredAt is when the command that caused the event was decided.
	OccurredAt() time.Time
}

// events maps each stable type name to the decoder of its data.
var events = map[string]func([]byte) (Event, error){
	"ProductCreated":       decoder[ProductCreated](),
	"ProductRestocked":     decoder[ProductRestocked](),
	"StockReserved":        decoder[StockReserved](),
	"StockReleased":        decoder[StockReleased](),
	"ReservationPlaced":    decoder[ReservationPlaced](),
	"ReservationAccepted":  decoder[ReservationAccepted](),
	"ReservationRejected":  decoder[ReservationRejected](),
	"CancelRequested":      decoder[CancelRequested](),
	"StockRestored":        decoder[StockRestored](),
	"StoreReleased":        decoder[StoreReleased](),
	"ReservationFulfilled": decoder[ReservationFulfilled](),
	"StoreRegistered":      decoder[StoreRegistered](),
	"StorePaused":          decoder[StorePaused](),
	"StoreResumed":         decoder[StoreResumed](),
	"StoreSlotTaken":       decoder[StoreSlotTaken](),
	"StoreSlotReleased":    decoder[StoreSlotReleased](),
}

// decoder returns a function that decodes the data of an event of type T.
func decoder[T Event]() func([]byte) (Event, error) {
	return func(data []byte) (Event, error) {
		var v T
		if err := json.Unmarshal(data, &v); err != nil {
			return nil, err
		}
		return v, nil
	}
}

// EventTypes lists every event type name, sorted.
func EventTypes() []string {
	names := make([]string, 0, len(events))
	for n := range events {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// envelope is how one event is written: its type name beside its data.
type envelope struct {
	Type string          `json:"type"`
	Data json.RawMessage `json:"data"`
}

// MarshalEvent encodes e with its type name, as {"type":...,"data":...}.
func MarshalEvent(e Event) ([]byte, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	// The bytes json.Marshal(envelope{...}) writes, without checking and
	// compacting data again: it came from json.Marshal, and a type name
	// is a plain identifier that needs no escaping.
	typ := e.EventType()
	out := make([]byte, 0, len(`{"type":"","data":}`)+len(typ)+len(data))
	out = append(out, `{"type":"`...)
	out = append(out, typ...)
	out = append(out, `","data":`...)
	out = append(out, data...)
	return append(out, '}'), nil
}

// UnmarshalEvent decodes what MarshalEvent wrote. Unknown type names and
// malformed data are errors; the returned event is a value, not a pointer.
func UnmarshalEvent(b []byte) (Event, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("decode event: %w", err)
	}
	return DecodeEvent(env.Type, env.Data)
}

// DecodeEvent decodes the data of an event of the named type.
func DecodeEvent(typ string, data []byte) (Event, error) {
	decode, ok := events[typ]
	if !ok {
		return nil, fmt.Errorf("decode event: unknown type %q", typ)
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf("decode %s: data is not a JSON object", typ)
	}
	e, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", typ, err)
	}
	// time.Time decodes offsets such as +24:00 that it then refuses to
	// encode: an event holding one could be read but never folded into a
	// state, a view or a history, so it does not decode.
	if _, err := e.OccurredAt().MarshalJSON(); err != nil {
		return nil, fmt.Errorf("decode %s: at: %w", typ, err)
	}
	return e, nil
}

package eventstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/tshop/tshop/domain"
)

// Message is one stored append: the events it wrote, in order, and the
// state of the aggregate after them.
type Message struct {
	Kind Kind
	// ID is the aggregate's id, taken from the subject.
	ID string
	// Seq is the message's sequence in its stream: its position in the log.
	Seq uint64
	// Time is when the server stored the message.
	Time   time.Time
	MsgID  string
	Events []domain.Event
	// Err is set, by Follow only, on a message that did not decode; its
	// Events and state are then empty.
	Err   error
	state json.RawMessage
}

// State decodes the aggregate's state after this message into v.
func (m Message) State(v any) error {
	if err := json.Unmarshal(m.state, v); err != nil {
		return fmt.Errorf("decode state of %s %s at %d: %w", m.Kind, m.ID, m.Seq, err)
	}
	return nil
}

// body is the JSON of one stored message.
type body struct {
	Events []json.RawMessage `json:"events"`
	State  json.RawMessage   `json:"state"`
}

// encodeBody writes the bytes json.Marshal(body{...}) would, joining the
// already encoded events and state instead of checking and compacting
// each again (that was a tenth of an append's CPU).
func encodeBody(events []domain.Event, state any) ([]byte, error) {
	out := make([]byte, 0, 256*len(events)+256)
	out = append(out, `{"events":[`...)
	for i, e := range events {
		raw, err := domain.MarshalEvent(e)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, raw...)
	}
	st, err := json.Marshal(state)
	if err != nil {
		return nil, fmt.Errorf("encode state: %w", err)
	}
	out = append(out, `],"state":`...)
	out = append(out, st...)
	return append(out, '}'), nil
}

// decodeBody fills m's events and state from a stored message's data.
func decodeBody(m *Message, data []byte) error {
	var b body
	if err := json.Unmarshal(data, &b); err != nil {
		return fmt.Errorf("decode %s %s at %d: %w", m.Kind, m.ID, m.Seq, err)
	}
	if len(b.Events) == 0 || len(b.State) == 0 {
		return fmt.Errorf("decode %s %s at %d: message holds no events or no state", m.Kind, m.ID, m.Seq)
	}
	m.Events = make([]domain.Event, len(b.Events))
	for i, raw := range b.Events {
		e, err := domain.UnmarshalEvent(raw)
		if err != nil {
			return fmt.Errorf("decode %s %s at %d: %w", m.Kind, m.ID, m.Seq, err)
		}
		m.Events[i] = e
	}
	m.state = b.State
	return nil
}

// typesHeader lists a message's event types, comma separated, so a
// consumer can pass over a message it has no use for without decoding it.
const typesHeader = "Tshop-Events"

func typesOf(events []domain.Event) string {
	var b strings.Builder
	for i, e := range events {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(e.EventType())
	}
	return b.String()
}

// eventTypes reads typesHeader; nil when the message has none.
func eventTypes(h nats.Header) []string {
	v := h.Get(typesHeader)
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

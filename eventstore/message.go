package eventstore

import (
	"bytes"
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

// decodeBody fills m's events and state from a stored message's data; an
// error is ErrUndecodable.
func decodeBody(m *Message, data []byte) error {
	if err := decodeParts(m, data); err != nil {
		return fmt.Errorf("%w: %w", ErrUndecodable, err)
	}
	return nil
}

func decodeParts(m *Message, data []byte) error {
	raws, state, ok := splitBody(data)
	if !ok {
		// Not as encodeBody writes it (another writer, other spacing or
		// order): the full decoder reads anything valid.
		var b body
		if err := json.Unmarshal(data, &b); err != nil {
			return fmt.Errorf("decode %s %s at %d: %w", m.Kind, m.ID, m.Seq, err)
		}
		raws, state = b.Events, b.State
	}
	if len(raws) == 0 || len(state) == 0 {
		return fmt.Errorf("decode %s %s at %d: message holds no events or no state", m.Kind, m.ID, m.Seq)
	}
	m.Events = make([]domain.Event, len(raws))
	for i, raw := range raws {
		e, err := domain.UnmarshalEvent(raw)
		if err != nil {
			return fmt.Errorf("decode %s %s at %d: %w", m.Kind, m.ID, m.Seq, err)
		}
		// A subject bounds where a writer may write, not what: an event
		// on another part's subject is one its writer did not make.
		if !m.Kind.Holds(e.EventType()) {
			return fmt.Errorf("decode %s %s at %d: a %s message may not hold %s", m.Kind, m.ID, m.Seq, m.Kind, e.EventType())
		}
		m.Events[i] = e
	}
	m.state = state
	return nil
}

const (
	bodyStart = `{"events":[`
	bodyState = `],"state":`
)

// splitBody splits a body laid out exactly as encodeBody writes it into
// its events and its state without the general decoder, which scanned
// every byte of it three times or more (a quarter of the projector's and
// the assigner's CPU). ok is false for anything else, left to the general
// decoder. What it returns is what json.Unmarshal into body would: each
// piece of the events array is checked to be one JSON value by
// UnmarshalEvent, and the state here.
func splitBody(data []byte) (events []json.RawMessage, state json.RawMessage, ok bool) {
	if !bytes.HasPrefix(data, []byte(bodyStart)) || data[len(data)-1] != '}' {
		return nil, nil, false
	}
	i := len(bodyStart)
	for {
		end, ok := objectEnd(data, i)
		if !ok {
			return nil, nil, false
		}
		events = append(events, data[i:end:end])
		switch {
		case data[end] == ',':
			i = end + 1
		case bytes.HasPrefix(data[end:], []byte(bodyState)):
			state = data[end+len(bodyState) : len(data)-1 : len(data)-1]
			// The decoder's state would not hold spaces around the value.
			if len(state) == 0 || isSpace(state[0]) || isSpace(state[len(state)-1]) || !json.Valid(state) {
				return nil, nil, false
			}
			return events, state, true
		default:
			return nil, nil, false
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// objectEnd returns the index just past the object that starts at
// data[i], by matching brackets outside strings; ok is false when there is
// no object there or it does not close before the data's last byte. It
// does not check what is inside: the caller has the object decoded.
func objectEnd(data []byte, i int) (end int, ok bool) {
	if i >= len(data) || data[i] != '{' {
		return 0, false
	}
	depth := 0
	for ; i < len(data)-1; i++ {
		switch data[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
		}
	}
	return 0, false
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

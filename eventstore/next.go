package eventstore

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Next returns the first message of an aggregate, on any of its parts'
// subjects, at sequence from or after it, in one read; ErrNotFound when
// there is none. Message.Kind says which part it is. It walks an aggregate's
// log one message at a time from a position a reader keeps, without a
// consumer. A message that does not decode is returned with its error in
// Message.Err, so the reader decides; it is never silently skipped.
//
// Any replica may answer, and a replica may be a moment behind: a reader
// that knows a message exists at or after from asks NextFromLeader when
// Next finds none.
func (s *Store) Next(ctx context.Context, k Kind, id string, from uint64) (Message, error) {
	return s.next(ctx, k, id, from, false)
}

// NextFromLeader is Next answered by the stream's leader, which has every
// message acked before the call.
func (s *Store) NextFromLeader(ctx context.Context, k Kind, id string, from uint64) (Message, error) {
	return s.next(ctx, k, id, from, true)
}

func (s *Store) next(ctx context.Context, k Kind, id string, from uint64, fromLeader bool) (Message, error) {
	if err := checkToken(id); err != nil {
		return Message{}, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	raw, err := s.get(ctx, s.streams[k], getRequest{Seq: max(from, 1), NextBySubject: k.Home().aggregateFilter(id)}, fromLeader)
	if err != nil {
		return Message{}, fmt.Errorf("read %s %s from %d: %w", k, id, from, err)
	}
	kind, _, ok := kindOf(k.Home(), raw.Subject)
	if !ok {
		return Message{}, fmt.Errorf("read %s %s from %d: message on %q", k, id, from, raw.Subject)
	}
	m := Message{Kind: kind, ID: id, Seq: raw.Seq, Time: raw.Time, MsgID: raw.Header.Get(jetstream.MsgIDHeader)}
	m.Err = decodeBody(&m, raw.Data)
	return m, nil
}

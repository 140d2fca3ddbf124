package eventstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// Position is how far a reader of one stream has got.
type Position struct {
	// Seq is the sequence of the message just read.
	Seq uint64
	// Pending is how many messages of the stream come after it now.
	Pending uint64
}

// Follow reads every message of kind's stream from sequence from on, in
// order, and calls fn with each until ctx ends or fn fails. It never ends
// on its own: having read everything, it waits for what comes next. A
// message that does not decode is passed with its error in Message.Err so
// the reader decides; it is never silently skipped.
func (s *Store) Follow(ctx context.Context, k Kind, from uint64, fn func(Message, Position) error) error {
	cons, err := s.streams[k].OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: k.Home().wildcards(),
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    max(from, 1),
	})
	if err != nil {
		return fmt.Errorf("follow %s: %w", k.Stream(), classify(err))
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1024))
	if err != nil {
		return fmt.Errorf("follow %s: %w", k.Stream(), classify(err))
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				return ctx.Err()
			}
			return fmt.Errorf("follow %s: %w", k.Stream(), classify(err))
		}
		meta, err := msg.Metadata()
		if err != nil {
			return fmt.Errorf("follow %s: %w", k.Stream(), err)
		}
		kind, id, _ := kindOf(k.Home(), msg.Subject())
		m := Message{Kind: kind, ID: id, Seq: meta.Sequence.Stream, Time: meta.Timestamp,
			MsgID: msg.Headers().Get(jetstream.MsgIDHeader)}
		m.Err = decodeBody(&m, msg.Data())
		if err := fn(m, Position{Seq: m.Seq, Pending: meta.NumPending}); err != nil {
			return err
		}
	}
}

// LastSeq is the sequence of the newest message of kind's stream, 0 when
// it is empty.
func (s *Store) LastSeq(ctx context.Context, k Kind) (uint64, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	info, err := s.streams[k].Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", k.Stream(), classify(err))
	}
	return info.State.LastSeq, nil
}

package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ParkingConfig names a Parking. Its names must never change.
type ParkingConfig struct {
	// Stream is the name of the stream that keeps the parked records.
	Stream string
	// Subject is the prefix of its subjects, ending with a dot: a record
	// parked under key k is kept on Subject + k.
	Subject     string
	Description string
}

// Parking keeps what a consumer gave up on, durably and in order, in a
// stream of its own: nothing in it ages out or is dropped for space. An
// operator lists it (List, or any JetStream client) and removes records
// once dealt with; the stream allows deleting and purging for that.
type Parking struct {
	s   *Store
	st  jetstream.Stream
	cfg ParkingConfig
}

// Parked is one parked record.
type Parked struct {
	// Key is the key it was parked under.
	Key string
	// Seq is its position in the parking stream.
	Seq uint64
	// Time is when it was parked.
	Time  time.Time
	MsgID string
	Data  []byte
}

// OpenParking creates the parking's stream, or brings an existing one to
// this version's configuration, with the store's replica count.
func (s *Store) OpenParking(ctx context.Context, cfg ParkingConfig) (*Parking, error) {
	if cfg.Stream == "" || !strings.HasSuffix(cfg.Subject, ".") {
		return nil, fmt.Errorf("parking %q: need a stream name and a subject prefix ending with a dot", cfg.Stream)
	}
	st, err := s.ensureStreamConfig(ctx, jetstream.StreamConfig{
		Name:        cfg.Stream,
		Description: cfg.Description,
		Subjects:    []string{cfg.Subject + "*"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    s.cfg.Replicas,
		Duplicates:  s.cfg.Duplicates,
		AllowDirect: true,
	})
	if err != nil {
		return nil, fmt.Errorf("parking %s: %w", cfg.Stream, err)
	}
	return &Parking{s: s, st: st, cfg: cfg}, nil
}

// Park stores data under key and returns its sequence. msgID names the
// record: parking it again within the store's duplicate window (a retry
// after a crash or a timeout) stores it once.
func (p *Parking) Park(ctx context.Context, key, msgID string, data []byte) (uint64, error) {
	if err := checkToken(key); err != nil {
		return 0, err
	}
	ctx, cancel := p.s.withTimeout(ctx)
	defer cancel()
	msg := nats.NewMsg(p.cfg.Subject + key)
	msg.Data = data
	ack, err := p.s.js.PublishMsg(ctx, msg, jetstream.WithExpectStream(p.cfg.Stream), jetstream.WithMsgID(msgID))
	if err != nil {
		return 0, fmt.Errorf("park %s %s: %w", p.cfg.Stream, key, classify(err))
	}
	return ack.Sequence, nil
}

// List calls fn with every parked record, oldest first, as the stream's
// leader has them, until there is no more or fn fails.
func (p *Parking) List(ctx context.Context, fn func(Parked) error) error {
	for seq := uint64(1); ; {
		rctx, cancel := p.s.withTimeout(ctx)
		raw, err := p.s.getFromLeader(rctx, p.cfg.Stream, getRequest{Seq: seq, NextBySubject: p.cfg.Subject + "*"})
		cancel()
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list %s: %w", p.cfg.Stream, err)
		}
		rec := Parked{Key: strings.TrimPrefix(raw.Subject, p.cfg.Subject), Seq: raw.Seq, Time: raw.Time,
			MsgID: raw.Header.Get(jetstream.MsgIDHeader), Data: raw.Data}
		if err := fn(rec); err != nil {
			return err
		}
		seq = raw.Seq + 1
	}
}

package eventstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Delivery is a message handed to a consumer's handler.
type Delivery struct {
	Message
	// Attempt counts deliveries of this message, from 1.
	Attempt uint64
}

// RetryLater, returned by a handler, puts the message back to be delivered
// again after the given delay. It is not a failure: however often a
// message waits, it is never parked for it.
type RetryLater time.Duration

func (r RetryLater) Error() string { return fmt.Sprintf("retry in %s", time.Duration(r)) }

// ConsumerConfig describes a durable consumer shared by every process that
// names it: each message goes to one of them.
type ConsumerConfig struct {
	// Durable is the consumer's name. It must never change: a new name
	// starts again from the first message.
	Durable string
	// Kind is the aggregate type whose stream the consumer reads: the
	// messages of every part of it (see Kind.Parts), unless Parts says
	// which.
	Kind  Kind
	Parts []Kind
	// Workers is how many handlers run at once in this process. Default 8.
	Workers int
	// MaxAttempts parks a message (logged, never delivered again) once its
	// handler failed that many times in this process. Default 10.
	MaxAttempts int
	// AckWait is how long a delivered message may go unacked before it is
	// delivered again, to this process or another. Default 30 seconds.
	AckWait time.Duration
	// MaxAckPending bounds the messages delivered and not yet acked, in
	// all processes together. Default 256 per worker.
	MaxAckPending int
	// Skip, when set, is asked first about every message, before its
	// body is decoded: true acks it without handling it. Most consumers
	// care for a few event types; skipping the rest unread is most of
	// what they save.
	Skip func(Peek) bool
}

// Peek is what a consumer knows of a message before decoding it.
type Peek struct {
	ID  string
	Seq uint64
	// Types are the message's event types in order; nil when the message
	// was written before they were recorded beside it, so unknown.
	Types []string
}

// Has reports whether the message holds an event of one of the types;
// when its types are unknown, it may, so true.
func (p Peek) Has(types ...string) bool {
	if p.Types == nil {
		return true
	}
	for _, t := range p.Types {
		if slices.Contains(types, t) {
			return true
		}
	}
	return false
}

// Handler processes one delivery. nil acks it; RetryLater redelivers it
// after a delay; any other error redelivers it with backoff, or parks it
// after MaxAttempts failures.
type Handler func(context.Context, Delivery) error

// Consume creates or joins the durable consumer cfg names and runs h on each
// message until ctx ends. It returns once every running handler returned.
func (s *Store) Consume(ctx context.Context, cfg ConsumerConfig, h Handler) error {
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 30 * time.Second
	}
	if cfg.MaxAckPending <= 0 {
		cfg.MaxAckPending = 256 * cfg.Workers
	}
	parts := cfg.Parts
	if len(parts) == 0 {
		parts = cfg.Kind.Home().Parts()
	}
	var filters []string
	for _, p := range parts {
		filters = append(filters, p.wildcard())
	}
	filter := ""
	if len(filters) == 1 {
		// One filter as the single one, not a list of one: the request
		// then names it in its subject, as a consumer of one part always
		// did, and permissions can match it.
		filter, filters = filters[0], nil
	}
	cctx, cancel := context.WithTimeout(ctx, 5*s.cfg.Timeout)
	cons, err := s.streams[cfg.Kind.Home()].CreateOrUpdateConsumer(cctx, jetstream.ConsumerConfig{
		Durable:        cfg.Durable,
		FilterSubject:  filter,
		FilterSubjects: filters,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        cfg.AckWait,
		MaxDeliver:     -1,
		MaxAckPending:  cfg.MaxAckPending,
	})
	cancel()
	if err != nil {
		return fmt.Errorf("consumer %s: %w", cfg.Durable, classify(err))
	}
	log := s.log.With("consumer", cfg.Durable)
	failures := newFailureCount(4 * cfg.MaxAckPending)
	work := make(chan jetstream.Msg)
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Go(func() {
			for msg := range work {
				s.handle(ctx, log, cfg, failures, msg, h)
			}
		})
	}
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		select {
		case work <- msg:
		case <-ctx.Done():
			// Shutting down: hand it to another process now rather
			// than after AckWait.
			_ = msg.Nak()
		}
	}, jetstream.PullMaxMessages(256))
	if err != nil {
		close(work)
		wg.Wait()
		return fmt.Errorf("consume %s: %w", cfg.Durable, classify(err))
	}
	<-ctx.Done()
	// Drain flushes the connection, which waits its own 10 seconds when
	// NATS is gone: bound it by the store's timeout.
	cc.Drain()
	select {
	case <-cc.Closed():
	case <-time.After(s.cfg.Timeout):
		cc.Stop()
	}
	close(work)
	wg.Wait()
	return nil
}

func (s *Store) handle(ctx context.Context, log *slog.Logger, cfg ConsumerConfig, failures *failureCount, msg jetstream.Msg, h Handler) {
	meta, err := msg.Metadata()
	if err != nil {
		log.Error("message without metadata", "subject", msg.Subject(), "err", err)
		_ = msg.Term()
		return
	}
	kind, id, _ := kindOf(cfg.Kind.Home(), msg.Subject())
	d := Delivery{Message: Message{Kind: kind, ID: id, Seq: meta.Sequence.Stream,
		Time: meta.Timestamp, MsgID: msg.Headers().Get(jetstream.MsgIDHeader)}, Attempt: meta.NumDelivered}
	if cfg.Skip != nil && cfg.Skip(Peek{ID: d.ID, Seq: d.Seq, Types: eventTypes(msg.Headers())}) {
		failures.forget(d.Seq)
		if err := msg.Ack(); err != nil {
			log.Warn("ack failed; the message will be delivered again", "subject", msg.Subject(), "seq", d.Seq, "err", err)
		}
		return
	}
	if err := decodeBody(&d.Message, msg.Data()); err != nil {
		// An undecodable message will never decode: park it at once.
		log.Error("parked undecodable message", "subject", msg.Subject(), "seq", d.Seq, "err", err)
		s.stats.Parked.Add(1)
		_ = msg.Term()
		return
	}
	err = h(ctx, d)
	var later RetryLater
	switch {
	case err == nil:
		failures.forget(d.Seq)
		if err := msg.Ack(); err != nil {
			log.Warn("ack failed; the message will be delivered again", "subject", msg.Subject(), "seq", d.Seq, "err", err)
		}
	case errors.As(err, &later):
		_ = msg.NakWithDelay(time.Duration(later))
	case ctx.Err() != nil:
		// Shutting down: let another process take it at once.
		_ = msg.Nak()
	default:
		n := failures.add(d.Seq)
		if n >= cfg.MaxAttempts {
			failures.forget(d.Seq)
			log.Error("parked message after failed attempts", "subject", msg.Subject(), "seq", d.Seq, "failures", n, "deliveries", d.Attempt, "err", err)
			s.stats.Parked.Add(1)
			_ = msg.Term()
			return
		}
		delay := min(time.Duration(1<<min(n, 10))*50*time.Millisecond, 10*time.Second)
		log.Warn("handler failed; retrying", "subject", msg.Subject(), "seq", d.Seq, "failures", n, "retry_in", delay, "err", err)
		_ = msg.NakWithDelay(delay)
	}
}

// failureCount counts, in this process, the failed attempts at each
// message, so a message that waits (RetryLater) however long is not parked
// for it. A message whose attempts spread over several processes is parked
// after at most MaxAttempts failures in one of them. It forgets the oldest
// entries beyond its bound.
type failureCount struct {
	mu    sync.Mutex
	n     map[uint64]int
	order []uint64
	bound int
}

func newFailureCount(bound int) *failureCount {
	return &failureCount{n: map[uint64]int{}, bound: bound}
}

func (f *failureCount) add(seq uint64) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.n[seq]; !ok {
		f.order = append(f.order, seq)
		for len(f.order) > f.bound {
			delete(f.n, f.order[0])
			f.order = f.order[1:]
		}
	}
	f.n[seq]++
	return f.n[seq]
}

func (f *failureCount) forget(seq uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.n, seq)
}

// Processed reports whether the durable consumer has handled every message
// of its stream up to and including seq. A durable that does not exist
// yet (the process that creates it is starting) has handled nothing.
func (s *Store) Processed(ctx context.Context, k Kind, durable string, seq uint64) (bool, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	cons, err := s.streams[k].Consumer(ctx, durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("consumer %s: %w", durable, classify(err))
	}
	info := cons.CachedInfo()
	if info.AckFloor.Stream >= seq {
		return true, nil
	}
	return info.NumPending == 0 && info.NumAckPending == 0 && info.Delivered.Stream >= seq, nil
}

// Scan calls fn for every message of one aggregate from sequence from on,
// up to the aggregate's last message at the time of the call.
func (s *Store) Scan(ctx context.Context, k Kind, id string, from uint64, fn func(Message) error) error {
	last, err := s.Last(ctx, k, id)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if last.Seq < from {
		return nil
	}
	cons, err := s.streams[k].OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{k.Subject(id)},
		DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:    max(from, 1),
	})
	if err != nil {
		return fmt.Errorf("scan %s %s: %w", k, id, classify(err))
	}
	for {
		msgs, err := cons.Fetch(256, jetstream.FetchMaxWait(s.cfg.Timeout))
		if err != nil {
			return fmt.Errorf("scan %s %s: %w", k, id, classify(err))
		}
		n := 0
		for msg := range msgs.Messages() {
			n++
			meta, err := msg.Metadata()
			if err != nil {
				return fmt.Errorf("scan %s %s: %w", k, id, err)
			}
			m := Message{Kind: k, ID: id, Seq: meta.Sequence.Stream, Time: meta.Timestamp, MsgID: msg.Headers().Get(jetstream.MsgIDHeader)}
			if err := decodeBody(&m, msg.Data()); err != nil {
				return err
			}
			if err := fn(m); err != nil {
				return err
			}
			if m.Seq >= last.Seq {
				return nil
			}
		}
		if err := msgs.Error(); err != nil {
			return fmt.Errorf("scan %s %s: %w", k, id, classify(err))
		}
		if n == 0 {
			return fmt.Errorf("scan %s %s: %w: no message before %d", k, id, ErrUnavailable, last.Seq)
		}
	}
}

package eventstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// TableConfig names a Table. Its names must never change: a new name starts
// an empty table.
type TableConfig struct {
	// Stream is the name of the stream that keeps the table.
	Stream string
	// Subject is the prefix of the table's subjects, ending with a dot: the
	// value of key k is kept on Subject + k.
	Subject     string
	Description string
}

// Table is a durable map from keys to small values with compare-and-set
// writes, kept in a stream of its own that holds only the newest value of
// each key (what a JetStream key-value bucket is, without its client). A
// consumer keeps its per-aggregate progress in one; a write that lost a
// race is ErrConflict, never a silent overwrite.
type Table struct {
	s   *Store
	st  jetstream.Stream
	cfg TableConfig
}

// OpenTable creates the table's stream, or brings an existing one to this
// version's configuration, with the store's replica count.
func (s *Store) OpenTable(ctx context.Context, cfg TableConfig) (*Table, error) {
	if cfg.Stream == "" || !strings.HasSuffix(cfg.Subject, ".") {
		return nil, fmt.Errorf("table %q: need a stream name and a subject prefix ending with a dot", cfg.Stream)
	}
	st, err := s.ensureStreamConfig(ctx, jetstream.StreamConfig{
		Name:              cfg.Stream,
		Description:       cfg.Description,
		Subjects:          []string{cfg.Subject + "*"},
		Storage:           jetstream.FileStorage,
		Retention:         jetstream.LimitsPolicy,
		Replicas:          s.cfg.Replicas,
		MaxMsgsPerSubject: 1,
		Discard:           jetstream.DiscardOld,
		AllowDirect:       true,
	})
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", cfg.Stream, err)
	}
	return &Table{s: s, st: st, cfg: cfg}, nil
}

// Get returns key's value and its revision, to pass to Put; ErrNotFound
// when the key has no value. Any replica may answer, a moment behind the
// leader at worst, which costs the Put that follows a conflict; after a
// conflict read with GetFromLeader.
func (t *Table) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	return t.get(ctx, key, false)
}

// GetFromLeader is Get answered by the stream's leader: it sees every Put
// that returned before the call.
func (t *Table) GetFromLeader(ctx context.Context, key string) ([]byte, uint64, error) {
	return t.get(ctx, key, true)
}

func (t *Table) get(ctx context.Context, key string, fromLeader bool) ([]byte, uint64, error) {
	if err := checkToken(key); err != nil {
		return nil, 0, err
	}
	ctx, cancel := t.s.withTimeout(ctx)
	defer cancel()
	raw, err := t.s.get(ctx, t.st, getRequest{LastBySubject: t.cfg.Subject + key}, fromLeader)
	if err != nil {
		return nil, 0, fmt.Errorf("get %s %s: %w", t.cfg.Stream, key, err)
	}
	return raw.Data, raw.Seq, nil
}

// Put stores value under key only if the key's revision is still rev (0:
// the key has no value yet), and returns the new revision. Otherwise it is
// ErrConflict: read again and decide again. Like Append, a Put that failed
// with ErrUnavailable may have been stored.
func (t *Table) Put(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	if err := checkToken(key); err != nil {
		return 0, err
	}
	ctx, cancel := t.s.withTimeout(ctx)
	defer cancel()
	msg := nats.NewMsg(t.cfg.Subject + key)
	msg.Data = value
	ack, err := t.s.js.PublishMsg(ctx, msg,
		jetstream.WithExpectStream(t.cfg.Stream),
		jetstream.WithExpectLastSequencePerSubject(rev))
	if err != nil {
		return 0, fmt.Errorf("put %s %s: %w", t.cfg.Stream, key, classify(err))
	}
	return ack.Sequence, nil
}

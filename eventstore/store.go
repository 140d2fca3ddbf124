package eventstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/tshop/tshop/domain"
)

// Config configures a Store. The zero value is valid.
type Config struct {
	// Replicas is each stream's replica count: 1 on a single server, 3 on a
	// cluster. Default 1.
	Replicas int
	// Duplicates is the window in which a repeated Nats-Msg-Id is stored
	// once. Default 2 minutes.
	Duplicates time.Duration
	// Timeout bounds every call that does not carry a shorter deadline.
	// Default 1 second.
	Timeout time.Duration
	// WaitForStreams makes Open use the streams as they are: it neither
	// creates nor updates them, and waits, until ctx ends, for a process
	// that may (the api) to create them. A process whose NATS user may
	// only read stream information (the projector, the assigner) sets it.
	WaitForStreams bool
	Logger         *slog.Logger
}

// Store reads and appends aggregates' events on JetStream.
type Store struct {
	cfg     Config
	nc      *nats.Conn
	js      jetstream.JetStream
	streams [len(kinds)]jetstream.Stream
	log     *slog.Logger
	stats   Stats
}

// Open connects a Store to JetStream over nc and creates or updates every
// stream so it matches this version's configuration. Running it again, from
// any number of processes, changes nothing. With WaitForStreams it only
// waits until every stream exists.
func Open(ctx context.Context, nc *nats.Conn, cfg *Config) (*Store, error) {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.Duplicates == 0 {
		c.Duplicates = 2 * time.Minute
	}
	if c.Timeout == 0 {
		c.Timeout = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	s := &Store{cfg: c, nc: nc, js: js, log: c.Logger}
	for _, k := range Kinds() {
		var st jetstream.Stream
		if c.WaitForStreams {
			st, err = s.waitStream(ctx, k)
		} else {
			st, err = s.ensureStream(ctx, k)
		}
		if err != nil {
			return nil, fmt.Errorf("stream %s: %w", k.Stream(), classify(err))
		}
		for _, p := range k.Parts() {
			s.streams[p] = st
		}
	}
	return s, nil
}

// ensureStream creates kind's stream, or brings an existing one to this
// version's configuration.
func (s *Store) ensureStream(ctx context.Context, k Kind) (jetstream.Stream, error) {
	return s.ensureStreamConfig(ctx, s.streamConfig(k))
}

// ensureStreamConfig creates the stream cfg describes, or brings an
// existing one to cfg. It never changes an existing stream's replica count:
// one process started with the wrong --replicas must not shrink or grow a
// cluster's streams under all the others; that is an operator's deliberate
// act.
//
// On a cluster, a create or update of a replicated stream can go
// unanswered (seen with nats-server 2.15 when two processes create the same
// stream at once, and on a freshly formed cluster under load: the request
// times out and the stream is fine a moment later), so an attempt that
// times out is tried again, for a minute at most. Every step is
// idempotent, so a cut-short attempt leaves nothing for the next to undo.
func (s *Store) ensureStreamConfig(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	giveUp := time.Now().Add(time.Minute)
	for attempt := 1; ; attempt++ {
		st, err := s.ensureStreamOnce(ctx, cfg)
		if err == nil || !errors.Is(err, ErrUnavailable) || ctx.Err() != nil || time.Now().After(giveUp) {
			return st, err
		}
		s.log.Warn("creating or updating a stream timed out; trying again", "stream", cfg.Name, "err", err)
		t := time.NewTimer(min(time.Duration(attempt)*250*time.Millisecond, 2*time.Second))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}

func (s *Store) ensureStreamOnce(ctx context.Context, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	ctx, cancel := context.WithTimeout(ctx, max(3*s.cfg.Timeout, 5*time.Second))
	defer cancel()
	st, err := s.js.Stream(ctx, cfg.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err = s.js.CreateStream(ctx, cfg)
		if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return st, classify(err)
		}
		// Another process created it first.
		st, err = s.js.Stream(ctx, cfg.Name)
	}
	if err != nil {
		return nil, classify(err)
	}
	have := st.CachedInfo().Config
	if have.Replicas != cfg.Replicas {
		s.log.Warn("stream keeps its replica count", "stream", cfg.Name, "replicas", have.Replicas, "configured", cfg.Replicas)
		cfg.Replicas = have.Replicas
	}
	if configures(have, cfg) {
		return st, nil
	}
	st, err = s.js.UpdateStream(ctx, cfg)
	return st, classify(err)
}

// configures reports whether a stream configured as have already is
// as want asks, in every field a Tshop stream configuration sets (a new
// one must be added here; TestConfigures checks each). Duplicates and
// MaxMsgsPerSubject left at zero are the server's to fill. An update that
// would change nothing is not sent: it would only race, inside
// nats-server 2.15.2, with consumers being created on the stream at that
// moment (the race detector reports filestore.UpdateConfig against
// ConsumerStore).
func configures(have, want jetstream.StreamConfig) bool {
	return have.Description == want.Description &&
		slices.Equal(have.Subjects, want.Subjects) &&
		have.Storage == want.Storage &&
		have.Retention == want.Retention &&
		have.Replicas == want.Replicas &&
		(want.Duplicates == 0 || have.Duplicates == want.Duplicates) &&
		(want.MaxMsgsPerSubject == 0 || have.MaxMsgsPerSubject == want.MaxMsgsPerSubject) &&
		have.Discard == want.Discard &&
		have.DenyDelete == want.DenyDelete &&
		have.DenyPurge == want.DenyPurge &&
		have.AllowDirect == want.AllowDirect
}

// waitStream returns kind's stream once it exists, asking every half second
// while it does not.
func (s *Store) waitStream(ctx context.Context, k Kind) (jetstream.Stream, error) {
	for logged := false; ; logged = true {
		rctx, cancel := s.withTimeout(ctx)
		st, err := s.js.Stream(rctx, k.Stream())
		cancel()
		switch {
		case err == nil:
			return st, nil
		case errors.Is(err, jetstream.ErrStreamNotFound):
			if !logged {
				s.log.Info("waiting for the stream; the api creates it", "stream", k.Stream())
			}
		case errors.Is(classify(err), ErrUnavailable) && ctx.Err() == nil:
			// Unanswered, as a fresh cluster under load may leave it:
			// ask again, as for a stream not there yet.
			s.log.Warn("looking up the stream timed out; trying again", "stream", k.Stream(), "err", err)
		default:
			return nil, err
		}
		t := time.NewTimer(500 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
}

// streamConfig is the one place a stream's configuration is written.
func (s *Store) streamConfig(k Kind) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        k.Stream(),
		Description: "Tshop " + k.String() + " events, one subject per aggregate and writer",
		Subjects:    k.wildcards(),
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Replicas:    s.cfg.Replicas,
		Duplicates:  s.cfg.Duplicates,
		// The log is the source of truth: nothing is ever removed from it.
		DenyDelete: true,
		DenyPurge:  true,
		// Loads read the last message of a subject; direct gets answer them
		// without going through the stream leader's API.
		AllowDirect: true,
	}
}

// Check reports whether every stream exists, for readiness probes.
func (s *Store) Check(ctx context.Context) error {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	for _, k := range Kinds() {
		if _, err := s.js.Stream(ctx, k.Stream()); err != nil {
			return fmt.Errorf("stream %s: %w", k.Stream(), classify(err))
		}
	}
	return nil
}

func (s *Store) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.Timeout)
}

// Last returns the newest message of an aggregate: its state now and the
// sequence to expect when appending to it. It is ErrNotFound when the
// aggregate has no events.
func (s *Store) Last(ctx context.Context, k Kind, id string) (Message, error) {
	return s.last(ctx, k, id, false)
}

// LastFromLeader is Last answered by the stream's leader. On a replicated
// stream Last may be answered by a follower a moment behind; this sees
// every append acked before the call, at the cost of a stream API request.
// Use it where a stale "not found" would be wrong, not merely slow.
func (s *Store) LastFromLeader(ctx context.Context, k Kind, id string) (Message, error) {
	return s.last(ctx, k, id, true)
}

func (s *Store) last(ctx context.Context, k Kind, id string, fromLeader bool) (Message, error) {
	if err := checkToken(id); err != nil {
		return Message{}, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	raw, err := s.get(ctx, s.streams[k], getRequest{LastBySubject: k.Subject(id)}, fromLeader)
	if err != nil {
		return Message{}, fmt.Errorf("load %s %s: %w", k, id, err)
	}
	m := Message{Kind: k, ID: id, Seq: raw.Seq, Time: raw.Time, MsgID: raw.Header.Get(jetstream.MsgIDHeader)}
	if err := decodeBody(&m, raw.Data); err != nil {
		return Message{}, err
	}
	return m, nil
}

// Append stores events and the aggregate's resulting state as one message,
// only if the aggregate's last message is still at sequence expect (0: the
// aggregate has none). It returns the message's sequence.
//
// msgID names the append for deduplication and must be the same for every
// retry of it: a retry of an append that was stored returns the stored
// sequence instead of storing it twice. Empty means a hash of the subject,
// expect and the events, which is the same for a retry of the same append and
// differs for any other.
func (s *Store) Append(ctx context.Context, k Kind, id string, expect uint64, msgID string, events []domain.Event, state any) (uint64, error) {
	seq, _, err := s.appendChecking(ctx, k, id, k, expect, msgID, events, state)
	return seq, err
}

// AppendAfter is Append for a part of an aggregate that must not change
// once the aggregate moved on: it stores the message only if the last
// message of the aggregate itself (kind k.Home(), same id) is still at
// sequence expect. It does not check the part's own subject, so two
// writers deciding on the same aggregate state may both be stored, unless
// they append under the same msgID: then the second is acked as the
// duplicate of the first, with its sequence, and duplicate is true. A
// retry of an append whose ack was lost is also a duplicate; the caller
// reads the part back to tell them apart.
//
// The check names one literal subject, which a replicated stream
// serializes with writes to it as it does a check on the subject written.
func (s *Store) AppendAfter(ctx context.Context, k Kind, id string, expect uint64, msgID string, events []domain.Event, state any) (seq uint64, duplicate bool, err error) {
	if msgID == "" {
		return 0, false, fmt.Errorf("append %s %s: %w: AppendAfter needs a message id", k, id, domain.ErrInvalid)
	}
	return s.appendChecking(ctx, k, id, k.Home(), expect, msgID, events, state)
}

// appendChecking appends to k's subject of id if check's subject of id is
// at sequence expect.
func (s *Store) appendChecking(ctx context.Context, k Kind, id string, check Kind, expect uint64, msgID string, events []domain.Event, state any) (uint64, bool, error) {
	if err := checkToken(id); err != nil {
		return 0, false, err
	}
	if len(events) == 0 {
		return 0, false, fmt.Errorf("append %s %s: no events", k, id)
	}
	for _, e := range events {
		if !k.Holds(e.EventType()) {
			return 0, false, fmt.Errorf("append %s %s: %w: a %s message may not hold %s", k, id, domain.ErrInvalid, k, e.EventType())
		}
	}
	data, err := encodeBody(events, state)
	if err != nil {
		return 0, false, fmt.Errorf("append %s %s: %w", k, id, err)
	}
	if msgID == "" {
		msgID = contentID(k.Subject(id), expect, data)
	}
	msg := nats.NewMsg(k.Subject(id))
	msg.Data = data
	msg.Header.Set(typesHeader, typesOf(events))
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	expectation := jetstream.WithExpectLastSequencePerSubject(expect)
	if check != k {
		expectation = jetstream.WithExpectLastSequenceForSubject(expect, check.Subject(id))
	}
	ack, err := s.publish(ctx, msg, k, expectation, msgID)
	if err == nil {
		s.stats.Appends.Add(1)
		return ack.Sequence, ack.Duplicate, nil
	}
	err = classify(err)
	if errors.Is(err, ErrConflict) {
		// On a single server the sequence check runs before the duplicate
		// check, so a retry of a stored append conflicts instead of being
		// acked as a duplicate: look whether the last message is ours.
		if last, lerr := s.Last(ctx, k, id); lerr == nil && last.MsgID == msgID {
			s.stats.Appends.Add(1)
			return last.Seq, true, nil
		}
		s.stats.Conflicts.Add(1)
	}
	return 0, false, fmt.Errorf("append %s %s: %w", k, id, err)
}

// publish publishes msg with its expected sequence and message id. While
// another append with the same id is being stored (a replicated stream
// answers codeDuplicateInProcess), it publishes again after a moment: once
// that append has committed, this one is acked as its duplicate, with its
// sequence; had it failed, this one is stored.
func (s *Store) publish(ctx context.Context, msg *nats.Msg, k Kind, expectation jetstream.PublishOpt, msgID string) (*jetstream.PubAck, error) {
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		ack, err := s.js.PublishMsg(ctx, msg,
			jetstream.WithExpectStream(k.Stream()),
			expectation,
			jetstream.WithMsgID(msgID))
		if !inProcess(err) {
			return ack, err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			// Unknown outcome, as for any timeout.
			return nil, fmt.Errorf("%w (an append with the same message id was still being stored: %v)", ctx.Err(), err)
		}
	}
}

// contentID is a deterministic message id: a digest of where and what an
// append writes. The state is part of data, so two appends with the same id
// have the same effect.
func contentID(subject string, expect uint64, data []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d\n", subject, expect)
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// checkToken refuses an id that is not one plain subject token, so no id can
// reach another aggregate's subject or a wildcard.
func checkToken(id string) error {
	if id == "" || len(id) > 128 {
		return fmt.Errorf("%w: bad aggregate id %q", domain.ErrInvalid, id)
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case c <= ' ', c >= 0x7f, c == '.', c == '*', c == '>':
			return fmt.Errorf("%w: bad aggregate id %q", domain.ErrInvalid, id)
		}
	}
	return nil
}

// IDs lists the id of every aggregate of a kind that has events.
func (s *Store) IDs(ctx context.Context, k Kind) ([]string, error) {
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	info, err := s.streams[k].Info(ctx, jetstream.WithSubjectFilter(k.wildcard()))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", k, classify(err))
	}
	ids := make([]string, 0, len(info.State.Subjects))
	for subj := range info.State.Subjects {
		ids = append(ids, k.idOf(subj))
	}
	slices.Sort(ids)
	return ids, nil
}

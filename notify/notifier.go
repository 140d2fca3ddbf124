package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// Durable is the name of the notifier's consumer of the reservations
// stream, shared by every notifier. It must never change: a new name
// notifies every status change again from the first.
const Durable = "status-notifier"

// leaseGrace is added to Timeout in an attempt's lease, for the writes
// around the request and for clocks a little apart between hosts.
const leaseGrace = 5 * time.Second

// leasePoll is how soon a message whose reservation another instance is
// delivering comes back to look again. That instance goes on to the
// reservation's later changes itself, so the look usually finds the
// message done.
const leasePoll = time.Second

// Config configures a Notifier.
type Config struct {
	// URL is the webhook every notification is posted to. Required.
	URL string
	// Secret signs every request (package webhook). Required, at least
	// 16 bytes.
	Secret []byte
	// RetryFor is how long after its first attempt a notification is
	// still tried; after that it is parked. Default 24 hours.
	RetryFor time.Duration
	// RetryInitial and RetryMax bound the backoff between attempts: a
	// random wait below RetryInitial, doubling per failure, to at most
	// RetryMax. Defaults 1 second and 10 minutes.
	RetryInitial time.Duration
	RetryMax     time.Duration
	// Timeout bounds one attempt, connection to answer. Default 10 seconds.
	Timeout time.Duration
	// Concurrency is how many notifications a process sends at once.
	// Default 16.
	Concurrency int
	Logger      *slog.Logger
	// Observe receives measurements for the process's metrics.
	Observe Observers
}

// Observers are told what the notifier did, for metrics. Any may be nil.
type Observers struct {
	// Attempt is told the outcome of each attempt: "delivered", "failed"
	// (to be retried) or "parked" (failed, and the last).
	Attempt func(outcome string)
	// Delivered is told, for each notification delivered, how long after
	// its status change.
	Delivered func(time.Duration)
}

func (o Observers) attempt(outcome string) {
	if o.Attempt != nil {
		o.Attempt(outcome)
	}
}

// Notifier delivers reservation status changes to a webhook.
type Notifier struct {
	es       *eventstore.Store
	progress *eventstore.Table
	parking  *eventstore.Parking
	send     *sender
	cfg      Config
	log      *slog.Logger
	locks    *keyLocks
	consumer eventstore.ConsumerConfig
	// budget is how long one handler may keep starting attempts: with
	// an attempt's own length it stays within the consumer's AckWait.
	budget time.Duration
}

// New checks cfg and opens the notifier's progress table and parking
// stream, creating them if need be.
func New(ctx context.Context, es *eventstore.Store, cfg Config) (*Notifier, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if cfg.RetryFor <= 0 {
		cfg.RetryFor = 24 * time.Hour
	}
	if cfg.RetryInitial <= 0 {
		cfg.RetryInitial = time.Second
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 10 * time.Minute
	}
	cfg.RetryMax = max(cfg.RetryMax, cfg.RetryInitial)
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	progress, err := es.OpenTable(ctx, progressTable)
	if err != nil {
		return nil, err
	}
	parking, err := es.OpenParking(ctx, parkingConfig)
	if err != nil {
		return nil, err
	}
	// A handler starts attempts for budget at most; the last one, with
	// the writes around it (each bounded by the store's timeout), ends
	// well within AckWait. AckWait is also how long the messages a
	// crashed notifier held take to come back. Nothing depends on it for
	// correctness: a message delivered twice is dealt with once.
	ackWait := 2*cfg.Timeout + 10*time.Second
	return &Notifier{
		es: es, progress: progress, parking: parking, cfg: cfg, log: cfg.Logger, locks: newKeyLocks(),
		send: newSender(cfg.URL, cfg.Secret, cfg.Timeout, cfg.Concurrency),
		consumer: eventstore.ConsumerConfig{Durable: Durable, Kind: eventstore.Reservations,
			Workers: cfg.Concurrency, AckWait: ackWait, MaxAckPending: 10_000},
		budget: cfg.Timeout + 2*time.Second,
	}, nil
}

// Check reports what is missing or wrong in cfg's URL and secret.
func (c Config) Check() error {
	if c.URL == "" {
		return errors.New("no webhook URL")
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("webhook URL %q: want http:// or https:// and a host", redacted(c.URL))
	}
	return CheckSecret(c.Secret)
}

// CheckSecret refuses a webhook secret shorter than 16 bytes.
func CheckSecret(secret []byte) error {
	if len(secret) < 16 {
		return errors.New("webhook secret must be at least 16 bytes")
	}
	return nil
}

// Redacted is the webhook URL as logs may show it: without credentials,
// query or fragment, which may hold a token.
func (c Config) Redacted() string { return redacted(c.URL) }

// Run notifies until ctx ends, then finishes the attempts in flight,
// records them, and returns. It keeps trying while NATS is unreachable.
func (n *Notifier) Run(ctx context.Context) {
	for attempt := 1; ctx.Err() == nil; attempt++ {
		err := n.es.Consume(ctx, n.consumer, n.handle)
		if err == nil || ctx.Err() != nil {
			return
		}
		n.log.Warn("consumer stopped; restarting", "consumer", Durable, "err", err)
		t := time.NewTimer(min(time.Duration(attempt)*time.Second, 10*time.Second))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
}

// handle is the consumer's handler: the delivery is a trigger to bring its
// reservation's notifications up to date, at least up to the delivered
// message. It never returns a plain error, which the consumer would count
// towards parking the message unseen: whatever fails comes back later.
func (n *Notifier) handle(ctx context.Context, d eventstore.Delivery) error {
	err := n.converge(ctx, d, time.Now().Add(n.budget))
	var later eventstore.RetryLater
	if err == nil || errors.As(err, &later) {
		return err
	}
	delay := backoff(int(min(d.Attempt, 16)), time.Second, 30*time.Second, nil)
	if ctx.Err() == nil {
		n.log.Warn("notifying failed; retrying", "reservation", d.ID, "seq", d.Seq, "retry_in", delay.String(), "err", err)
	}
	return eventstore.RetryLater(delay)
}

// converge delivers the reservation's status changes from its progress
// row on, in order: up to the delivered message, which is then done, and
// on to the newest as long as nothing stands in the way.
func (n *Notifier) converge(ctx context.Context, d eventstore.Delivery, deadline time.Time) error {
	unlock, ok := n.locks.lock(ctx, d.ID, deadline)
	if !ok {
		return eventstore.RetryLater(0)
	}
	defer unlock()
	// What was started is finished and recorded even when the process is
	// stopping: only new work looks at ctx.
	w := context.WithoutCancel(ctx)
	p, rev, err := n.load(w, d.ID, false)
	if err != nil {
		return err
	}
	for {
		if p.Done >= d.Seq && (ctx.Err() != nil || !time.Now().Before(deadline)) {
			return nil
		}
		if ctx.Err() != nil || !time.Now().Before(deadline) {
			return eventstore.RetryLater(0)
		}
		m, err := n.after(w, d, p.Done)
		if errors.Is(err, eventstore.ErrNotFound) && p.Done >= d.Seq {
			return nil // up to date
		}
		if err != nil {
			return err
		}
		p, rev, err = n.deliverMessage(ctx, w, m, p, rev, deadline)
		if errors.Is(err, eventstore.ErrConflict) {
			// Another instance moved the row: see where it stands.
			if p, rev, err = n.load(w, d.ID, true); err != nil {
				return err
			}
			continue
		}
		if err != nil && m.Seq > d.Seq {
			// The delivered message is done; what stands in the way
			// now is a later message's, which comes back on its own.
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// after returns the reservation's first message after done.
func (n *Notifier) after(ctx context.Context, d eventstore.Delivery, done uint64) (eventstore.Message, error) {
	// A reservation's first message places it: no need to look for it.
	if done == 0 && len(d.Events) > 0 {
		if _, ok := d.Events[0].(domain.ReservationPlaced); ok {
			return d.Message, nil
		}
	}
	m, err := n.es.Next(ctx, eventstore.Reservations, d.ID, done+1)
	if errors.Is(err, eventstore.ErrNotFound) && done < d.Seq {
		// The delivered message is there: this replica is behind.
		m, err = n.es.NextFromLeader(ctx, eventstore.Reservations, d.ID, done+1)
	}
	if err == nil && done < d.Seq && m.Seq > d.Seq {
		err = fmt.Errorf("reservation %s: the log after %d skips message %d", d.ID, done, d.Seq)
	}
	return m, err
}

// deliverMessage delivers the status changes of m, the reservation's first
// message after p.Done, from p's head on, and records m as done.
func (n *Notifier) deliverMessage(ctx, w context.Context, m eventstore.Message, p progress, rev uint64, deadline time.Time) (progress, uint64, error) {
	if m.Err != nil {
		return n.parkUndecodable(w, m, p, rev)
	}
	st := p.State
	start := 0
	if p.Head != nil && p.Head.Seq == m.Seq {
		start = p.Head.Index
	} else {
		p.Head = nil
	}
	for i, e := range m.Events {
		before := st
		st = st.Evolve(e)
		if i < start || st.Status == before.Status {
			continue
		}
		if !p.Head.at(m.Seq, i) {
			p.Head = &head{Seq: m.Seq, Index: i}
		}
		var err error
		if p, rev, err = n.deliver(ctx, w, notification(m.Seq, i, e, before, st), p, rev, deadline); err != nil {
			return p, rev, err
		}
	}
	// The state folded from the events, never a message's stated one: a
	// message on the api's subject may state any store.
	next := progress{Done: m.Seq, State: st}
	rev, err := n.save(w, m.ID, next, rev)
	if err != nil {
		return p, rev, err
	}
	return next, rev, nil
}

// deliver makes one attempt at note, p's head, unless another attempt is
// due later. On success it moves p's head past note in memory: the next
// write records it.
func (n *Notifier) deliver(ctx, w context.Context, note Notification, p progress, rev uint64, deadline time.Time) (progress, uint64, error) {
	h := p.Head
	now := time.Now()
	if h.Attempts > 0 && now.Before(h.Next) {
		wait := h.Next.Sub(now)
		if h.Sending {
			wait = min(wait, leasePoll)
		}
		return p, rev, eventstore.RetryLater(wait)
	}
	if ctx.Err() != nil || !now.Before(deadline) {
		// Out of time: record how far this handler got (the changes
		// before this one may be delivered and noted only in p), and
		// let the message come back.
		if r, err := n.save(w, note.ReservationID, p, rev); err == nil {
			rev = r
		}
		return p, rev, eventstore.RetryLater(0)
	}
	// Claim the attempt: no other instance starts one until its lease
	// ends, and the retry clock survives a crash.
	h.Attempts++
	if h.First.IsZero() {
		h.First = now
	}
	h.Sending, h.Next = true, now.Add(n.cfg.Timeout+leaseGrace)
	rev, err := n.save(w, note.ReservationID, p, rev)
	if err != nil {
		return p, rev, err
	}
	body, err := json.Marshal(note)
	if err != nil {
		return p, rev, err
	}
	sendErr := n.send.send(w, note.ID, body, h.Attempts, now)
	if sendErr == nil {
		n.cfg.Observe.attempt("delivered")
		if n.cfg.Observe.Delivered != nil {
			n.cfg.Observe.Delivered(time.Since(note.At))
		}
		n.log.Debug("notification delivered", "reservation", note.ReservationID, "notification", note.ID, "status", note.Status, "attempt", h.Attempts)
		p.Head = &head{Seq: h.Seq, Index: h.Index + 1}
		return p, rev, nil
	}
	now = time.Now()
	h.Sending, h.LastError = false, sendErr.Error()
	h.Next = now.Add(backoff(h.Attempts, n.cfg.RetryInitial, n.cfg.RetryMax, sendErr))
	if h.Next.Sub(h.First) > n.cfg.RetryFor {
		n.cfg.Observe.attempt("parked")
		return n.park(w, note, p, rev, now)
	}
	n.cfg.Observe.attempt("failed")
	n.log.Warn("notification failed; retrying", "reservation", note.ReservationID, "notification", note.ID,
		"attempt", h.Attempts, "retry_in", h.Next.Sub(now).String(), "err", sendErr)
	if rev, err = n.save(w, note.ReservationID, p, rev); err != nil {
		return p, rev, err
	}
	return p, rev, eventstore.RetryLater(h.Next.Sub(now))
}

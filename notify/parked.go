package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tshop/tshop/eventstore"
)

// parkingConfig keeps the notifications given up on. Its names must never
// change.
var parkingConfig = eventstore.ParkingConfig{
	Stream:      "TSHOP_NOTIFIER_PARKED",
	Subject:     "tshop.notifier.parked.",
	Description: "Tshop notifier: notifications given up on after their last attempt, one subject per reservation",
}

// Parked is a notification the notifier gave up on, as the parking stream
// keeps it (JSON, on tshop.notifier.parked.<reservation id>).
type Parked struct {
	// Notification is what was sent, signature aside.
	Notification Notification `json:"notification"`
	// URL is the webhook, without credentials or query.
	URL          string    `json:"url,omitempty"`
	Attempts     int       `json:"attempts"`
	FirstAttempt time.Time `json:"firstAttempt,omitzero"`
	LastAttempt  time.Time `json:"lastAttempt,omitzero"`
	LastError    string    `json:"lastError"`
	// ParkedAt is when it was parked, Seq its position in the parking
	// stream; both are the stream's, not stored in the record.
	ParkedAt time.Time `json:"parkedAt,omitzero"`
	Seq      uint64    `json:"seq,omitempty"`
}

// ListParked calls fn with every parked notification, oldest first.
func ListParked(ctx context.Context, es *eventstore.Store, fn func(Parked) error) error {
	parking, err := es.OpenParking(ctx, parkingConfig)
	if err != nil {
		return err
	}
	return parking.List(ctx, func(r eventstore.Parked) error {
		var p Parked
		if err := json.Unmarshal(r.Data, &p); err != nil {
			return fmt.Errorf("parked record %d: %w", r.Seq, err)
		}
		p.ParkedAt, p.Seq = r.Time, r.Seq
		return fn(p)
	})
}

// park records note, whose last attempt failed at now, as parked, and
// moves p's head past it.
func (n *Notifier) park(ctx context.Context, note Notification, p progress, rev uint64, now time.Time) (progress, uint64, error) {
	h := p.Head
	rec := Parked{Notification: note, URL: redacted(n.cfg.URL), Attempts: h.Attempts,
		FirstAttempt: h.First, LastAttempt: now, LastError: h.LastError}
	if err := n.parkRecord(ctx, rec); err != nil {
		// Not parked: record the failure; the attempt after the backoff
		// parks it if it fails too.
		if r, serr := n.save(ctx, note.ReservationID, p, rev); serr == nil {
			rev = r
		}
		return p, rev, err
	}
	n.log.Error("notification parked after its last attempt", "reservation", note.ReservationID, "notification", note.ID,
		"event", note.Event, "status", note.Status, "attempts", h.Attempts, "first_attempt", h.First, "err", h.LastError)
	p.Head = &head{Seq: h.Seq, Index: h.Index + 1}
	rev, err := n.save(ctx, note.ReservationID, p, rev)
	return p, rev, err
}

// parkUndecodable parks the reservation's message m, which does not
// decode, and records it as done; the changes after it apply to the last
// state known.
func (n *Notifier) parkUndecodable(ctx context.Context, m eventstore.Message, p progress, rev uint64) (progress, uint64, error) {
	note := Notification{ID: fmt.Sprintf("%s-%d", eventstore.Reservations.Stream(), m.Seq), ReservationID: m.ID,
		Sequence: m.Seq, At: m.Time.UTC()}
	if err := n.parkRecord(ctx, Parked{Notification: note, LastError: "undecodable message: " + m.Err.Error()}); err != nil {
		return p, rev, err
	}
	n.log.Error("parked an undecodable reservation message", "reservation", m.ID, "seq", m.Seq, "err", m.Err)
	next := progress{Done: m.Seq, State: p.State}
	rev, err := n.save(ctx, m.ID, next, rev)
	if err != nil {
		return p, rev, err
	}
	return next, rev, nil
}

func (n *Notifier) parkRecord(ctx context.Context, rec Parked) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = n.parking.Park(ctx, rec.Notification.ReservationID, rec.Notification.ID, data)
	return err
}

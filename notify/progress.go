package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// progressTable keeps each reservation's progress row. Its names must never
// change: a new table notifies everything again.
var progressTable = eventstore.TableConfig{
	Stream:      "TSHOP_NOTIFIER_PROGRESS",
	Subject:     "tshop.notifier.progress.",
	Description: "Tshop notifier: per reservation, how far its status changes are delivered",
}

// progress is one reservation's row: everything up to Done is dealt with;
// Head, if set, is where the notifier stands in the message after Done.
type progress struct {
	// Done is the stream sequence of the reservation's last message whose
	// status changes are all delivered or parked; 0 before its first.
	Done uint64 `json:"done"`
	// State is the reservation as the message at Done left it: what the
	// next message's events apply to.
	State domain.Reservation `json:"state"`
	Head  *head              `json:"head,omitempty"`
}

// head is the status change being delivered: the Index-th event of the
// message at Seq (the reservation's first message after Done). Its events
// before Index are dealt with.
type head struct {
	Seq   uint64 `json:"seq"`
	Index int    `json:"index"`
	// Attempts counts the attempts claimed so far.
	Attempts int `json:"attempts,omitempty"`
	// First is when the first attempt was claimed: the retry clock.
	First time.Time `json:"first,omitzero"`
	// Next is when another attempt may be claimed: the end of the running
	// attempt's lease while Sending, else of the backoff after a failure.
	Next      time.Time `json:"next,omitzero"`
	Sending   bool      `json:"sending,omitempty"`
	LastError string    `json:"lastError,omitempty"`
}

// at reports whether the head is the index-th event of the message at seq.
func (h *head) at(seq uint64, index int) bool {
	return h != nil && h.Seq == seq && h.Index == index
}

// load reads a reservation's row and its revision; a reservation without
// one has made no progress (revision 0).
func (n *Notifier) load(ctx context.Context, id string, fromLeader bool) (progress, uint64, error) {
	get := n.progress.Get
	if fromLeader {
		get = n.progress.GetFromLeader
	}
	data, rev, err := get(ctx, id)
	if errors.Is(err, eventstore.ErrNotFound) {
		return progress{}, 0, nil
	}
	if err != nil {
		return progress{}, 0, err
	}
	var p progress
	if err := json.Unmarshal(data, &p); err != nil {
		return progress{}, 0, fmt.Errorf("progress of %s: %w", id, err)
	}
	return p, rev, nil
}

// save writes p as the reservation's row if it is still at rev, and returns
// the new revision; eventstore.ErrConflict when another writer came first.
func (n *Notifier) save(ctx context.Context, id string, p progress, rev uint64) (uint64, error) {
	data, err := json.Marshal(p)
	if err != nil {
		return 0, fmt.Errorf("progress of %s: %w", id, err)
	}
	return n.progress.Put(ctx, id, data, rev)
}

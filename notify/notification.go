package notify

import (
	"fmt"
	"time"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// Notification is the JSON body of one request: a reservation's status
// changed.
type Notification struct {
	// ID names the status change: "TSHOP_RESERVATIONS-<sequence>-<index>",
	// the stream, the sequence of the message that holds the event and the
	// event's index in it. Every attempt, from any notifier, sends the same
	// id, also in the Tshop-Event-Id header.
	ID string `json:"id"`
	// Event is the domain event that changed the status:
	// ReservationPlaced, ReservationAccepted, ReservationRejected (back to
	// PLACED), CancelRequested, StockRestored or StoreReleased (the later
	// of the two makes it CANCELLED), ReservationFulfilled.
	Event         string `json:"event"`
	ReservationID string `json:"reservationId"`
	CustomerID    string `json:"customerId"`
	ProductID     string `json:"productId"`
	// Status and StatusLabel are the status after the change.
	Status      domain.Status `json:"status"`
	StatusLabel string        `json:"statusLabel"`
	// PreviousStatus is the status before it; empty for a new reservation.
	PreviousStatus      domain.Status `json:"previousStatus,omitempty"`
	PreviousStatusLabel string        `json:"previousStatusLabel,omitempty"`
	// StoreID is the store that holds the reservation after the change,
	// if any.
	StoreID string `json:"storeId,omitempty"`
	// Sequence is the position of the change in the log: it grows with
	// each change of a reservation.
	Sequence uint64 `json:"sequence"`
	// At is when the change happened.
	At time.Time `json:"at"`
}

// EventID is the id of the index-th event of the reservations message at
// seq.
func EventID(seq uint64, index int) string {
	return fmt.Sprintf("%s-%d-%d", eventstore.Reservations.Stream(), seq, index)
}

// notification describes the index-th event e of the message at seq, which
// took the reservation from before to after.
func notification(seq uint64, index int, e domain.Event, before, after domain.Reservation) Notification {
	return Notification{
		ID:                  EventID(seq, index),
		Event:               e.EventType(),
		ReservationID:       after.ID.String(),
		CustomerID:          after.CustomerID,
		ProductID:           after.ProductID,
		Status:              after.Status,
		StatusLabel:         after.Status.Label(),
		PreviousStatus:      before.Status,
		PreviousStatusLabel: before.Status.Label(),
		StoreID:             after.StoreID,
		Sequence:            seq,
		At:                  e.OccurredAt().UTC(),
	}
}

package domain

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Reservation is one customer's pre-order of one unit of a product.
//
// It is kept on two subjects, one per writer: the api's (placing,
// rejecting, cancelling, restoring the unit, fulfilling) and the
// assigner's, which alone says which store holds it (its Assignment). So
// NATS permissions keep the api from making an assignment: a message on the
// api's subject may state anything about a store, and Combine replaces it
// with what the assigner's subject says. Status, StoreID, DistanceKm and
// StoreReleased are derived from the two parts after every change.
type Reservation struct {
	ID         uuid.UUID `json:"id"`
	ProductID  string    `json:"productId"`
	CustomerID string    `json:"customerId"`
	Location   Location  `json:"location"`
	Status     Status    `json:"status"`
	// StoreID is the store that holds the reservation (ACCEPTED, or
	// CANCELLING until the store frees it) or handed it over (FULFILLED).
	StoreID    string  `json:"storeId,omitempty"`
	DistanceKm float64 `json:"distanceKm,omitempty"`
	// RejectedBy lists the stores that turned the reservation down; it is
	// never offered to them again.
	RejectedBy []string `json:"rejectedBy,omitempty"`
	// CancelProductSeq is the product's log position when the cancel was
	// requested: a release of this reservation's unit can only lie after it.
	CancelProductSeq uint64 `json:"cancelProductSeq,omitempty"`
	// StockRestored and StoreReleased record the two effects of a cancel.
	StockRestored bool      `json:"stockRestored,omitempty"`
	StoreReleased bool      `json:"storeReleased,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
	// CancelRequested: the customer cancelled it.
	CancelRequested bool `json:"cancelRequested,omitempty"`
	// FulfilledBy is the store that handed the phone over.
	FulfilledBy string `json:"fulfilledBy,omitempty"`
	// Assignment is the assigner's part, from its own subject.
	Assignment Assignment `json:"assignment,omitzero"`
}

// Assignment is the assigner's part of a reservation: the store it gave
// the reservation to. Only the assigner writes it.
type Assignment struct {
	// StoreID is the store the reservation was last given to; empty before
	// that, and once the store freed it after a cancel.
	StoreID    string  `json:"storeId,omitempty"`
	DistanceKm float64 `json:"distanceKm,omitempty"`
	// Round is how many stores had turned the reservation down when it
	// was given to StoreID: the assignment stands only until another does.
	Round     int       `json:"round,omitempty"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// Combine returns the reservation r, as its api subject last had it, with
// the assigner's part a from the assigner's subject. Whatever r says about
// a store is replaced: only a's subject says which store holds it.
func Combine(r Reservation, a Assignment) Reservation {
	r.Assignment = a
	if a.UpdatedAt.After(r.UpdatedAt) {
		r.UpdatedAt = a.UpdatedAt
	}
	return r.derive()
}

// Exists reports whether the reservation was placed.
func (r Reservation) Exists() bool { return r.ID != uuid.Nil }

// Place records a reservation whose unit a product already holds.
type Place struct {
	Hold StockReserved
}

// Accept assigns a placed reservation to a store.
type Accept struct {
	StoreID    string
	DistanceKm float64
	// Considered says why this store: the runners-up and every nearer
	// store passed over, with its reason.
	Considered []Candidate
}

// Candidate is a store an assignment weighed.
type Candidate struct {
	StoreID    string  `json:"storeId"`
	DistanceKm float64 `json:"distanceKm"`
	// Free is how many more reservations the store could take.
	Free int `json:"free"`
	// PassedOver says why a store was not chosen: "full", "paused" or
	// "rejected" (it turned this reservation down before); empty for a
	// runner-up that was eligible.
	PassedOver string `json:"passedOver,omitempty"`
}

// Reject hands an accepted reservation back from its store, to be assigned
// again elsewhere.
type Reject struct {
	StoreID string
	Reason  string
}

// Cancel asks for a reservation to be cancelled. ProductSeq is the product's
// last log position as read before the request.
type Cancel struct {
	ProductSeq uint64
}

// RecordStockRestored notes that the product took the unit back.
type RecordStockRestored struct{}

// RecordStoreReleased notes that the holding store freed its slot.
type RecordStoreReleased struct{}

// Fulfil hands the phone over. StoreID, when set, is the store whose staff
// hands it over: the reservation must be held by that store.
type Fulfil struct {
	Method  FulfilMethod
	StoreID string
}

// ReservationPlaced: a reservation exists, its unit held by its product.
type ReservationPlaced struct {
	ReservationID uuid.UUID `json:"reservationId"`
	ProductID     string    `json:"productId"`
	CustomerID    string    `json:"customerId"`
	Location      Location  `json:"location"`
	At            time.Time `json:"at"`
}

// ReservationAccepted: a store took the reservation.
type ReservationAccepted struct {
	ReservationID uuid.UUID   `json:"reservationId"`
	StoreID       string      `json:"storeId"`
	DistanceKm    float64     `json:"distanceKm"`
	Considered    []Candidate `json:"considered,omitempty"`
	// Round is how many stores had turned the reservation down when this
	// one took it.
	Round int       `json:"round,omitempty"`
	At    time.Time `json:"at"`
}

// ReservationRejected: the holding store turned the reservation down.
type ReservationRejected struct {
	ReservationID uuid.UUID `json:"reservationId"`
	StoreID       string    `json:"storeId"`
	Reason        string    `json:"reason,omitempty"`
	At            time.Time `json:"at"`
}

// CancelRequested: the customer cancelled; the unit and the store slot are
// yet to be given back.
type CancelRequested struct {
	ReservationID uuid.UUID `json:"reservationId"`
	ProductSeq    uint64    `json:"productSeq"`
	At            time.Time `json:"at"`
}

// StockRestored: the product took the cancelled reservation's unit back.
type StockRestored struct {
	ReservationID uuid.UUID `json:"reservationId"`
	At            time.Time `json:"at"`
}

// StoreReleased: the store freed the cancelled reservation's slot.
type StoreReleased struct {
	ReservationID uuid.UUID `json:"reservationId"`
	StoreID       string    `json:"storeId"`
	At            time.Time `json:"at"`
}

// ReservationFulfilled: the customer received the phone.
type ReservationFulfilled struct {
	ReservationID uuid.UUID    `json:"reservationId"`
	Method        FulfilMethod `json:"method"`
	// StoreID is the store that handed it over; empty in events written
	// before it was recorded, whose store is the one that held it then.
	StoreID string    `json:"storeId,omitempty"`
	At      time.Time `json:"at"`
}

func (ReservationPlaced) EventType() string    { return "ReservationPlaced" }
func (ReservationAccepted) EventType() string  { return "ReservationAccepted" }
func (ReservationRejected) EventType() string  { return "ReservationRejected" }
func (CancelRequested) EventType() string      { return "CancelRequested" }
func (StockRestored) EventType() string        { return "StockRestored" }
func (StoreReleased) EventType() string        { return "StoreReleased" }
func (ReservationFulfilled) EventType() string { return "ReservationFulfilled" }

func (e ReservationPlaced) AggregateID() string    { return e.ReservationID.String() }
func (e ReservationAccepted) AggregateID() string  { return e.ReservationID.String() }
func (e ReservationRejected) AggregateID() string  { return e.ReservationID.String() }
func (e CancelRequested) AggregateID() string      { return e.ReservationID.String() }
func (e StockRestored) AggregateID() string        { return e.ReservationID.String() }
func (e StoreReleased) AggregateID() string        { return e.ReservationID.String() }
func (e ReservationFulfilled) AggregateID() string { return e.ReservationID.String() }

func (e ReservationPlaced) OccurredAt() time.Time    { return e.At }
func (e ReservationAccepted) OccurredAt() time.Time  { return e.At }
func (e ReservationRejected) OccurredAt() time.Time  { return e.At }
func (e CancelRequested) OccurredAt() time.Time      { return e.At }
func (e StockRestored) OccurredAt() time.Time        { return e.At }
func (e StoreReleased) OccurredAt() time.Time        { return e.At }
func (e ReservationFulfilled) OccurredAt() time.Time { return e.At }

// MaxReasonLen bounds a rejection reason, in bytes.
const MaxReasonLen = 500

// Decide returns the events cmd causes on r, or why it cannot run. A nil
// slice with a nil error means the command is already done (a retry).
func (r Reservation) Decide(cmd any, now time.Time) ([]Event, error) {
	if _, ok := cmd.(Place); !ok && !r.Exists() {
		return nil, ErrNotFound
	}
	switch c := cmd.(type) {
	case Place:
		h := c.Hold
		if err := validateHold(h); err != nil {
			return nil, err
		}
		if r.Exists() {
			if r.ID != h.ReservationID {
				return nil, fmt.Errorf("%w: hold of %s placed on reservation %s", ErrInvalid, h.ReservationID, r.ID)
			}
			return nil, nil
		}
		return []Event{ReservationPlaced{ReservationID: h.ReservationID, ProductID: h.ProductID,
			CustomerID: h.CustomerID, Location: h.Location, At: h.At}}, nil
	case Accept:
		if err := ValidateID("storeId", c.StoreID); err != nil {
			return nil, err
		}
		if math.IsNaN(c.DistanceKm) || math.IsInf(c.DistanceKm, 0) || c.DistanceKm < 0 {
			return nil, fmt.Errorf("%w: distance must be a finite number of km, at least 0", ErrInvalid)
		}
		if r.Status != StatusPlaced {
			return nil, r.forbid("accept")
		}
		if r.rejected(c.StoreID) {
			return nil, fmt.Errorf("store %s rejected reservation %s: %w", c.StoreID, r.ID, ErrInvalidTransition)
		}
		return []Event{ReservationAccepted{ReservationID: r.ID, StoreID: c.StoreID, DistanceKm: c.DistanceKm,
			Considered: c.Considered, Round: len(r.RejectedBy), At: now}}, nil
	case Reject:
		if err := c.Validate(); err != nil {
			return nil, err
		}
		if r.Status != StatusAccepted || r.StoreID != c.StoreID {
			return nil, r.forbid("reject")
		}
		return []Event{ReservationRejected{ReservationID: r.ID, StoreID: c.StoreID, Reason: c.Reason, At: now}}, nil
	case Cancel:
		switch r.Status {
		case StatusCancelling:
			return nil, nil
		case StatusPlaced, StatusAccepted:
			return []Event{CancelRequested{ReservationID: r.ID, ProductSeq: c.ProductSeq, At: now}}, nil
		}
		return nil, r.forbid("cancel")
	case RecordStockRestored:
		if r.StockRestored {
			return nil, nil
		}
		if r.Status != StatusCancelling {
			return nil, r.forbid("restore stock of")
		}
		return []Event{StockRestored{ReservationID: r.ID, At: now}}, nil
	case RecordStoreReleased:
		if r.Status != StatusCancelling && r.Status != StatusCancelled {
			return nil, r.forbid("release the store of")
		}
		if r.StoreReleased {
			return nil, nil
		}
		return []Event{StoreReleased{ReservationID: r.ID, StoreID: r.StoreID, At: now}}, nil
	case Fulfil:
		if err := c.Validate(); err != nil {
			return nil, err
		}
		if r.Status != StatusAccepted {
			return nil, r.forbid("fulfil")
		}
		if c.StoreID != "" && c.StoreID != r.StoreID {
			return nil, fmt.Errorf("store %s does not hold reservation %s: %w", c.StoreID, r.ID, ErrInvalidTransition)
		}
		return []Event{ReservationFulfilled{ReservationID: r.ID, Method: c.Method, StoreID: r.StoreID, At: now}}, nil
	}
	return nil, fmt.Errorf("%w: reservation does not take %T", ErrInvalid, cmd)
}

// Validate checks a Reject before any state is consulted.
func (c Reject) Validate() error {
	if err := ValidateID("storeId", c.StoreID); err != nil {
		return err
	}
	return validateReason(c.Reason)
}

// Validate checks a Fulfil before any state is consulted.
func (c Fulfil) Validate() error {
	if c.Method != Delivery && c.Method != StoreVisit {
		return fmt.Errorf("%w: method must be %s or %s", ErrInvalid, Delivery, StoreVisit)
	}
	return nil
}

// validateHold checks that a hold names a reservation that can be placed.
func validateHold(h StockReserved) error {
	if h.ReservationID == uuid.Nil {
		return errNoReservation
	}
	if err := ValidateID("productId", h.ProductID); err != nil {
		return err
	}
	if err := ValidateID("customerId", h.CustomerID); err != nil {
		return err
	}
	return h.Location.Validate()
}

// validateReason checks a free-text reason: optional, valid UTF-8, no
// control characters, at most MaxReasonLen bytes.
func validateReason(reason string) error {
	if len(reason) > MaxReasonLen {
		return fmt.Errorf("%w: reason is longer than %d bytes", ErrInvalid, MaxReasonLen)
	}
	if reason == "" {
		return nil
	}
	return validateText("reason", reason)
}

func (r Reservation) forbid(what string) error {
	return fmt.Errorf("cannot %s reservation %s in status %s: %w", what, r.ID, r.Status, ErrInvalidTransition)
}

func (r Reservation) rejected(storeID string) bool {
	for _, s := range r.RejectedBy {
		if s == storeID {
			return true
		}
	}
	return false
}

// Evolve returns r with e applied. Events of other aggregates leave r as is.
// Each event changes only its own writer's part, so the result does not
// depend on how the two subjects' messages interleave.
func (r Reservation) Evolve(e Event) Reservation {
	switch e := e.(type) {
	case ReservationPlaced:
		r = Reservation{ID: e.ReservationID, ProductID: e.ProductID, CustomerID: e.CustomerID,
			Location: e.Location, CreatedAt: e.At, Assignment: r.Assignment, UpdatedAt: r.UpdatedAt}
	case ReservationAccepted:
		r.Assignment = Assignment{StoreID: e.StoreID, DistanceKm: e.DistanceKm, Round: e.Round, UpdatedAt: e.At}
	case ReservationRejected:
		r.RejectedBy = append(slices.Clip(r.RejectedBy), e.StoreID)
	case CancelRequested:
		r.CancelRequested, r.CancelProductSeq = true, e.ProductSeq
	case StockRestored:
		r.StockRestored = true
	case StoreReleased:
		r.Assignment.StoreID, r.Assignment.DistanceKm, r.Assignment.UpdatedAt = "", 0, e.At
	case ReservationFulfilled:
		r.FulfilledBy = e.StoreID
		if r.FulfilledBy == "" {
			r.FulfilledBy = r.StoreID
		}
	default:
		return r
	}
	if at := e.OccurredAt(); at.After(r.UpdatedAt) {
		r.UpdatedAt = at
	}
	return r.derive()
}

// derive sets the status and the store from the two parts. The assignment
// holds the reservation while no store turned it down since it was made and
// the store has not freed it; a cancelled reservation is CANCELLED once its
// unit is back and no store holds it.
func (r Reservation) derive() Reservation {
	a := r.Assignment
	holding := a.StoreID != "" && a.Round == len(r.RejectedBy)
	r.StoreID, r.DistanceKm, r.StoreReleased = "", 0, false
	switch {
	case !r.Exists():
		r.Status = ""
	case r.FulfilledBy != "":
		r.Status, r.StoreID = StatusFulfilled, r.FulfilledBy
		if a.StoreID == r.FulfilledBy {
			r.DistanceKm = a.DistanceKm
		}
	case r.CancelRequested:
		r.Status, r.StoreReleased = StatusCancelling, !holding
		if holding {
			r.StoreID, r.DistanceKm = a.StoreID, a.DistanceKm
		} else if r.StockRestored {
			r.Status = StatusCancelled
		}
	case holding:
		r.Status, r.StoreID, r.DistanceKm = StatusAccepted, a.StoreID, a.DistanceKm
	default:
		r.Status = StatusPlaced
	}
	return r
}

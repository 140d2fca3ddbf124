package domain

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// MaxCapacity bounds how many open reservations one store may hold. The
// store's state lists them, so the bound also bounds the state's size.
const MaxCapacity = 10_000

// Store is a shop (대리점) that takes reservations up to its capacity.
//
// Like a reservation it is kept on two subjects, one per writer: the api's
// directory entry (registration, pause, resume) and the assigner's Slots,
// the reservations it holds. A message on the api's subject says nothing
// about slots that any reader takes: CombineStore sets Holding from the
// assigner's subject only.
type Store struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Location Location `json:"location"`
	Capacity int      `json:"capacity"`
	Paused   bool     `json:"paused,omitempty"`
	// Holding lists the open reservations the store holds, oldest first;
	// len(Holding) is the store's load and never exceeds Capacity.
	Holding IDList `json:"holding,omitempty"`
}

// Slots is the assigner's part of a store: the open reservations it holds,
// oldest first. Only the assigner writes it.
type Slots struct {
	Holding IDList `json:"holding,omitempty"`
}

// CombineStore returns the store entry with the slots the assigner's
// subject says it holds.
func CombineStore(entry Store, slots Slots) Store {
	entry.Holding = slots.Holding
	return entry
}

// Entry is the store without its slots: what the api's subject holds.
func (s Store) Entry() Store {
	s.Holding = nil
	return s
}

// Slots is the store's slots: what the assigner's subject holds.
func (s Store) Slots() Slots { return Slots{Holding: s.Holding} }

// Exists reports whether the store was registered.
func (s Store) Exists() bool { return s.ID != "" }

// Load is how many open reservations the store holds now.
func (s Store) Load() int { return len(s.Holding) }

// Free is how many more reservations the store can take now.
func (s Store) Free() int { return max(0, s.Capacity-len(s.Holding)) }

// Holds reports whether the store holds reservation id.
func (s Store) Holds(id uuid.UUID) bool { return slices.Contains(s.Holding, id) }

// RegisterStore adds a store to the directory.
type RegisterStore struct {
	ID       string
	Name     string
	Location Location
	Capacity int
}

// PauseStore stops a store from taking new reservations.
type PauseStore struct{}

// ResumeStore lets a paused store take reservations again.
type ResumeStore struct{}

// TakeSlot has the store hold a reservation.
type TakeSlot struct {
	ReservationID uuid.UUID
}

// ReleaseSlot frees the slot a reservation held.
type ReleaseSlot struct {
	ReservationID uuid.UUID
}

// StoreRegistered: a store joined the directory.
type StoreRegistered struct {
	StoreID  string    `json:"storeId"`
	Name     string    `json:"name"`
	Location Location  `json:"location"`
	Capacity int       `json:"capacity"`
	At       time.Time `json:"at"`
}

// StorePaused: the store takes no new reservations for now.
type StorePaused struct {
	StoreID string    `json:"storeId"`
	At      time.Time `json:"at"`
}

// StoreResumed: the store takes reservations again.
type StoreResumed struct {
	StoreID string    `json:"storeId"`
	At      time.Time `json:"at"`
}

// StoreSlotTaken: the store holds one more reservation.
type StoreSlotTaken struct {
	StoreID       string    `json:"storeId"`
	ReservationID uuid.UUID `json:"reservationId"`
	At            time.Time `json:"at"`
}

// StoreSlotReleased: the store no longer holds a reservation.
type StoreSlotReleased struct {
	StoreID       string    `json:"storeId"`
	ReservationID uuid.UUID `json:"reservationId"`
	At            time.Time `json:"at"`
}

func (StoreRegistered) EventType() string   { return "StoreRegistered" }
func (StorePaused) EventType() string       { return "StorePaused" }
func (StoreResumed) EventType() string      { return "StoreResumed" }
func (StoreSlotTaken) EventType() string    { return "StoreSlotTaken" }
func (StoreSlotReleased) EventType() string { return "StoreSlotReleased" }

func (e StoreRegistered) AggregateID() string   { return e.StoreID }
func (e StorePaused) AggregateID() string       { return e.StoreID }
func (e StoreResumed) AggregateID() string      { return e.StoreID }
func (e StoreSlotTaken) AggregateID() string    { return e.StoreID }
func (e StoreSlotReleased) AggregateID() string { return e.StoreID }

func (e StoreRegistered) OccurredAt() time.Time   { return e.At }
func (e StorePaused) OccurredAt() time.Time       { return e.At }
func (e StoreResumed) OccurredAt() time.Time      { return e.At }
func (e StoreSlotTaken) OccurredAt() time.Time    { return e.At }
func (e StoreSlotReleased) OccurredAt() time.Time { return e.At }

// Validate checks a RegisterStore before any state is consulted.
func (c RegisterStore) Validate() error {
	if err := ValidateID("id", c.ID); err != nil {
		return err
	}
	if err := validateName("name", c.Name); err != nil {
		return err
	}
	if err := c.Location.Validate(); err != nil {
		return err
	}
	if c.Capacity < 0 || c.Capacity > MaxCapacity {
		return fmt.Errorf("%w: capacity must be between 0 and %d", ErrInvalid, MaxCapacity)
	}
	return nil
}

// Decide returns the events cmd causes on s, or why it cannot run. A nil
// slice with a nil error means the command is already done (a retry).
func (s Store) Decide(cmd any, now time.Time) ([]Event, error) {
	if c, ok := cmd.(RegisterStore); ok {
		if err := c.Validate(); err != nil {
			return nil, err
		}
		if s.Exists() {
			return nil, fmt.Errorf("store %s: %w", c.ID, ErrAlreadyExists)
		}
		return []Event{StoreRegistered{StoreID: c.ID, Name: c.Name, Location: c.Location, Capacity: c.Capacity, At: now}}, nil
	}
	if !s.Exists() {
		return nil, ErrNotFound
	}
	switch c := cmd.(type) {
	case PauseStore:
		if s.Paused {
			return nil, nil
		}
		return []Event{StorePaused{StoreID: s.ID, At: now}}, nil
	case ResumeStore:
		if !s.Paused {
			return nil, nil
		}
		return []Event{StoreResumed{StoreID: s.ID, At: now}}, nil
	case TakeSlot:
		if c.ReservationID == uuid.Nil {
			return nil, errNoReservation
		}
		if s.Holds(c.ReservationID) {
			return nil, nil
		}
		if s.Paused || s.Free() == 0 {
			return nil, fmt.Errorf("store %s is paused or full: %w", s.ID, ErrInvalidTransition)
		}
		return []Event{StoreSlotTaken{StoreID: s.ID, ReservationID: c.ReservationID, At: now}}, nil
	case ReleaseSlot:
		if c.ReservationID == uuid.Nil {
			return nil, errNoReservation
		}
		if !s.Holds(c.ReservationID) {
			return nil, nil
		}
		return []Event{StoreSlotReleased{StoreID: s.ID, ReservationID: c.ReservationID, At: now}}, nil
	}
	return nil, fmt.Errorf("%w: store does not take %T", ErrInvalid, cmd)
}

// Evolve returns s with e applied. Events of other aggregates leave s as is.
func (s Store) Evolve(e Event) Store {
	switch e := e.(type) {
	case StoreRegistered:
		return Store{ID: e.StoreID, Name: e.Name, Location: e.Location, Capacity: e.Capacity, Holding: s.Holding}
	case StorePaused:
		s.Paused = true
	case StoreResumed:
		s.Paused = false
	case StoreSlotTaken:
		s.Holding = append(slices.Clip(s.Holding), e.ReservationID)
	case StoreSlotReleased:
		i := slices.Index(s.Holding, e.ReservationID)
		if i >= 0 {
			s.Holding = slices.Delete(slices.Clone(s.Holding), i, i+1)
		}
	}
	return s
}

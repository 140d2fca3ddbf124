package domain

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// MaxStock bounds a product's stock so that no sum of counts can overflow.
const MaxStock = 1_000_000_000

// Product is a phone model on pre-order and its stock. Stock is what can
// still be reserved; Reserved counts units held by reservations that were
// not cancelled (fulfilled ones included), so Stock + Reserved == Stocked,
// the units ever stocked, after every event.
type Product struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Stock    int    `json:"stock"`
	Reserved int    `json:"reserved"`
	Stocked  int    `json:"stocked"`
}

// Exists reports whether the product was created.
func (p Product) Exists() bool { return p.ID != "" }

// CreateProduct adds a product to the catalog.
type CreateProduct struct {
	ID    string
	Name  string
	Stock int
}

// Restock adds units to a product's stock.
type Restock struct {
	Quantity int
}

// Reserve holds one unit for a new reservation.
type Reserve struct {
	ReservationID uuid.UUID
	CustomerID    string
	Location      Location
}

// Release gives back the unit held by a cancelled reservation.
type Release struct {
	ReservationID uuid.UUID
}

// ProductCreated: a product entered the catalog with its first stock.
type ProductCreated struct {
	ProductID string    `json:"productId"`
	Name      string    `json:"name"`
	Stock     int       `json:"stock"`
	At        time.Time `json:"at"`
}

// ProductRestocked: units were added to a product's stock.
type ProductRestocked struct {
	ProductID string    `json:"productId"`
	Quantity  int       `json:"quantity"`
	At        time.Time `json:"at"`
}

// StockReserved: one unit was held for a new reservation. It carries what
// the reservation needs to be placed, so the reservation can always be
// completed from this event alone.
type StockReserved struct {
	ProductID     string    `json:"productId"`
	ReservationID uuid.UUID `json:"reservationId"`
	CustomerID    string    `json:"customerId"`
	Location      Location  `json:"location"`
	At            time.Time `json:"at"`
}

// StockReleased: the unit held by a cancelled reservation went back to stock.
type StockReleased struct {
	ProductID     string    `json:"productId"`
	ReservationID uuid.UUID `json:"reservationId"`
	At            time.Time `json:"at"`
}

func (ProductCreated) EventType() string   { return "ProductCreated" }
func (ProductRestocked) EventType() string { return "ProductRestocked" }
func (StockReserved) EventType() string    { return "StockReserved" }
func (StockReleased) EventType() string    { return "StockReleased" }

func (e ProductCreated) AggregateID() string   { return e.ProductID }
func (e ProductRestocked) AggregateID() string { return e.ProductID }
func (e StockReserved) AggregateID() string    { return e.ProductID }
func (e StockReleased) AggregateID() string    { return e.ProductID }

func (e ProductCreated) OccurredAt() time.Time   { return e.At }
func (e ProductRestocked) OccurredAt() time.Time { return e.At }
func (e StockReserved) OccurredAt() time.Time    { return e.At }
func (e StockReleased) OccurredAt() time.Time    { return e.At }

// Validate checks a CreateProduct before any state is consulted.
func (c CreateProduct) Validate() error {
	if err := ValidateID("id", c.ID); err != nil {
		return err
	}
	if err := validateName("name", c.Name); err != nil {
		return err
	}
	if c.Stock < 0 || c.Stock > MaxStock {
		return fmt.Errorf("%w: stock must be between 0 and %d", ErrInvalid, MaxStock)
	}
	return nil
}

// Validate checks a Restock before any state is consulted.
func (c Restock) Validate() error {
	if c.Quantity < 1 || c.Quantity > MaxStock {
		return fmt.Errorf("%w: quantity must be between 1 and %d", ErrInvalid, MaxStock)
	}
	return nil
}

// Validate checks a Reserve before any state is consulted.
func (c Reserve) Validate() error {
	if c.ReservationID == uuid.Nil {
		return errNoReservation
	}
	if err := ValidateID("customerId", c.CustomerID); err != nil {
		return err
	}
	return c.Location.Validate()
}

// Decide returns the events cmd causes on p, or why it cannot run.
func (p Product) Decide(cmd any, now time.Time) ([]Event, error) {
	switch c := cmd.(type) {
	case CreateProduct:
		if err := c.Validate(); err != nil {
			return nil, err
		}
		if p.Exists() {
			return nil, fmt.Errorf("product %s: %w", c.ID, ErrAlreadyExists)
		}
		return []Event{ProductCreated{ProductID: c.ID, Name: c.Name, Stock: c.Stock, At: now}}, nil
	case Restock:
		if err := c.Validate(); err != nil {
			return nil, err
		}
		if !p.Exists() {
			return nil, ErrNotFound
		}
		if p.Stocked+c.Quantity > MaxStock {
			return nil, fmt.Errorf("%w: stock would exceed %d", ErrInvalid, MaxStock)
		}
		return []Event{ProductRestocked{ProductID: p.ID, Quantity: c.Quantity, At: now}}, nil
	case Reserve:
		if err := c.Validate(); err != nil {
			return nil, err
		}
		if !p.Exists() {
			return nil, ErrNotFound
		}
		if p.Stock < 1 {
			return nil, fmt.Errorf("product %s: %w", p.ID, ErrOutOfStock)
		}
		return []Event{StockReserved{ProductID: p.ID, ReservationID: c.ReservationID,
			CustomerID: c.CustomerID, Location: c.Location, At: now}}, nil
	case Release:
		if c.ReservationID == uuid.Nil {
			return nil, errNoReservation
		}
		if !p.Exists() {
			return nil, ErrNotFound
		}
		if p.Reserved < 1 {
			return nil, fmt.Errorf("product %s holds no unit to release: %w", p.ID, ErrInvalidTransition)
		}
		return []Event{StockReleased{ProductID: p.ID, ReservationID: c.ReservationID, At: now}}, nil
	}
	return nil, fmt.Errorf("%w: product does not take %T", ErrInvalid, cmd)
}

// Evolve returns p with e applied. Events of other aggregates leave p as is.
func (p Product) Evolve(e Event) Product {
	switch e := e.(type) {
	case ProductCreated:
		return Product{ID: e.ProductID, Name: e.Name, Stock: e.Stock, Stocked: e.Stock}
	case ProductRestocked:
		p.Stock += e.Quantity
		p.Stocked += e.Quantity
	case StockReserved:
		p.Stock--
		p.Reserved++
	case StockReleased:
		p.Stock++
		p.Reserved--
	}
	return p
}

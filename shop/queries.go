package shop

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// CreateProduct adds a product to the catalog.
func (s *Service) CreateProduct(ctx context.Context, cmd domain.CreateProduct) (domain.Product, error) {
	p, _, err := execute[domain.Product](ctx, s, eventstore.Products, cmd.ID, cmd)
	return p, err
}

// Restock adds units to a product.
func (s *Service) Restock(ctx context.Context, productID string, cmd domain.Restock) (domain.Product, error) {
	if err := domain.ValidateID("id", productID); err != nil {
		return domain.Product{}, err
	}
	res := s.submit(ctx, productID, &job{cmd: cmd})
	return res.product, res.err
}

// Product returns a product as its log has it now.
func (s *Service) Product(ctx context.Context, id string) (domain.Product, error) {
	return get[domain.Product](ctx, s, eventstore.Products, id)
}

// RegisterStore adds a store to the directory.
func (s *Service) RegisterStore(ctx context.Context, cmd domain.RegisterStore) (domain.Store, error) {
	st, _, err := execute[domain.Store](ctx, s, eventstore.Stores, cmd.ID, cmd)
	return st, err
}

// Store returns a store as its log has it now.
func (s *Service) Store(ctx context.Context, id string) (domain.Store, error) {
	return get[domain.Store](ctx, s, eventstore.Stores, id)
}

// Reservation returns a reservation as its log has it now.
func (s *Service) Reservation(ctx context.Context, id uuid.UUID) (domain.Reservation, error) {
	return get[domain.Reservation](ctx, s, eventstore.Reservations, id.String())
}

// Fulfil records that an accepted reservation's phone was handed over.
func (s *Service) Fulfil(ctx context.Context, id uuid.UUID, cmd domain.Fulfil) (domain.Reservation, error) {
	r, _, err := execute[domain.Reservation](ctx, s, eventstore.Reservations, id.String(), cmd)
	return r, err
}

// Reject hands an accepted reservation back from its store.
func (s *Service) Reject(ctx context.Context, id uuid.UUID, cmd domain.Reject) (domain.Reservation, error) {
	r, _, err := execute[domain.Reservation](ctx, s, eventstore.Reservations, id.String(), cmd)
	return r, err
}

// get loads an aggregate that must exist.
func get[T aggregate[T]](ctx context.Context, s *Service, k eventstore.Kind, id string) (T, error) {
	if err := domain.ValidateID("id", id); err != nil && k != eventstore.Reservations {
		var zero T
		return zero, err
	}
	v, seq, err := load[T](ctx, s.es, k, id)
	if err == nil && seq == 0 {
		// A follower may not have it yet: ask the leader before saying no,
		// so a read right after a write never answers 404.
		v, seq, err = loadFromLeader[T](ctx, s.es, k, id)
	}
	if err == nil && seq == 0 {
		err = domain.ErrNotFound
	}
	return v, err
}

// Products returns every product, by id.
func (s *Service) Products(ctx context.Context) ([]domain.Product, error) {
	return all[domain.Product](ctx, s, eventstore.Products)
}

// Stores returns every store, by id.
func (s *Service) Stores(ctx context.Context) ([]domain.Store, error) {
	return all[domain.Store](ctx, s, eventstore.Stores)
}

// all loads every aggregate of a kind. It reads one message per aggregate,
// which suits a catalog or a store directory, not reservations.
func all[T aggregate[T]](ctx context.Context, s *Service, k eventstore.Kind) ([]T, error) {
	ids, err := s.es.IDs(ctx, k)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(ids))
	for _, id := range ids {
		v, _, err := load[T](ctx, s.es, k, id)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// StoreReservations returns the open reservations a store holds, oldest
// first.
func (s *Service) StoreReservations(ctx context.Context, storeID string) ([]domain.Reservation, error) {
	st, err := s.Store(ctx, storeID)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Reservation, 0, len(st.Holding))
	for _, id := range st.Holding {
		r, err := s.Reservation(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Recorded is one event as the log recorded it.
type Recorded struct {
	Event domain.Event
	// Seq is the position of the event's message in its stream.
	Seq uint64
	// At is when the log stored it.
	At time.Time
}

// History returns a reservation's events in the order they happened.
func (s *Service) History(ctx context.Context, id uuid.UUID) ([]Recorded, error) {
	if _, err := s.Reservation(ctx, id); err != nil {
		return nil, err
	}
	var out []Recorded
	err := s.es.Scan(ctx, eventstore.Reservations, id.String(), 1, func(m eventstore.Message) error {
		for _, e := range m.Events {
			out = append(out, Recorded{Event: e, Seq: m.Seq, At: m.Time})
		}
		return nil
	})
	return out, err
}

package shop

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// Position is where a command's events are in the log: stream name →
// sequence. A query that names it is answered only once the read model has
// applied them (read-your-writes).
type Position map[string]uint64

func at(k eventstore.Kind, seq uint64) Position { return Position{k.Stream(): seq} }

// CreateProduct adds a product to the catalog.
func (s *Service) CreateProduct(ctx context.Context, cmd domain.CreateProduct) (domain.Product, Position, error) {
	p, seq, err := execute[domain.Product](ctx, s, eventstore.Products, cmd.ID, cmd)
	return p, at(eventstore.Products, seq), err
}

// Restock adds units to a product.
func (s *Service) Restock(ctx context.Context, productID string, cmd domain.Restock) (domain.Product, Position, error) {
	if err := domain.ValidateID("id", productID); err != nil {
		return domain.Product{}, nil, err
	}
	res := s.submit(ctx, productID, &job{cmd: cmd})
	return res.product, at(eventstore.Products, res.seq), res.err
}

// RegisterStore adds a store to the directory.
func (s *Service) RegisterStore(ctx context.Context, cmd domain.RegisterStore) (domain.Store, Position, error) {
	st, seq, err := execute[domain.Store](ctx, s, eventstore.Stores, cmd.ID, cmd)
	return st, at(eventstore.Stores, seq), err
}

// Reservation returns a reservation as its log has it now.
func (s *Service) Reservation(ctx context.Context, id uuid.UUID) (domain.Reservation, error) {
	return get[domain.Reservation](ctx, s, eventstore.Reservations, id.String())
}

// PauseStore stops a store from taking new reservations; those it holds
// stay with it.
func (s *Service) PauseStore(ctx context.Context, storeID string) (domain.Store, Position, error) {
	st, seq, err := execute[domain.Store](ctx, s, eventstore.Stores, storeID, domain.PauseStore{})
	return st, at(eventstore.Stores, seq), err
}

// ResumeStore lets a paused store take reservations again.
func (s *Service) ResumeStore(ctx context.Context, storeID string) (domain.Store, Position, error) {
	st, seq, err := execute[domain.Store](ctx, s, eventstore.Stores, storeID, domain.ResumeStore{})
	return st, at(eventstore.Stores, seq), err
}

// Fulfil records that an accepted reservation's phone was handed over.
func (s *Service) Fulfil(ctx context.Context, id uuid.UUID, cmd domain.Fulfil) (domain.Reservation, Position, error) {
	r, seq, err := execute[domain.Reservation](ctx, s, eventstore.Reservations, id.String(), cmd)
	return r, at(eventstore.Reservations, seq), err
}

// Reject hands an accepted reservation back from its store.
func (s *Service) Reject(ctx context.Context, id uuid.UUID, cmd domain.Reject) (domain.Reservation, Position, error) {
	r, seq, err := execute[domain.Reservation](ctx, s, eventstore.Reservations, id.String(), cmd)
	return r, at(eventstore.Reservations, seq), err
}

// ReservationSeq is the log position of a reservation's last event, on
// either of its subjects, for a read that must reflect it; 0 when it does
// not exist.
func (s *Service) ReservationSeq(ctx context.Context, id uuid.UUID) (uint64, error) {
	var seq uint64
	for _, k := range []eventstore.Kind{eventstore.Reservations, eventstore.Assignments} {
		m, err := s.es.Last(ctx, k, id.String())
		if errors.Is(err, eventstore.ErrNotFound) && k == eventstore.Reservations {
			// A follower may not have it yet: ask the leader before
			// saying it does not exist.
			m, err = s.es.LastFromLeader(ctx, k, id.String())
		}
		switch {
		case errors.Is(err, eventstore.ErrNotFound) && k == eventstore.Reservations:
			return 0, nil
		case errors.Is(err, eventstore.ErrNotFound):
		case err != nil:
			return 0, err
		default:
			seq = max(seq, m.Seq)
		}
	}
	return seq, nil
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

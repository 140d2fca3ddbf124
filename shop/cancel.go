package shop

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
)

// cancellerConsumer finishes every cancellation a crash left half done. Its
// name must never change.
var cancellerConsumer = eventstore.ConsumerConfig{Durable: "reservation-canceller", Kind: eventstore.Reservations,
	Parts: []eventstore.Kind{eventstore.Reservations}, Workers: 8, AckWait: shopAckWait,
	Skip: func(p eventstore.Peek) bool { return !p.Has(domain.CancelRequested{}.EventType()) }}

// cancelGrace is how long the canceller leaves a fresh cancellation to the
// request that made it before finishing it itself.
const cancelGrace = 3 * time.Second

var errFound = errors.New("found")

// Cancel cancels a reservation: it records the request (CANCELLING), gives
// the unit back to the product exactly once, and records that (CANCELLED
// once no store holds it). A cancel of a reservation already cancelling
// changes nothing; of a cancelled or fulfilled one it is
// domain.ErrInvalidTransition.
func (s *Service) Cancel(ctx context.Context, id uuid.UUID) (domain.Reservation, Position, error) {
	r, err := s.Reservation(ctx, id)
	if err != nil {
		return r, nil, err
	}
	// A release of the unit can only follow the request in the product's
	// log; note where the log ends now, for the canceller's search.
	var productSeq uint64
	if r.Status == domain.StatusPlaced || r.Status == domain.StatusAccepted {
		m, err := s.es.Last(ctx, eventstore.Products, r.ProductID)
		if err != nil {
			return r, nil, err
		}
		productSeq = m.Seq
	}
	r, seq, err := execute[domain.Reservation](ctx, s, eventstore.Reservations, id.String(), domain.Cancel{ProductSeq: productSeq})
	if err != nil {
		return r, nil, err
	}
	r, pos, err := s.restoreStock(ctx, r, false)
	if pos == nil {
		pos = at(eventstore.Reservations, seq)
	}
	return r, pos, err
}

// restoreStock gives a cancelling reservation's unit back and records it.
// The release carries a message id named after the reservation, so the
// stream stores it once however many processes try within its duplicate
// window. search looks through the product's log for an earlier release
// first, which the canceller does since it may come after that window.
//
// The position it returns names the release and its record, nil when there
// was nothing to do.
func (s *Service) restoreStock(ctx context.Context, r domain.Reservation, search bool) (domain.Reservation, Position, error) {
	if r.Status != domain.StatusCancelling || r.StockRestored {
		return r, nil, nil
	}
	pos := Position{}
	released := false
	if search {
		err := s.es.Scan(ctx, eventstore.Products, r.ProductID, r.CancelProductSeq+1, func(m eventstore.Message) error {
			for _, e := range m.Events {
				if rel, ok := e.(domain.StockReleased); ok && rel.ReservationID == r.ID {
					return errFound
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, errFound) {
			return r, nil, err
		}
		released = errors.Is(err, errFound)
	}
	if !released {
		res := s.submit(ctx, r.ProductID, &job{cmd: domain.Release{ReservationID: r.ID}, msgID: "release-" + r.ID.String()})
		if res.err != nil {
			return r, nil, res.err
		}
		pos[eventstore.Products.Stream()] = res.seq
		if h := s.cfg.Hooks.AfterRelease; h != nil {
			if err := h(res.event.(domain.StockReleased)); err != nil {
				return r, nil, err
			}
		}
	}
	r, seq, err := execute[domain.Reservation](ctx, s, eventstore.Reservations, r.ID.String(), domain.RecordStockRestored{})
	pos[eventstore.Reservations.Stream()] = seq
	return r, pos, err
}

// finishCancels is the canceller's handler: for a cancel request a grace
// period old, it restores the unit if nobody did.
func (s *Service) finishCancels(ctx context.Context, d eventstore.Delivery) error {
	for _, e := range d.Events {
		req, ok := e.(domain.CancelRequested)
		if !ok {
			continue
		}
		if age := time.Since(d.Time); age < cancelGrace {
			return eventstore.RetryLater(cancelGrace - age)
		}
		r, err := s.Reservation(ctx, req.ReservationID)
		if err != nil {
			return err
		}
		if _, _, err := s.restoreStock(ctx, r, true); err != nil {
			return err
		}
	}
	return nil
}

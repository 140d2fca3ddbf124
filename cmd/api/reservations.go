package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/eventstore"
	"github.com/tshop/tshop/projections"
	"github.com/tshop/tshop/shop"
)

type createReservationBody struct {
	ProductID  string `json:"productId"`
	CustomerID string `json:"customerId"`
	Location   *struct {
		Lat *float64 `json:"lat"`
		Lon *float64 `json:"lon"`
	} `json:"location"`
}

func (a *api) createReservation(w http.ResponseWriter, r *http.Request) (err error) {
	replayed := false
	defer func() { a.metrics.reservation(err, replayed) }()
	var b createReservationBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if b.Location == nil || b.Location.Lat == nil || b.Location.Lon == nil {
		return fmt.Errorf("%w: location with lat and lon is required", domain.ErrInvalid)
	}
	req := shop.ReserveRequest{
		ProductID:      b.ProductID,
		CustomerID:     b.CustomerID,
		Location:       domain.Location{Lat: *b.Location.Lat, Lon: *b.Location.Lon},
		IdempotencyKey: r.Header.Get("Idempotency-Key"),
	}
	if err := domain.ValidateID("productId", req.ProductID); err != nil {
		return err
	}
	if err := domain.ValidateID("customerId", req.CustomerID); err != nil {
		return err
	}
	if err := req.Location.Validate(); err != nil {
		return err
	}
	if err := mayCreateFor(r, req.CustomerID); err != nil {
		return err
	}
	if err := a.limiter.allow(req.CustomerID, req.IdempotencyKey); err != nil {
		return err
	}
	return command(a, w, http.StatusCreated, func() (domain.Reservation, shop.Position, error) {
		res, err := a.svc.Reserve(r.Context(), req)
		if err != nil {
			return res.Reservation, nil, err
		}
		if res.Replayed {
			replayed = true
			w.Header().Set("Idempotent-Replayed", "true")
		}
		w.Header().Set("Location", "/reservations/"+res.Reservation.ID.String())
		return res.Reservation, res.Position, nil
	}, viewReservation)
}

// atLeastOwn adds to after the reservation's own last position in the log,
// so that a read of it never shows less than any earlier answer did: no
// 404 right after its 201, no status older than the last change, whichever
// api instance and projector replica serve the read.
func (a *api) atLeastOwn(ctx context.Context, id uuid.UUID, after shop.Position) error {
	seq, err := a.svc.ReservationSeq(ctx, id)
	if err != nil {
		return err
	}
	if seq == 0 {
		return fmt.Errorf("reservation %s: %w", id, domain.ErrNotFound)
	}
	stream := eventstore.Reservations.Stream()
	after[stream] = max(after[stream], seq)
	return nil
}

func (a *api) getReservation(w http.ResponseWriter, r *http.Request) error {
	id, err := reservationID(r)
	if err != nil {
		return err
	}
	after, err := position(r)
	if err != nil {
		return err
	}
	return query(a, w, func() (domain.Reservation, error) {
		if err := a.atLeastOwn(r.Context(), id, after); err != nil {
			return domain.Reservation{}, err
		}
		res, err := a.views.Reservation(r.Context(), id.String(), after)
		if err != nil {
			return res, err
		}
		return res, maySee(r, res)
	}, viewReservation)
}

func (a *api) history(w http.ResponseWriter, r *http.Request) error {
	id, err := reservationID(r)
	if err != nil {
		return err
	}
	after, err := position(r)
	if err != nil {
		return err
	}
	return query(a, w, func() ([]projections.HistoryEntry, error) {
		if err := a.atLeastOwn(r.Context(), id, after); err != nil {
			return nil, err
		}
		if _, ok := caller(r); ok {
			res, err := a.views.Reservation(r.Context(), id.String(), after)
			if err != nil {
				return nil, err
			}
			if err := maySee(r, res); err != nil {
				return nil, err
			}
		}
		return a.views.History(r.Context(), id.String(), after)
	}, views(viewHistory))
}

// listReservations answers GET /reservations?customerId=ID[&limit=N].
func (a *api) listReservations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	customer := q.Get("customerId")
	if err := domain.ValidateID("customerId", customer); err != nil {
		return err
	}
	if p, ok := caller(r); ok && p.Role == roleCustomer && p.Sub != customer {
		return fmt.Errorf("%w: a customer may list only their own reservations", errForbidden)
	}
	limit := projections.MaxLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > projections.MaxLimit {
			return fmt.Errorf("%w: limit must be a whole number from 1 to %d", domain.ErrInvalid, projections.MaxLimit)
		}
		limit = n
	}
	after, err := position(r)
	if err != nil {
		return err
	}
	return query(a, w, func() ([]domain.Reservation, error) {
		return a.views.CustomerReservations(r.Context(), customer, limit, after)
	}, views(viewReservation))
}

// patchReservation takes {"status":"CANCELLED"} (or the label "예약취소"):
// the only change a customer makes to a reservation.
func (a *api) patchReservation(w http.ResponseWriter, r *http.Request) error {
	id, err := reservationID(r)
	if err != nil {
		return err
	}
	var b struct {
		Status *string `json:"status"`
	}
	if err := decode(r, &b); err != nil {
		return err
	}
	if b.Status == nil || (*b.Status != string(domain.StatusCancelled) && *b.Status != domain.StatusCancelling.Label()) {
		return fmt.Errorf("%w: status must be %q (or %q)", domain.ErrInvalid, domain.StatusCancelled, domain.StatusCancelling.Label())
	}
	return command(a, w, http.StatusAccepted, func() (domain.Reservation, shop.Position, error) {
		if err := a.mayAct(r, id); err != nil {
			return domain.Reservation{}, nil, err
		}
		return a.svc.Cancel(r.Context(), id)
	}, viewReservation)
}

func (a *api) reject(w http.ResponseWriter, r *http.Request) error {
	id, err := reservationID(r)
	if err != nil {
		return err
	}
	var b struct {
		StoreID string `json:"storeId"`
		Reason  string `json:"reason"`
	}
	if err := decode(r, &b); err != nil {
		return err
	}
	cmd := domain.Reject{StoreID: b.StoreID, Reason: b.Reason}
	if err := cmd.Validate(); err != nil {
		return err
	}
	if p, ok := caller(r); ok && p.Store != cmd.StoreID {
		return fmt.Errorf("%w: staff may reject only for their own store", errForbidden)
	}
	return command(a, w, http.StatusAccepted, func() (domain.Reservation, shop.Position, error) {
		if err := a.mayAct(r, id); err != nil {
			return domain.Reservation{}, nil, err
		}
		return a.svc.Reject(r.Context(), id, cmd)
	}, viewReservation)
}

func (a *api) fulfill(w http.ResponseWriter, r *http.Request) error {
	id, err := reservationID(r)
	if err != nil {
		return err
	}
	var b struct {
		Method string `json:"method"`
	}
	if err := decode(r, &b); err != nil {
		return err
	}
	cmd := domain.Fulfil{Method: domain.FulfilMethod(b.Method)}
	if err := cmd.Validate(); err != nil {
		return err
	}
	if p, ok := caller(r); ok {
		// The store is checked again as the event is decided, so a
		// reservation handed to another store meanwhile is refused.
		cmd.StoreID = p.Store
	}
	return command(a, w, http.StatusOK, func() (domain.Reservation, shop.Position, error) {
		if err := a.mayAct(r, id); err != nil {
			return domain.Reservation{}, nil, err
		}
		return a.svc.Fulfil(r.Context(), id, cmd)
	}, viewReservation)
}

// mayAct refuses a change to a reservation the caller may not see, as if
// it did not exist. It reads the reservation from the log only when the
// api checks tokens.
func (a *api) mayAct(r *http.Request, id uuid.UUID) error {
	if _, ok := caller(r); !ok {
		return nil
	}
	res, err := a.svc.Reservation(r.Context(), id)
	if err != nil {
		return err
	}
	return maySee(r, res)
}

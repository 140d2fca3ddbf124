package main

import (
	"fmt"
	"net/http"

	"github.com/tshop/tshop/domain"
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

func (a *api) createReservation(w http.ResponseWriter, r *http.Request) error {
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
	res, err := guarded(a, func() (shop.Reserved, error) { return a.svc.Reserve(r.Context(), req) })
	if err != nil {
		return err
	}
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	w.Header().Set("Location", "/reservations/"+res.Reservation.ID.String())
	writeJSON(w, http.StatusCreated, viewReservation(res.Reservation))
	return nil
}

func (a *api) getReservation(w http.ResponseWriter, r *http.Request) error {
	id, err := reservationID(r)
	if err != nil {
		return err
	}
	res, err := guarded(a, func() (domain.Reservation, error) { return a.svc.Reservation(r.Context(), id) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewReservation(res))
	return nil
}

func (a *api) history(w http.ResponseWriter, r *http.Request) error {
	id, err := reservationID(r)
	if err != nil {
		return err
	}
	events, err := guarded(a, func() ([]shop.Recorded, error) { return a.svc.History(r.Context(), id) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, views(events, viewHistory))
	return nil
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
	res, err := guarded(a, func() (domain.Reservation, error) { return a.svc.Cancel(r.Context(), id) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, viewReservation(res))
	return nil
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
	if err := domain.ValidateID("storeId", b.StoreID); err != nil {
		return err
	}
	if len(b.Reason) > domain.MaxReasonLen {
		return fmt.Errorf("%w: reason is longer than %d bytes", domain.ErrInvalid, domain.MaxReasonLen)
	}
	res, err := guarded(a, func() (domain.Reservation, error) {
		return a.svc.Reject(r.Context(), id, domain.Reject{StoreID: b.StoreID, Reason: b.Reason})
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, viewReservation(res))
	return nil
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
	m := domain.FulfilMethod(b.Method)
	if m != domain.Delivery && m != domain.StoreVisit {
		return fmt.Errorf("%w: method must be %s or %s", domain.ErrInvalid, domain.Delivery, domain.StoreVisit)
	}
	res, err := guarded(a, func() (domain.Reservation, error) { return a.svc.Fulfil(r.Context(), id, domain.Fulfil{Method: m}) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewReservation(res))
	return nil
}

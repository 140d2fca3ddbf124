package main

import (
	"fmt"
	"net/http"

	"github.com/tshop/tshop/domain"
)

type createStoreBody struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Lat      *float64 `json:"lat"`
	Lon      *float64 `json:"lon"`
	Capacity *int     `json:"capacity"`
}

func (a *api) createStore(w http.ResponseWriter, r *http.Request) error {
	var b createStoreBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if b.Lat == nil || b.Lon == nil || b.Capacity == nil {
		return fmt.Errorf("%w: lat, lon and capacity are required", domain.ErrInvalid)
	}
	cmd := domain.RegisterStore{ID: b.ID, Name: b.Name, Location: domain.Location{Lat: *b.Lat, Lon: *b.Lon}, Capacity: *b.Capacity}
	if err := cmd.Validate(); err != nil {
		return err
	}
	s, err := guarded(a, func() (domain.Store, error) { return a.svc.RegisterStore(r.Context(), cmd) })
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/stores/"+s.ID)
	writeJSON(w, http.StatusCreated, viewStore(s))
	return nil
}

func (a *api) getStore(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	s, err := guarded(a, func() (domain.Store, error) { return a.svc.Store(r.Context(), id) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewStore(s))
	return nil
}

func (a *api) listStores(w http.ResponseWriter, r *http.Request) error {
	ss, err := guarded(a, func() ([]domain.Store, error) { return a.svc.Stores(r.Context()) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, views(ss, viewStore))
	return nil
}

func (a *api) storeReservations(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	held, err := guarded(a, func() ([]domain.Reservation, error) { return a.svc.StoreReservations(r.Context(), id) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, views(held, viewReservation))
	return nil
}

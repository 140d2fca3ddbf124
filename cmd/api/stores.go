package main

import (
	"fmt"
	"net/http"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/shop"
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
	return command(a, w, http.StatusCreated, func() (domain.Store, shop.Position, error) {
		v, pos, err := a.svc.RegisterStore(r.Context(), cmd)
		if err == nil {
			// Only a 201 names what it created.
			w.Header().Set("Location", "/stores/"+cmd.ID)
		}
		return v, pos, err
	}, viewStore)
}

func (a *api) getStore(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	after, err := position(r)
	if err != nil {
		return err
	}
	return query(a, w, func() (domain.Store, error) { return a.views.Store(r.Context(), id, after) }, viewStore)
}

func (a *api) listStores(w http.ResponseWriter, r *http.Request) error {
	after, err := position(r)
	if err != nil {
		return err
	}
	return query(a, w, func() ([]domain.Store, error) { return a.views.Stores(r.Context(), after) }, views(viewStore))
}

func (a *api) storeReservations(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if p, ok := caller(r); ok && p.Role == roleStaff && p.Store != id {
		return fmt.Errorf("%w: staff may list only their own store's reservations", errForbidden)
	}
	after, err := position(r)
	if err != nil {
		return err
	}
	return query(a, w, func() ([]domain.Reservation, error) {
		return a.views.StoreReservations(r.Context(), id, after)
	}, views(viewReservation))
}

// pauseStore and resumeStore take no body: the route says it all.
func (a *api) pauseStore(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return command(a, w, http.StatusOK, func() (domain.Store, shop.Position, error) {
		return a.svc.PauseStore(r.Context(), id)
	}, viewStore)
}

func (a *api) resumeStore(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	return command(a, w, http.StatusOK, func() (domain.Store, shop.Position, error) {
		return a.svc.ResumeStore(r.Context(), id)
	}, viewStore)
}

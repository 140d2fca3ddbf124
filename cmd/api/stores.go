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
	var s domain.Store
	err := a.call(func() (err error) {
		s, err = a.svc.RegisterStore(r.Context(), cmd)
		return err
	})
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
	var s domain.Store
	err = a.call(func() (err error) {
		s, err = a.svc.Store(r.Context(), id)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewStore(s))
	return nil
}

func (a *api) listStores(w http.ResponseWriter, r *http.Request) error {
	var views []storeView
	err := a.call(func() error {
		ss, err := a.svc.Stores(r.Context())
		for _, s := range ss {
			views = append(views, viewStore(s))
		}
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(views))
	return nil
}

func (a *api) storeReservations(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var views []reservationView
	err = a.call(func() error {
		s, err := a.svc.Store(r.Context(), id)
		if err != nil {
			return err
		}
		for _, rid := range s.Holding {
			res, err := a.svc.Reservation(r.Context(), rid)
			if err != nil {
				return err
			}
			views = append(views, viewReservation(res))
		}
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(views))
	return nil
}

package main

import (
	"fmt"
	"net/http"

	"github.com/tshop/tshop/domain"
)

type createProductBody struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Stock *int   `json:"stock"`
}

func (a *api) createProduct(w http.ResponseWriter, r *http.Request) error {
	var b createProductBody
	if err := decode(r, &b); err != nil {
		return err
	}
	if b.Stock == nil {
		return fmt.Errorf("%w: stock is required", domain.ErrInvalid)
	}
	cmd := domain.CreateProduct{ID: b.ID, Name: b.Name, Stock: *b.Stock}
	if err := cmd.Validate(); err != nil {
		return err
	}
	var p domain.Product
	err := a.call(func() (err error) {
		p, err = a.svc.CreateProduct(r.Context(), cmd)
		return err
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/products/"+p.ID)
	writeJSON(w, http.StatusCreated, viewProduct(p))
	return nil
}

func (a *api) restock(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var b struct {
		Quantity *int `json:"quantity"`
	}
	if err := decode(r, &b); err != nil {
		return err
	}
	if b.Quantity == nil {
		return fmt.Errorf("%w: quantity is required", domain.ErrInvalid)
	}
	cmd := domain.Restock{Quantity: *b.Quantity}
	if err := cmd.Validate(); err != nil {
		return err
	}
	var p domain.Product
	err = a.call(func() (err error) {
		p, err = a.svc.Restock(r.Context(), id, cmd)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewProduct(p))
	return nil
}

func (a *api) getProduct(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var p domain.Product
	err = a.call(func() (err error) {
		p, err = a.svc.Product(r.Context(), id)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewProduct(p))
	return nil
}

func (a *api) listProducts(w http.ResponseWriter, r *http.Request) error {
	var views []productView
	err := a.call(func() error {
		ps, err := a.svc.Products(r.Context())
		for _, p := range ps {
			views = append(views, viewProduct(p))
		}
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(views))
	return nil
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

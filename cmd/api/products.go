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
	p, err := guarded(a, func() (domain.Product, error) { return a.svc.CreateProduct(r.Context(), cmd) })
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
	p, err := guarded(a, func() (domain.Product, error) { return a.svc.Restock(r.Context(), id, cmd) })
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
	p, err := guarded(a, func() (domain.Product, error) { return a.svc.Product(r.Context(), id) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, viewProduct(p))
	return nil
}

func (a *api) listProducts(w http.ResponseWriter, r *http.Request) error {
	ps, err := guarded(a, func() ([]domain.Product, error) { return a.svc.Products(r.Context()) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, views(ps, viewProduct))
	return nil
}

// views maps a list to its views; an empty list encodes as [], not null.
func views[T, V any](list []T, view func(T) V) []V {
	out := make([]V, len(list))
	for i, v := range list {
		out[i] = view(v)
	}
	return out
}

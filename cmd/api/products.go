package main

import (
	"fmt"
	"net/http"

	"github.com/tshop/tshop/domain"
	"github.com/tshop/tshop/shop"
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
	return command(a, w, http.StatusCreated, func() (domain.Product, shop.Position, error) {
		v, pos, err := a.svc.CreateProduct(r.Context(), cmd)
		if err == nil {
			// Only a 201 names what it created.
			w.Header().Set("Location", "/products/"+cmd.ID)
		}
		return v, pos, err
	}, viewProduct)
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
	return command(a, w, http.StatusOK, func() (domain.Product, shop.Position, error) {
		return a.svc.Restock(r.Context(), id, cmd)
	}, viewProduct)
}

func (a *api) getProduct(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	after, err := position(r)
	if err != nil {
		return err
	}
	return query(a, w, func() (domain.Product, error) { return a.views.Product(r.Context(), id, after) }, viewProduct)
}

func (a *api) listProducts(w http.ResponseWriter, r *http.Request) error {
	after, err := position(r)
	if err != nil {
		return err
	}
	return query(a, w, func() ([]domain.Product, error) { return a.views.Products(r.Context(), after) }, views(viewProduct))
}

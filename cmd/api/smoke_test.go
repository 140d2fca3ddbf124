package main

import (
	"net/http"
	"net/url"
	"testing"
)

func TestCreateReserveCancel(t *testing.T) {
	_, a := setup(t)
	if r := a.do("POST", "/products", map[string]any{"id": "galaxy-s26-256", "name": "Galaxy S26 256GB", "stock": 2}); r.Status != http.StatusCreated {
		t.Fatalf("create product: %d %s", r.Status, r.Body)
	}
	body := map[string]any{"productId": "galaxy-s26-256", "customerId": "c-1001", "location": map[string]float64{"lat": 37.56, "lon": 126.97}}
	r := a.do("POST", "/reservations", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("reserve: %d %s", r.Status, r.Body)
	}
	var res reservationView
	r.JSON(t, &res)
	if res.Status != "PLACED" || res.StatusLabel != "예약신청" {
		t.Fatalf("reservation %+v", res)
	}
	got := a.do("GET", "/reservations/"+res.ID.String(), nil)
	if got.Status != http.StatusOK {
		t.Fatalf("get: %d %s", got.Status, got.Body)
	}
	c := a.do("PATCH", "/reservations/"+res.ID.String(), map[string]string{"status": "예약취소"})
	var cancelled reservationView
	c.JSON(t, &cancelled)
	if c.Status != http.StatusAccepted || cancelled.Status != "CANCELLED" {
		t.Fatalf("cancel: %d %s", c.Status, c.Body)
	}
	// The cancel's position makes the read reflect it.
	var p productView
	a.do("GET", "/products/galaxy-s26-256?position="+url.QueryEscape(c.Header.Get("Tshop-Position")), nil).JSON(t, &p)
	if p.Stock != 2 || p.Reserved != 0 {
		t.Fatalf("product after cancel: %+v", p)
	}
}

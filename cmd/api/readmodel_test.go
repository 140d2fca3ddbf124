package main

import (
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// 50 clients at once create a reservation and read it straight back, each
// through either of two api instances, with two projector replicas sharing
// the queries: never a 404, never a status older than the last answer.
func TestReadYourWrites(t *testing.T) {
	ns := natstest(t)
	startProjector(t, ns.URL())
	startProjector(t, ns.URL())
	apis := []*testAPI{startAPI(t, ns.URL(), nil), startAPI(t, ns.URL(), nil)}
	createProduct(t, apis[0], "galaxy-s26-256", 1000)
	var wg sync.WaitGroup
	for c := range 50 {
		wg.Go(func() {
			var lastPos string
			for i := range 4 {
				a, b := apis[(c+i)%2], apis[(c+i+1)%2]
				r := a.do("POST", "/reservations", reserveBody("galaxy-s26-256", fmt.Sprintf("c-%d", c)))
				if r.Status != http.StatusCreated {
					t.Errorf("reserve: %d %s", r.Status, r.Body)
					return
				}
				var res reservationView
				r.JSON(t, &res)
				lastPos = r.Header.Get("Tshop-Position")
				var got reservationView
				g := b.do("GET", "/reservations/"+res.ID.String(), nil)
				if g.Status != http.StatusOK {
					t.Errorf("GET right after 201: %d %s", g.Status, g.Body)
					return
				}
				g.JSON(t, &got)
				if got.Status != "PLACED" {
					t.Errorf("GET right after 201: status %s", got.Status)
				}
				if i%2 == 1 {
					continue
				}
				p := a.do("PATCH", "/reservations/"+res.ID.String(), map[string]string{"status": "CANCELLED"})
				if p.Status != http.StatusAccepted {
					t.Errorf("cancel: %d %s", p.Status, p.Body)
					return
				}
				lastPos = p.Header.Get("Tshop-Position")
				b.do("GET", "/reservations/"+res.ID.String(), nil).JSON(t, &got)
				if got.Status != "CANCELLED" {
					t.Errorf("GET right after the cancel: status %s, want CANCELLED", got.Status)
				}
			}
			// The customer's list, read at the last write's position,
			// holds all four.
			var list []reservationView
			r := apis[c%2].do("GET", fmt.Sprintf("/reservations?customerId=c-%d&position=%s", c, url.QueryEscape(lastPos)), nil)
			r.JSON(t, &list)
			if r.Status != http.StatusOK || len(list) != 4 {
				t.Errorf("list: %d %s", r.Status, r.Body)
			}
		})
	}
	wg.Wait()
}

// A command's Tshop-Position, passed back as ?position=, makes any read
// reflect it; the customer's list comes newest first.
func TestPositionAndLists(t *testing.T) {
	_, a := setup(t)
	createProduct(t, a, "iphone-18-128", 10)
	var last response
	var ids []string
	for range 3 {
		last = a.do("POST", "/reservations", reserveBody("iphone-18-128", "c-77"))
		var res reservationView
		last.JSON(t, &res)
		ids = append(ids, res.ID.String())
	}
	pos := url.QueryEscape(last.Header.Get("Tshop-Position"))
	if pos == "" {
		t.Fatal("no Tshop-Position on a 201")
	}
	var list []reservationView
	a.do("GET", "/reservations?customerId=c-77&position="+pos, nil).JSON(t, &list)
	if len(list) != 3 || list[0].ID.String() != ids[2] || list[2].ID.String() != ids[0] {
		t.Fatalf("list %+v, want the three newest first", list)
	}
	var p productView
	a.do("GET", "/products/iphone-18-128?position="+pos, nil).JSON(t, &p)
	if p.Stock != 7 || p.Reserved != 3 {
		t.Fatalf("product %+v, want stock 7 reserved 3", p)
	}
	var history []map[string]any
	a.do("GET", "/reservations/"+ids[0]+"/history", nil).JSON(t, &history)
	if len(history) != 1 || history[0]["type"] != "ReservationPlaced" {
		t.Fatalf("history %v", history)
	}
	var limited []reservationView
	a.do("GET", "/reservations?customerId=c-77&limit=2&position="+pos, nil).JSON(t, &limited)
	if len(limited) != 2 {
		t.Fatalf("limit 2 gave %d", len(limited))
	}
}

// Queries for unknown or malformed ids and parameters get problem+json.
func TestQueryErrors(t *testing.T) {
	_, a := setup(t)
	createProduct(t, a, "pixel-11-128", 1)
	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{"/reservations/6f1d3c2e-5a47-4b7e-9a43-2b8f0e6d9c11", 404, "not-found"},
		{"/reservations/6f1d3c2e-5a47-4b7e-9a43-2b8f0e6d9c11/history", 404, "not-found"},
		{"/reservations/not-a-uuid", 400, "invalid-request"},
		{"/reservations/not-a-uuid/history", 400, "invalid-request"},
		{"/products/unknown-phone", 404, "not-found"},
		{"/products/bad.id", 400, "invalid-request"},
		{"/stores/unknown-store", 404, "not-found"},
		{"/stores/unknown-store/reservations", 404, "not-found"},
		{"/stores/bad*id", 400, "invalid-request"},
		{"/reservations", 400, "invalid-request"},
		{"/reservations?customerId=", 400, "invalid-request"},
		{"/reservations?customerId=bad%20id", 400, "invalid-request"},
		{"/reservations?customerId=c-1&limit=0", 400, "invalid-request"},
		{"/reservations?customerId=c-1&limit=501", 400, "invalid-request"},
		{"/reservations?customerId=c-1&limit=x", 400, "invalid-request"},
		{"/reservations?customerId=c-1&position=garbage", 400, "invalid-request"},
		{"/reservations?customerId=c-1&position=TSHOP_NOPE:1", 400, "invalid-request"},
		{"/reservations?customerId=c-1&position=TSHOP_PRODUCTS:-1", 400, "invalid-request"},
		// Past the end of the log: no read model will ever get there.
		{"/products?position=TSHOP_PRODUCTS:99999999", 400, "invalid-request"},
	} {
		r := a.do("GET", c.path, nil)
		var p problem
		r.JSON(t, &p)
		if r.Status != c.status || p.Code != c.code || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s: %d %s, want %d %s", c.path, r.Status, r.Body, c.status, c.code)
		}
	}
}

package main

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/tshop/tshop/eventstore"
	nstest "github.com/tshop/tshop/internal/natstest"
)

// reserveBody is a reservation request from Seoul City Hall, or from the
// latitude given.
func reserveBody(product, customer string, lat ...float64) map[string]any {
	l := 37.5665
	if len(lat) > 0 {
		l = lat[0]
	}
	return map[string]any{"productId": product, "customerId": customer,
		"location": map[string]float64{"lat": l, "lon": 126.978}}
}

func createProduct(t *testing.T, a *testAPI, id string, stock int) {
	t.Helper()
	r := a.do("POST", "/products", map[string]any{"id": id, "name": "Phone " + id, "stock": stock})
	if r.Status != http.StatusCreated {
		t.Fatalf("create product %s: %d %s", id, r.Status, r.Body)
	}
}

// 500 customers race for 100 units of one product: exactly 100 win.
func TestRaceForLastUnits(t *testing.T) {
	ns, a := setup(t)
	createProduct(t, a, "galaxy-s26-256", 100)
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := range 500 {
		wg.Go(func() {
			r := a.do("POST", "/reservations", reserveBody("galaxy-s26-256", fmt.Sprintf("c-%d", i)))
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
			if r.Status == http.StatusConflict {
				var p problem
				r.JSON(t, &p)
				if p.Code != "out-of-stock" {
					t.Errorf("409 with code %q", p.Code)
				}
			}
		})
	}
	wg.Wait()
	if statuses[http.StatusCreated] != 100 || statuses[http.StatusConflict] != 400 || len(statuses) != 2 {
		t.Fatalf("statuses %v, want 100 x 201 and 400 x 409", statuses)
	}
	var p productView
	a.do("GET", "/products/galaxy-s26-256", nil).JSON(t, &p)
	if p.Stock != 0 || p.Reserved != 100 {
		t.Fatalf("product %+v, want stock 0 reserved 100", p)
	}
	pl := checkInvariants(t, openStore(t, ns.URL()), "galaxy-s26-256")
	if len(pl.Holds) != 100 {
		t.Fatalf("log holds %d units, want 100", len(pl.Holds))
	}
}

// A cancel sent 50 times at once restores exactly one unit.
func TestCancelRetriedConcurrently(t *testing.T) {
	ns, a := setup(t)
	createProduct(t, a, "iphone-18-128", 3)
	var res reservationView
	a.do("POST", "/reservations", reserveBody("iphone-18-128", "c-1")).JSON(t, &res)
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range 50 {
		wg.Go(func() {
			r := a.do("PATCH", "/reservations/"+res.ID.String(), map[string]string{"status": "CANCELLED"})
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if statuses[http.StatusAccepted] == 0 || statuses[http.StatusAccepted]+statuses[http.StatusConflict] != 50 {
		t.Fatalf("statuses %v, want only 202 and 409", statuses)
	}
	var got reservationView
	a.do("GET", "/reservations/"+res.ID.String(), nil).JSON(t, &got)
	if got.Status != "CANCELLED" {
		t.Fatalf("status %s, want CANCELLED", got.Status)
	}
	// And once more, long after: nothing changes.
	if r := a.do("PATCH", "/reservations/"+res.ID.String(), map[string]string{"status": "CANCELLED"}); r.Status != http.StatusConflict {
		t.Fatalf("late cancel: %d %s", r.Status, r.Body)
	}
	pl := checkInvariants(t, openStore(t, ns.URL()), "iphone-18-128")
	if pl.Releases[res.ID] != 1 || pl.Product.Stock != 3 {
		t.Fatalf("releases %d, stock %d; want 1 and 3", pl.Releases[res.ID], pl.Product.Stock)
	}
}

// The same race on a 3-node cluster with R3 streams, through two api
// instances on different nodes: conflicts there also come as 10164, and
// loads may be answered by followers.
func TestRaceForLastUnitsOnCluster(t *testing.T) {
	c := nstest.StartCluster(t, 3)
	startProjector(t, c.Servers[1].URL(), 3)
	startProjector(t, c.Servers[2].URL(), 3)
	apis := []*testAPI{
		startAPI(t, c.Servers[0].URL(), nil, "--replicas", "3"),
		startAPI(t, c.Servers[1].URL(), nil, "--replicas", "3"),
	}
	createProduct(t, apis[0], "galaxy-s26-256", 100)
	var mu sync.Mutex
	statuses := map[int]int{}
	var wg sync.WaitGroup
	for i := range 500 {
		wg.Go(func() {
			r := apis[i%2].do("POST", "/reservations", reserveBody("galaxy-s26-256", fmt.Sprintf("c-%d", i)))
			mu.Lock()
			statuses[r.Status]++
			mu.Unlock()
			if r.Status == http.StatusCreated {
				var res reservationView
				r.JSON(t, &res)
				// Read-your-writes through the other instance.
				if g := apis[(i+1)%2].do("GET", "/reservations/"+res.ID.String(), nil); g.Status != http.StatusOK {
					t.Errorf("GET right after 201: %d %s", g.Status, g.Body)
				}
			}
		})
	}
	wg.Wait()
	if statuses[http.StatusCreated] != 100 || statuses[http.StatusConflict] != 400 || len(statuses) != 2 {
		t.Fatalf("statuses %v, want 100 x 201 and 400 x 409", statuses)
	}
	es := openStore(t, c.URL())
	for _, k := range eventstore.Kinds() {
		if r := streamReplicas(t, c.URL(), k.Stream()); r != 3 {
			t.Errorf("stream %s has %d replicas, want 3", k.Stream(), r)
		}
	}
	pl := checkInvariants(t, es, "galaxy-s26-256")
	if len(pl.Holds) != 100 || pl.Product.Stock != 0 {
		t.Fatalf("log holds %d units, stock %d; want 100 and 0", len(pl.Holds), pl.Product.Stock)
	}
}

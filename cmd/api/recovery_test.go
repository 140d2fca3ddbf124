package main

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/tshop/tshop/domain"
)

var errCrash = errors.New("simulated crash")

// crashAfterHold makes an api stop every reservation right after its unit
// is held, before the reservation is placed.
func crashAfterHold(m *Main) {
	m.Hooks.AfterHold = func(domain.StockReserved) error { return errCrash }
}

// A crash between holding the unit and placing the reservation leaves no
// unit without its reservation once any api runs again, and a retry under
// the same Idempotency-Key gets that very reservation, not a second unit.
func TestCrashBetweenHoldAndPlace(t *testing.T) {
	ns := natstest(t)
	startProjector(t, ns.URL())
	a := startAPI(t, ns.URL(), crashAfterHold)
	createProduct(t, a, "galaxy-s26-256", 10)
	for i := range 3 {
		r := a.do("POST", "/reservations", reserveBody("galaxy-s26-256", fmt.Sprintf("c-%d", i)))
		if r.Status == http.StatusCreated {
			t.Fatalf("reservation %d answered 201 though its placement crashed", i)
		}
	}
	r := a.do("POST", "/reservations", reserveBody("galaxy-s26-256", "c-keyed"), "Idempotency-Key", "order-77")
	if r.Status == http.StatusCreated {
		t.Fatalf("keyed reservation answered 201 though its placement crashed")
	}
	a.Stop()

	b := startAPI(t, ns.URL(), nil)
	es := openStore(t, ns.URL())
	eventually(t, 10*time.Second, func() bool {
		pl := readProductLog(t, es, "galaxy-s26-256")
		for id := range pl.Holds {
			if _, err := es.Last(t.Context(), 1, id.String()); err != nil {
				return false
			}
		}
		return len(pl.Holds) == 4
	})
	// The client retries its keyed request: same reservation, no new unit.
	retry := b.do("POST", "/reservations", reserveBody("galaxy-s26-256", "c-keyed"), "Idempotency-Key", "order-77")
	if retry.Status != http.StatusCreated || retry.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s %v", retry.Status, retry.Body, retry.Header)
	}
	pl := checkInvariants(t, es, "galaxy-s26-256")
	if len(pl.Holds) != 4 || pl.Product.Stock != 6 {
		t.Fatalf("holds %d stock %d, want 4 and 6", len(pl.Holds), pl.Product.Stock)
	}
}

// A crash between giving the unit back and recording it on the reservation
// is finished by the canceller, which finds the release in the product's
// log and does not release a second unit.
func TestCrashBetweenReleaseAndRecord(t *testing.T) {
	ns := natstest(t)
	startProjector(t, ns.URL())
	a := startAPI(t, ns.URL(), func(m *Main) {
		m.Hooks.AfterRelease = func(domain.StockReleased) error { return errCrash }
	})
	createProduct(t, a, "iphone-18-128", 5)
	var res reservationView
	a.do("POST", "/reservations", reserveBody("iphone-18-128", "c-1")).JSON(t, &res)
	if r := a.do("PATCH", "/reservations/"+res.ID.String(), map[string]string{"status": "CANCELLED"}); r.Status == http.StatusAccepted {
		t.Fatalf("cancel answered 202 though it crashed: %s", r.Body)
	}
	a.Stop()
	b := startAPI(t, ns.URL(), nil)
	var got reservationView
	eventually(t, 15*time.Second, func() bool {
		b.do("GET", "/reservations/"+res.ID.String(), nil).JSON(t, &got)
		return got.Status == "CANCELLED"
	})
	pl := checkInvariants(t, openStore(t, ns.URL()), "iphone-18-128")
	if pl.Releases[res.ID] != 1 || pl.Product.Stock != 5 {
		t.Fatalf("releases %d stock %d, want 1 and 5", pl.Releases[res.ID], pl.Product.Stock)
	}
}

// Restarting the api loses nothing and reserves nothing twice.
func TestRestartLosesNothing(t *testing.T) {
	ns := natstest(t)
	startProjector(t, ns.URL())
	a := startAPI(t, ns.URL(), nil)
	createProduct(t, a, "pixel-11-128", 50)
	ids := map[string]string{}
	for i := range 20 {
		var res reservationView
		key := ""
		if i%2 == 0 {
			key = fmt.Sprintf("key-%d", i)
		}
		r := a.do("POST", "/reservations", reserveBody("pixel-11-128", fmt.Sprintf("c-%d", i)), "Idempotency-Key", key)
		if r.Status != http.StatusCreated {
			t.Fatalf("reserve %d: %d %s", i, r.Status, r.Body)
		}
		r.JSON(t, &res)
		ids[fmt.Sprint(i)] = res.ID.String()
	}
	a.Stop()
	b := startAPI(t, ns.URL(), nil)
	for i := range 20 {
		if r := b.do("GET", "/reservations/"+ids[fmt.Sprint(i)], nil); r.Status != http.StatusOK {
			t.Fatalf("reservation %d after restart: %d %s", i, r.Status, r.Body)
		}
		if i%2 == 0 {
			var res reservationView
			r := b.do("POST", "/reservations", reserveBody("pixel-11-128", fmt.Sprintf("c-%d", i)), "Idempotency-Key", fmt.Sprintf("key-%d", i))
			r.JSON(t, &res)
			if r.Status != http.StatusCreated || res.ID.String() != ids[fmt.Sprint(i)] {
				t.Fatalf("replay %d: %d %s, want reservation %s", i, r.Status, r.Body, ids[fmt.Sprint(i)])
			}
		}
	}
	pl := checkInvariants(t, openStore(t, ns.URL()), "pixel-11-128")
	if len(pl.Holds) != 20 || pl.Product.Stock != 30 {
		t.Fatalf("holds %d stock %d, want 20 and 30", len(pl.Holds), pl.Product.Stock)
	}
}

// One Idempotency-Key sent 40 times at once to two api instances yields one
// reservation and one unit.
func TestIdempotencyKeyConcurrentAcrossInstances(t *testing.T) {
	ns := natstest(t)
	apis := []*testAPI{startAPI(t, ns.URL(), nil), startAPI(t, ns.URL(), nil)}
	createProduct(t, apis[0], "galaxy-s26-256", 10)
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Go(func() {
			r := apis[i%2].do("POST", "/reservations", reserveBody("galaxy-s26-256", "c-9"), "Idempotency-Key", "same-key")
			var res reservationView
			r.JSON(t, &res)
			mu.Lock()
			seen[fmt.Sprintf("%d %s", r.Status, res.ID)]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(seen) != 1 {
		t.Fatalf("answers %v, want one reservation, 201 every time", seen)
	}
	for k := range seen {
		if k[:3] != "201" {
			t.Fatalf("answers %v", seen)
		}
	}
	// The same key with another body is refused, not a new reservation.
	r := apis[1].do("POST", "/reservations", reserveBody("galaxy-s26-256", "c-9", 36.0), "Idempotency-Key", "same-key")
	if r.Status != http.StatusConflict {
		t.Fatalf("reused key with another body: %d %s", r.Status, r.Body)
	}
	pl := checkInvariants(t, openStore(t, ns.URL()), "galaxy-s26-256")
	if len(pl.Holds) != 1 {
		t.Fatalf("log holds %d units, want 1", len(pl.Holds))
	}
}

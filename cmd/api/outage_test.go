package main

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// With NATS stopped every command answers 503 with Retry-After within two
// seconds, the breaker then answers at once, and service resumes by itself
// once NATS is back.
func TestNATSOutage(t *testing.T) {
	ns, a := setup(t)
	createProduct(t, a, "galaxy-s26-256", 100)
	if r := a.do("GET", "/readyz", nil); r.Status != http.StatusOK {
		t.Fatalf("readyz before the outage: %d %s", r.Status, r.Body)
	}
	ns.Stop()

	for i := range 8 {
		start := time.Now()
		r := a.do("POST", "/reservations", reserveBody("galaxy-s26-256", "c-1"))
		took := time.Since(start)
		if r.Status != http.StatusServiceUnavailable {
			t.Fatalf("request %d during the outage: %d %s", i, r.Status, r.Body)
		}
		var p problem
		r.JSON(t, &p)
		if p.Code != "unavailable" || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("request %d: %+v %v", i, p, r.Header)
		}
		if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Fatalf("request %d: Retry-After %q", i, r.Header.Get("Retry-After"))
		}
		if took > 2*time.Second {
			t.Fatalf("request %d took %s, want at most 2s", i, took)
		}
	}
	if r := a.do("GET", "/readyz", nil); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("readyz during the outage: %d", r.Status)
	}
	if r := a.do("GET", "/healthz", nil); r.Status != http.StatusOK {
		t.Fatalf("healthz during the outage: %d", r.Status)
	}

	ns.Restart()
	eventually(t, 20*time.Second, func() bool {
		return a.do("POST", "/reservations", reserveBody("galaxy-s26-256", "c-2")).Status == http.StatusCreated
	})
	// A request that timed out while NATS came back may still have been
	// stored; what must hold is that nothing is half written.
	eventually(t, 10*time.Second, func() bool {
		return a.do("GET", "/products/galaxy-s26-256", nil).Status == http.StatusOK
	})
	checkInvariants(t, openStore(t, ns.URL()), "galaxy-s26-256")
}

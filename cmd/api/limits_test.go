package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tshop/tshop/domain"
)

func TestCustomerLimiter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	l := newCustomerLimiter(2, 4, clock)
	for i := range 4 {
		if err := l.allow("c-1", ""); err != nil {
			t.Fatalf("attempt %d of the burst refused: %v", i+1, err)
		}
	}
	err := l.allow("c-1", "")
	var limited *rateLimitedError
	if !errors.As(err, &limited) || !errors.Is(err, errRateLimited) {
		t.Fatalf("attempt beyond the burst: %v, want rate limited", err)
	}
	if limited.wait != 500*time.Millisecond {
		t.Errorf("wait %s, want 500ms at 2 a second", limited.wait)
	}
	if err := l.allow("c-2", ""); err != nil {
		t.Errorf("another customer refused: %v", err)
	}
	now = now.Add(500 * time.Millisecond)
	if err := l.allow("c-1", ""); err != nil {
		t.Errorf("after the wait: %v", err)
	}
	if err := l.allow("c-1", ""); err == nil {
		t.Error("a second attempt right after the refill was let through")
	}

	// Buckets that filled up again are forgotten: memory follows the
	// customers active lately, not every customer ever seen.
	for i := range 10_000 {
		if err := l.allow(fmt.Sprintf("c-many-%d", i), ""); err != nil {
			t.Fatalf("new customer %d refused: %v", i, err)
		}
	}
	now = now.Add(3 * time.Second)
	// Each shard forgets on its next use; 1,000 customers use them all.
	for i := range 10_000 {
		_ = l.allow(fmt.Sprintf("c-later-%d", i%1000), "")
	}
	kept := 0
	for i := range l.shards {
		kept += len(l.shards[i].buckets)
	}
	if kept > 1000 {
		t.Errorf("%d buckets kept after every earlier one filled up, want at most the 1,000 active", kept)
	}
	// Replays of a key already charged are free; a new key is not.
	now = now.Add(time.Hour)
	for range 3 {
		if err := l.allow("c-3", "k-1"); err != nil {
			t.Fatalf("replay of an idempotency key refused: %v", err)
		}
	}
	for i := range 3 {
		if err := l.allow("c-3", fmt.Sprintf("k-new-%d", i)); err != nil {
			t.Fatalf("new key %d refused: %v", i, err)
		}
	}
	if err := l.allow("c-3", "k-over"); err == nil {
		t.Error("a fifth new key within the burst of 4 was let through")
	}
	if err := l.allow("c-3", "k-1"); err != nil {
		t.Errorf("a replay after the bucket ran dry: %v", err)
	}
	if newCustomerLimiter(0, 20, clock).allow("c-1", "") != nil {
		t.Error("a rate of 0 limits")
	}
}

func TestCustomerRateLimit(t *testing.T) {
	ns := natstest(t)
	startProjector(t, ns.URL())
	a := startAPI(t, ns.URL(), nil, "--customer-rate", "0.01", "--customer-burst", "3")
	createProduct(t, a, "p-limited", 10)
	for i := range 3 {
		if res := a.do("POST", "/reservations", reserveBody("p-limited", "c-eager")); res.Status != 201 {
			t.Fatalf("attempt %d: %d %s", i+1, res.Status, res.Body)
		}
	}
	res := a.do("POST", "/reservations", reserveBody("p-limited", "c-eager"))
	wantProblem(t, res, 429, "rate-limited")
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After %q, want whole seconds", res.Header.Get("Retry-After"))
	}
	if res := a.do("POST", "/reservations", reserveBody("p-limited", "c-other")); res.Status != 201 {
		t.Errorf("another customer: %d %s", res.Status, res.Body)
	}
	var p struct{ Stock, Reserved int }
	eventually(t, 5*time.Second, func() bool {
		a.do("GET", "/products/p-limited", nil).JSON(t, &p)
		return p.Reserved == 4
	})
	if p.Stock != 6 {
		t.Errorf("stock %d reserved %d, want 6 and 4: the refused attempt held nothing", p.Stock, p.Reserved)
	}
}

func TestMaxInflightSheds(t *testing.T) {
	ns := natstest(t)
	startProjector(t, ns.URL())
	held, release := make(chan struct{}), make(chan struct{})
	a := startAPI(t, ns.URL(), func(m *Main) {
		m.Hooks.AfterHold = func(domain.StockReserved) error {
			close(held)
			<-release
			return nil
		}
	}, "--max-inflight", "1")
	createProduct(t, a, "p-busy", 5)
	first := make(chan response, 1)
	go func() { first <- a.do("POST", "/reservations", reserveBody("p-busy", "c-1")) }()
	<-held
	res := a.do("GET", "/products", nil)
	wantProblem(t, res, 503, "unavailable")
	if res.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if res := a.do("GET", "/healthz", nil); res.Status != 200 {
		t.Errorf("healthz while full: %d", res.Status)
	}
	close(release)
	if res := <-first; res.Status != 201 {
		t.Errorf("the request in flight: %d %s", res.Status, res.Body)
	}
	if res := a.do("GET", "/products", nil); res.Status != 200 {
		t.Errorf("after the request finished: %d %s", res.Status, res.Body)
	}
}

// TestSlowClientsAreCut shows a client that sends its headers or its body
// a byte at a time cannot hold a connection past the timeouts.
func TestSlowClientsAreCut(t *testing.T) {
	ns := natstest(t)
	a := startAPI(t, ns.URL(), nil, "--header-timeout", "300ms", "--read-timeout", "600ms")
	addr := strings.TrimPrefix(a.URL, "http://")
	cases := []struct {
		name  string
		start string
		drip  string
		limit time.Duration
	}{
		{"headers", "GET /products HTTP/1.1\r\nHost: tshop\r\n", "X: y\r\n", 300 * time.Millisecond},
		{"body", "POST /products HTTP/1.1\r\nHost: tshop\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", " ", 600 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Before the dial: the server's timeout starts once it has
			// the connection, which may be before Dial returns here.
			start := time.Now()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, c.start); err != nil {
				t.Fatal(err)
			}
			closed := make(chan time.Duration, 1)
			go func() {
				_, _ = io.Copy(io.Discard, conn)
				closed <- time.Since(start)
			}()
			tick := time.NewTicker(50 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case took := <-closed:
					if took < c.limit {
						t.Errorf("cut after %s, before the %s timeout", took, c.limit)
					}
					return
				case <-tick.C:
					if time.Since(start) > 10*c.limit {
						t.Fatalf("still connected after %s with a %s timeout", time.Since(start), c.limit)
					}
					_, _ = io.WriteString(conn, c.drip)
				}
			}
		})
	}
}

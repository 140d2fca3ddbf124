package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
)

// client speaks the HTTP API to the apis of a system.
type client struct {
	apis []*proc
	http *http.Client
	l    *ledger
}

func newClient(apis []*proc, l *ledger) *client {
	return &client{apis: apis, l: l, http: &http.Client{
		Timeout:   6 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
	}}
}

// response is one answer, or why there was none.
type response struct {
	status int
	code   string // the problem code of an error
	body   []byte
	header http.Header
	err    error
}

// outcome names a response for the tally: its status and problem code, or
// what kept it from coming.
func (r response) outcome() string {
	switch {
	case r.err == nil && r.code != "":
		return strconv.Itoa(r.status) + " " + r.code
	case r.err == nil:
		return strconv.Itoa(r.status)
	case errors.Is(r.err, syscall.ECONNREFUSED):
		return "api down"
	case errors.Is(r.err, context.DeadlineExceeded) || errors.Is(r.err, os.ErrDeadlineExceeded) || strings.Contains(r.err.Error(), "Timeout"):
		return "client timeout"
	default:
		return "connection lost"
	}
}

// transient reports whether the request may be sent again: no answer, or
// an answer that says to try later.
func (r response) transient() bool {
	return r.err != nil || r.status == http.StatusServiceUnavailable || r.status == http.StatusTooManyRequests
}

func (c *client) do(ctx context.Context, api *proc, method, path string, body any, header map[string]string) response {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return response{err: err}
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, api.url+path, rd)
	if err != nil {
		return response{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return response{err: err}
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return response{err: err}
	}
	r := response{status: res.StatusCode, body: data, header: res.Header}
	if res.StatusCode >= 400 {
		var p struct {
			Code string `json:"code"`
		}
		_ = json.Unmarshal(data, &p)
		r.code = p.Code
		if r.code == "" {
			r.code = "no-code"
		}
	}
	return r
}

// expect tallies a response to op and records a violation unless it is
// one of want (a status, or "status code"), a transient failure, or the
// client giving up because the run is ending.
func (c *client) expect(ctx context.Context, op string, api *proc, what string, r response, want ...string) bool {
	if r.err != nil && ctx.Err() != nil {
		return false
	}
	c.l.count(op, r.outcome())
	if r.transient() {
		return false
	}
	got := strconv.Itoa(r.status)
	for _, w := range want {
		if w == got || w == got+" "+r.code {
			return true
		}
	}
	kind := "http"
	if r.status >= 500 {
		kind = "5xx"
	}
	c.l.violation(kind, "%s %s on %s: %s %s: %s", op, what, api, got, r.code, truncate(r.body, 300))
	return false
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

type reserveBody struct {
	ProductID  string   `json:"productId"`
	CustomerID string   `json:"customerId"`
	Location   location `json:"location"`
}

type location struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

type reservationView struct {
	ID         uuid.UUID `json:"id"`
	ProductID  string    `json:"productId"`
	CustomerID string    `json:"customerId"`
	Status     string    `json:"status"`
	StoreID    *string   `json:"storeId"`
}

// workload is the mix of requests the run sends.
type workload struct {
	c         *client
	products  []string
	customers int
	workers   int
	// think is the longest pause of a worker between two requests.
	think time.Duration
}

// seoul is a random place in and around Seoul.
func seoul(rng *rand.Rand) location {
	return location{Lat: 37.45 + rng.Float64()*0.25, Lon: 126.85 + rng.Float64()*0.35}
}

// setup creates the products and the first stores, sending each until it
// is known to exist.
func (w *workload) setup(ctx context.Context, rng *rand.Rand, products, stores int) error {
	for i := range products {
		id := fmt.Sprintf("chaos-phone-%d", i+1)
		body := map[string]any{"id": id, "name": fmt.Sprintf("Chaos phone %d", i+1), "stock": 20 + rng.IntN(20)}
		if err := w.create(ctx, "/products", body, "create product"); err != nil {
			return err
		}
		w.products = append(w.products, id)
	}
	for i := range stores {
		if err := w.addStore(ctx, rng, fmt.Sprintf("chaos-store-%d", i+1), 10+rng.IntN(16)); err != nil {
			return err
		}
	}
	return nil
}

// create POSTs body until the answer is 201, or 409 already-exists (an
// earlier attempt whose answer was lost created it).
func (w *workload) create(ctx context.Context, path string, body any, op string) error {
	for attempt := 0; ; attempt++ {
		api := w.c.apis[attempt%len(w.c.apis)]
		r := w.c.do(ctx, api, http.MethodPost, path, body, nil)
		if w.c.expect(ctx, op, api, path, r, "201", "409 already-exists") {
			return nil
		}
		if !r.transient() || attempt > 100 || ctx.Err() != nil {
			return fmt.Errorf("%s %s: %s %s", op, path, r.outcome(), truncate(r.body, 300))
		}
		sleep(ctx, 200*time.Millisecond)
	}
}

func (w *workload) addStore(ctx context.Context, rng *rand.Rand, id string, capacity int) error {
	loc := seoul(rng)
	body := map[string]any{"id": id, "name": "Chaos store " + id, "lat": loc.Lat, "lon": loc.Lon, "capacity": capacity}
	if err := w.create(ctx, "/stores", body, "add store"); err != nil {
		return err
	}
	w.c.l.addStore(id)
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
